"""Summaries of the matching articles: per topic, per provider, and overall.

Everything is aggregated in SQL over ``articles AS a`` restricted by the
compiled filters; Python only shapes the rows into records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from newscat.model import GroupSort
from newscat.query import Filters, compile_filters, known_paths
from newscat.store.index import Index
from newscat.store.reads import provider_group_rows, stats_rows, topic_group_rows

#: Quality buckets of ten; the last one also holds 100 (and anything above it).
QUALITY_BUCKETS = tuple((low, low + 9 if low < 90 else 100) for low in range(0, 100, 10))


@dataclass(frozen=True)
class Group:
    """One row of ``topics`` or ``providers``: a topic (or provider) and its articles."""

    name: str | None
    articles: int
    share: float  # of the matching articles, 0..1
    avg_quality: float | None
    avg_heat: float | None
    newest: str | None  # canonical UTC date of the newest article
    domain: str | None = None  # providers only

    def record(self, kind: Literal["topic", "provider"]) -> dict[str, Any]:
        """The row as a JSON object, its name under ``kind``."""
        out: dict[str, Any] = {kind: self.name}
        if kind == "provider":
            out["domain"] = self.domain
        out.update(
            articles=self.articles,
            share=round(self.share, 4),
            avg_quality=_round(self.avg_quality),
            avg_heat=_round(self.avg_heat),
            newest=self.newest,
        )
        return out


def group_fields(kind: Literal["topic", "provider"]) -> list[str]:
    """The keys of ``Group.record``, in order: the columns of a machine-format table."""
    head = ["topic"] if kind == "topic" else ["provider", "domain"]
    return [*head, "articles", "share", "avg_quality", "avg_heat", "newest"]


@dataclass(frozen=True)
class Score:
    """Average, least and greatest of a score over the articles that have one."""

    average: float | None = None
    min: float | None = None
    max: float | None = None
    missing: int = 0

    def record(self) -> dict[str, Any]:
        return {
            "average": _round(self.average),
            "min": _number(self.min),
            "max": _number(self.max),
            "missing": self.missing,
        }


@dataclass(frozen=True)
class Stats:
    """What ``newscat stats`` reports about the matching articles."""

    articles: int = 0
    published: int = 0
    unpublished: int = 0
    published_unknown: int = 0
    first: str | None = None
    last: str | None = None
    undated: int = 0
    providers: int = 0
    topics: int = 0
    quality: Score = field(default_factory=Score)
    heat: Score = field(default_factory=Score)
    categories: list[tuple[str | None, int]] = field(default_factory=list)
    types: list[tuple[str | None, int]] = field(default_factory=list)
    #: Every month from the first to the last (``YYYY-MM``), including empty ones.
    months: list[tuple[str, int]] = field(default_factory=list)
    #: ``(low, high, articles)`` for each bucket of QUALITY_BUCKETS.
    quality_distribution: list[tuple[int, int, int]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "published": self.published,
            "unpublished": self.unpublished,
            "published_unknown": self.published_unknown,
            "first": self.first,
            "last": self.last,
            "undated": self.undated,
            "providers": self.providers,
            "topics": self.topics,
            "quality": self.quality.record(),
            "heat": self.heat.record(),
            "categories": [{"category": k, "articles": n} for k, n in self.categories],
            "types": [{"type": k, "articles": n} for k, n in self.types],
            "months": [{"month": k, "articles": n} for k, n in self.months],
            "quality_distribution": [
                {"min": low, "max": high, "articles": n}
                for low, high, n in self.quality_distribution
            ],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def topic_groups(
    index: Index,
    filters: Filters,
    sort: GroupSort = "count",
    min_count: int = 1,
    limit: int | None = None,
) -> list[Group]:
    """One Group per topic of the matching articles, grouped case-insensitively.

    Each topic is named in its most common casing across the catalogue (ties:
    the first in code-point order), so its name does not change with the filters.
    """
    where, params = compile_filters(filters, known_paths(index))
    total = index.count(where, params)
    rows = topic_group_rows(index, where, params, sort, min_count, limit)
    return [_group(row, total) for row in rows]


def provider_groups(
    index: Index,
    filters: Filters,
    sort: GroupSort = "count",
    min_count: int = 1,
    limit: int | None = None,
) -> list[Group]:
    """One Group per provider of the matching articles.

    Providers are grouped by name, case-insensitively (by domain when an article
    names none); each shows its most common spelling and domain. Articles with
    neither make one group whose name and domain are None.
    """
    where, params = compile_filters(filters, known_paths(index))
    total = index.count(where, params)
    rows = provider_group_rows(index, where, params, sort, min_count, limit)
    return [_group(row, total) for row in rows]


def _group(row: tuple[Any, ...], total: int) -> Group:
    name, count, quality, heat, newest, domain = row
    return Group(
        name=name,
        articles=int(count),
        share=count / total if total else 0.0,
        avg_quality=None if quality is None else float(quality),
        avg_heat=None if heat is None else float(heat),
        newest=newest,
        domain=domain,
    )


def stats(index: Index, filters: Filters) -> Stats:
    """Totals, date range, counts and distributions of the matching articles."""
    where, params = compile_filters(filters, known_paths(index))
    found = stats_rows(index, where, params)
    (
        count,
        published,
        unpublished,
        unknown,
        first,
        last,
        undated,
        providers,
        q_avg,
        q_min,
        q_max,
        q_missing,
        h_avg,
        h_min,
        h_max,
        h_missing,
    ) = found.totals
    return Stats(
        articles=count,
        published=published,
        unpublished=unpublished,
        published_unknown=unknown,
        first=first,
        last=last,
        undated=undated,
        providers=providers,
        topics=found.topics,
        quality=Score(q_avg, _number(q_min), _number(q_max), q_missing),
        heat=Score(h_avg, _number(h_min), _number(h_max), h_missing),
        categories=found.categories,
        types=found.types,
        months=[(month, found.per_month.get(month, 0)) for month in _months(first, last)],
        quality_distribution=[
            (low, high, found.buckets.get(i, 0)) for i, (low, high) in enumerate(QUALITY_BUCKETS)
        ]
        if count
        else [],
    )


def _months(first: str | None, last: str | None) -> list[str]:
    """Every ``YYYY-MM`` from the month of ``first`` to that of ``last``."""
    if not first or not last:
        return []
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out: list[str] = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
