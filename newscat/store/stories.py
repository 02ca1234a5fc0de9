"""Stories in the index: what grouping needs per article, and each article's story.

``story_items`` holds, per article (``articles.rowid``), its canonical URL,
date, provider key and content words, the near-duplicate cluster it was placed
in, and the story it belongs to; ``story_links`` holds the canonical URLs its
``related`` list names, so that "who names me?" is one indexed look-up.

The refresh keeps them in step inside its own transaction: ``forget`` runs as
articles are deleted (noting their dates and stories in ``story_changes``), and
``update`` runs once the new articles are in. Clusters are placed in date
order, each article only by the articles within the window before it, so a
change at one date is re-placed from there forward until the placements agree
with the stored ones for a whole window; then the stories the changed clusters
touch are joined again. A first fill, or a large batch of changes, groups the
whole catalogue at once instead.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from itertools import islice
from typing import Any

from newscat.fields import FRONT_MATTER, REGISTRY, RELATED_KEY
from newscat.stories.grouping import (
    DEFAULT_WINDOW,
    Assignment,
    Clusterer,
    Placed,
    StoryItem,
    instant,
    join,
    order,
    story_item,
)

#: Bump when grouping changes, so that stored stories are rebuilt.
STORIES_VERSION = "5"
_META_KEY = "stories"
#: Above this many new articles (or a tenth of the catalogue), grouping everything at
#: once is cheaper than placing them one date range at a time.
BULK_MIN = 2000
#: Rows written per statement when the whole catalogue is grouped.
_BATCH = 2000
_ISO = "%Y-%m-%dT%H:%M:%SZ"

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
    cluster TEXT NOT NULL,          -- the id of the first article of its near-duplicates
    cluster_date TEXT,              -- and that article's date
    story TEXT NOT NULL,            -- the id of the story's earliest article
    coverage INTEGER NOT NULL,      -- distinct providers in the story
    size INTEGER NOT NULL           -- articles in the story
);
CREATE TABLE IF NOT EXISTS story_links (
    url TEXT NOT NULL,
    article INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS story_changes (
    date TEXT,                      -- a removed article's date
    story TEXT NOT NULL,            -- and its story, to be joined again
    id TEXT NOT NULL,               -- its id and what grouping read of it (``_fingerprint``):
    fingerprint TEXT NOT NULL,      -- the same article back unchanged keeps its place
    cluster TEXT NOT NULL,
    cluster_date TEXT,
    coverage INTEGER NOT NULL,
    size INTEGER NOT NULL
);
"""

#: Built after the rows when the whole catalogue is grouped at once (a sort each,
#: much faster than keeping them up row by row).
#: Built last by ``rebuild``, once the stories are known.
_BY_STORY = "CREATE INDEX IF NOT EXISTS story_items_story ON story_items(story)"
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS story_items_url ON story_items(canonical_url)",
    "CREATE INDEX IF NOT EXISTS story_items_date ON story_items(date)",
    _BY_STORY,
    "CREATE INDEX IF NOT EXISTS story_items_cluster ON story_items(cluster)",
    "CREATE INDEX IF NOT EXISTS story_links_url ON story_links(url)",
    "CREATE INDEX IF NOT EXISTS story_links_article ON story_links(article)",
)
SCHEMA += "".join(f"{statement};\n" for statement in _INDEXES)

_ITEM_COLUMNS = "article, id, date, provider, canonical_url, related, title_words, text_words"
#: What grouping reads of each article: these fields, and the front matter's related list.
_SOURCE_FIELDS = (
    REGISTRY["id"], REGISTRY["date"], REGISTRY["title"], REGISTRY["excerpt"],
    REGISTRY["provider"], REGISTRY["domain"], REGISTRY["url"],
)  # fmt: skip
_SOURCE_SQL = (
    f"SELECT rowid, {', '.join(spec.stored_name for spec in _SOURCE_FIELDS)}, "
    # json_quote: a scalar (related: "see also") comes back as JSON text too.
    f"json_quote(json_extract({REGISTRY[FRONT_MATTER].stored_name}, '$.{RELATED_KEY}')) "
    "FROM articles"
)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables an index from before stories lacks (inside the caller's
    transaction); tables of an older grouping are replaced (stories are rebuilt)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(story_items)")}
    if columns and "cluster" not in columns:
        for table in ("story_items", "story_links", "story_changes"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("DELETE FROM meta WHERE key = ?", (_META_KEY,))
    changes = {row[1] for row in conn.execute("PRAGMA table_info(story_changes)")}
    if changes and "fingerprint" not in changes:  # empty between refreshes: made anew
        conn.execute("DROP TABLE story_changes")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def reset(conn: sqlite3.Connection) -> None:
    """Forget every story (the articles are being re-read from scratch)."""
    ensure_schema(conn)
    for table in ("story_items", "story_links", "story_changes"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM meta WHERE key = ?", (_META_KEY,))


def ready(conn: sqlite3.Connection) -> bool:
    """Whether the stored stories were built by this grouping."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_META_KEY,)).fetchone()
    return row is not None and row[0] == STORIES_VERSION


def forget(conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
    """These articles are about to go: drop their rows, note their dates and stories."""
    if not rowids or not ready(conn):
        return
    marks = ",".join("?" * len(rowids))
    rows = conn.execute(
        f"SELECT {_ITEM_COLUMNS}, cluster, cluster_date, story, coverage, size "
        f"FROM story_items WHERE article IN ({marks})",
        list(rowids),
    ).fetchall()
    conn.executemany(
        "INSERT INTO story_changes(date, story, id, fingerprint, cluster, cluster_date, "
        "coverage, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (row[2], row[10], row[1], _fingerprint(row[1:8]), *row[8:10], *row[11:13])
            for row in rows
        ],
    )
    conn.execute(f"DELETE FROM story_items WHERE article IN ({marks})", list(rowids))
    conn.execute(f"DELETE FROM story_links WHERE article IN ({marks})", list(rowids))


def update(conn: sqlite3.Connection, first_new: int, window: timedelta = DEFAULT_WINDOW) -> None:
    """Place the articles with ``rowid >= first_new``, and those a removal touched.

    Placing is re-run from the earliest changed date forward, with the articles
    in the window before it as context, until a whole window of placements
    agrees with the stored ones (each placement depends only on the window
    before it, so everything later agrees too). The stories of every article
    whose cluster changed, of the removed articles and of the new ones are then
    joined again from their clusters and links.
    """
    ensure_schema(conn)
    if not ready(conn):
        rebuild(conn, window)
        return
    new = int(
        conn.execute("SELECT count(*) FROM articles WHERE rowid >= ?", (first_new,)).fetchone()[0]
    )
    total = int(conn.execute("SELECT count(*) FROM story_items").fetchone()[0])
    if new >= max(BULK_MIN, total // 10):
        rebuild(conn, window)
        return
    items, gone = _unchanged_kept(conn, list(_read_articles(conn, "WHERE rowid >= ?", [first_new])))
    if not items and not gone:
        return
    _insert_alone(conn, items)
    # Only dated articles are placed among others; an undated one is a cluster of its own.
    dates = [date for date, _ in gone if date and instant(date)] + [
        item.date for item in items if item.date and instant(item.date)
    ]
    moved = _replace(conn, dates, window)
    _rejoin(
        conn,
        [item.key for item in items] + moved,
        [story for _, story in gone],
    )


def _unchanged_kept(
    conn: sqlite3.Connection, items: list[StoryItem]
) -> tuple[list[StoryItem], list[tuple[str | None, str]]]:
    """Store the new articles that came back as they went (a new body, say: what
    grouping reads is the same) with their old place and story. The other new
    articles, and the (date, story) of the removed ones that did not come back."""
    before: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in conn.execute(
        "SELECT id, fingerprint, date, story, cluster, cluster_date, coverage, size "
        "FROM story_changes"
    ):
        before.setdefault((row[0], row[1]), []).append(row[2:])
    conn.execute("DELETE FROM story_changes")
    kept: dict[int, tuple[Placed, Assignment]] = {}
    for item in items:
        same = before.get((item.id, _fingerprint(_item_values(item)[1:8])))
        if same:
            _, story, cluster, cluster_date, coverage, size = same.pop()
            kept[item.key] = (Placed(cluster, cluster_date), Assignment(story, coverage, size))
    _insert(conn, [item for item in items if item.key in kept], kept)
    gone = [(row[0], row[1]) for rows in before.values() for row in rows]
    return [item for item in items if item.key not in kept], gone


def _fingerprint(values: Sequence[Any]) -> str:
    """What grouping reads of an article, as its ``story_items`` row holds it (id, date,
    provider, canonical URL, related URLs, title words, text words), in one string."""
    return "\x1f".join("\x1e" if value is None else str(value) for value in values)


def _insert_alone(conn: sqlite3.Connection, items: Sequence[StoryItem]) -> None:
    """Store articles each in a cluster and a story of its own (until placed)."""
    _insert(conn, items, {item.key: (_placed_alone(item), _alone(item)) for item in items})


def _placed_alone(item: StoryItem) -> Placed:
    return Placed(item.id, item.date)


def _alone(item: StoryItem) -> Assignment:
    return Assignment(item.id, 1, 1)


def _replace(conn: sqlite3.Connection, dates: Sequence[str], window: timedelta) -> list[int]:
    """Place again the articles from each changed date on; the keys whose cluster
    changed. Changes far apart are placed apart: what lies between them, placed as
    before, is not read (100 changes spread over a catalogue read a few windows each,
    not the whole catalogue)."""
    pending = sorted(set(dates))
    moved: list[int] = []
    while pending:
        keys, settled = _replace_from(conn, pending, window)
        moved += keys
        if settled is None:
            break
        pending = [date for date in pending if date > settled]
    return moved


def _replace_from(
    conn: sqlite3.Connection, dates: Sequence[str], window: timedelta
) -> tuple[list[int], str | None]:
    """Place again from ``dates[0]`` on, until the placements agree with the stored ones
    for a whole window after the last change met (one of ``dates``, or an article
    placed anew); store them. The keys placed anew, and the date from which the
    stored placements stand (None: the end of the catalogue was reached)."""
    first = dates[0]
    changes = [moment for moment in map(instant, dates) if moment is not None]
    low = _shift(first, -window)
    span = 2 * window
    while True:
        high = _shift(first, span)
        context = _load_placed(conn, "date >= ? AND date < ?", [low, first])
        todo = _load_placed(conn, "date >= ? AND date <= ?", [first, high])
        todo.sort(key=lambda pair: order(pair[0]))
        clusterer = Clusterer([item for item, _ in context + todo], window)
        for item, placed in sorted(context, key=lambda pair: order(pair[0])):
            clusterer.seed(item, placed)
        barrier = changes[0]
        met = 0  # the changes passed so far
        moved: list[tuple[int, Placed]] = []
        settled: str | None = None
        for item, stored in todo:
            moment = item.moment
            if moment is not None:
                while met < len(changes) and changes[met] <= moment:
                    barrier = max(barrier, changes[met])
                    met += 1
                if moment > barrier + window:
                    settled = item.date
                    break
            placed = clusterer.place(item)
            if placed != stored:
                moved.append((item.key, placed))
                if moment is not None and moment > barrier:
                    barrier = moment
        more = conn.execute("SELECT 1 FROM story_items WHERE date > ? LIMIT 1", [high]).fetchone()
        if settled is not None or more is None:
            break
        span *= 4  # placements still differed at the end of what was read: read further
    conn.executemany(
        "UPDATE story_items SET cluster = ?, cluster_date = ? WHERE article = ?",
        [(placed.cluster, placed.start, key) for key, placed in moved],
    )
    return [key for key, _ in moved], settled


def _rejoin(conn: sqlite3.Connection, keys: Sequence[int], stories: Sequence[str]) -> None:
    """Join again the stories of these articles and these stories, and all they link to."""
    seen: dict[int, tuple[StoryItem, Placed, str]] = {}
    frontier = _load_joined(conn, "article", list(keys)) + _load_joined(conn, "story", stories)
    frontier += _load_joined(
        conn, "story", [row[2] for row in frontier if row[2] not in set(stories)]
    )
    while frontier:
        fresh = [row for row in frontier if row[0].key not in seen]
        for row in fresh:
            seen[row[0].key] = row
        if not fresh:
            break
        urls = [row[0].url for row in fresh if row[0].url is not None]
        named = [url for row in fresh for url in row[0].related]
        frontier = (
            _load_joined(conn, "cluster", [row[1].cluster for row in fresh])
            + _load_joined(conn, "canonical_url", urls + named)
            + _load_joined(
                conn, "article", _column(conn, "SELECT article FROM story_links", "url", urls)
            )
        )
    pool = [item for item, _, _ in seen.values()]
    found = join(pool, {item.key: placed for item, placed, _ in seen.values()})
    conn.executemany(
        "UPDATE story_items SET story = ?, coverage = ?, size = ? WHERE article = ?",
        [(a.story, a.coverage, a.size, key) for key, a in found.items()],
    )


def rebuild(conn: sqlite3.Connection, window: timedelta = DEFAULT_WINDOW) -> None:
    """Group the whole catalogue at once, in three passes over the tables, each holding
    about one window of articles (memory does not grow with the catalogue): every
    article's words are stored, placed alone; the clusters are placed in date order;
    the stories are joined from clusters, URLs and links, by sorting in SQLite."""
    ensure_schema(conn)
    for table in ("story_items", "story_links", "story_changes"):
        conn.execute(f"DELETE FROM {table}")
    for statement in _INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {statement.split()[5]}")
    frequency = _store_alone(conn)
    _place_all(conn, window, frequency)
    for statement in _INDEXES:
        if statement != _BY_STORY:
            conn.execute(statement)
    _join_all(conn)
    conn.execute(_BY_STORY)
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_META_KEY, STORIES_VERSION)
    )


def _store_alone(conn: sqlite3.Connection) -> Counter[str]:
    """Store every article's grouping row, placed alone; how many titles have each word."""
    frequency: Counter[str] = Counter()
    batch: list[StoryItem] = []
    for item in _read_articles(conn, "", []):
        frequency.update(item.title_words)
        batch.append(item)
        if len(batch) >= _BATCH:
            _insert_alone(conn, batch)
            batch = []
    _insert_alone(conn, batch)
    return frequency


#: The order articles are placed in and a story's first article is chosen by (as
#: ``grouping.order``, then the order they were read in).
_IN_ORDER = "ORDER BY s.date IS NULL, s.date, s.id, s.article"


def _place_all(conn: sqlite3.Connection, window: timedelta, frequency: Counter[str]) -> None:
    """Place every article in its cluster, in date order."""
    clusterer = Clusterer((), window, frequency)
    moved: list[tuple[str, str | None, int]] = []
    # The sort is SQLite's, spilling to disk: all rows are sorted before the first
    # comes back, so the updates below cannot disturb the reading.
    for row in conn.execute(f"SELECT {_ITEM_COLUMNS} FROM story_items AS s {_IN_ORDER}"):
        item = _item(row)
        placed = clusterer.place(item)
        if placed != _placed_alone(item):
            moved.append((placed.cluster, placed.start, item.key))
            if len(moved) >= _BATCH:
                _move(conn, moved)
                moved = []
    _move(conn, moved)


def _move(conn: sqlite3.Connection, moved: list[tuple[str, str | None, int]]) -> None:
    conn.executemany(
        "UPDATE story_items SET cluster = ?, cluster_date = ? WHERE article = ?", moved
    )


def _join_all(conn: sqlite3.Connection) -> None:
    """Join every cluster into stories (as ``grouping.join``): clusters that share a
    canonical URL, or that one's ``related`` names, are one story. Union-find over
    arrays of article numbers; the pairs to join come from sorted reads."""
    keys = array(
        "q", (row[0] for row in conn.execute("SELECT article FROM story_items ORDER BY article"))
    )
    parent = array("q", range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in _pairs(conn):
        root_a, root_b = find(bisect_left(keys, a)), find(bisect_left(keys, b))
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    _store_stories(conn, ((keys[i], find(i)) for i in range(len(keys))))


def _pairs(conn: sqlite3.Connection) -> Iterator[tuple[int, int]]:
    """Articles of one story, two at a time: of one cluster, of one canonical URL, and
    one whose ``related`` names the other's URL."""
    for column in ("cluster", "canonical_url"):
        previous: tuple[Any, int] | None = None
        for value, key in conn.execute(
            f"SELECT {column}, article FROM story_items WHERE {column} IS NOT NULL "
            f"ORDER BY {column}"
        ):
            if previous is not None and previous[0] == value:
                yield previous[1], key
            previous = (value, key)
    yield from conn.execute(
        "SELECT l.article, s.article FROM story_links AS l "
        "JOIN story_items AS s ON s.canonical_url = l.url"
    )


def _store_stories(conn: sqlite3.Connection, roots: Iterator[tuple[int, int]]) -> None:
    """Store each article's story from ``(article, one article of its story)``: the
    story is named after its first article in order, and counts its providers."""
    conn.execute("CREATE TEMP TABLE story_join (article INTEGER PRIMARY KEY, root INTEGER)")
    conn.execute("CREATE TEMP TABLE story_first (root INTEGER PRIMARY KEY, story TEXT)")
    conn.execute(
        "CREATE TEMP TABLE story_sized (root INTEGER PRIMARY KEY, coverage INTEGER, size INTEGER)"
    )
    try:
        while batch := list(islice(roots, _BATCH)):
            conn.executemany("INSERT INTO story_join(article, root) VALUES (?, ?)", batch)
        conn.execute(
            "INSERT OR IGNORE INTO story_first(root, story) SELECT j.root, s.id "
            f"FROM story_items AS s JOIN story_join AS j ON j.article = s.article {_IN_ORDER}"
        )
        conn.execute(
            "INSERT INTO story_sized(root, coverage, size) "
            "SELECT j.root, max(1, count(DISTINCT s.provider)), count(*) "
            "FROM story_items AS s JOIN story_join AS j ON j.article = s.article GROUP BY j.root"
        )
        conn.execute(
            "UPDATE story_items SET (story, coverage, size) = ("
            "SELECT f.story, z.coverage, z.size FROM story_join AS j "
            "JOIN story_first AS f ON f.root = j.root JOIN story_sized AS z ON z.root = j.root "
            "WHERE j.article = story_items.article)"
        )
    finally:
        for table in ("story_join", "story_first", "story_sized"):
            conn.execute(f"DROP TABLE temp.{table}")


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
    found: dict[int, tuple[Placed, Assignment]],
) -> None:
    rows: list[tuple[Any, ...]] = []
    links: list[tuple[str, int]] = []
    for item in items:
        placed, story = found[item.key]
        rows.append(
            (*_item_values(item), placed.cluster, placed.start, story.story, story.coverage,
             story.size)
        )  # fmt: skip
        links.extend((url, item.key) for url in item.related)
    conn.executemany(
        f"INSERT OR REPLACE INTO story_items({_ITEM_COLUMNS}, cluster, cluster_date, story, "
        "coverage, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO story_links(url, article) VALUES (?, ?)", links)


def _item_values(item: StoryItem) -> tuple[Any, ...]:
    """The values of ``_ITEM_COLUMNS`` for an item, as ``story_items`` stores them."""
    return (
        item.key, item.id, item.date, item.provider, item.url, "\n".join(item.related),
        " ".join(sorted(item.title_words)), " ".join(sorted(item.text_words)),
    )  # fmt: skip


def _item(row: Sequence[Any]) -> StoryItem:
    key, id_, date, provider, url, related, title, text = row[:8]
    return StoryItem(
        key=key,
        id=id_,
        date=date,
        provider=provider,
        url=url,
        related=tuple(related.split("\n")) if related else (),
        title_words=frozenset(title.split()),
        text_words=frozenset(text.split()),
    )


def _load_placed(
    conn: sqlite3.Connection, where: str, params: list[Any]
) -> list[tuple[StoryItem, Placed]]:
    return [
        (_item(row), Placed(row[8], row[9]))
        for row in conn.execute(
            f"SELECT {_ITEM_COLUMNS}, cluster, cluster_date FROM story_items WHERE {where}",
            params,
        )
    ]


def _load_joined(
    conn: sqlite3.Connection, column: str, values: Sequence[Any]
) -> list[tuple[StoryItem, Placed, str]]:
    out: list[tuple[StoryItem, Placed, str]] = []
    for batch in _chunks(sorted(set(values)), 400):
        marks = ",".join("?" * len(batch))
        out.extend(
            (_item(row), Placed(row[8], row[9]), row[10])
            for row in conn.execute(
                f"SELECT {_ITEM_COLUMNS}, cluster, cluster_date, story FROM story_items "
                f"WHERE {column} IN ({marks})",
                list(batch),
            )
        )
    return out


def _column(conn: sqlite3.Connection, select: str, column: str, values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for batch in _chunks(sorted(set(values)), 400):
        marks = ",".join("?" * len(batch))
        out.extend(row[0] for row in conn.execute(f"{select} WHERE {column} IN ({marks})", batch))
    return out


def _shift(date: str, span: timedelta) -> str:
    moment = instant(date)
    return date if moment is None else (moment + span).strftime(_ISO)


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
