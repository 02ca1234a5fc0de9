"""Trends: which topics (or providers) rise, window against window.

Time is cut into windows of equal length ending at "now": the last window is
``(now - window, now]``, the one before ``(now - 2 * window, now - window]``,
and so on back. A row counts the matching articles of a topic (or provider) in
each of the last ``WINDOWS`` windows; its rise is the change between the last
window and the one before, as a difference and as a ratio.

Everything is counted in SQL over ``articles AS a`` restricted by the compiled
filters; Python only ranks the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from newscat.dates import to_iso
from newscat.query import Filters, compile_filters, known_paths
from newscat.store.index import Index
from newscat.store.reads import trend_rows

TrendKind = Literal["topic", "provider"]
#: How many windows a row's sparkline shows, the last one included.
WINDOWS = 12
_LEVELS = "▂▃▄▅▆▇█"
_EMPTY = "▁"


@dataclass(frozen=True)
class Trend:
    """One topic or provider: its articles per window, oldest window first."""

    name: str | None
    counts: tuple[int, ...]
    domain: str | None = None  # providers only

    @property
    def current(self) -> int:
        """Articles in the last window."""
        return self.counts[-1]

    @property
    def previous(self) -> int:
        """Articles in the window before the last."""
        return self.counts[-2]

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def ratio(self) -> float | None:
        """The last window's count over the one before's; None when that one had none."""
        return self.current / self.previous if self.previous else None

    def record(self, kind: TrendKind) -> dict[str, Any]:
        """The row as a JSON object, its name under ``kind``."""
        out: dict[str, Any] = {kind: self.name}
        if kind == "provider":
            out["domain"] = self.domain
        out.update(
            articles=self.current,
            previous=self.previous,
            change=self.change,
            ratio=None if self.ratio is None else round(self.ratio, 2),
            counts=list(self.counts),
            sparkline=sparkline(self.counts),
        )
        return out


def trend_fields(kind: TrendKind) -> list[str]:
    """The keys of ``Trend.record``, for an empty machine-format table."""
    head = ["topic"] if kind == "topic" else ["provider", "domain"]
    return [*head, "articles", "previous", "change", "ratio", "counts", "sparkline"]


def sparkline(counts: tuple[int, ...] | list[int]) -> str:
    """One character per count, scaled to the largest: ``▁`` for none, ``▂`` to ``█`` for some."""
    largest = max(counts, default=0)
    out = []
    for count in counts:
        if count <= 0 or largest <= 0:
            out.append(_EMPTY)
        else:
            level = -(-count * len(_LEVELS) // largest)  # ceiling: any article shows
            out.append(_LEVELS[level - 1])
    return "".join(out)


def trends(
    index: Index,
    filters: Filters,
    now: datetime,
    window: timedelta,
    kind: TrendKind = "topic",
    limit: int | None = None,
) -> list[Trend]:
    """Every topic (or provider) with a matching article in the last two windows, ranked.

    The greatest rise comes first (change in count, then the larger last window,
    then the name); falling ones come last. Topics are grouped case-insensitively
    and named in their most common spelling; providers by name (domain when an
    article names none), shown in their most common spelling with their most
    common domain.
    """
    seconds = int(window.total_seconds())
    if seconds <= 0:
        raise ValueError("a trend window must be longer than a second")
    end = now.replace(microsecond=0)
    start = end - WINDOWS * timedelta(seconds=seconds)
    where, params = compile_filters(filters, known_paths(index))
    found_rows = trend_rows(
        index, where, params, kind, int(end.timestamp()), seconds, to_iso(start), to_iso(end)
    )
    rows: dict[Any, tuple[Any, Any, list[int]]] = {}
    for key, name, domain, w, count in found_rows:
        if not 0 <= w < WINDOWS:
            continue
        entry = rows.setdefault(key, (name, domain, [0] * WINDOWS))
        entry[2][WINDOWS - 1 - w] += int(count)
    found = [
        Trend(name=name, counts=tuple(counts), domain=domain)
        for name, domain, counts in rows.values()
        if counts[-1] or counts[-2]
    ]
    found.sort(key=lambda t: (-t.change, -t.current, t.name is None, (t.name or "").casefold()))
    return found if limit is None else found[:limit]
