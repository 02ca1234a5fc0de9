"""The index's schema, written once: its tables, the connection that lays them out,
and how an Article maps to a row of ``articles`` and back."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import operator
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newscat.catalog import text_path
from newscat.fields import FRONT_MATTER, MISSING_WARNINGS, STORED_FIELDS
from newscat.handles import id_suffix
from newscat.model import Article, Problem
from newscat.store import stories
from newscat.store.cache import record_roots
from newscat.store.sqlfunctions import register as register_functions
from newscat.store.transactions import when_unlocked, write_transaction

#: Raised with every change to the tables below (a stored field of the registry added,
#: removed or retyped included): an index of another version is rebuilt.
SCHEMA_VERSION = 15
#: The page size, in bytes, of an index filled with many articles at once.
LARGE_PAGES = 16384
#: At most how many pages an index may have to be laid out again in large pages: an
#: empty one has a few dozen.
_NEARLY_EMPTY_PAGES = 256
#: The part of an id after its last "_" (the whole id when it has none) and its last
#: path segment, stored beside the id by the writer and indexed, so that the REF rules
#: and handles never scan every id. (Indexes on SQL expressions for them cost a sixth of
#: a cold index of a real site: SQLite's rtrim with a set of characters is quadratic.)
_ID_INDEXES = (
    "CREATE INDEX IF NOT EXISTS articles_suffix ON articles(id_suffix)",
    "CREATE INDEX IF NOT EXISTS articles_leaf ON articles(id_leaf)",
)
#: In-place upgrades from older schema versions; any other version is rebuilt.
#: Version 9 keeps no bodies (the files hold them; the full-text index keeps its own
#: copy once built), so what older versions stored is read again: none is upgraded.
#: Version 10 stores the parts of each id the REF rules index (``id_parts``); version
#: 11 stores no warning it can derive (``MISSING_WARNINGS``); version 12 the names of a
#: provider written as a list (``provider_names``), which only a new reading gives;
#: version 13 each of those names as written too (for completion), likewise; version 14
#: hashes contents with SHA-1, which the hashes stored before would not match; version
#: 15 stores "" as the part after the last "_" of an id without one, not the whole id.
_UPGRADES: dict[int, str] = {14: "UPDATE articles SET id_suffix = '' WHERE instr(id, '_') = 0;"}
#: How long a command waits for another process's refresh to finish.
BUSY_SECONDS = 600.0
#: meta 'fulltext' holds this once the full-text index is built and kept in step.
FULLTEXT_BUILT = "built"
#: The modification time stored for a file to be read again next time: one no file has.
RACY_MTIME = -1

#: Secondary indexes, kept apart because filling an empty index drops them and builds
#: them once at the end (a sort), which is much faster than row-by-row upkeep.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS problems_path ON problems(path)",
    "CREATE INDEX IF NOT EXISTS articles_id ON articles(id)",
    *_ID_INDEXES,
    "CREATE INDEX IF NOT EXISTS articles_date ON articles(date DESC, id, path)",
    "CREATE INDEX IF NOT EXISTS topics_key ON topics(key, article)",
    "CREATE INDEX IF NOT EXISTS topics_article ON topics(article)",
    "CREATE INDEX IF NOT EXISTS provider_names_key ON provider_names(key, article)",
    "CREATE INDEX IF NOT EXISTS provider_names_article ON provider_names(article)",
)

#: Covering, so that comparing a folder reads this index alone, in order. A first fill
#: compares nothing, so it builds this one at the end too.
FILES_INDEX = "CREATE INDEX IF NOT EXISTS files_dir ON files(dir, path, size, mtime_ns)"
#: In meta while the secondary indexes wait to be built: a large first fill commits its
#: rows first, then builds them in a transaction of their own (``build_waiting_indexes``)
#: while another connection records the arrivals. One stopped in between (killed, or
#: the machine down) leaves the key, and the next connection builds them.
INDEXES_WAITING = "indexes_waiting"

_STORED_DECLARATIONS = ",\n    ".join(f"{spec.stored_name} {spec.stored}" for spec in STORED_FIELDS)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    dir TEXT NOT NULL,              -- the folder, so a refresh compares one folder at a time
    hash TEXT,
    status TEXT NOT NULL            -- 'ok' or 'error'
) WITHOUT ROWID;
{FILES_INDEX};
CREATE TABLE IF NOT EXISTS problems (
    path TEXT NOT NULL,
    severity TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    line INTEGER,
    col INTEGER
);
-- One column per stored field of the registry (newscat.fields), after the root.
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    root TEXT NOT NULL,
    {_STORED_DECLARATIONS},
    id_suffix TEXT NOT NULL,            -- id_parts(id): the part after the last "_", or ""
    id_leaf TEXT NOT NULL               -- and the last path segment
);
CREATE TABLE IF NOT EXISTS topics (
    article INTEGER NOT NULL,           -- articles.rowid
    topic TEXT NOT NULL,                -- as written
    key TEXT NOT NULL                   -- casefolded, for matching and grouping
);
-- Each name of a provider written as a list of two or more (several authors), for -p:
-- articles.provider holds them joined with ", ", and a name may hold a comma itself.
CREATE TABLE IF NOT EXISTS provider_names (
    article INTEGER NOT NULL,           -- articles.rowid
    key TEXT NOT NULL,                  -- the name casefolded (as -p folds it), each once
    name TEXT NOT NULL                  -- as written (the article's first spelling of key)
);
-- Built on the first full-text search (meta 'fulltext' = 'built'), then kept in step
-- with articles by the refresh itself (newscat.store.writes), in batches. Its rowid is
-- the article's; it keeps its own copy of the texts, the only copy of bodies in the index.
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, excerpt, body, tokenize='unicode61 remove_diacritics 2'
);
{";".join(INDEXES)};
{stories.SCHEMA}
"""

#: The stored fields' columns, in the order of ``article_row`` and ``article_from_row``.
ARTICLE_COLUMNS = ", ".join(spec.stored_name for spec in STORED_FIELDS)
#: The columns ``article_row`` gives after those: ``id_parts`` of the id.
ID_PART_COLUMNS = "id_suffix, id_leaf"

#: The parts of an id a REF may start with, as SQL over ``articles AS a`` (each indexed):
#: the id, the part after its last ``_``, its last segment.
ID_PARTS = {"id": "a.id", "suffix": "a.id_suffix", "leaf": "a.id_leaf"}


def id_parts(article_id: str) -> tuple[str, str]:
    """The parts of an id stored beside it: after its last ``_`` ("" without one), its
    last segment. An id without ``_`` (most are) would have itself as the first, which
    no REF rule needs: the rule of the id's prefixes comes first, and matches it."""
    return id_suffix(article_id), article_id.rpartition("/")[2]


def _null(value: None) -> None:
    return value


# sqlite3 binds an int, float or str as it is, but asks its adapter protocol about
# None (two failed attribute lookups per value, in Python 3.11 each raising and
# clearing an AttributeError): a cold index binds ten or so per article, a tenth of
# the writer's time. An adapter of its own is one dictionary look-up; NULL all the same.
sqlite3.register_adapter(type(None), _null)


def connect(target: str, roots: Sequence[str] = ()) -> sqlite3.Connection:
    """A connection to the index at ``target`` (a file, or ``:memory:``), laid out
    on first use; ``OtherSchema`` when another newscat laid it out."""
    conn = sqlite3.connect(
        target, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
    )
    register_functions(conn)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if target != ":memory:":
            when_unlocked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
        if version == 0:
            # A new database (or one another process is creating right now): IF NOT EXISTS
            # throughout, so that two processes creating it at once both succeed.
            conn.executescript(
                f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
            if target != ":memory:":
                record_roots(conn, roots)
        elif version in _UPGRADES:
            conn.executescript(
                f"BEGIN IMMEDIATE; {_UPGRADES[version]} PRAGMA user_version = {SCHEMA_VERSION}; "
                "COMMIT;"
            )
        elif version != SCHEMA_VERSION:
            raise OtherSchema(f"schema version {version}; this one uses {SCHEMA_VERSION}")
        # A first read of a table (not a count: that reads all of it, 60 ms at a million).
        conn.execute("SELECT 1 FROM files LIMIT 1").fetchone()
        if target != ":memory:":
            build_waiting_indexes(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def secondary_indexes(files: bool) -> tuple[str, ...]:
    """The statements that create the secondary indexes a first fill builds once at the
    end: ``INDEXES``, and with ``files`` the files table's too."""
    return (*INDEXES, FILES_INDEX) if files else INDEXES


def build_waiting_indexes(conn: sqlite3.Connection) -> None:
    """Build the secondary indexes when they wait (``INDEXES_WAITING``). The transaction
    locks only the index, not the state database attached to it (which another
    connection may be writing meanwhile)."""
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (INDEXES_WAITING,)).fetchone() is None:
        return
    with write_transaction(conn, immediate=False):
        # A write first, so the transaction reads what the last writer left: none when
        # another connection built them meanwhile.
        if not conn.execute("DELETE FROM meta WHERE key = ?", (INDEXES_WAITING,)).rowcount:
            return
        for statement in secondary_indexes(files=True):
            conn.execute(statement)


class OtherSchema(sqlite3.DatabaseError):
    """A database that another (newer, or much older) newscat laid out."""


def large_pages(conn: sqlite3.Connection) -> bool:
    """Lay out again, in pages of ``LARGE_PAGES`` bytes, an index about to be filled
    with many articles (outside the write-ahead log, where a page size cannot change);
    False when it could not be done. Its rows hold kilobytes of front matter, which fill
    large pages with less waste: the index is about a fifth smaller and faster to fill.
    A small index keeps small pages, and with them a small file and small writes."""
    if conn.execute("PRAGMA page_size").fetchone()[0] == LARGE_PAGES:
        return True
    if conn.execute("PRAGMA page_count").fetchone()[0] > _NEARLY_EMPTY_PAGES:
        return False  # filled meanwhile by another process: laying it out again would be slow
    try:
        conn.execute(f"PRAGMA page_size = {LARGE_PAGES}")
        conn.execute("VACUUM")  # nearly empty: it takes milliseconds
    except sqlite3.OperationalError:
        return False
    return bool(conn.execute("PRAGMA page_size").fetchone()[0] == LARGE_PAGES)


def journal_mode(conn: sqlite3.Connection, mode: str) -> bool:
    """Switch the journal mode; False when other connections keep it from changing."""
    try:
        row = conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()
    except sqlite3.OperationalError:
        return False
    return bool(row and str(row[0]).lower() == mode)


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(path) + suffix)


#: SQLite's result codes for a mistake in newscat's own SQL, not a state of the disk.
_SQL_MISTAKES = (1, 21, 25)  # SQLITE_ERROR, SQLITE_MISUSE, SQLITE_RANGE


def is_bug(exc: sqlite3.Error) -> bool:
    """Whether an error is newscat's own (where Python tells): no fallback would help."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQL_MISTAKES


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value of the ``meta`` table, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def delete_meta(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def fulltext_built(conn: sqlite3.Connection) -> bool:
    return meta(conn, "fulltext") == FULLTEXT_BUILT


def problem_count(conn: sqlite3.Connection) -> int:
    """How many stored problems are errors."""
    return int(conn.execute("SELECT count(*) FROM problems WHERE severity = 'error'").fetchone()[0])


#: Where the front matter sits in an article's row (``article_row``).
FRONT_MATTER_AT = [spec.name for spec in STORED_FIELDS].index(FRONT_MATTER)

#: A stored problem: (path, severity, code, message, line, col), as the table holds it.
ProblemRow = tuple[str, str, str, str, "int | None", "int | None"]
ArticleRow = tuple[
    tuple[Any, ...], tuple[str, ...], tuple[ProblemRow, ...], "str | None", tuple[str, ...]
]


def problem_row(problem: Problem) -> ProblemRow:
    """A problem as the problems table stores it (its path as text)."""
    return (
        text_path(problem.path),
        problem.severity,
        problem.code,
        problem.message,
        problem.line,
        problem.column,
    )


def article_row(article: Article, raw_name: str | None = None, body: bool = False) -> ArticleRow:
    """What the index stores for an article: its column values (in ``ARTICLE_COLUMNS``
    order, less ``root``, then ``ID_PART_COLUMNS``), its topics, its warnings' rows
    (less those the index derives, ``MISSING_WARNINGS``), its body when ``body`` (for
    the full-text index, once built), and its provider's names when it has several
    (``Article.provider_names``). Built in the worker processes, so that only flat
    tuples cross back to the writer (a real catalogue has a warning or two for nearly
    every article, and objects cost several times more to send). ``raw_name`` is the
    name's bytes as base64 when the name is not UTF-8."""
    if raw_name is not None:
        article = dataclasses.replace(article, path_bytes=raw_name)
    values = list(_STORED_VALUES(article))
    for at, to_sql in _CONVERTED_TO_SQL:
        values[at] = to_sql(article, values[at])
    row = (*values, *id_parts(article.id))
    warnings = (
        tuple(
            problem_row(problem)
            for problem in article.warnings
            if problem.code not in MISSING_WARNINGS
        )
        if article.warnings  # a worker's article has none but a few (no generator then)
        else ()
    )
    body_text = article.body if body else None
    return row, article.topics, warnings, body_text, article.provider_names


#: json.dumps(value, ensure_ascii=False), without making an encoder for every value.
_TO_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _mapping_to_sql(article: Article, value: Any) -> Any:
    return article.front_matter_json or _TO_JSON(value)


def _list_to_sql(article: Article, value: Any) -> Any:
    return "[]" if not value else _TO_JSON(list(value))  # most lists are empty


def _bool_to_sql(article: Article, value: Any) -> Any:
    return None if value is None else int(value)


#: A stored field's column value is the attribute as it is, but for lists and mappings
#: (JSON text) and bools (1/0): what each of those columns' values goes through.
_TO_SQL: dict[str, Callable[[Article, Any], Any]] = {
    "mapping": _mapping_to_sql,
    "list of text": _list_to_sql,
    "bool": _bool_to_sql,
}


def _bool_from_sql(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _list_from_sql(value: Any) -> tuple[Any, ...]:
    return () if value == "[]" else tuple(json.loads(value))


def _mapping_from_sql(value: Any) -> Any:
    # The empty one is what a listing that shows no front matter selects for every row.
    return {} if value == "{}" else json.loads(value)


_FROM_SQL: dict[str, Callable[[Any], Any]] = {
    "mapping": _mapping_from_sql,
    "list of text": _list_from_sql,
    "bool": _bool_from_sql,
}
#: The Article attribute each stored column holds, in order.
ATTRIBUTES = tuple(spec.name for spec in STORED_FIELDS)
#: Every stored attribute of an article at once, in column order (one call in C).
_STORED_VALUES = operator.attrgetter(*ATTRIBUTES)
#: (index, conversion) of the columns not stored as they are (``_TO_SQL``).
_CONVERTED_TO_SQL = tuple(
    (at, _TO_SQL[spec.type]) for at, spec in enumerate(STORED_FIELDS) if spec.type in _TO_SQL
)
#: How what ``article_row`` stores is undone, for the columns not stored as they are.
CONVERTED = tuple(
    (spec.name, _FROM_SQL[spec.type]) for spec in STORED_FIELDS if spec.type in _FROM_SQL
)
