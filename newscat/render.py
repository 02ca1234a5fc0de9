"""Terminal rendering with Rich. Data is always inert (SPEC §6).

Every value from a file reaches Rich as a ``Text`` object (never markup), after
``inert`` has replaced control characters, so a title holding ``[bold]``, an
ANSI escape or an OSC sequence prints literally and harmlessly.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import IO, Any, Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from newscat.model import Article

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(value: str, keep_newlines: bool = False) -> str:
    """Text with every control character shown as a visible escape (``\\x1b``)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    text = _CONTROL.sub(escape, value)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def color_system_for(color: str, stream: IO[str]) -> tuple[bool | None, bool]:
    """(force_terminal, no_color) for Rich, from ``--color`` and the environment."""
    if color == "always":
        return True, False
    if color == "never":
        return False, True
    if os.environ.get("NO_COLOR"):
        return None, True
    if os.environ.get("FORCE_COLOR"):
        return True, False
    return None, False


def make_console(color: str = "auto", stderr: bool = False, width: int | None = None) -> Console:
    """A Console that never interprets markup, emoji codes or highlighting in data."""
    stream = sys.stderr if stderr else sys.stdout
    force, no_color = color_system_for(color, stream)
    return Console(
        file=stream,
        force_terminal=force,
        no_color=no_color,
        markup=False,
        emoji=False,
        highlight=False,
        width=width,
        soft_wrap=False,
    )


def score_style(value: float | None) -> str:
    if value is None:
        return "dim"
    if value >= 70:
        return "bold green"
    if value >= 50:
        return "yellow"
    return "red"


#: Columns that give way when the terminal is narrow (first dropped first).
_DROP_ORDER = ("body", "excerpt", "url", "path", "id", "topics", "heat", "provider", "quality")
#: Flexible columns: (comfortable width, least width). They shrink to the first
#: before any column is dropped, and to the second only when nothing is left to drop.
_FLEX = {
    "title": (32, 12),
    "topics": (18, 8),
    "excerpt": (24, 10),
    "body": (24, 10),
    "url": (24, 10),
    "path": (24, 10),
}
_CAP = {"id": 24, "provider": 22, "domain": 22, "category": 12, "type": 10}
_GAP = 2


def fit_widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[int | None]:
    """A width for each column so the table fits ``width``; None drops the column.

    Flexible columns (title, topics…) shrink to a comfortable width, then columns
    are dropped in ``_DROP_ORDER`` (the title always stays), then the flexible
    ones shrink further; any width left over goes back to the flexible columns.
    """
    natural: list[int] = []
    for i, name in enumerate(header):
        longest = max([cell_len(name)] + [cell_len(row[i]) for row in rows])
        natural.append(min(longest, _CAP.get(name, longest)))
    widths: dict[int, int] = dict(enumerate(natural))
    flex = [i for i, name in enumerate(header) if name in _FLEX]

    def total() -> int:
        return sum(widths.values()) + _GAP * (len(widths) - 1)

    def shrink(floor: int) -> None:  # floor: 0 comfortable, 1 least
        for i in flex:
            if i in widths and total() > width:
                least = min(natural[i], _FLEX[header[i]][floor])
                widths[i] = max(least, widths[i] - (total() - width))

    shrink(0)
    for name in _DROP_ORDER:
        if total() <= width:
            break
        if name in header and header.index(name) in widths:
            del widths[header.index(name)]
    shrink(1)
    for i in flex:  # give back what is left, in column order
        if i in widths and total() < width:
            widths[i] = min(natural[i], widths[i] + width - total())
    return [widths.get(i) for i in range(len(header))]


def _plain(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in ("quality", "heat") and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if name == "date" and isinstance(value, str):
        return value[:10]
    if isinstance(value, (list, tuple)):
        return inert(", ".join(str(item) for item in value))
    return inert(str(value))


def articles_table(
    articles: Iterable[Article], fields: Sequence[str], width: int, links: bool = True
) -> Table:
    """A table of articles that fits ``width`` columns of terminal."""
    from newscat.export import field_value

    items = list(articles)
    rows = [[_plain(name, field_value(a, name)) for name in fields] for a in items]
    widths = fit_widths(fields, rows, width)
    shown = [i for i, w in enumerate(widths) if w is not None]
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1), expand=False)
    for i in shown:
        name = fields[i]
        justify: Literal["left", "right"] = "right" if name in ("quality", "heat") else "left"
        table.add_column(name, width=widths[i], no_wrap=True, overflow="ellipsis", justify=justify)
    for article, row in zip(items, rows, strict=True):
        cells: list[Text] = []
        for i in shown:
            name = fields[i]
            cell = Text(row[i])
            if name in ("quality", "heat"):
                value = field_value(article, name)
                cell.stylize(score_style(value if isinstance(value, (int, float)) else None))
            elif name == "title" and links and article.url and _safe_url(article.url):
                cell.stylize(f"link {article.url}")
            cells.append(cell)
        table.add_row(*cells)
    return table


def _safe_url(url: str) -> bool:
    """Only plain http(s) URLs with no spaces or controls become OSC 8 links."""
    return bool(re.match(r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$", url))
