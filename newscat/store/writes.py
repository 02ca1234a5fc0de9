"""The index's writes: what the refresh runs (the stored stamps it compares the walk
with, and its writes in bulk, one batch of read files at a time; newscat.refresh
decides what to read, this module how it is stored), and the full-text index's
first fill."""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from newscat.catalog import folder_of
from newscat.fields import BODY_SQL, STORED_FIELDS
from newscat.model import Problem
from newscat.store import stories
from newscat.store.cache import record_roots
from newscat.store.schema import (
    ARTICLE_COLUMNS,
    BUSY_SECONDS,
    FULLTEXT_BUILT,
    ID_PART_COLUMNS,
    RACY_MTIME,
    ArticleRow,
    ProblemRow,
    meta,
    problem_row,
    secondary_indexes,
    set_meta,
)

_INSERT_ARTICLE = (
    f"INSERT INTO articles(rowid, root, {ARTICLE_COLUMNS}, {ID_PART_COLUMNS}) "
    f"VALUES ({','.join('?' * (4 + len(STORED_FIELDS)))})"
)
_FULLTEXT_BATCH = 2000
_INSERT_PROBLEM = (
    "INSERT INTO problems(path, severity, code, message, line, col) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_TEXT = "INSERT INTO fts(rowid, title, excerpt, body) VALUES (?, ?, ?, ?)"
_STORED_NAMES = [spec.stored_name for spec in STORED_FIELDS]
#: Where title and excerpt (with the body, what the full-text index holds) sit in an
#: article's row (``article_row``).
_TITLE, _EXCERPT = (_STORED_NAMES.index(name) for name in ("title", "excerpt"))

#: The files table's row of a file read: (path, root, id, size, mtime_ns).
FileRow = tuple[str, str, str, int, int]


# --- what the walk is compared with -----------------------------------------------------


def folder_stamps(conn: sqlite3.Connection, folder: str) -> list[tuple[Any, ...]]:
    """(path, size, mtime_ns) of every stored file in a folder."""
    return conn.execute(
        "SELECT path, size, mtime_ns FROM files WHERE dir = ?", (folder,)
    ).fetchall()


def folders_stamps(
    conn: sqlite3.Connection, folders: Sequence[str]
) -> dict[str, list[tuple[Any, ...]]]:
    """(path, size, mtime_ns) of every stored file in each of ``folders`` (at most
    999 of them: SQLite's oldest limit of bound values), by folder."""
    marks = ",".join("?" * len(folders))
    found: dict[str, list[tuple[Any, ...]]] = {}
    for folder, path, size, mtime_ns in conn.execute(
        f"SELECT dir, path, size, mtime_ns FROM files WHERE dir IN ({marks})", list(folders)
    ):
        found.setdefault(folder, []).append((path, size, mtime_ns))
    return found


def path_stamps(conn: sqlite3.Connection, paths: Sequence[str]) -> list[tuple[Any, ...]]:
    """(path, size, mtime_ns) of those of ``paths`` the index holds."""
    marks = ",".join("?" * len(paths))
    return conn.execute(
        f"SELECT path, size, mtime_ns FROM files WHERE path IN ({marks})", list(paths)
    ).fetchall()


def tree_sizes(conn: sqlite3.Connection, folders: Sequence[str]) -> list[tuple[int, int]]:
    """How many files, and how many folders holding files, the index has in each of
    ``folders`` and the folders below it."""
    sizes = []
    for folder in folders:
        rows = conn.execute(
            # Two ranges of the folders' index (an OR of them reads far more).
            "SELECT count(*), count(DISTINCT dir) FROM files WHERE dir = ? UNION ALL "
            "SELECT count(*), count(DISTINCT dir) FROM files WHERE dir > ? AND dir < ?",
            (folder, folder + "/", folder + "0"),  # "0" is the character after "/"
        ).fetchall()
        sizes.append((sum(row[0] for row in rows), sum(row[1] for row in rows)))
    return sizes


def reopened(conn: sqlite3.Connection) -> sqlite3.Connection | None:
    """A new connection to the index file ``conn`` reads (None for one in memory): for a
    forked process, which must not use a connection opened before the fork."""
    path = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()
    if not path or not path[0]:
        return None
    return sqlite3.connect(path[0], timeout=BUSY_SECONDS, isolation_level=None)


def stored_hash(conn: sqlite3.Connection, path: str) -> str | None:
    digest = conn.execute("SELECT hash FROM files WHERE path = ?", (path,))
    return digest.fetchone()[0]  # type: ignore[no-any-return]


#: The stored folders, each found by one seek in the folders' index from the one before
#: (a few seeks instead of reading every file's entry, where folders hold many files).
_FOLDER_SEEKS = (
    "WITH RECURSIVE d(dir) AS (SELECT min(dir) FROM files UNION ALL "
    "SELECT (SELECT min(f.dir) FROM files AS f WHERE f.dir > d.dir) FROM d "
    "WHERE d.dir IS NOT NULL) SELECT dir FROM d WHERE dir IS NOT NULL"
)


def stored_folders(conn: sqlite3.Connection, seek: bool = False) -> list[str]:
    """Every folder that holds a stored file; with ``seek``, found folder by folder
    (faster where folders hold many files each, slower where they hold one or two)."""
    sql = _FOLDER_SEEKS if seek else "SELECT DISTINCT dir FROM files"
    return [row[0] for row in conn.execute(sql).fetchall()]


def few_folders(conn: sqlite3.Connection, most: int) -> list[str] | None:
    """Every folder that holds a stored file, in order, found by seeking (see
    ``stored_folders``); None when there are more than ``most``."""
    found = conn.execute(f"{_FOLDER_SEEKS} LIMIT ?", (most + 1,)).fetchall()
    return None if len(found) > most else [row[0] for row in found]


def folder_paths(conn: sqlite3.Connection, folder: str) -> list[str]:
    gone = conn.execute("SELECT path FROM files WHERE dir = ?", (folder,))
    return [row[0] for row in gone.fetchall()]


def walk_problem_count(conn: sqlite3.Connection) -> int:
    """How many stored problems belong to no file (the walk's own)."""
    return int(
        conn.execute(
            "SELECT count(*) FROM problems WHERE path NOT IN (SELECT path FROM files)"
        ).fetchone()[0]
    )


def is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None


def has_articles(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is not None


def data_version(conn: sqlite3.Connection) -> int:
    """A number that changes whenever another connection commits to the database."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def next_rowid(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM articles").fetchone()[0])


# --- writes -------------------------------------------------------------------------------


def forget_stamps(conn: sqlite3.Connection) -> None:
    """Make every file read again (as changed): each stored stamp and hash is set to
    one no file has."""
    conn.execute("UPDATE files SET mtime_ns = ?, hash = NULL", (RACY_MTIME,))


def empty(conn: sqlite3.Connection) -> None:
    """Forget every file, article and problem (a rebuild)."""
    conn.execute("DELETE FROM fts")
    for table in ("articles", "topics", "provider_names", "files", "problems"):
        conn.execute(f"DELETE FROM {table}")
    stories.reset(conn)


#: meta: "one" when the articles of one refresh await their arrival times, "several" when
#: those of more than one may (a recording never ran): then all are looked at.
ARRIVALS_PENDING = "arrivals_pending"


def arrivals_pending(conn: sqlite3.Connection) -> None:
    """Note, with the articles just stored, that their arrival times are yet to come."""
    state = "one" if meta(conn, ARRIVALS_PENDING) is None else "several"
    set_meta(conn, ARRIVALS_PENDING, state)


def drop_indexes(conn: sqlite3.Connection, files: bool = False) -> None:
    """Drop the secondary indexes before filling an empty index (``build_indexes`` after);
    with ``files``, the files table's too (nothing is compared while it fills)."""
    for statement in secondary_indexes(files):
        conn.execute(f"DROP INDEX {statement.split()[5]}")


def build_indexes(conn: sqlite3.Connection, files: bool = False) -> None:
    for statement in secondary_indexes(files):
        conn.execute(statement)


@dataclass
class Batch:
    """One batch of read files, as rows for each table, made where the files were read
    (a worker process), so that the writer has next to nothing to do per file. An
    article's rowid is given only as the batch is stored (``write_batch``): until then
    its topics, provider names and text hold its place among the batch's articles."""

    #: (size, mtime_ns, path) of files whose content did not change.
    stats: list[tuple[int, int, str]] = field(default_factory=list)
    #: Paths whose old article, topics, provider names and problems go before the new
    #: ones come in.
    replaced: list[str] = field(default_factory=list)
    #: Rows of the files table: (path, root, id, size, mtime_ns, dir, hash, status).
    files: list[tuple[Any, ...]] = field(default_factory=list)
    #: Rows of the articles table, less the rowid: (root, *article_row's columns).
    articles: list[tuple[Any, ...]] = field(default_factory=list)
    #: (place, topic as written, casefolded).
    topics: list[tuple[int, str, str]] = field(default_factory=list)
    #: (place, casefolded name, name as written), of a provider of several names.
    provider_names: list[tuple[int, str, str]] = field(default_factory=list)
    #: (place, title, excerpt, body): the full-text index's rows, when it is built.
    texts: list[tuple[int, str | None, str | None, str | None]] = field(default_factory=list)
    #: Rows of the problems table: files that are not articles, and articles' warnings.
    problems: list[ProblemRow] = field(default_factory=list)

    def add_file(self, row: FileRow, digest: str | None, ok: bool) -> None:
        # One object per folder, which crosses back from a worker once per batch.
        folder = sys.intern(folder_of(row[0]))
        self.files.append((*row, folder, digest, "ok" if ok else "error"))

    def add_article(self, root: str, stored: ArticleRow, fulltext: bool) -> None:
        row, topics, warnings, body, names = stored
        place = len(self.articles)
        self.articles.append((root, *row))
        if fulltext:
            self.texts.append((place, row[_TITLE], row[_EXCERPT], body))
        if topics:  # (most articles have none: then no generator)
            self.topics.extend((place, t, t.casefold()) for t in topics)
        if names:  # a provider of several names (most have one: then nothing to do)
            spelled: dict[str, str] = {}
            for name in names:
                spelled.setdefault(name.casefold(), name)
            self.provider_names.extend((place, key, name) for key, name in spelled.items())
        self.problems.extend(warnings)

    def add_problem(self, problem: Problem) -> None:
        self.problems.append(problem_row(problem))


def write_batch(conn: sqlite3.Connection, batch: Batch, fulltext: bool, first_rowid: int) -> None:
    """Store a batch, its articles with rowids from ``first_rowid`` on, in order (its
    full-text rows too when ``fulltext``, the index being built)."""
    conn.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", batch.stats)
    delete_paths(conn, batch.replaced, files=False, fulltext=fulltext)
    conn.executemany(
        _INSERT_ARTICLE, [(first_rowid + at, *row) for at, row in enumerate(batch.articles)]
    )
    if fulltext:
        conn.executemany(_INSERT_TEXT, _placed(batch.texts, first_rowid))
    conn.executemany(
        "INSERT INTO topics(article, topic, key) VALUES (?, ?, ?)",
        _placed(batch.topics, first_rowid),
    )
    if batch.provider_names:
        conn.executemany(
            "INSERT INTO provider_names(article, key, name) VALUES (?, ?, ?)",
            _placed(batch.provider_names, first_rowid),
        )
    conn.executemany(_INSERT_PROBLEM, batch.problems)
    conn.executemany(
        "INSERT OR REPLACE INTO files(path, root, id, size, mtime_ns, dir, hash, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        batch.files,
    )


def _placed(rows: Sequence[tuple[Any, ...]], first_rowid: int) -> list[tuple[Any, ...]]:
    """Rows led by an article's place among its batch's, led by its rowid instead."""
    return [(first_rowid + place, *rest) for place, *rest in rows]


def remove_files(
    conn: sqlite3.Connection, paths: Sequence[str], fulltext: bool
) -> list[tuple[str, str]]:
    """Forget files that are gone; returns (path, id) of each, by path."""
    removed: list[tuple[str, str]] = []
    for batch in chunks(paths, 500):
        marks = ",".join("?" * len(batch))
        removed.extend(
            conn.execute(f"SELECT path, id FROM files WHERE path IN ({marks}) ORDER BY path", batch)
        )
        delete_paths(conn, batch, files=True, fulltext=fulltext)
    return removed


def replace_walk_problems(conn: sqlite3.Connection, problems: Iterable[Problem]) -> None:
    """Forget the problems of files no longer stored and of the last walk; store this walk's."""
    conn.execute("DELETE FROM problems WHERE path NOT IN (SELECT path FROM files)")
    insert_problems(conn, problems)


def finish(conn: sqlite3.Connection, roots: Sequence[str], fingerprint: str) -> None:
    """Note the roots, the catalogues' choice of keys and when the refresh ran."""
    record_roots(conn, roots)
    set_meta(conn, "fields", fingerprint)
    set_meta(conn, "last_refresh", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def fill_fulltext(
    conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None
) -> None:
    """Build the full-text index from every article (titles, excerpts, and bodies read
    from their files), in batches, each counted to ``progress``; then mark it built."""
    conn.execute("DELETE FROM fts")
    low, high, total = conn.execute(
        "SELECT coalesce(min(rowid), 1), coalesce(max(rowid), 0), count(*) FROM articles"
    ).fetchone()
    done = 0
    for start in range(low, high + 1, _FULLTEXT_BATCH):
        done += conn.execute(
            "INSERT INTO fts(rowid, title, excerpt, body) SELECT rowid, title, "
            f"excerpt, {BODY_SQL} FROM articles AS a WHERE rowid BETWEEN ? AND ?",
            (start, start + _FULLTEXT_BATCH - 1),
        ).rowcount
        if progress is not None:
            progress(done, max(total, done))
    set_meta(conn, "fulltext", FULLTEXT_BUILT)


def insert_problems(conn: sqlite3.Connection, problems: Iterable[Problem]) -> None:
    conn.executemany(_INSERT_PROBLEM, [problem_row(problem) for problem in problems])


def delete_paths(
    conn: sqlite3.Connection, paths: Sequence[str], files: bool, fulltext: bool
) -> None:
    """Forget what the index holds for these paths (the file rows too, when ``files``;
    their full-text entries when ``fulltext``, the full-text index being built)."""
    for batch in chunks(paths, 500):
        marks = ",".join("?" * len(batch))
        rowids = [
            row[0]
            for row in conn.execute(f"SELECT rowid FROM articles WHERE path IN ({marks})", batch)
        ]
        if rowids:  # their text, topics, provider names and story rows go with them
            stories.forget(conn, rowids)
            held = ",".join("?" * len(rowids))
            if fulltext:
                conn.execute(f"DELETE FROM fts WHERE rowid IN ({held})", rowids)
            conn.execute(f"DELETE FROM topics WHERE article IN ({held})", rowids)
            conn.execute(f"DELETE FROM provider_names WHERE article IN ({held})", rowids)
            conn.execute(f"DELETE FROM articles WHERE rowid IN ({held})", rowids)
        conn.execute(f"DELETE FROM problems WHERE path IN ({marks})", batch)
        if files:
            conn.execute(f"DELETE FROM files WHERE path IN ({marks})", batch)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
