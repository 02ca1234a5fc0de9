"""What to select: filters, sort keys and paging, compiled to SQL with bound parameters.

Every value from the user is bound as a parameter; only identifiers this
module chooses itself are ever written into the SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from newscat.dates import parse_when, resolve_now, to_iso
from newscat.errors import UsageError
from newscat.fields import (
    FRONT_MATTER_SQL,
    CataloguePaths,
    Column,
    Field,
    Topics,
    parse_name,
    path_type,
)
from newscat.match import to_fts
from newscat.store.state import ARRIVED_SQL, SEEN_SQL
from newscat.where import KnownPaths, compile_where, no_catalogue, resolve
from newscat.where_syntax import Token, WhereError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from newscat.model import Article
    from newscat.store.index import Index


@dataclass(frozen=True)
class Filters:
    """The filter options shared by list, topics, providers, stats and export."""

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
    arrived_since: str | None = None  # first seen by newscat at or after
    unseen: str | None = None  # a consumer: only what it has not been given
    published: bool | None = None
    match: str | None = None
    where: tuple[str, ...] = ()  # --where expressions, ANDed
    now: str | None = None
    #: Further filters that must hold as well (a saved search's), compiled with this ``now``.
    also: tuple[Filters, ...] = ()


@dataclass(frozen=True)
class Query:
    """Filters plus sort keys (``-`` prefix descending) and paging."""

    filters: Filters = field(default_factory=Filters)
    sort: tuple[str, ...] = ("-date",)
    limit: int | None = None
    offset: int = 0


#: A page this short (``-n``) tests a topic on each article in the sort's order and
#: stops at the page's end; longer ones, and every count, look the topic up.
PAGE_SCAN_ROWS = 1000


@dataclass(frozen=True)
class Compiled:
    """A WHERE condition and ORDER BY clause over ``articles AS a``, with their parameters."""

    where: str
    params: list[Any]
    order: str
    order_params: list[Any]
    #: The same condition written for a short page (see ``PAGE_SCAN_ROWS``); empty
    #: when it is the same text.
    paged_where: str = ""
    #: The casefolded topics of each -t the conditions hold (its alternatives).
    topic_keys: tuple[tuple[str, ...], ...] = ()

    def select(
        self,
        index: Index,
        limit: int | None,
        offset: int,
        stories: bool = True,
        front_matter: bool = True,
        arrived: bool = True,
    ) -> Iterator[Article]:
        """The matching articles from ``index``, sorted and paged, as a lazy cursor
        (without their story fields unless ``stories``, without their front matter as
        written unless ``front_matter``, without their arrival time unless ``arrived``)."""
        params = self.params + self.order_params
        where = self.where
        # A topic tested on each article ends a short page soon only when it is common:
        # a rare one (or one the catalogue lacks) would read every article to find none.
        rows = None if limit is None else limit + offset
        if self.paged_where and rows is not None and rows <= PAGE_SCAN_ROWS:
            where = self.paged_where if index.topics_common(self.topic_keys, rows) else where
        return index.select(
            where, params, self.order, limit, offset, stories, front_matter, arrived
        )

    def select_by_month(self, index: Index, limit: int | None, offset: int) -> Iterator[Article]:
        """The same articles as ``select``, newest month first, so each month's are together."""
        if limit is None and not offset:
            return index.select(self.where, self.params)
        chosen = (
            f"a.rowid IN (SELECT a.rowid FROM articles AS a WHERE {self.where} "
            f"ORDER BY {self.order} LIMIT ? OFFSET ?)"
        )
        paging = [-1 if limit is None else limit, offset]
        return index.select(chosen, self.params + self.order_params + paging)


def known_paths(index: Index) -> KnownPaths:
    """The paths the catalogue's front matter holds, read from the index once, when asked."""
    found: list[CataloguePaths] = []

    def known() -> CataloguePaths:
        if not found:
            paths = index.front_matter_paths()
            found.append({path: path_type(stats, path) for path, stats in paths.items()})
        return found[0]

    return known


def compile_query(query: Query, known: KnownPaths = no_catalogue) -> Compiled:
    """Compile filters and sort keys into SQL.

    ``known`` lists the paths the catalogue's front matter holds (called only
    when a name is not a built-in field), so that any key is queryable.
    """
    now = resolve_now(query.filters.now)
    where, params = _compile_filters(query.filters, now, known)
    order, order_params = compile_order(query.sort, query.filters, known)
    # The same conditions and parameters, a topic written for a short page.
    paged, _ = _compile_filters(query.filters, now, known, scan=True)
    if paged == where:
        return Compiled(where, params, order, order_params)
    return Compiled(where, params, order, order_params, paged, _topic_keys(query.filters))


def _topic_keys(filters: Filters) -> tuple[tuple[str, ...], ...]:
    """The casefolded topics of each -t, as ``_value_parts`` reads them (``also`` too)."""
    found = tuple(keys for value in filters.topics if (keys := _topic_alternatives(value)))
    return found + tuple(keys for more in filters.also for keys in _topic_keys(more))


def _topic_alternatives(value: str) -> tuple[str, ...]:
    """One -t value's topics, casefolded: its comma-separated alternatives."""
    return tuple(topic.strip().casefold() for topic in value.split(",") if topic.strip())


def compile_filters(filters: Filters, known: KnownPaths = no_catalogue) -> tuple[str, list[Any]]:
    """The filters as one SQL condition over ``articles AS a``; all of them AND together."""
    return _compile_filters(filters, resolve_now(filters.now), known)


def _compile_filters(
    filters: Filters, now: datetime, known: KnownPaths, scan: bool = False
) -> tuple[str, list[Any]]:
    """The filters as SQL (``scan``: topics written for a short page, see ``_value_parts``)."""
    parts = _value_parts(filters, scan) + _time_parts(filters, now)
    if filters.unseen is not None:
        parts.append((f"NOT {SEEN_SQL}", [filters.unseen]))
    if filters.published is not None:
        parts.append((f"IFNULL(a.published, 0) = {int(filters.published)}", []))
    if filters.match is not None:
        parts.append(
            ("a.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)", [to_fts(filters.match)])
        )
    for expression in filters.where:
        text, params = compile_where(expression, now, known)
        parts.append((text, params))
    for more in filters.also:
        text, params = _compile_filters(more, now, known, scan)
        if text != "1":
            parts.append((text, params))
    if not parts:
        return "1", []
    return " AND ".join(f"({text})" for text, _ in parts), [p for _, ps in parts for p in ps]


def _value_parts(filters: Filters, scan: bool = False) -> list[tuple[str, list[Any]]]:
    """The conditions of -t, -p, --category, --type and the score bounds.

    A topic is looked up in the topics' index (its articles fetched by rowid: cheap
    for any topic, common or rare), or with ``scan`` tested on each article as the
    sort order comes (best for a short page of a common topic, which ends after a
    few rows)."""
    parts: list[tuple[str, list[Any]]] = []
    for value in filters.topics:
        keys = _topic_alternatives(value)
        if keys and scan:
            parts.append(
                (
                    "EXISTS (SELECT 1 FROM topics AS t WHERE t.article = a.rowid "
                    f"AND t.key IN ({_marks(keys)}))",
                    list(keys),
                )
            )
        elif keys:
            parts.append(
                (
                    f"a.rowid IN (SELECT t.article FROM topics AS t WHERE t.key IN ({_marks(keys)}))",
                    list(keys),
                )
            )
    if filters.providers:
        parts.append(_providers(filters.providers))
    for column, values in (("a.category", filters.categories), ("a.type", filters.types)):
        if values:
            folded = [value.casefold() for value in values]
            parts.append((f"nc_fold({column}) IN ({_marks(folded)})", folded))
    for column, op, bound in (
        ("a.quality", ">=", filters.min_quality),
        ("a.quality", "<=", filters.max_quality),
        ("a.heat", ">=", filters.min_heat),
        ("a.heat", "<=", filters.max_heat),
    ):
        if bound is not None:
            parts.append((f"{column} {op} ?", [bound]))
    return parts


def _time_parts(filters: Filters, now: datetime) -> list[tuple[str, list[Any]]]:
    """The conditions of --since, --until (a whole day when it names one) and --arrived-since."""
    parts: list[tuple[str, list[Any]]] = []
    if filters.since is not None:
        start, _ = parse_when(filters.since, now, option="--since")
        parts.append(("a.date >= ?", [to_iso(start)]))
    if filters.until is not None:
        end, whole_day = parse_when(filters.until, now, option="--until")
        if whole_day:
            parts.append(("a.date < ?", [to_iso(end + timedelta(days=1))]))
        else:
            parts.append(("a.date <= ?", [to_iso(end)]))
    if filters.arrived_since is not None:
        start, _ = parse_when(filters.arrived_since, now, option="--arrived-since")
        parts.append((f"{ARRIVED_SQL} >= ?", [to_iso(start)]))
    return parts


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _providers(values: tuple[str, ...]) -> tuple[str, list[Any]]:
    """Name (any case), domain, or a parent domain: ``nhs.uk`` matches ``hee.nhs.uk``.
    The name is the provider's whole name, or one of the names of a provider written as
    a list (several authors, whose whole name is theirs joined)."""
    terms: list[str] = []
    params: list[Any] = []
    for value in values:
        name = value.strip()
        domain = name.lower().strip(".")
        terms.append(
            "(nc_fold(a.provider) = ? OR a.domain = ? OR substr(a.domain, -?) = ? "
            "OR a.rowid IN (SELECT article FROM provider_names WHERE key = ?))"
        )
        params += [name.casefold(), domain, len(domain) + 1, "." + domain, name.casefold()]
    return " OR ".join(terms), params


def compile_order(
    sort: tuple[str, ...], filters: Filters, known: KnownPaths = no_catalogue
) -> tuple[str, list[Any]]:
    """ORDER BY terms for the sort keys; missing values sort last; ties break on id."""
    terms: list[str] = []
    params: list[Any] = []
    cache: dict[str, CataloguePaths] = {}
    for key in sort:
        descending = key.startswith("-")
        name = key.lstrip("-+").strip()
        if name.lower() == "rank":
            match = _first_match(filters)
            if match is None:
                raise UsageError("sort key 'rank' needs -m/--match")
            # The search runs once: its ranks by rowid, looked up through an index SQLite
            # builds for them (LIMIT -1 keeps the subquery from being folded into a
            # search per article, which costs with the square of the matches).
            expr = (
                "(SELECT r.score FROM (SELECT rowid AS rid, rank AS score FROM fts "
                "WHERE fts MATCH ? LIMIT -1) AS r WHERE r.rid = a.rowid)"
            )
            # bm25: lower is better, so ascending puts the best match first.
            terms.append(f"{expr} {'DESC' if descending else 'ASC'}")
            params.append(to_fts(match))
            continue
        spec = _sort_field(name, known, cache)
        expr, expr_params = _sort_expression(spec)
        if spec.type == "duration":
            descending = not descending  # the oldest has the greatest age
        # Missing values sort last whichever the direction: SQLite puts NULL last when
        # descending by itself, and "date DESC, id" is then exactly the index's order,
        # so the default listing reads the index and stops at the limit.
        if descending:
            terms.append(f"{expr} DESC")
            params += expr_params
        else:
            terms.append(f"{expr} IS NULL, {expr} ASC")
            params += expr_params * 2
    terms.append("a.id ASC, a.path ASC")
    return ", ".join(terms), params


def _first_match(filters: Filters) -> str | None:
    """The full-text query to rank by: the command line's, else a saved search's."""
    if filters.match is not None:
        return filters.match
    for more in filters.also:
        found = _first_match(more)
        if found is not None:
            return found
    return None


def _sort_field(name: str, known: KnownPaths, cache: dict[str, CataloguePaths]) -> Field:
    segments, quoted = parse_name(name)
    token = Token("word", name, name, 0, len(name), segments, quoted)
    try:
        spec = resolve(name, token, known, cache)
    except WhereError as exc:
        hint = f" {exc.hint}" if exc.hint else ""
        raise UsageError(f"unknown sort key {name!r}.{hint}") from None
    if spec.source is None:
        raise UsageError(f"cannot sort by {name!r}: it is computed for output only")
    if spec.type in ("mapping", "list of mappings"):
        raise UsageError(f"cannot sort by {name!r}: it is a {spec.type}")
    return spec


def _sort_expression(spec: Field) -> tuple[str, list[Any]]:
    source = spec.source
    if isinstance(source, Column):
        return (f"nc_fold({source.sql})" if spec.type == "text" else source.sql), []
    if isinstance(source, Topics):
        return "nc_fold(json_extract(a.topics, '$[0]'))", []
    if source is None:  # refused by _sort_field
        raise UsageError(f"cannot sort by {spec.name!r}")
    first = f"json_extract(nc_values({FRONT_MATTER_SQL}, ?), '$[0]')"
    wrap = {"number": "nc_number", "date": "nc_date", "bool": "nc_number"}.get(spec.type, "nc_fold")
    return f"{wrap}({first})", [json.dumps(list(source.path))]
