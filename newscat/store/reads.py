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
from typing import Any, Protocol
from urllib.parse import quote

from newscat.ignore import Exclusions
from newscat.model import Article, GroupSort
from newscat.store.index import Index, database_name, prefix_condition


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


# --- stories ---------------------------------------------------------------------------------

#: An article's story, or the article itself when the stories have not reached it.
STORY_OF = "coalesce((SELECT s.story FROM story_items AS s WHERE s.article = a.rowid), a.id)"


def story_member_rows(
    index: Index, where: str, params: Sequence[Any], min_coverage: int, limit: int | None
) -> list[tuple[Any, ...]]:
    """The stories with a matching article, by coverage, then the newest last date; one
    row per matching article of each, best first (highest quality, then earliest date):
    (story, first, last, coverage, articles, best quality, total heat, then the article's
    id, date, provider, title, url, quality). Every figure counts the matching articles."""
    index.ensure_stories()
    sql = f"""
        WITH m AS (
            SELECT a.rowid AS rid, a.id AS id, a.date AS date, a.title AS title,
                   a.url AS url, a.quality AS quality, a.heat AS heat,
                   coalesce(a.provider, a.domain) AS provider,
                   s.story AS story, s.provider AS pkey
            FROM articles AS a JOIN story_items AS s ON s.article = a.rowid
            WHERE {where}
        ),
        g AS (
            SELECT story, min(date) AS first, max(date) AS last,
                   count(DISTINCT pkey) AS coverage, count(*) AS n,
                   max(quality) AS best, sum(heat) AS heat
            FROM m GROUP BY story
            HAVING count(DISTINCT pkey) >= ?
            ORDER BY coverage DESC, last IS NULL, last DESC, n DESC, story
            LIMIT ?
        )
        SELECT g.story, g.first, g.last, g.coverage, g.n, g.best, g.heat,
               m.id, m.date, m.provider, m.title, m.url, m.quality
        FROM g JOIN m ON m.story = g.story
        ORDER BY g.coverage DESC, g.last IS NULL, g.last DESC, g.n DESC, g.story,
                 m.quality IS NULL, m.quality DESC, m.date IS NULL, m.date, m.id
    """
    return list(index.conn.execute(sql, [*params, min_coverage, -1 if limit is None else limit]))


def story_members(index: Index, article: Article, limit: int) -> tuple[list[Article], int]:
    """The first ``limit`` other articles of ``article``'s story, oldest first, and how
    many there are in all."""
    where = "a.rowid IN (SELECT article FROM story_items WHERE story = ?) AND a.path != ?"
    params = [article.story, article.path]
    found = list(index.select(where, params, order="a.date IS NULL, a.date, a.id", limit=limit))
    return found, len(found) if len(found) < limit else index.count(where, params)


def id_of_url(index: Index, urls: Sequence[str]) -> str | None:
    """The first id (in id order) of an article whose canonical URL is one of ``urls``."""
    index.ensure_stories()
    marks = ",".join("?" * len(urls))
    row = index.conn.execute(
        f"SELECT id FROM story_items WHERE canonical_url IN ({marks}) ORDER BY id LIMIT 1",
        list(urls),
    ).fetchone()
    return None if row is None else str(row[0])


def first_of_each_story(where: str, order: str) -> str:
    """A condition over ``articles AS a``: the article is the first of its story among those
    that match ``where`` in ``order`` (parameters: ``where``'s, then ``order``'s, then
    ``where``'s again)."""
    first = (
        f"SELECT rid FROM (SELECT a.rowid AS rid, row_number() OVER "
        f"(PARTITION BY {STORY_OF} ORDER BY {order}) AS r "
        f"FROM articles AS a WHERE {where}) WHERE r = 1"
    )
    return f"({where}) AND a.rowid IN ({first})"


def matches_per_story(index: Index, where: str, params: Sequence[Any]) -> dict[str, int]:
    """How many matching articles each story has."""
    index.ensure_stories()
    sql = f"SELECT {STORY_OF}, count(*) FROM articles AS a WHERE {where} GROUP BY 1"
    return {story: count for story, count in index.conn.execute(sql, list(params))}


# --- the reader's list ---------------------------------------------------------------------


class Matching(Protocol):
    """The articles a query matches, in its order: a condition and an order over
    ``articles AS a``, with their parameters (what the query compiles)."""

    @property
    def where(self) -> str: ...
    @property
    def params(self) -> list[Any]: ...
    @property
    def order(self) -> str: ...
    @property
    def order_params(self) -> list[Any]: ...


def collapse_stories(index: Index, table: str, matching: Matching) -> int:
    """Write the story-collapsed order into a temporary table of the index's connection:
    one row per story (its first matching article in the list's order, and how many
    more match), numbered in order; returns how many rows. One sort of the matching
    articles, then every page and every look-up is read by position."""
    index.ensure_stories()
    conn = index.conn
    order = matching.order
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (pos INTEGER PRIMARY KEY, article INTEGER, more INTEGER)")
    conn.execute(
        f"INSERT INTO {table} (pos, article, more) "
        "SELECT row_number() OVER (ORDER BY pos), article, more FROM ("
        "SELECT a.rowid AS article, "
        f"row_number() OVER (PARTITION BY {STORY_OF} ORDER BY {order}) AS rank, "
        f"count(*) OVER (PARTITION BY {STORY_OF}) - 1 AS more, "
        f"row_number() OVER (ORDER BY {order}) AS pos "
        f"FROM articles AS a WHERE {matching.where}) WHERE rank = 1",
        matching.order_params + matching.params + matching.order_params,
    )
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def drop_table(index: Index, table: str) -> None:
    index.conn.execute(f"DROP TABLE IF EXISTS {table}")


def collapsed_page(
    index: Index, table: str, columns: str, offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """Rows ``offset`` to ``offset + limit`` of a collapsed list: ``columns``, over
    ``articles AS a`` and ``t.more`` (how many more of the story match)."""
    return index.conn.execute(
        f"SELECT {columns} FROM {table} AS t "
        "JOIN articles AS a ON a.rowid = t.article WHERE t.pos > ? ORDER BY t.pos LIMIT ?",
        (offset, limit),
    ).fetchall()


def first_unmarked(
    index: Index, matching: Matching, table: str | None, marked: str, after: int
) -> int | None:
    """The first row after row ``after`` (from 0) for which the condition ``marked`` does
    not hold, else the first such row from the top; None when it holds for every row.
    From the collapsed list in ``table`` when given, else from the matching articles."""
    if table is not None:
        found = index.conn.execute(
            f"SELECT t.pos - 1 FROM {table} AS t JOIN articles AS a "
            f"ON a.rowid = t.article WHERE NOT {marked} "
            "ORDER BY t.pos <= ?, t.pos LIMIT 1",
            (after + 1,),
        ).fetchone()
    else:
        found = index.conn.execute(
            f"SELECT pos FROM (SELECT row_number() OVER (ORDER BY {matching.order}) - 1 "
            f"AS pos, {marked} AS seen FROM articles AS a WHERE {matching.where}) "
            "WHERE NOT seen ORDER BY pos <= ?, pos LIMIT 1",
            matching.order_params + matching.params + [after],
        ).fetchone()
    return None if found is None else int(found[0])


def collapsed_position(index: Index, table: str, path: str) -> int | None:
    """Where (from 0) the article from file ``path`` is in a collapsed list."""
    found = index.conn.execute(
        f"SELECT t.pos FROM {table} AS t JOIN articles AS a "
        "ON a.rowid = t.article WHERE a.path = ?",
        (path,),
    ).fetchone()
    return None if found is None else int(found[0]) - 1


# --- what the catalogue holds (hints when nothing matched) ----------------------------------


def topic_occurs(index: Index, folded: str) -> bool:
    """Whether an article has the topic (casefolded)."""
    sql = "SELECT 1 FROM topics WHERE key = ? LIMIT 1"
    return index.conn.execute(sql, [folded]).fetchone() is not None


def provider_occurs(index: Index, folded: str, domain: str) -> bool:
    """Whether an article's provider is ``folded`` (casefolded), or one of its names
    is, or its domain is ``domain`` or ends in ``.domain``."""
    if index.conn.execute("SELECT 1 FROM provider_names WHERE key = ?", [folded]).fetchone():
        return True
    sql = (
        "SELECT 1 FROM articles AS a WHERE nc_fold(a.provider) = ? OR a.domain = ? "
        "OR substr(a.domain, -?) = ? LIMIT 1"
    )
    params = [folded, domain, len(domain) + 1, "." + domain]
    return index.conn.execute(sql, params).fetchone() is not None


def value_occurs(index: Index, column: str, folded: str) -> bool:
    """Whether an article's stored ``column`` is ``folded``, compared casefolded."""
    sql = f"SELECT 1 FROM articles AS a WHERE nc_fold(a.{column}) = ? LIMIT 1"
    return index.conn.execute(sql, [folded]).fetchone() is not None


def topic_names(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every topic (in one of its casings) and how many articles have it, most common first."""
    sql = "SELECT min(topic), count(*) AS n FROM topics GROUP BY key ORDER BY n DESC, key"
    return [(str(topic), int(n)) for topic, n in conn.execute(sql)]


def provider_names(index: Index) -> list[str]:
    """Every provider name and domain, most common first."""
    sql = (
        "SELECT v FROM (SELECT provider AS v FROM articles UNION ALL "
        "SELECT domain FROM articles) WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v"
    )
    return [str(row[0]) for row in index.conn.execute(sql)]


def column_values(conn: sqlite3.Connection, column: str) -> list[tuple[Any, int]]:
    """The distinct values of a stored column and how many articles have each, most
    common first."""
    sql = (
        f"SELECT {column}, count(*) AS n FROM articles WHERE {column} IS NOT NULL "
        f"GROUP BY {column} ORDER BY n DESC, {column}"
    )
    return [(value, int(n)) for value, n in conn.execute(sql)]


def has_articles(index: Index) -> bool:
    return index.conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is not None


def has_dates(index: Index) -> bool:
    sql = "SELECT 1 FROM articles WHERE date IS NOT NULL LIMIT 1"
    return index.conn.execute(sql).fetchone() is not None


def has_topics(index: Index) -> bool:
    return index.conn.execute("SELECT 1 FROM topics LIMIT 1").fetchone() is not None


def has_providers(index: Index) -> bool:
    sql = "SELECT 1 FROM articles WHERE provider IS NOT NULL OR domain IS NOT NULL LIMIT 1"
    return index.conn.execute(sql).fetchone() is not None


# --- completion (over the index opened read-only) -------------------------------------------


def provider_domain_counts(conn: sqlite3.Connection) -> list[tuple[str | None, str | None, int]]:
    """(provider, domain, articles) of every pair, most common first."""
    sql = (
        "SELECT provider, domain, count(*) AS n FROM articles "
        "GROUP BY provider, domain ORDER BY n DESC, provider"
    )
    return [(provider, domain, int(n)) for provider, domain, n in conn.execute(sql)]


def provider_name_counts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Each name of the providers written as a list of several (as first written: the
    spelling of the article indexed first) and how many articles have it, most common
    first."""
    sql = (
        "SELECT name, min(article), count(*) AS n FROM provider_names "
        "GROUP BY key ORDER BY n DESC, key"
    )
    return [(str(name), int(n)) for name, _, n in conn.execute(sql)]


def front_matter_keys(conn: sqlite3.Connection, column: str, sample: int) -> list[str]:
    """The top-level keys of the front matter (stored in ``column``) of the first
    ``sample`` articles."""
    rows = conn.execute(
        f"SELECT DISTINCT j.key FROM (SELECT {column} FROM articles LIMIT ?) AS a, "
        f"json_each(a.{column}) AS j",
        (sample,),
    )
    return [key for (key,) in rows]


def ids_by_part(
    conn: sqlite3.Connection, expression: str, incomplete: str, limit: int
) -> list[tuple[str, str, str | None]]:
    """(id, part, title) of the articles whose part of the id (``expression``, one of
    ``ID_PARTS``) starts with ``incomplete``, by part, then id; at most ``limit``."""
    where, params = prefix_condition(expression, incomplete)
    return conn.execute(
        f"SELECT a.id, {expression}, a.title FROM articles AS a WHERE {where} "
        f"ORDER BY {expression}, a.id LIMIT ?",
        [*params, limit],
    ).fetchall()
