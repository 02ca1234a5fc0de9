"""Front-matter shapes from real catalogues that the story index must take in its stride."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run, write_article


@pytest.mark.parametrize("related", ["see also", 3, True, None, {"title": "x"}])
def test_a_related_key_of_any_shape_never_breaks_a_command(tmp_path: Path, related: object) -> None:
    # Jekyll and Hugo sites use `related` for their own purposes: a string, a flag, ...
    for i in range(3):
        write_article(tmp_path, f"p{i}.md", title=f"Post {i}", related=related)

    result = run("list", "-C", str(tmp_path), "--count")

    assert (result.exit_code, result.stdout, result.stderr) == (0, "3\n", "")
