"""The store's reads for reports: each takes the matching articles as an SQL condition
over ``articles AS a`` with its parameters (what the query compiles) and returns rows.
Also a command's index opened read-only (for completion, which must never refresh or
write), and every article in id order."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newscat.ignore import Exclusions
from newscat.model import Article, GroupSort
from newscat.store.index import Index, database_name


@contextlib.contextmanager
def read_only(
    roots: Sequence[str], cache_dir: Path | None, exclusions: Exclusions
) -> Iterator[sqlite3.Connection | None]:
    """The index a command over ``roots`` would use, opened read-only as it is (not
    refreshed), or None when there is none (in memory, or not built yet)."""
    path = None if cache_dir is None else cache_dir / database_name(roots, exclusions)
    if path is None or not path.is_file():
        yield None
        return
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.5)
    try:
        yield conn
    finally:
        conn.close()


def in_id_order(index: Index) -> Iterator[Article]:
    """Every article by id, then path: an order that does not change with dates."""
    return index.select(order="a.id, a.path")


# --- topics and providers ----------------------------------------------------------------

_GROUP_ORDER = {  # ties: by name, and the group of articles without one last
    "count": "g.n DESC, g.key IS NULL, g.key",
    "name": "g.key IS NULL, g.key, g.n DESC",
    "quality": "g.q IS NULL, g.q DESC, g.n DESC, g.key IS NULL, g.key",
    "heat": "g.h IS NULL, g.h DESC, g.n DESC, g.key IS NULL, g.key",
    "newest": "g.newest IS NULL, g.newest DESC, g.n DESC, g.key IS NULL, g.key",
}


def topic_group_rows(
    index: Index,
    where: str,
    params: Sequence[Any],
    sort: GroupSort,
    min_count: int,
    limit: int | None,
) -> list[tuple[Any, ...]]:
    """One row per topic of the matching articles, grouped case-insensitively and named in
    its most common casing across the catalogue: (name, articles, average quality,
    average heat, newest date, None)."""
    sql = f"""
        WITH m AS (
            SELECT a.rowid AS rid, a.quality AS quality, a.heat AS heat, a.date AS date
            FROM articles AS a WHERE {where}
        ),
        g AS (
            SELECT t.key AS key, count(DISTINCT m.rid) AS n, avg(m.quality) AS q,
                   avg(m.heat) AS h, max(m.date) AS newest
            FROM topics AS t JOIN m ON m.rid = t.article
            GROUP BY t.key
        ),
        casing AS (
            SELECT key, topic,
                   row_number() OVER (PARTITION BY key ORDER BY count(*) DESC, topic) AS r
            FROM topics WHERE key IN (SELECT key FROM g)
            GROUP BY key, topic
        )
        SELECT coalesce(c.topic, g.key), g.n, g.q, g.h, g.newest, NULL
        FROM g LEFT JOIN casing AS c ON c.key = g.key AND c.r = 1
        WHERE g.n >= ?
        ORDER BY {_GROUP_ORDER[sort]}
        LIMIT ?
    """
    return list(index.conn.execute(sql, [*params, min_count, -1 if limit is None else limit]))


def provider_group_rows(
    index: Index,
    where: str,
    params: Sequence[Any],
    sort: GroupSort,
    min_count: int,
    limit: int | None,
) -> list[tuple[Any, ...]]:
    """One row per provider of the matching articles, grouped by name case-insensitively
    (by domain when an article names none): (most common spelling, articles, average
    quality, average heat, newest date, most common domain)."""
    sql = f"""
        WITH m AS (
            SELECT a.provider AS provider, a.domain AS domain, a.quality AS quality,
                   a.heat AS heat, a.date AS date,
                   nc_fold(coalesce(a.provider, a.domain)) AS key
            FROM articles AS a WHERE {where}
        ),
        g AS (
            SELECT key, count(*) AS n, avg(quality) AS q, avg(heat) AS h, max(date) AS newest
            FROM m GROUP BY key
        ),
        names AS (
            SELECT key, provider,
                   row_number() OVER (PARTITION BY key ORDER BY count(*) DESC, provider) AS r
            FROM m WHERE provider IS NOT NULL GROUP BY key, provider
        ),
        domains AS (
            SELECT key, domain,
                   row_number() OVER (PARTITION BY key ORDER BY count(*) DESC, domain) AS r
            FROM m WHERE domain IS NOT NULL GROUP BY key, domain
        )
        SELECT names.provider, g.n, g.q, g.h, g.newest, domains.domain
        FROM g
        LEFT JOIN names ON names.key IS g.key AND names.r = 1
        LEFT JOIN domains ON domains.key IS g.key AND domains.r = 1
        WHERE g.n >= ?
        ORDER BY {_GROUP_ORDER[sort]}
        LIMIT ?
    """
    return list(index.conn.execute(sql, [*params, min_count, -1 if limit is None else limit]))


# --- stats ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsRows:
    """What ``stats`` counts over the matching articles, as the store has it."""

    #: count, published, unpublished, published unknown, first and last date, undated,
    #: providers, then average, least, greatest and missing quality, then the same of heat.
    totals: tuple[Any, ...]
    topics: int
    categories: list[tuple[str | None, int]]
    types: list[tuple[str | None, int]]
    per_month: dict[str, int]
    #: Articles per quality bucket of 10 (0: below 10, 9: 90 and over).
    buckets: dict[int, int]


def stats_rows(index: Index, where: str, params: Sequence[Any]) -> StatsRows:
    """Totals, counts and distributions of the matching articles."""
    matching = f"SELECT a.* FROM articles AS a WHERE {where}"

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return list(index.conn.execute(f"WITH m AS ({matching}) {sql}", params))

    (totals,) = rows(
        """SELECT count(*), count(*) FILTER (WHERE published = 1),
                  count(*) FILTER (WHERE published = 0), count(*) FILTER (WHERE published IS NULL),
                  min(date), max(date), count(*) FILTER (WHERE date IS NULL),
                  count(DISTINCT nc_fold(coalesce(provider, domain))),
                  avg(quality), min(quality), max(quality), count(*) FILTER (WHERE quality IS NULL),
                  avg(heat), min(heat), max(heat), count(*) FILTER (WHERE heat IS NULL)
           FROM m"""
    )
    ((topics,),) = rows(
        "SELECT count(DISTINCT t.key) FROM topics AS t WHERE t.article IN (SELECT rowid FROM m)"
    )
    categories = rows(
        "SELECT category, count(*) AS n FROM m GROUP BY category "
        "ORDER BY n DESC, category IS NULL, category"
    )
    types = rows(
        "SELECT type, count(*) AS n FROM m GROUP BY type ORDER BY n DESC, type IS NULL, type"
    )
    per_month = dict(
        rows(
            "SELECT substr(date, 1, 7) AS month, count(*) FROM m "
            "WHERE date IS NOT NULL GROUP BY month"
        )
    )
    buckets = dict(
        rows(
            "SELECT min(max(CAST(quality / 10 AS INTEGER), 0), 9) AS bucket, count(*) FROM m "
            "WHERE quality IS NOT NULL GROUP BY bucket"
        )
    )
    return StatsRows(
        totals=totals,
        topics=topics,
        categories=[(name, n) for name, n in categories],
        types=[(name, n) for name, n in types],
        per_month=per_month,
        buckets=buckets,
    )


# --- trends ---------------------------------------------------------------------------------


def trend_rows(
    index: Index,
    where: str,
    params: Sequence[Any],
    kind: str,
    end: int,
    seconds: int,
    start_iso: str,
    end_iso: str,
) -> list[tuple[Any, ...]]:
    """Matching articles dated after ``start_iso`` up to ``end_iso``, counted per topic (or
    provider) and window of ``seconds`` back from ``end`` (seconds since the epoch):
    (key, name, domain, window, articles), window 0 the last."""
    # The window an article falls in: 0 is the last, WINDOWS - 1 the oldest.
    matching = f"""
        SELECT a.rowid AS rid, a.provider AS provider, a.domain AS domain,
               nc_fold(coalesce(a.provider, a.domain)) AS pkey,
               (? - CAST(strftime('%s', a.date) AS INTEGER)) / ? AS w
        FROM articles AS a
        WHERE ({where}) AND a.date > ? AND a.date <= ?
    """
    bounds = [end, seconds, *params, start_iso, end_iso]
    if kind == "topic":
        sql = f"""
            WITH m AS ({matching}),
            c AS (
                SELECT t.key AS key, m.w AS w, count(DISTINCT m.rid) AS n
                FROM topics AS t JOIN m ON m.rid = t.article GROUP BY t.key, m.w
            ),
            casing AS (
                SELECT key, topic,
                       row_number() OVER (PARTITION BY key ORDER BY count(*) DESC, topic) AS r
                FROM topics WHERE key IN (SELECT key FROM c) GROUP BY key, topic
            )
            SELECT c.key, coalesce(casing.topic, c.key), NULL, c.w, c.n
            FROM c LEFT JOIN casing ON casing.key = c.key AND casing.r = 1
        """
    else:
        sql = f"""
            WITH m AS ({matching}),
            c AS (SELECT pkey AS key, w, count(*) AS n FROM m GROUP BY pkey, w),
            names AS (
                SELECT pkey AS key, provider,
                       row_number() OVER (PARTITION BY pkey ORDER BY count(*) DESC, provider) AS r
                FROM m WHERE provider IS NOT NULL GROUP BY pkey, provider
            ),
            domains AS (
                SELECT pkey AS key, domain,
                       row_number() OVER (PARTITION BY pkey ORDER BY count(*) DESC, domain) AS r
                FROM m WHERE domain IS NOT NULL GROUP BY pkey, domain
            )
            SELECT c.key, names.provider, domains.domain, c.w, c.n
            FROM c
            LEFT JOIN names ON names.key IS c.key AND names.r = 1
            LEFT JOIN domains ON domains.key IS c.key AND domains.r = 1
        """
    return list(index.conn.execute(sql, bounds))
