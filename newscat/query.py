"""What to select: filters, sort keys and paging, compiled to SQL with bound parameters.

Every value from the user is bound as a parameter; only identifiers this
module chooses itself are ever written into the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newscat.errors import UsageError


@dataclass(frozen=True)
class Filters:
    """The filter options shared by list, topics, providers, stats and export (SPEC §3)."""

    topics: tuple[str, ...] = ()  # each value: comma-separated alternatives; values AND together
    providers: tuple[str, ...] = ()  # OR
    categories: tuple[str, ...] = ()  # OR
    types: tuple[str, ...] = ()  # OR
    min_quality: float | None = None
    max_quality: float | None = None
    min_heat: float | None = None
    max_heat: float | None = None
    since: str | None = None
    until: str | None = None
    published: bool | None = None
    match: str | None = None
    where: tuple[str, ...] = ()  # --where expressions, ANDed
    now: str | None = None


@dataclass(frozen=True)
class Query:
    """Filters plus sort keys (``-`` prefix descending) and paging."""

    filters: Filters = field(default_factory=Filters)
    sort: tuple[str, ...] = ("-date",)
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class Compiled:
    """A WHERE condition and ORDER BY clause over ``articles AS a``, with their parameters."""

    where: str
    params: list[Any]
    order: str
    order_params: list[Any]


_SORT_COLUMNS = {
    "date": "a.date",
    "title": "a.title",
    "quality": "a.quality",
    "heat": "a.heat",
    "provider": "a.provider",
    "id": "a.id",
    "path": "a.path",
}


def compile_query(query: Query) -> Compiled:
    """Compile filters and sort keys (SPEC §3, §4) into SQL."""
    where, params = compile_filters(query.filters)
    order, order_params = compile_order(query.sort, query.filters)
    return Compiled(where, params, order, order_params)


def compile_filters(filters: Filters) -> tuple[str, list[Any]]:
    """The filters as one SQL condition over ``articles AS a``."""
    return "1", []


def compile_order(sort: tuple[str, ...], filters: Filters) -> tuple[str, list[Any]]:
    """ORDER BY terms for the sort keys; ties always break on id."""
    terms: list[str] = []
    for key in sort:
        descending = key.startswith("-")
        name = key.lstrip("-+").strip().lower()
        column = _SORT_COLUMNS.get(name)
        if column is None:
            raise UsageError(f"unknown sort key {name!r}; choose from {', '.join(_SORT_COLUMNS)}")
        # Missing values sort last whichever the direction.
        terms.append(f"{column} IS NULL, {column} {'DESC' if descending else 'ASC'}")
    terms.append("a.id ASC, a.path ASC")
    return ", ".join(terms), []
