"""The code states its rules itself: no pointers into the spec or the issue tracker."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_no_spec_or_issue_references_in_the_package() -> None:
    pattern = re.compile(r"SPEC §|§\d|issue #\d")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "newscat").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
