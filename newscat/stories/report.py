"""``newscat stories``: one row per story of the matching articles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newscat.fields import RELATED_KEY
from newscat.model import Article
from newscat.query import Compiled, Filters, compile_filters, known_paths
from newscat.store.index import Index
from newscat.stories.grouping import related_urls

#: Columns of a story row in tsv/csv (json adds the members).
STORY_FIELDS = (
    "story", "first", "last", "coverage", "articles", "best_quality", "total_heat",
    "providers", "title",
)  # fmt: skip


@dataclass(frozen=True)
class Member:
    id: str
    date: str | None
    provider: str | None
    title: str | None
    url: str | None
    quality: float | None


@dataclass(frozen=True)
class StoryRow:
    """A story, from its matching articles: dates, providers, scores, best title."""

    story: str
    first: str | None
    last: str | None
    coverage: int
    articles: int
    best_quality: float | None
    total_heat: float | None
    providers: tuple[str, ...]
    title: str | None
    members: tuple[Member, ...]

    def record(self, members: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "story": self.story,
            "first": self.first,
            "last": self.last,
            "coverage": self.coverage,
            "articles": self.articles,
            "best_quality": self.best_quality,
            "total_heat": self.total_heat,
            "providers": list(self.providers),
            "title": self.title,
        }
        if members:
            out["members"] = [member.__dict__ for member in self.members]
        return out


def story_rows(
    index: Index, filters: Filters, min_coverage: int = 1, limit: int | None = None
) -> list[StoryRow]:
    """One row per story with a matching article, by coverage, then the newest last date.

    Every figure counts the matching articles only, so that filters narrow a
    story as they narrow a list. The best article has the highest quality
    (then the earliest date); its title names the story.
    """
    index.ensure_stories()
    where, params = compile_filters(filters, known_paths(index))
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
    rows: dict[str, list[Any]] = {}
    members: dict[str, list[Member]] = {}
    for story, first, last, coverage, n, best, heat, *member in index.conn.execute(
        sql, [*params, min_coverage, -1 if limit is None else limit]
    ):
        if story not in rows:
            rows[story] = [story, first, last, max(1, coverage), n, best, heat]
            members[story] = []
        members[story].append(Member(*member))
    out = []
    for story, (key, first, last, coverage, n, best, heat) in rows.items():
        mine = members[story]
        providers = tuple(dict.fromkeys(m.provider for m in mine if m.provider))
        out.append(
            StoryRow(key, first, last, coverage, n, best, heat, providers, mine[0].title,
                     tuple(sorted(mine, key=lambda m: (m.date is None, m.date or "", m.id))))
        )  # fmt: skip
    return out


def also_in_catalogue(index: Index, article: Article, limit: int) -> tuple[list[Article], int]:
    """The first ``limit`` other articles of ``article``'s story, oldest first, and how
    many there are in all."""
    if article.story is None:
        return [], 0
    where = "a.rowid IN (SELECT article FROM story_items WHERE story = ?) AND a.path != ?"
    params = [article.story, article.path]
    found = list(index.select(where, params, order="a.date IS NULL, a.date, a.id", limit=limit))
    return found, len(found) if len(found) < limit else index.count(where, params)


def related_in_catalogue(index: Index, article: Article) -> dict[int, str]:
    """Which ``related`` entries name an article of the catalogue: position -> its id."""
    related = article.front_matter.get(RELATED_KEY)
    entries = related if isinstance(related, list) else [related] if related else []
    found: dict[int, str] = {}
    if entries:
        index.ensure_stories()
    for position, entry in enumerate(entries):
        urls = list(related_urls([entry]))
        if not urls:
            continue
        marks = ",".join("?" * len(urls))
        row = index.conn.execute(
            f"SELECT id FROM story_items WHERE canonical_url IN ({marks}) ORDER BY id LIMIT 1",
            urls,
        ).fetchone()
        if row is not None:
            found[position] = row[0]
    return found


#: An article's story, or the article itself when it has none.
_STORY_OF = "coalesce((SELECT s.story FROM story_items AS s WHERE s.article = a.rowid), a.id)"


def collapse(compiled: Compiled) -> Compiled:
    """The same query with one row per story: the story's matching article that sorts first."""
    first = (
        f"SELECT rid FROM (SELECT a.rowid AS rid, row_number() OVER "
        f"(PARTITION BY {_STORY_OF} ORDER BY {compiled.order}) AS r "
        f"FROM articles AS a WHERE {compiled.where}) WHERE r = 1"
    )
    return Compiled(
        f"({compiled.where}) AND a.rowid IN ({first})",
        [*compiled.params, *compiled.order_params, *compiled.params],
        compiled.order,
        compiled.order_params,
    )


def matches_per_story(index: Index, compiled: Compiled) -> dict[str, int]:
    """How many articles of each story the (uncollapsed) query matches."""
    index.ensure_stories()
    sql = f"SELECT {_STORY_OF}, count(*) FROM articles AS a WHERE {compiled.where} GROUP BY 1"
    return {story: count for story, count in index.conn.execute(sql, compiled.params)}
