"""An article's id is its path relative to its root less the extension, as
``os.path.splitext`` has it, and its folder what ``os.path.dirname`` gives, however
``article_id`` and ``folder_of`` work them out."""

from __future__ import annotations

import os

from hypothesis import example, given
from hypothesis import strategies as st

from newscat import catalog


@given(st.text(alphabet="a./", max_size=12))
@example("a/b.md")
@example("a.b/c")
@example(".md")
@example("a/.hidden.md")
@example("a/..b.md")
@example("a/b.")
@example("a.tar.gz")
def test_an_id_is_the_path_less_what_splitext_takes_off(relative: str) -> None:
    expected = os.path.splitext(relative)[0].replace(os.sep, "/")
    assert catalog.article_id(relative) == expected


def test_the_ids_of_a_nested_root_are_relative_to_it() -> None:
    assert catalog.root_and_id("/r/a/b.c/d.e.md", ["/r"]) == ("/r", "a/b.c/d.e")
    assert catalog.root_and_id("/r/.x/.md", ["/r"]) == ("/r", ".x/.md")


@given(st.text(alphabet="a./", max_size=12))
@example("/r/a/b.md")
@example("/b.md")
@example("/r//b.md")
@example("b.md")
@example("a/")
def test_a_folder_is_what_dirname_gives(path: str) -> None:
    assert catalog.folder_of(path) == os.path.dirname(path)
