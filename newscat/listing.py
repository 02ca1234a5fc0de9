"""A window onto a long, sorted list of matching articles, read from the index a page at a time.

The full-screen reader shows this list: it asks for row ``n`` as the user
scrolls, and only the pages around what is on screen are ever held in memory,
whatever the size of the catalogue. Also here: the filter a user types into the
reader, and the sort orders it cycles through.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from newscat.dates import resolve_now
from newscat.errors import UsageError
from newscat.query import Compiled, Filters, Query, compile_filters, compile_query, known_paths
from newscat.store import reads
from newscat.store.state import seen_sql
from newscat.where import compile_where, no_catalogue

if TYPE_CHECKING:
    from newscat.store.index import Index
    from newscat.where import KnownPaths

#: Rows read from the index at a time.
PAGE_SIZE = 100
#: Pages kept in memory; the oldest read is dropped first.
PAGES_KEPT = 16
#: How far around its old place an article is looked for after the list changed.
FIND_WINDOW = 1000
#: The sort orders the reader steps through, after the one it started with.
SORT_CYCLE: tuple[tuple[str, ...], ...] = (
    ("-date",),
    ("date",),
    ("-quality", "-date"),
    ("-heat", "-date"),
    ("title",),
)

_ROW_COLUMNS = "a.path, a.id, a.date, a.provider, a.domain, a.quality, a.title, a.url"
#: The consumer whose seen marks the reader keeps: what the user has read in it.
READER = "browse"
_SEEN = seen_sql(READER)
_tables = itertools.count(1)


@dataclass(frozen=True)
class Row:
    """What one line of the list shows, and how to find the whole article."""

    path: str
    id: str
    date: str | None
    provider: str | None
    domain: str | None
    quality: float | None
    title: str | None
    url: str | None
    more: int = 0  # other matching articles of its story, when stories are collapsed
    seen: bool = False  # read in the reader before (a seen mark of consumer READER)


class Listing:
    """The articles a query matches, in its order, read ``PAGE_SIZE`` rows at a time.

    ``count`` is known from the start; ``row(n)`` reads the page holding row
    ``n`` when it is not already held. After the index changed, ``reset``
    forgets the pages and counts again.

    With ``collapse``, a story is one row: its first matching article in the
    list's order, with ``more`` counting the story's other matching articles.
    """

    def __init__(
        self,
        index: Index,
        query: Query,
        extra: Filters | None = None,
        known: KnownPaths | None = None,
        collapse: bool = False,
        owned: bool = False,
    ) -> None:
        self.index = index
        self.owned = owned  # the listing closes the index with itself
        self.query = query
        self.extra = extra
        self.collapse = collapse
        self.compiled = compile_both(query, extra, known or known_paths(index))
        self._table = f"temp.nc_stories_{next(_tables)}" if collapse else None
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.count = self._count()

    def _count(self) -> int:
        if self._table is None:
            return self.index.count(self.compiled.where, self.compiled.params)
        return reads.collapse_stories(self.index, self._table, self.compiled)

    def close(self) -> None:
        """Drop the temporary table of a collapsed listing (and close an owned index)."""
        if self.owned:
            self.index.close()  # the temporary table goes with its connection
        elif self._table is not None:
            reads.drop_table(self.index, self._table)

    @property
    def pages_held(self) -> int:
        """How many pages are in memory now (at most ``PAGES_KEPT``)."""
        return len(self._pages)

    def reset(self) -> None:
        """Forget every page read and count again (the index has changed)."""
        self._pages.clear()
        self.count = self._count()

    def row(self, n: int) -> Row | None:
        """Row ``n`` (from 0), or None past the end."""
        if not 0 <= n < self.count:
            return None
        number, at = divmod(n, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = self._read(number * PAGE_SIZE, PAGE_SIZE)
            self._pages[number] = page
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[at] if at < len(page) else None

    def _read(self, offset: int, limit: int) -> list[Row]:
        compiled = self.compiled
        if self._table is not None:
            columns = f"{_ROW_COLUMNS}, t.more, {_SEEN}"
            rows = reads.collapsed_page(self.index, self._table, columns, offset, limit)
        else:
            rows = self.index.select_columns(
                f"{_ROW_COLUMNS}, 0, {_SEEN}",
                compiled.where,
                compiled.params + compiled.order_params,
                compiled.order,
                limit,
                offset,
            )
        return [_row(values) for values in rows]

    def next_unseen(self, after: int) -> int | None:
        """The first row after row ``after`` whose article was not read in the reader
        before, else the first such row from the top; None when every row was read.
        One pass over the matching articles in the list's order."""
        return reads.first_unmarked(self.index, self.compiled, self._table, _SEEN, after)

    def find(self, path: str, near: int) -> int | None:
        """Where the article from file ``path`` now is, looked for within ``FIND_WINDOW``
        rows of ``near`` (new articles shift the list by a few rows, not by thousands)."""
        if self._table is not None:
            return reads.collapsed_position(self.index, self._table, path)
        start = max(0, near - FIND_WINDOW)
        compiled = self.compiled
        rows = self.index.select_columns(
            "a.path",
            compiled.where,
            compiled.params + compiled.order_params,
            compiled.order,
            2 * FIND_WINDOW + 1,
            start,
        )
        for i, (found_path,) in enumerate(rows):
            if found_path == path:
                return start + i
        return None


def _row(values: tuple[Any, ...]) -> Row:
    """A row read with ``_ROW_COLUMNS``, then ``more`` and the seen mark."""
    path, id_, date, provider, domain, quality, title, url, more, seen = values
    return Row(path, id_, date, provider, domain, quality, title, url, int(more), bool(seen))


def compile_both(query: Query, extra: Filters | None, known: KnownPaths) -> Compiled:
    """The query with the ``extra`` filters ANDed in.

    Each set of filters is compiled alone and the two conditions are joined, so a
    provider typed in the reader narrows the command line's providers (which,
    repeated within one set, mean OR).
    """
    compiled = compile_query(query, known)
    if extra is None or extra == Filters(now=extra.now):
        return compiled
    where, params = compile_filters(extra, known)
    return replace(
        compiled, where=f"({compiled.where}) AND ({where})", params=compiled.params + params
    )


def next_sort(current: tuple[str, ...]) -> tuple[str, ...]:
    """The sort order after ``current`` in the reader's cycle (the first, for one not in it)."""
    if current in SORT_CYCLE:
        return SORT_CYCLE[(SORT_CYCLE.index(current) + 1) % len(SORT_CYCLE)]
    return SORT_CYCLE[0]


@dataclass(frozen=True)
class TypedFilter:
    """A filter typed into the reader: the filters it adds, and how it was understood."""

    filters: Filters
    meaning: str


_PREFIXES = {"t": "topic", "topic": "topic", "p": "provider", "provider": "provider"}
_WORD = re.compile(r"\w", re.UNICODE)


def typed_filter(
    text: str, now: str | None = None, known: KnownPaths = no_catalogue
) -> TypedFilter:
    """Read what a user typed into the reader's filter line.

    A whole ``--where`` expression (``heat > 60 and topic = AI``) is taken as one.
    Anything else is words: ``t:TOPIC`` (or ``topic:``) and ``p:PROVIDER`` (or
    ``provider:``) filter as ``-t`` and ``-p`` do, quotes keep spaces
    (``t:"AI Ethics"``), and the remaining words are searched in the full text
    like ``-m``, the last one as a prefix, so the list narrows while it is typed.
    Raises UsageError when the text means nothing it can search for.
    """
    text = text.strip()
    if not text:
        return TypedFilter(Filters(now=now), "")
    try:
        compile_where(text, resolve_now(now), known)
    except UsageError:
        pass
    else:
        return TypedFilter(Filters(where=(text,), now=now), f"where {text}")
    try:
        parts = shlex.split(text)
    except ValueError:  # an unclosed quote while typing: take the text as it is so far
        parts = shlex.split(text + '"') if text.count('"') % 2 else text.split()
    topics: list[str] = []
    providers: list[str] = []
    words: list[str] = []
    for part in parts:
        prefix, colon, value = part.partition(":")
        kind = _PREFIXES.get(prefix.lower()) if colon else None
        if kind == "topic" and value.strip():
            topics.append(value)
        elif kind == "provider" and value.strip():
            providers.append(value)
        elif kind is None and _WORD.search(part):
            words.append(part)
    if not (topics or providers or words):
        raise UsageError(f"nothing to search for in {text!r}")
    match = None
    if words:
        phrases = ['"' + word.replace('"', '""') + '"' for word in words]
        phrases[-1] += "*"
        match = " ".join(phrases)
    meaning = [f"topic {t!r}" for t in topics] + [f"provider {p!r}" for p in providers]
    if words:
        meaning.append("words " + " ".join(words))
    filters = Filters(topics=tuple(topics), providers=tuple(providers), match=match, now=now)
    return TypedFilter(filters, " · ".join(meaning))
