"""Stories in the index: what grouping needs per article, and each article's story.

``story_items`` holds, per article (``articles.rowid``), its canonical URL,
date, provider key and content words, and the story it belongs to;
``story_links`` holds the canonical URLs its ``related`` list names, so that
"who names me?" is one indexed look-up.

The refresh keeps them in step inside its own transaction: ``forget`` runs as
articles are deleted (marking the rest of their stories for a second look),
and ``update`` runs once the new articles are in, re-walking only the stories
that an edit touched. A first fill, or a large batch of changes, groups the
whole catalogue at once instead.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from newscat.stories.grouping import (
    DEFAULT_WINDOW,
    StoryItem,
    assign,
    group,
    near_duplicate,
    story_item,
)

#: Bump when grouping changes, so that stored stories are rebuilt.
STORIES_VERSION = "1"
_META_KEY = "stories"
#: Above this many new articles (or a tenth of the catalogue), grouping everything at
#: once is cheaper than walking story by story.
BULK_MIN = 2000

SCHEMA = """
CREATE TABLE IF NOT EXISTS story_items (
    article INTEGER PRIMARY KEY,    -- articles.rowid
    id TEXT NOT NULL,
    date TEXT,
    provider TEXT,                  -- casefolded name, else domain, else URL host
    canonical_url TEXT,
    related TEXT NOT NULL DEFAULT '',      -- canonical URLs from related, one per line
    title_words TEXT NOT NULL DEFAULT '',  -- content words, space-separated
    text_words TEXT NOT NULL DEFAULT '',
    story TEXT NOT NULL,            -- the id of the story's earliest article
    coverage INTEGER NOT NULL,      -- distinct providers in the story
    size INTEGER NOT NULL,          -- articles in the story
    dirty INTEGER NOT NULL DEFAULT 0  -- a member of the story was removed: look again
);
CREATE INDEX IF NOT EXISTS story_items_url ON story_items(canonical_url);
CREATE INDEX IF NOT EXISTS story_items_date ON story_items(date);
CREATE INDEX IF NOT EXISTS story_items_story ON story_items(story);
CREATE INDEX IF NOT EXISTS story_items_dirty ON story_items(dirty) WHERE dirty;
CREATE TABLE IF NOT EXISTS story_links (
    url TEXT NOT NULL,
    article INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS story_links_url ON story_links(url);
CREATE INDEX IF NOT EXISTS story_links_article ON story_links(article);
"""

#: SQL for the story fields of ``articles AS a``.
STORY_SQL = "(SELECT s.story FROM story_items AS s WHERE s.article = a.rowid)"
COVERAGE_SQL = "(SELECT s.coverage FROM story_items AS s WHERE s.article = a.rowid)"
CANONICAL_URL_SQL = "(SELECT s.canonical_url FROM story_items AS s WHERE s.article = a.rowid)"

_ITEM_COLUMNS = "article, id, date, provider, canonical_url, related, title_words, text_words"
_SOURCE_SQL = (
    "SELECT rowid, id, date, title, excerpt, provider, domain, url, "
    # json_quote: a scalar (related: "see also") comes back as JSON text too.
    "json_quote(json_extract(record, '$.related')) FROM articles"
)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables an index from before stories lacks (inside the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def reset(conn: sqlite3.Connection) -> None:
    """Forget every story (the articles are being re-read from scratch)."""
    conn.execute("DELETE FROM story_items")
    conn.execute("DELETE FROM story_links")
    conn.execute("DELETE FROM meta WHERE key = ?", (_META_KEY,))


def ready(conn: sqlite3.Connection) -> bool:
    """Whether the stored stories were built by this grouping."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_META_KEY,)).fetchone()
    return row is not None and row[0] == STORIES_VERSION


def forget(conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
    """These articles are about to go: drop their rows, mark their story-mates for a look."""
    if not rowids or not ready(conn):
        return
    marks = ",".join("?" * len(rowids))
    conn.execute(
        "UPDATE story_items SET dirty = 1 WHERE story IN "
        f"(SELECT story FROM story_items WHERE article IN ({marks}))",
        list(rowids),
    )
    conn.execute(f"DELETE FROM story_items WHERE article IN ({marks})", list(rowids))
    conn.execute(f"DELETE FROM story_links WHERE article IN ({marks})", list(rowids))


def update(conn: sqlite3.Connection, first_new: int, window: timedelta = DEFAULT_WINDOW) -> None:
    """Group the articles with ``rowid >= first_new``, and regroup stories that lost one.

    A story that lost an article can only split, and only along links among the
    members it has left, so those are regrouped among themselves. A new article
    joins every story it links to: they merge into one. Neither needs more than
    the stories involved and the articles near the new one's date.
    """
    ensure_schema(conn)
    new = int(
        conn.execute("SELECT count(*) FROM articles WHERE rowid >= ?", (first_new,)).fetchone()[0]
    )
    if not ready(conn):
        rebuild(conn, window)
        return
    total = int(conn.execute("SELECT count(*) FROM story_items").fetchone()[0])
    if new >= max(BULK_MIN, total // 10):
        rebuild(conn, window)
        return
    dirty = [row[0] for row in conn.execute("SELECT DISTINCT story FROM story_items WHERE dirty")]
    for story in dirty:
        members = _load(conn, "WHERE story = ?", [story])
        found = group(members, window)
        conn.executemany(
            "UPDATE story_items SET story = ?, coverage = ?, size = ?, dirty = 0 WHERE article = ?",
            [(a.story, a.coverage, a.size, key) for key, a in found.items()],
        )
    items = list(_read_articles(conn, "WHERE rowid >= ?", [first_new]))
    _insert(conn, items, {item.key: item.id for item in items})
    for item in items:
        linked = [other.key for other in _neighbours(conn, item, window)]
        if linked:
            _merge(conn, [item.key, *linked])


def _merge(conn: sqlite3.Connection, keys: Sequence[int]) -> None:
    """Make the stories of these articles one story."""
    marks = ",".join("?" * len(keys))
    stories = [
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT story FROM story_items WHERE article IN ({marks})", list(keys)
        )
    ]
    held = ",".join("?" * len(stories))
    members = [
        StoryItem(key=key, id=id_, date=date, provider=provider)
        for key, id_, date, provider in conn.execute(
            f"SELECT article, id, date, provider FROM story_items WHERE story IN ({held})", stories
        )
    ]
    found = assign(members)
    conn.execute(
        f"UPDATE story_items SET story = ?, coverage = ?, size = ? WHERE story IN ({held})",
        [found.story, found.coverage, found.size, *stories],
    )


def rebuild(conn: sqlite3.Connection, window: timedelta = DEFAULT_WINDOW) -> None:
    """Group the whole catalogue at once."""
    ensure_schema(conn)
    conn.execute("DELETE FROM story_items")
    conn.execute("DELETE FROM story_links")
    items = list(_read_articles(conn, "", []))
    found = group(items, window)
    _insert(conn, items, {key: a.story for key, a in found.items()}, found)
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_META_KEY, STORIES_VERSION)
    )


def _read_articles(conn: sqlite3.Connection, where: str, params: list[Any]) -> Iterator[StoryItem]:
    for rowid, id_, date, title, excerpt, provider, domain, url, related in conn.execute(
        f"{_SOURCE_SQL} {where}", params
    ):
        yield story_item(
            rowid,
            id_,
            date=date,
            title=title,
            excerpt=excerpt,
            provider=provider,
            domain=domain,
            url=url,
            related=json.loads(related) if related else None,
        )


def _insert(
    conn: sqlite3.Connection,
    items: Sequence[StoryItem],
    stories: dict[int, str],
    found: dict[int, Any] | None = None,
) -> None:
    rows: list[tuple[Any, ...]] = []
    links: list[tuple[str, int]] = []
    for item in items:
        assignment = found[item.key] if found is not None else None
        rows.append(
            (
                item.key, item.id, item.date, item.provider, item.url, "\n".join(item.related),
                " ".join(sorted(item.title_words)), " ".join(sorted(item.text_words)),
                stories[item.key],
                assignment.coverage if assignment else 1,
                assignment.size if assignment else 1,
            )
        )  # fmt: skip
        links.extend((url, item.key) for url in item.related)
    conn.executemany(
        f"INSERT OR REPLACE INTO story_items({_ITEM_COLUMNS}, story, coverage, size) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO story_links(url, article) VALUES (?, ?)", links)


def _load(conn: sqlite3.Connection, where: str, params: Iterable[Any]) -> list[StoryItem]:
    return [
        StoryItem(
            key=key,
            id=id_,
            date=date,
            provider=provider,
            url=url,
            related=tuple(related.split("\n")) if related else (),
            title_words=frozenset(title.split()),
            text_words=frozenset(text.split()),
        )
        for key, id_, date, provider, url, related, title, text in conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM story_items {where}", list(params)
        )
    ]


def _neighbours(conn: sqlite3.Connection, item: StoryItem, window: timedelta) -> list[StoryItem]:
    """Every stored item linked to ``item``: same URL, related either way, near-duplicate."""
    found: dict[int, StoryItem] = {}
    if item.url is not None:
        for other in _load(conn, "WHERE canonical_url = ?", [item.url]):
            found[other.key] = other
        for other in _load(
            conn, "WHERE article IN (SELECT article FROM story_links WHERE url = ?)", [item.url]
        ):
            found[other.key] = other
    for batch in _chunks(item.related, 400):
        marks = ",".join("?" * len(batch))
        for other in _load(conn, f"WHERE canonical_url IN ({marks})", batch):
            found[other.key] = other
    moment = item.moment
    if moment is not None:
        low = (moment - window).strftime("%Y-%m-%dT%H:%M:%SZ")
        high = (moment + window).strftime("%Y-%m-%dT%H:%M:%SZ")
        for other in _load(conn, "WHERE date BETWEEN ? AND ?", [low, high]):
            if other.key not in found and near_duplicate(item, other, window):
                found[other.key] = other
    found.pop(item.key, None)
    return list(found.values())


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
