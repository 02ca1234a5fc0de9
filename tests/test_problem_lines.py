"""``check``'s table is written a line at a time: exactly what a Rich grid per file gives
(the renderer it replaced, kept here as the reference), at a fraction of the cost."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from rich.console import Console, RenderableType

from newscat.model import Problem
from newscat.render import _place, _problem_grids, problems_table
from newscat.text import inert


def grid_reference(problems: Sequence[Problem]) -> RenderableType:
    """The table as a Rich grid per file, as ``check`` drew it before (and still does on
    a terminal too narrow for the message column)."""
    places = [_place(p) for p in problems]
    codes = [inert(p.code) for p in problems]
    place_width = max(len(x) for x in places)
    code_width = min(max(len(x) for x in codes), 24)
    return _problem_grids(problems, places, codes, place_width, code_width, str)


PROBLEMS = [
    Problem("/cat/a.md", "yaml-syntax", "mapping values are not allowed here", 3, 7),
    Problem("/cat/a.md", "missing-url", "no url (read from webUrl, url, link)", 2, None, "warning"),
    Problem("/cat/a.md", "a-code-much-longer-than-the-column-allows", "short", None, None),
    Problem("/cat/b\x1b]0;t\x07.md", "bad-date", "date '二〇二四年一月二日' is not a date", 12, 1,
            "warning"),
    Problem("/cat/b\x1b]0;t\x07.md", "binary", "x" * 130 + " " + "https://example.com/" * 5, 1, 1),
    Problem("/cat/c.md", "utf-16", "UTF-16 text\x1b[31m; convert it: iconv -f UTF-16 -t UTF-8", 1),
]  # fmt: skip


def rendered(renderable: RenderableType, width: int, color: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=color, no_color=not color,
                      color_system="truecolor" if color else None, markup=False, emoji=False,
                      highlight=False, soft_wrap=False)  # fmt: skip
    console.print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("width", [20, 41, 52, 53, 54, 80, 133])
@pytest.mark.parametrize("color", [False, True])
def test_the_lines_are_the_grids(width: int, color: bool) -> None:
    lines = rendered(problems_table(PROBLEMS, width, str), width, color)
    assert lines == rendered(grid_reference(PROBLEMS), width, color)
    assert "\x1b]0;" not in lines and "\x1b[31m;" not in lines
    assert lines.count("\n") > len(PROBLEMS) + 2


def test_nothing_to_show_writes_nothing() -> None:
    assert rendered(problems_table([], 80, str), 80, False) == ""
