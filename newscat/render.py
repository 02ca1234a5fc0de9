"""Terminal rendering with Rich. Data is always inert.

Every value from a file reaches Rich as a ``Text`` object (never markup), after
``inert`` has replaced control characters, so a title holding ``[bold]``, an
ANSI escape or an OSC sequence prints literally and harmlessly.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any, Literal

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.console import Group as Stack
from rich.padding import Padding
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from newscat.dates import humanize, normalise_date, parse_instant
from newscat.fields import (
    CAP_WIDTHS,
    DROP_ORDER,
    FLEX_WIDTHS,
    HANGING_FIELDS,
    IMAGES_KEY,
    NUMBER_FIELDS,
    OPAQUE_KEYS,
    ORIGINAL_URL_KEY,
    OWN_LINE_FIELDS,
    PAGE_FIELDS,
    RELATED_KEY,
    SCORE_FIELDS,
    SECTION_KEYS,
    SNIPPET_MARKS,
    WHOLE_FIELDS,
    Context,
    Field,
    field_value,
    summary_value,
    used_keys,
)
from newscat.formats import flat_text
from newscat.model import Article, Problem
from newscat.text import human_size, inert

if TYPE_CHECKING:
    from newscat.fields import FieldRow
    from newscat.store.cache import CacheEntry
    from newscat.stories.report import StoryRow
    from newscat.summary import Group, Stats
    from newscat.trends import Trend


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


# An article table's layout comes from the field registry: the columns that give way
# when the terminal is narrow (first dropped first), the flexible ones (comfortable and
# least width), how wide some grow, and those cut last because cut they mean nothing.
_DROP_ORDER, _FLEX, _CAP, _WHOLE = DROP_ORDER, FLEX_WIDTHS, CAP_WIDTHS, WHOLE_FIELDS
_GAP = 2


def fit_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    flexible: dict[str, tuple[int, int]] | None = None,
    drop_order: Sequence[str] = _DROP_ORDER,
    caps: dict[str, int] | None = None,
    keep: bool = False,
) -> list[int | None]:
    """A width for each column so the table fits ``width``; None drops the column.

    When the table is too wide, the columns empty in every row go first, all of them;
    then flexible columns (title, topics…) shrink to a comfortable width, then columns
    are dropped in ``drop_order`` (a column not in it always stays); then the flexible
    ones shrink further, and if the table is still too wide, the widest columns give a
    cell at a time. With ``keep`` (columns the user named) no column is dropped. Any
    width left over goes back to the flexible columns. Widths are terminal cells (wide
    characters count two).
    """
    flexible = _FLEX if flexible is None else flexible
    natural, empty = _measure(header, rows, _CAP if caps is None else caps)
    return _fit(header, natural, empty, width, flexible, drop_order, keep)


#: A first column never narrows below this, and a value this wide never hangs: what
#: hanging would give is little.
HANG_OVER = 16


def hanging_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    keep: bool = False,
    flexible: dict[str, tuple[int, int]] | None = None,
    drop_order: Sequence[str] = _DROP_ORDER,
    caps: dict[str, int] | None = None,
    hangs: bool | None = None,
) -> list[int | None]:
    """``fit_widths`` for a table whose first column may hang: a ``ref`` or an ``id``
    (None), or any other when ``hangs``. Its width says which values hang: those wider
    than it, each whole on a line of its own above its row.

    The column narrows only when that pays. Its width is the longest of its values (of
    ``HANG_OVER`` cells or more) that leaves every other column its comfortable width,
    else ``HANG_OVER`` (it never narrows below that); and the table hangs at that width
    only if at most half of its rows then hang, or if without hanging a flexible column
    would be starved (narrower than its least width: a title squeezed to a few cells by
    the long path ids of a real site). Otherwise the column keeps its natural width.
    """
    hangs = bool(header) and (header[0] in HANGING_FIELDS if hangs is None else hangs)
    flexible = _FLEX if flexible is None else flexible
    natural, empty = _measure(header, rows, _CAP if caps is None else caps)
    floor = min(HANG_OVER, natural[0], width) if hangs else 1
    plain = _fit(header, natural, empty, width, flexible, drop_order, keep, floor)
    if not hangs or natural[0] <= HANG_OVER:
        return plain
    firsts = [cell_len(row[0]) for row in rows]
    fitted = plain
    for length in sorted({n for n in firsts if n >= HANG_OVER} | {HANG_OVER}, reverse=True):
        narrowed = [length, *natural[1:]]  # the longest first: the fewest lines
        fitted = _fit(header, narrowed, empty, width, flexible, drop_order, keep, floor)
        if _comfortable(header, fitted, narrowed, flexible):
            break
    shown = fitted[0]
    hung = sum(n > shown for n in firsts) if shown is not None else 0
    if 2 * hung <= len(rows) or _starved(header, plain, natural, flexible):
        return fitted
    return plain


def _comfortable(
    header: Sequence[str],
    widths: Sequence[int | None],
    natural: list[int],
    flexible: dict[str, tuple[int, int]],
) -> bool:
    """Whether every column shown after the first has its natural width, or a flexible
    column its comfortable width."""
    return not _narrower(header, widths, natural, flexible, 0, every=True)


def _starved(
    header: Sequence[str],
    widths: Sequence[int | None],
    natural: list[int],
    flexible: dict[str, tuple[int, int]],
) -> bool:
    """Whether a flexible column shown after the first is narrower than its least width
    (or its natural one, when that is less)."""
    return _narrower(header, widths, natural, flexible, 1, every=False)


def _narrower(
    header: Sequence[str],
    widths: Sequence[int | None],
    natural: list[int],
    flexible: dict[str, tuple[int, int]],
    which: int,
    every: bool,
) -> bool:
    """Whether a column shown after the first is narrower than its natural width, or a
    flexible one than its ``flexible`` width ``which`` (0: comfortable, 1: least) when
    that is less; other columns count only with ``every``."""
    for i, name in enumerate(header[1:], 1):
        shown = widths[i]
        if shown is None or not (every or name in flexible):
            continue
        wanted = min(natural[i], flexible[name][which]) if name in flexible else natural[i]
        if shown < wanted:
            return True
    return False


def _measure(
    header: Sequence[str], rows: Sequence[Sequence[str]], caps: Mapping[str, int]
) -> tuple[list[int], list[bool]]:
    """Each column's natural width (its widest cell or header, within its cap), and
    whether it is empty in every row."""
    natural: list[int] = []
    for i, name in enumerate(header):
        longest = max([cell_len(name)] + [cell_len(row[i]) for row in rows])
        natural.append(min(longest, caps.get(name, longest)))
    empty = [bool(rows) and not any(row[i] for row in rows) for i in range(len(header))]
    return natural, empty


def _fit(
    header: Sequence[str],
    natural: list[int],
    empty: list[bool],
    width: int,
    flexible: dict[str, tuple[int, int]],
    drop_order: Sequence[str],
    keep: bool,
    floor: int = 1,
) -> list[int | None]:
    """``fit_widths`` from the columns' natural widths and which are empty; the first
    column never squeezed below ``floor``."""
    widths: dict[int, int] = dict(enumerate(natural))
    flex = [i for i, name in enumerate(header) if name in flexible]
    if _total(widths) > width and not keep:  # a column empty in every row says nothing: all go
        for i in range(len(header)):
            if empty[i]:
                widths.pop(i)
    if _total(widths) > width:  # every flexible column to its comfortable width
        for i in flex:
            if i in widths:
                widths[i] = min(natural[i], flexible[header[i]][0])
    if not keep:
        for i in [header.index(name) for name in drop_order if name in header]:
            if _total(widths) <= width:
                break
            widths.pop(i, None)
    for i in reversed(flex):  # to their least width; the first column last
        if i in widths and _total(widths) > width:
            least = min(natural[i], flexible[header[i]][1])
            widths[i] = max(least, widths[i] - (_total(widths) - width))
    _squeeze(widths, header, width, floor)
    _give_back(widths, natural, [i for i in flex if i in widths], header, width)
    return [widths.get(i) for i in range(len(header))]


def _total(widths: dict[int, int]) -> int:
    """A table's width in cells: its columns and the gaps between them."""
    return sum(widths.values()) + _GAP * (len(widths) - 1)


def _squeeze(widths: dict[int, int], header: Sequence[str], width: int, floor: int = 1) -> None:
    """The last resort: the widest column gives one cell at a time (_WHOLE ones last), down
    to one cell (the first column to ``floor``)."""
    while _total(widths) > width:
        giving = [i for i in widths if widths[i] > (floor if i == 0 else 1)]
        if not giving:
            break
        widest = max(
            giving, key=lambda i: (header[i] not in _WHOLE and widths[i] > 3, widths[i], i)
        )
        widths[widest] -= 1


def _give_back(
    widths: dict[int, int], natural: list[int], flex: list[int], header: Sequence[str], width: int
) -> None:
    """Give what is left of ``width`` back to the flexible columns shown (``flex``): to a
    snippet and the title alike (the reasons for a -m table) a cell at a time, then to
    the others in column order."""
    shared = [i for i in flex if header[i] == "snippet"]
    shared += [i for i in flex if header[i] == "title"] if shared else []
    while _total(widths) < width and any(widths[i] < natural[i] for i in shared):
        for i in shared:
            if widths[i] < natural[i] and _total(widths) < width:
                widths[i] += 1
    for i in flex:
        if _total(widths) < width:
            widths[i] = min(natural[i], widths[i] + width - _total(widths))


def local_day(iso: str) -> str:
    """The day of a normalised UTC date (``YYYY-MM-DDTHH:MM:SSZ``) in the local time zone
    (``TZ``): tables are for people; machine formats keep UTC."""
    try:
        moment = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        return moment.astimezone().strftime("%Y-%m-%d")
    except (ValueError, OverflowError, OSError):
        return iso[:10]


def local_minute(iso: str) -> str:
    """A normalised UTC instant as ``YYYY-MM-DD HH:MM`` in the local time zone (``TZ``)."""
    try:
        moment = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        return moment.astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return iso


def _plain(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "snippet" and isinstance(value, str):
        return _snippet_cell(value).plain
    if name in NUMBER_FIELDS and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if name == "date" and isinstance(value, str):
        return local_day(value)
    if name == "arrived" and isinstance(value, str):  # the time of day matters here
        return local_minute(value)
    if isinstance(value, (list, tuple)):
        return inert(", ".join(str(item) for item in value))
    return inert(str(value))


def articles_table(
    articles: Iterable[Article],
    fields: Sequence[str],
    width: int,
    links: bool = True,
    computed: Context | None = None,
    keep: bool = False,
) -> RenderableType:
    """A table of articles that fits ``width`` columns of terminal.

    ``computed`` gives the ``ref`` and ``snippet`` columns; with ``keep`` (columns the user named)
    every column stays, however narrow. A ``ref`` (or ``id``) first is never cut: one too long
    for its column goes whole on a line of its own above its row (see ``hanging_widths``).
    """
    items = list(articles)
    values = [[field_value(a, name, computed) for name in fields] for a in items]
    rows = [
        [_plain(name, value) for name, value in zip(fields, row, strict=True)] for row in values
    ]
    widths = hanging_widths(fields, rows, width, keep=keep)
    shown = [i for i, w in enumerate(widths) if w is not None]
    columns = [(fields[i], widths[i] or 0, fields[i] in NUMBER_FIELDS) for i in shown]
    cells: list[list[Text]] = []
    for article, row, raw in zip(items, rows, values, strict=True):
        line: list[Text] = []
        for i in shown:
            name = fields[i]
            cell = _snippet_cell(raw[i]) if name == "snippet" else Text(row[i])
            if name in SCORE_FIELDS:
                value = field_value(article, name)
                cell.stylize(score_style(value if isinstance(value, (int, float)) else None))
            elif name == "ref":
                cell.stylize("cyan")
            elif name == "title" and links and article.url and _safe_url(article.url):
                cell.stylize(f"link {article.url}")
            line.append(cell)
        cells.append(line)
    return _TableLines(columns, cells, hangs=bool(shown) and fields[shown[0]] in HANGING_FIELDS)


class _TableLines:
    """A table written a line at a time, as a Rich table without borders writes it
    (columns two cells apart, a bold header, cells cut with ``…``), only faster.

    With ``hangs``, a first cell too wide for its column is never cut: it goes whole on
    a line of its own above its row (folded only where it is wider than the screen), and
    the row's own first cell is left blank, as ``--help`` lists a long option.
    """

    def __init__(
        self, columns: Sequence[tuple[str, int, bool]], rows: Sequence[Sequence[Text]], hangs: bool
    ) -> None:
        self.columns = columns  # (header, width, right-justified)
        self.rows = rows
        self.hangs = hangs

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        header = self._line([Text(name) for name, _, _ in self.columns])
        header.stylize("bold")
        yield from header.render(console)
        yield new_line
        first = self.columns[0][1] if self.columns else 0
        for row in self.rows:
            if self.hangs and row and cell_len(row[0].plain) > first:
                for part in _folded(row[0], options.max_width):
                    yield from part.render(console)
                    yield new_line
                if not any(cell.plain for cell in row[1:]):  # nothing left below it
                    continue
                row = [Text(""), *row[1:]]
            yield from self._line(row).render(console)
            yield new_line

    def _line(self, cells: Sequence[Text]) -> Text:
        line = Text()
        for i, (cell, (_, width, right)) in enumerate(zip(cells, self.columns, strict=True)):
            if i:
                line.append(" " * _GAP)
            cell = cell.copy()
            cell.truncate(width, overflow="ellipsis")
            padding = " " * (width - cell_len(cell.plain))
            if right:
                line.append(padding)
            line.append_text(cell)
            if not right:
                line.append(padding)
        return line


def _folded(text: Text, width: int) -> list[Text]:
    """``text`` in pieces of at most ``width`` cells, every character kept (none of the
    spaces a word wrap drops at its breaks)."""
    offsets: list[int] = []
    at = 0
    for piece in chop_cells(text.plain, max(width, 2))[:-1]:
        at += len(piece)
        offsets.append(at)
    return list(text.divide(offsets))


def _snippet_cell(raw: Any) -> Text:
    """A snippet with its matches highlighted; everything from the file inert."""
    text = Text()
    if not isinstance(raw, str):
        return text
    start, end = SNIPPET_MARKS
    first = raw.find(start)
    if first > 16:  # keep the first match in sight in a narrow column
        cut = raw.rfind(" ", 0, first - 8)
        raw = "…" + raw[cut + 1 if cut >= 0 else first - 8 :]
    for i, piece in enumerate(raw.split(start)):
        matched, _, rest = piece.partition(end) if i else ("", "", piece)
        if matched:
            text.append(inert(matched), style="bold reverse")
        text.append(inert(rest))
    return text


def _safe_url(url: str) -> bool:
    """Only plain http(s) URLs with no spaces or controls become OSC 8 links."""
    return bool(re.match(r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$", url))


# --- views: show, topics, providers, stats ----------------------------------------------

_EIGHTHS = " ▏▎▍▌▋▊▉"
#: Fields the detail page shows whole on a line of their own, below the others.
_WHOLE_LINES = OWN_LINE_FIELDS


def bar(fraction: float, width: int) -> str:
    """A bar of up to ``width`` cells filled to ``fraction`` of it, in eighths of a cell."""
    fraction = min(max(fraction, 0.0), 1.0)
    full, part = divmod(round(fraction * width * 8), 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def number(value: float | None, digits: int = 1) -> str:
    """A score or an average for a table: whole numbers plain, others to ``digits`` places."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits}f}"


def _fixed(value: float | None, places: int) -> str:
    """A number with a fixed count of decimal places ("" for none)."""
    return "" if value is None else f"{value:.{places}f}"


def gauge(value: float | None, width: int = 20) -> Text:
    """A score out of 100 as its number and a bar on a track (readable without colour)."""
    if value is None:
        return Text("—", style="dim")
    filled = bar(value / 100, width)
    text = Text(f"{number(value):<5}")
    text.append(filled, style=score_style(value))
    text.append("░" * (width - cell_len(filled)), style="dim")
    return text


def _link(text: str, url: str | None, style: str = "") -> Text:
    """Inert text, linked to ``url`` (OSC 8) when that is a plain http(s) URL."""
    cell = Text(inert(text), style=style)
    if url and _safe_url(url):
        cell.stylize(f"link {url}")
    return cell


def _shown(value: Any) -> str:
    """Any front-matter value as inert text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return inert(value)
    return inert(json.dumps(value, ensure_ascii=False, default=str))


def _fields_grid(key_width: int | None = None) -> Table:
    """Label and value; labels from data (``key_width`` given) fold rather than crowd out values."""
    grid = Table.grid(padding=(0, 2))
    if key_width is None:
        grid.add_column(style="bold", no_wrap=True)
    else:
        grid.add_column(style="bold", max_width=key_width, overflow="fold")
    grid.add_column(overflow="fold")
    return grid


def _section(title: str) -> Rule:
    return Rule(Text(title, style="bold"), align="left", style="dim")


def article_page(
    article: Article,
    width: int,
    now: datetime,
    also: Sequence[Article] = (),
    related_here: Mapping[int, str] | None = None,
    also_total: int = 0,
    handle: Callable[[str], str] = str,
) -> RenderableType:
    """The detail view of one article (``newscat show``).

    ``also`` are the first of the other articles of its story, ``also_total`` how
    many there are in all, named by their ``handle``; ``related_here`` maps the
    position of a ``related`` entry to the id of the catalogue article it names.
    """
    parts = _page_head(article)
    parts.append(_page_fields(article, now, also, also_total))
    parts += _page_links(article)
    if also:
        parts += _also_section(article, also, also_total, width, handle)
    parts += _record_sections(article.front_matter, width, related_here or {}, handle)
    parts += _other_front_matter(article.front_matter, width)
    parts += _body_section(article)
    return Stack(*parts)


def _page_head(article: Article) -> list[RenderableType]:
    """The title (linked), provider and domain, and the excerpt."""
    parts: list[RenderableType] = [_link(article.title or "(untitled)", article.url, "bold")]
    source = " · ".join(inert(p) for p in (article.provider, article.domain) if p)
    if source:
        parts.append(Text(source, style="cyan"))
    if article.excerpt:
        parts += [Text(""), Text(inert(article.excerpt), style="italic")]
    parts.append(Text(""))
    return parts


def _page_fields(
    article: Article, now: datetime, also: Sequence[Article], also_total: int
) -> Table:
    """The id, every page field that has a value, opaque payloads by size, the story."""
    record = article.front_matter
    grid = _fields_grid()
    grid.add_row("id", Text(inert(article.id)))
    for spec in PAGE_FIELDS:
        if spec.name not in _WHOLE_LINES:
            cell = _page_cell(article, spec, now)
            if cell is not None:
                grid.add_row(spec.name, cell)
    for key in sorted(OPAQUE_KEYS & record.keys()):
        payload = record[key]
        size = len(payload if isinstance(payload, str) else _shown(payload))
        grid.add_row(key, Text(f"encrypted, {size:,} bytes"))
    if article.story is not None and (also or article.story != article.id):
        story = Text(inert(article.story))
        story.append(
            f" · {article.coverage or 1} provider{'s' if (article.coverage or 1) != 1 else ''}"
            f" · {max(also_total, len(also)) + 1:,} articles",
            style="dim",
        )
        grid.add_row("story", story)
    return grid


def _page_links(article: Article) -> list[RenderableType]:
    """URLs and the path, each whole on one line, for the terminal to wrap (and to
    recognise and copy); the grid would fold them mid-word at its column edge."""
    parts: list[RenderableType] = []
    if article.url:
        parts.append(_whole_line("url", _link(article.url, article.url)))
    original = article.front_matter.get(ORIGINAL_URL_KEY)
    if original is not None and original != article.url:
        parts.append(_whole_line("original", _link(str(original), str(original))))
    parts.append(_whole_line("file", Text(inert(article.path), style="dim")))
    return parts


def _also_section(
    article: Article,
    also: Sequence[Article],
    also_total: int,
    width: int,
    handle: Callable[[str], str],
) -> list[RenderableType]:
    """The other articles of the story, and how to list the rest."""
    total = max(also_total, len(also))
    parts: list[RenderableType] = [
        Text(""),
        _section(f"Also in this catalogue ({total:,})"),
        story_members_table(also, width, handle),
    ]
    if total > len(also) and article.story is not None:
        parts.append(_more_members(total - len(also), article.story))
    return parts


def _record_sections(
    record: Mapping[str, Any],
    width: int,
    related_here: Mapping[int, str],
    handle: Callable[[str], str],
) -> list[RenderableType]:
    """The images and the related articles the front matter lists."""
    parts: list[RenderableType] = []
    images = record.get(IMAGES_KEY)
    if images:
        images = images if isinstance(images, list) else [images]
        parts += [Text(""), _section(f"Images ({len(images)})"), _images_list(images)]
    related = record.get(RELATED_KEY)
    if related:
        related = related if isinstance(related, list) else [related]
        parts += [
            Text(""),
            _section(f"Related ({len(related)})"),
            related_table(related, width, related_here, handle),
        ]
    return parts


def _other_front_matter(record: Mapping[str, Any], width: int) -> list[RenderableType]:
    """Every front-matter key no field or section reads: URLs whole, the rest in a grid."""
    used = used_keys(record)
    extra = [
        (key, value) for key, value in record.items() if key not in used and key not in SECTION_KEYS
    ]
    if not extra:
        return []
    others = _fields_grid(key_width=max(8, min(24, width // 3)))
    links: list[RenderableType] = []  # whole, like the url: the grid would fold them mid-word
    for key, value in extra:
        if isinstance(value, str) and _safe_url(value):
            links.append(_whole_line(inert(key), _link(value, value)))
        else:
            others.add_row(Text(inert(key)), Text(_shown(value)))
    parts: list[RenderableType] = [Text(""), _section("Other front matter")]
    return parts + ([others, *links] if others.row_count else links)


#: The longest body (in characters) rendered as Markdown; a longer one is shown as plain
#: text. Rich renders about 2 ms a thousand characters (measured on a real catalogue):
#: some 0.4 s at the limit, 2 s for a body near a megabyte; plain text, a tenth of that.
MARKDOWN_LIMIT = 200_000


def _body_section(article: Article) -> list[RenderableType]:
    """The body rendered as Markdown (its text inert), when it has any; one longer than
    ``MARKDOWN_LIMIT`` as plain text, as a dim line says."""
    text = article.text()
    if not text.strip():
        return []
    head: list[RenderableType] = [Text(""), _section("Body"), Text("")]
    if len(text) > MARKDOWN_LIMIT:
        said = f"{len(text):,} characters: shown as plain text, not rendered as Markdown"
        return [*head, Text(said, style="dim"), Text(""), Text(inert(text, keep_newlines=True))]
    from rich.markdown import Markdown  # start-up time: Markdown loads a whole parser

    return [*head, Markdown(inert(text, keep_newlines=True), hyperlinks=True)]


#: The width of the detail page's labels ("published", the longest that is always there).
_LABEL_WIDTH = 9


def _whole_line(label: str, value: Text) -> Text:
    """``label  value`` as one line that is never folded: the terminal wraps it, if needed."""
    line = Text(f"{label:<{_LABEL_WIDTH}}  ", style="bold", no_wrap=True, overflow="ignore")
    line.append_text(value)
    return line


def _page_cell(article: Article, spec: Field, now: datetime) -> Text | None:
    """One field's value on the detail page, or None to leave its row out."""
    value = spec.get(article, Context(now))
    if spec.type == "number":
        return gauge(value if isinstance(value, (int, float)) else None)
    if spec.type == "bool":
        shown = {True: "yes", False: "no", None: "unknown"}[value]
        return Text(shown, style="" if value else "dim")
    if value is None or value == []:
        return None
    if spec.type == "date":
        moment = parse_instant(value)
        if moment is None:
            return Text(inert(str(value)))
        when = Text(moment.astimezone().strftime("%Y-%m-%d %H:%M %Z"))
        when.append(f" · {humanize(moment, now)}", style="dim")
        return when
    if spec.type == "list of text":
        tags = Text()
        for i, item in enumerate(value):
            if i:
                tags.append(" · ", style="dim")
            tags.append(inert(str(item)), style="bold magenta")
        return tags
    if spec.name == "url":
        return _link(str(value), str(value))
    if spec.name == "path":
        return Text(inert(str(value)), style="dim")
    return Text(inert(str(value)))


def _images_list(images: Sequence[Any]) -> RenderableType:
    """Each image's URL whole on its own line, its size and cache state below."""
    grid: list[Text] = []
    for image in images:
        if not isinstance(image, dict):
            grid.append(Text(_shown(image)))
            continue
        url = image.get("url")
        line = _link(str(url), str(url)) if url is not None else Text("(no url)", "dim")
        line.no_wrap, line.overflow = True, "ignore"
        grid.append(line)
        details = []
        w, h = image.get("width"), image.get("height")
        if w is not None or h is not None:
            details.append(
                f"{_shown(w) if w is not None else '?'}×{_shown(h) if h is not None else '?'}"
            )
        cached = image.get("isCached")
        if cached is not None:
            details.append("cached" if cached is True else "not cached")
        extra = [k for k in image if k not in ("url", "width", "height", "isCached")]
        details += [f"{inert(k)}: {_shown(image[k])}" for k in extra]
        if details:
            grid.append(Text("  " + " · ".join(details), style="dim"))
    return Stack(*grid)


def story_members_table(
    articles: Sequence[Article], width: int, handle: Callable[[str], str] = str
) -> Table:
    """The other articles of a story: date, provider, ref (a REF ``show`` takes, whole),
    title (linked)."""
    fields = ("date", "provider", "ref", "title")
    rows = [
        [
            local_day(article.date) if article.date else "",
            inert(article.provider or article.domain or ""),
            inert(handle(article.id)),
            inert(article.title or "(untitled)"),
        ]
        for article in articles
    ]
    widths = fit_widths(fields, rows, width)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    shown = [i for i, w in enumerate(widths) if w is not None]
    for i in shown:
        table.add_column(fields[i], width=widths[i], no_wrap=True, overflow="ellipsis")
    for article, row in zip(articles, rows, strict=True):
        cells = []
        for i in shown:
            cell = Text(row[i])
            if fields[i] == "title" and article.url and _safe_url(article.url):
                cell.stylize(f"link {article.url}")
            cells.append(cell)
        table.add_row(*cells)
    return table


def _more_members(more: int, story: str) -> Text:
    """The line after a story's first members: how many more, and the command that
    lists them all (when the story's id can be quoted in ``--where``)."""
    line = f"… and {more:,} more"
    quote = next((q for q in "\"'" if q not in story), None)
    if quote is not None:
        line += f": newscat list -w {shlex.quote(f'story = {quote}{story}{quote}')}"
    return Text(inert(line), style="dim")


def related_table(
    items: Sequence[Any],
    width: int,
    here: Mapping[int, str] | None = None,
    handle: Callable[[str], str] = str,
) -> Table:
    """The ``related`` summaries of an article: date, provider, quality, title, and the
    ``handle`` of the catalogue article an entry names (``here``: its id, by the entry's
    position)."""
    here = here or {}
    fields: tuple[str, ...] = ("date", "provider", "quality", "title")
    if here:
        fields += ("in catalogue",)
    rows: list[list[str]] = []
    scores: list[float | None] = []
    urls: list[str | None] = []
    for item in items:
        row, score, url = _related_row(item if isinstance(item, dict) else {"title": item})
        if here:
            row.append(inert(handle(here[len(rows)])) if len(rows) in here else "")
        rows.append(row)
        scores.append(score)
        urls.append(url)
    widths = fit_widths(fields, rows, width)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    shown = [i for i, w in enumerate(widths) if w is not None]
    for i in shown:
        justify: Literal["left", "right"] = "right" if fields[i] == "quality" else "left"
        if fields[i] == "in catalogue":  # a ref: never cut; folded, every character kept
            table.add_column(fields[i], width=widths[i], no_wrap=False, overflow="fold")
            continue
        table.add_column(fields[i], width=widths[i], no_wrap=True, overflow="ellipsis",
                         justify=justify)  # fmt: skip
    for row, score, url in zip(rows, scores, urls, strict=True):
        cells = []
        for i in shown:
            cell = Text(row[i])
            if fields[i] == "quality":
                cell.stylize(score_style(score))
            elif fields[i] == "title" and url and _safe_url(url):
                cell.stylize(f"link {url}")
            cells.append(cell)
        table.add_row(*cells)
    return table


def _related_row(entry: Mapping[str, Any]) -> tuple[list[str], float | None, str | None]:
    """A related entry's date, provider, quality and title cells, its quality as a
    number (None when it is none) and its URL."""
    date = normalise_date(summary_value(entry, "date"))
    provider = summary_value(entry, "provider")
    quality = summary_value(entry, "quality")
    score: float | None = None
    if isinstance(quality, (int, float, str)) and not isinstance(quality, bool):
        try:
            score = float(quality)
        except ValueError:
            score = None
    url = summary_value(entry, "url")
    cells = [
        local_day(date) if date else "",
        "" if provider is None else _shown(provider),
        number(score) if score is not None else _shown(quality or ""),
        _shown(summary_value(entry, "title") or "(untitled)"),
    ]
    return cells, score, url if isinstance(url, str) else None


def page_separator() -> Rule:
    """Between the pages of several articles."""
    return Rule(characters="━", style="bright_black")


def _fitted_table(
    fields: Sequence[str],
    cells: Sequence[Sequence[str]],
    width: int,
    flexible: dict[str, tuple[int, int]],
    drop: Sequence[str],
    right: Collection[str],
    cell: Callable[[int, str, str, int], RenderableType],
    headers: Mapping[str, str] | None = None,
    caps: dict[str, int] | None = None,
) -> Table:
    """A summary's table fitted to ``width`` (see fit_widths): the ``right`` columns
    right-aligned, each shown cell made by ``cell(row, field, text, column width)``,
    and a column headed by its field's name unless ``headers`` names it otherwise."""
    names = headers or {}
    header = [names.get(name, name) for name in fields]
    flex = {names.get(name, name): sizes for name, sizes in flexible.items()}
    order = [names.get(name, name) for name in drop]
    widths = fit_widths(header, cells, width, flex, order, caps or {})
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    shown = [i for i, w in enumerate(widths) if w is not None]
    for i in shown:
        justify: Literal["left", "right"] = "right" if fields[i] in right else "left"
        table.add_column(header[i], width=widths[i], no_wrap=True, overflow="ellipsis",
                         justify=justify)  # fmt: skip
    for row, texts in enumerate(cells):
        table.add_row(*(cell(row, fields[i], texts[i], widths[i] or 0) for i in shown))
    return table


def _styled(text: str, style: str) -> Text:
    """A cell whose text (not the padding around it) has ``style``."""
    cell = Text(text)
    if style:
        cell.stylize(style)
    return cell


_GROUP_FLEX = {"topic": (24, 10), "provider": (22, 10), "domain": (18, 8), "bar": (8, 4)}
_GROUP_DROP = ("bar", "newest", "domain", "heat", "quality", "share")


def groups_table(groups: Sequence[Group], kind: Literal["topic", "provider"], width: int) -> Table:
    """The table of ``newscat topics`` or ``newscat providers``."""
    fields = [kind, *(["domain"] if kind == "provider" else []), "articles", "share", "bar",
              "quality", "heat", "newest"]  # fmt: skip
    rows: list[list[str]] = []
    # One format per column: whole numbers only when every average in it is whole.
    places = {
        key: 0 if all(v is None or float(v).is_integer() for v in values) else 1
        for key, values in (
            ("quality", [g.avg_quality for g in groups]),
            ("heat", [g.avg_heat for g in groups]),
        )
    }
    largest = max((group.share for group in groups), default=0.0)
    for group in groups:
        name = group.name if group.name is not None else "(none)"
        if group.name is None and group.domain is not None:
            name = "(unnamed)"
        values = {
            kind: inert(name),
            "domain": inert(group.domain or ""),
            "articles": f"{group.articles:,}",
            "share": f"{group.share:.1%}",
            "bar": "█" * 20,
            "quality": _fixed(group.avg_quality, places["quality"]),
            "heat": _fixed(group.avg_heat, places["heat"]),
            "newest": local_day(group.newest) if group.newest else "",
        }
        rows.append([values[name] for name in fields])

    def cell(row: int, name: str, text: str, width: int) -> Text:
        group = groups[row]
        if name == "bar":  # scaled to the largest row, so that 40 topics are not 40 slivers
            return Text(bar(group.share / largest if largest else 0, width), style="blue")
        if name in ("quality", "heat"):
            score = group.avg_quality if name == "quality" else group.avg_heat
            return _styled(text, score_style(score))
        named = group.name if name == kind else group.domain
        return _styled(text, "dim" if name in (kind, "domain") and named is None else "")

    right = ("articles", "share", "quality", "heat")
    return _fitted_table(fields, rows, width, _GROUP_FLEX, _GROUP_DROP, right, cell, {"bar": ""})


_STORY_FLEX = {"title": (30, 12), "providers": (20, 10)}
_STORY_DROP = ("heat", "first", "quality", "articles", "providers")


def stories_table(
    rows: Sequence[StoryRow], width: int, handle: Callable[[str], str] = str
) -> RenderableType:
    """The table of ``newscat stories``: coverage first, then dates, providers and title.

    A story is named by the handle of its first article (a REF that ``show`` takes), whole
    on a line of its own above its row when too long for its column."""
    fields = ["story", "cov", "articles", "first", "last", "quality", "heat", "providers", "title"]
    cells: list[list[str]] = []
    for row in rows:
        values = {
            "story": inert(handle(row.story)),
            "cov": str(row.coverage),
            "articles": f"{row.articles:,}",
            "first": (row.first or "")[:10],
            "last": (row.last or "")[:10],
            "quality": number(row.best_quality),
            "heat": number(row.total_heat),
            "providers": inert("; ".join(row.providers)),
            "title": inert(row.title or ""),
        }
        cells.append([values[name] for name in fields])

    # The story's handle is a REF: never cut, it hangs above its row when too long.
    widths = hanging_widths(fields, cells, width, False, _STORY_FLEX, _STORY_DROP, {}, True)
    shown = [i for i, w in enumerate(widths) if w is not None]
    right = ("cov", "articles", "quality", "heat")
    columns = [(fields[i], widths[i] or 0, fields[i] in right) for i in shown]
    texts = [
        [_styled(row[i], score_style(story.best_quality) if fields[i] == "quality" else "")
         for i in shown]
        for story, row in zip(rows, cells, strict=True)
    ]  # fmt: skip
    return _TableLines(columns, texts, hangs=True)


_TREND_FLEX = {"topic": (24, 10), "provider": (22, 10), "domain": (18, 8)}
_TREND_DROP = ("domain", "before", "ratio")


def trends_table(
    trends: Sequence[Trend], kind: Literal["topic", "provider"], window: str, width: int
) -> Table:
    """The table of ``newscat trends``: the rise of each row, then its sparkline.

    ``window`` names the window's length as the user gave it (``7d``)."""
    from newscat.trends import WINDOWS, sparkline  # trends reads the index; only this view needs it

    fields = [kind, *(["domain"] if kind == "provider" else []), "last", "before", "change",
              "ratio", "windows"]  # fmt: skip
    headers = {"last": f"last {window}", "windows": f"last {WINDOWS} × {window}"}
    cells: list[list[str]] = []
    for trend in trends:
        name = trend.name if trend.name is not None else "(none)"
        ratio = trend.ratio
        values = {
            kind: inert(name),
            "domain": inert(trend.domain or ""),
            "last": f"{trend.current:,}",
            "before": f"{trend.previous:,}",
            "change": f"{trend.change:+,}",
            "ratio": "new" if ratio is None else f"×{ratio:.2f}",
            "windows": sparkline(trend.counts),
        }
        cells.append([values[name] for name in fields])

    def cell(row: int, name: str, text: str, width: int) -> Text:
        change = trends[row].change
        if name == "change":
            return _styled(text, "green" if change > 0 else "red" if change < 0 else "dim")
        if name == "windows":
            return _styled(text, "blue")
        return _styled(text, "dim" if name in (kind, "domain") and not text else "")

    right = ("last", "before", "change", "ratio")
    return _fitted_table(fields, cells, width, _TREND_FLEX, _TREND_DROP, right, cell, headers)


def bar_chart(
    rows: Sequence[tuple[str, int]], width: int, total: int | None = None, indent: int = 2
) -> RenderableType:
    """Labelled counts with bars scaled to the largest, and shares of ``total`` when given."""
    labels = [inert(label) for label, _ in rows]
    counts = [f"{count:,}" for _, count in rows]
    label_width = min(max((cell_len(label) for label in labels), default=0), max(8, width // 3))
    count_width = max((len(c) for c in counts), default=1)
    share_width = 6 if total else 0
    gaps = 2 * (3 if total else 2)
    bar_width = max(4, min(50, width - indent - label_width - count_width - share_width - gaps))
    most = max((count for _, count in rows), default=0)
    grid = Table.grid(padding=(0, 2), pad_edge=False)
    grid.add_column(width=label_width, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(width=bar_width, no_wrap=True)
    if total:
        grid.add_column(justify="right", no_wrap=True, style="dim")
    for label, count, (_, value) in zip(labels, counts, rows, strict=True):
        cells: list[Text] = [
            Text(label),
            Text(count, style="" if value else "dim"),
            Text(bar(value / most if most else 0, bar_width), style="blue"),
        ]
        if total:
            cells.append(Text(f"{value / total:.0%}" if value else ""))
        grid.add_row(*cells)
    return Padding(grid, (0, 0, 0, indent))


def stats_view(stats: Stats, width: int) -> RenderableType:
    """The page of ``newscat stats``: totals, then bar charts."""
    if not stats.articles:
        return Text("No articles match.", style="dim")
    grid = _fields_grid()
    grid.add_row("articles", Text(f"{stats.articles:,}"))
    published = Text(f"{stats.published:,} yes · {stats.unpublished:,} no")
    if stats.published_unknown:
        published.append(f" · {stats.published_unknown:,} unknown", style="dim")
    grid.add_row("published", published)
    if stats.first and stats.last:
        dates = Text(f"{local_day(stats.first)} → {local_day(stats.last)}")
        if stats.undated:
            dates.append(f" · {stats.undated:,} undated", style="dim")
        grid.add_row("dates", dates)
    grid.add_row("providers", Text(f"{stats.providers:,}"))
    grid.add_row("topics", Text(f"{stats.topics:,}"))
    for label, score in (("quality", stats.quality), ("heat", stats.heat)):
        line = Text()
        if score.average is not None:
            line.append(f"avg {number(score.average)}", style=score_style(score.average))
            line.append(f" · min {number(score.min)} · max {number(score.max)}")
        if score.missing:
            line.append(f"{' · ' if score.average is not None else ''}{score.missing:,} without",
                        style="dim")  # fmt: skip
        grid.add_row(label, line)
    parts: list[RenderableType] = [grid]

    def chart(title: str, rows: Sequence[tuple[str, int]], total: int | None) -> None:
        parts.extend([Text(""), _section(title), bar_chart(rows, width, total)])

    chart("By category", [(c or "(none)", n) for c, n in stats.categories], stats.articles)
    chart("By type", [(t or "(none)", n) for t, n in stats.types], stats.articles)
    if stats.months:
        if len(stats.months) > 48:  # a bar a month stops being readable: a bar a year
            years: dict[str, int] = {}
            for month, count in stats.months:
                years[month[:4]] = years.get(month[:4], 0) + count
            chart("Articles per year", list(years.items()), None)
        else:
            chart("Articles per month", stats.months, None)
    scored = stats.articles - stats.quality.missing
    if scored:
        title = "Quality distribution"
        if stats.quality.missing:
            title += f" ({stats.quality.missing:,} without a score)"
        rows = [(f"{low}–{high}", n) for low, high, n in stats.quality_distribution]
        chart(title, rows, scored)
    return Stack(*parts)


# --- small tables: problems, fields, index files, aligned text -----------------------------


def problems_table(
    problems: Sequence[Problem], width: int, show: Callable[[str], str]
) -> RenderableType:
    """Problems grouped by file, as linters show them: the path whole on its own line (the
    terminal wraps it), then ``line:col  severity  code  message`` with the message
    wrapped in its own column, so that the whole fits ``width``."""
    return _ProblemLines(problems, show)


class _ProblemLines:
    """``problems_table``, written a line at a time: what a Rich grid per file gives, at
    a tenth of its cost (11 s for the 28,000 warnings of a real catalogue).

    Columns, two spaces apart and indented two under the path: the place right-justified
    and dim, the severity and the code (cut at 24 cells) in its colour, the message
    folded into what is left of the width, every line padded to it.
    """

    def __init__(self, problems: Sequence[Problem], show: Callable[[str], str]) -> None:
        self.problems = problems
        self.show = show

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        problems = self.problems
        if not problems:
            return
        places = [_place(p) for p in problems]
        codes = [inert(p.code) for p in problems]
        place_width = max(cell_len(x) for x in places)
        code_width = min(max(cell_len(x) for x in codes), 24)
        indent = 2 + place_width + 2 + len("warning") + 2 + code_width + 2
        width = options.max_width - indent
        if width < _LEAST_MESSAGE:  # a terminal too narrow: Rich's grids shrink every column
            yield _problem_grids(problems, places, codes, place_width, code_width, self.show)
            return
        dim, bold = console.get_style("dim"), console.get_style("bold")
        styles = {"error": console.get_style("red"), "warning": console.get_style("yellow")}
        gap, new_line = Segment("  "), Segment.line()
        current: str | None = None
        for problem, place, code in zip(problems, places, codes, strict=True):
            if problem.path != current:
                if current is not None:
                    yield new_line
                current = problem.path
                yield Segment(inert(self.show(problem.path)), bold)
                yield new_line
            style = styles["error"] if problem.severity == "error" else styles["warning"]
            cut = Text(code)
            cut.truncate(code_width, overflow="ellipsis", pad=True)
            yield gap
            yield Segment(" " * (place_width - cell_len(place)) + place, dim)
            yield gap
            yield Segment(problem.severity.ljust(len("warning")), style)
            yield gap
            yield Segment(cut.plain, style)
            yield gap
            lines = Text(inert(problem.message)).wrap(console, width, overflow="fold")
            for number, line in enumerate(lines):
                if number:
                    yield Segment(" " * indent)
                line.pad_right(width - cell_len(line.plain))
                yield from line.render(console)
                yield new_line


#: The least width of the message column written line by line.
_LEAST_MESSAGE = 10


def _problem_grids(
    problems: Sequence[Problem],
    places: Sequence[str],
    codes: Sequence[str],
    place_width: int,
    code_width: int,
    show: Callable[[str], str],
) -> RenderableType:
    """The problems as a Rich grid per file, which shrinks its columns to fit."""
    parts: list[RenderableType] = []
    current: str | None = None
    table = Table.grid()
    for problem, place, code in zip(problems, places, codes, strict=True):
        if problem.path != current:
            current = problem.path
            if parts:
                parts.append(Text(""))
            path = Text(inert(show(problem.path)), style="bold", no_wrap=True, overflow="ignore")
            table = Table.grid(padding=(0, 2), pad_edge=False)
            table.add_column(width=place_width, justify="right", no_wrap=True)
            table.add_column(width=len("warning"), no_wrap=True)
            table.add_column(width=code_width, no_wrap=True, overflow="ellipsis")
            table.add_column(overflow="fold", ratio=1)
            parts += [path, Padding(table, (0, 0, 0, 2))]  # indented under the path
        style = "red" if problem.severity == "error" else "yellow"
        table.add_row(
            Text(place, style="dim"),
            Text(problem.severity, style=style),
            Text(code, style=style),
            Text(inert(problem.message)),
        )
    return Stack(*parts)


def _place(problem: Problem) -> str:
    if problem.line is None:
        return ""
    return f"{problem.line}:{problem.column}" if problem.column is not None else str(problem.line)


def fields_table(rows: Sequence[FieldRow], width: int) -> Table:
    """``newscat fields``: name, type, how many articles have it, an example."""
    table = Table("name", "type", "articles", "example", box=None, pad_edge=False)
    table.columns[2].justify = "right"
    # A name is what -F and --where take: it stays whole (folded if it must), and the
    # example gives way first.
    longest = max((cell_len(inert(row.name)) for row in rows), default=len("name"))
    table.columns[0].min_width = min(longest, max(width // 2, len("name")))
    for row in rows:
        table.add_row(
            Text(inert(row.name), overflow="fold"),
            Text(row.type, no_wrap=True),
            Text(f"{row.articles:,}", style="" if row.articles else "dim"),
            Text(inert(flat_text(row.example)), no_wrap=True, overflow="ellipsis"),
        )
    return table


def cache_table(found: Sequence[CacheEntry]) -> Table:
    """``newscat cache``: each index file's roots, size, last use (local time) and state."""
    table = Table("roots", "size", "last use", "state", box=None, pad_edge=False)
    for entry in found:
        roots = "\n".join(inert(root) for root in entry.roots or (entry.path.name,))
        used = datetime.fromtimestamp(entry.last_used).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            Text(roots),
            Text(human_size(entry.size_bytes), justify="right"),
            Text(used, no_wrap=True),
            Text(entry.state, style="" if entry.state == "ok" else "yellow", no_wrap=True),
        )
    return table


def aligned_text(rows: Sequence[Sequence[str]], width: int | None = None) -> str:
    """Rows of plain cells (already inert) as lines in aligned columns, the last one free.

    Given ``width``, a last cell too long for what the other columns leave wraps, never
    cut (see ``wrapped_options``), indented under its column. When they leave it less than
    ``_LEAST_FREE`` cells, every last cell goes below its row instead, indented by
    ``_BELOW`` and wrapped to the rest of the width; a first cell too long then goes on a
    line of its own above its row (split only where wider than ``width``), so that every
    line fits (for ``width`` ≥ 20 with the searches table's columns).
    """
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    indent = sum(widths) + _GAP * len(widths)
    if width is not None and width - indent < _LEAST_FREE:
        return _options_below(rows, widths, width)
    lines = []
    for row in rows:
        cells = [cell + " " * (w - cell_len(cell)) for cell, w in zip(row, widths, strict=False)]
        last = [row[-1]] if width is None else wrapped_options(row[-1], width - indent)
        lines.append("  ".join([*cells, last[0]]) if last[0] else "  ".join(cells).rstrip())
        lines += [" " * indent + more for more in last[1:]]
    return "\n".join(lines) + "\n"


#: The least width a wrapped last column of ``aligned_text`` gets beside the others.
_LEAST_FREE = 24
#: How far ``aligned_text`` indents a last cell it puts below its row.
_BELOW = 4


def _options_below(rows: Sequence[Sequence[str]], widths: list[int], width: int) -> str:
    """``aligned_text`` for a terminal too narrow for the last column beside the others:
    each row's last cell on lines of its own below the row, indented by ``_BELOW``."""
    others = sum(widths[1:]) + _GAP * (len(widths) - 1)
    first = max(min(widths[0], width - others), cell_len(rows[0][0]))
    lines = []
    for row in rows:
        head = row[0]
        if cell_len(head) > first:  # hangs whole above its row, folded only if wider than all
            lines += _wrapped_words(head, width)
            head = ""
        cells = [head, *row[1:-1]]
        padded = [
            cell + " " * (w - cell_len(cell))
            for cell, w in zip(cells, [first, *widths[1:]], strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
        if row[-1]:
            lines += [" " * _BELOW + part for part in wrapped_options(row[-1], width - _BELOW)]
    return "\n".join(lines) + "\n"


def wrapped_options(text: str, width: int) -> list[str]:
    """A command line's options in lines of at most ``width`` cells (wide characters count
    two), never losing a character: an option and its value kept together where they
    fit, breaking before an option (a word starting ``--`` outside quotes) first, then
    between words; a word wider than the line is split between characters.

    Where no word is split, the lines joined by single spaces give back ``text``.
    """
    width = max(width, 2)  # room for one wide character
    lines: list[str] = []
    for option in _options(text):
        if lines and cell_len(lines[-1]) + 1 + cell_len(option) <= width:
            lines[-1] += " " + option
        elif cell_len(option) <= width:
            lines.append(option)
        else:
            lines += _wrapped_words(option, width)
    return lines or [""]


def _options(text: str) -> list[str]:
    """``text`` split before each word that starts with ``--`` outside shell quotes (one
    space apart), each option with its value: ``"--a 'x --b' --c"`` → ``--a 'x --b'``,
    ``--c``. Joined by spaces, the parts are ``text``."""
    parts: list[str] = []
    start, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == " " and text.startswith("--", i + 1) and i > start:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _wrapped_words(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells (≥ 2), broken at spaces; a word wider
    than a line is cut between characters."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and cell_len(lines[-1]) + 1 + cell_len(word) <= width:
            lines[-1] += " " + word
        elif cell_len(word) <= width:
            lines.append(word)
        else:
            lines += _chopped(word, width)
    return lines


def _chopped(word: str, width: int) -> list[str]:
    """``word`` cut into pieces of at most ``width`` cells (≥ 2), every character kept."""
    pieces = [""]
    for char in word:
        if pieces[-1] and cell_len(pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces
