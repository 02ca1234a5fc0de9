"""``newscat stories``: one row per story of the matching articles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newscat.fields import RELATED_KEY
from newscat.model import Article
from newscat.query import Compiled, Filters, compile_filters, known_paths
from newscat.store import reads
from newscat.store.index import Index
from newscat.stories.grouping import related_urls

#: Columns of a story row in tsv/csv (json adds the members).
STORY_FIELDS = (
    "story", "first", "last", "coverage", "articles", "best_quality", "total_heat",
    "providers", "title",
)  # fmt: skip


@dataclass(frozen=True)
class Member:
    """An article of a story, as the stories report shows it."""

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
    where, params = compile_filters(filters, known_paths(index))
    rows: dict[str, list[Any]] = {}
    members: dict[str, list[Member]] = {}
    for story, first, last, coverage, n, best, heat, *member in reads.story_member_rows(
        index, where, params, min_coverage, limit
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
    return reads.story_members(index, article, limit)


def related_in_catalogue(index: Index, article: Article) -> dict[int, str]:
    """Which ``related`` entries name an article of the catalogue: position -> its id."""
    related = article.front_matter.get(RELATED_KEY)
    entries = related if isinstance(related, list) else [related] if related else []
    found: dict[int, str] = {}
    for position, entry in enumerate(entries):
        urls = list(related_urls([entry]))
        article_id = reads.id_of_url(index, urls) if urls else None
        if article_id is not None:
            found[position] = article_id
    return found


def collapse(compiled: Compiled) -> Compiled:
    """The same query with one row per story: the story's matching article that sorts first."""
    return Compiled(
        reads.first_of_each_story(compiled.where, compiled.order),
        [*compiled.params, *compiled.order_params, *compiled.params],
        compiled.order,
        compiled.order_params,
    )


def matches_per_story(index: Index, compiled: Compiled) -> dict[str, int]:
    """How many articles of each story the (uncollapsed) query matches."""
    return reads.matches_per_story(index, compiled.where, compiled.params)
