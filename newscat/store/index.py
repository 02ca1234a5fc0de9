"""The SQLite index: schema, incremental refresh, and reads.

One database per set of catalogue roots lives in the cache dir (or in memory
with ``--no-cache``); every command refreshes it first and then reads from it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscat import signals
from newscat.cache import mark_used, record_roots
from newscat.catalog import (
    file_entry,
    path_bytes,
    read_article,
    stamps,
    text_keys,
    text_path,
    walk_folders,
)
from newscat.config import CatalogConfig, ConfigError, load_catalog_config
from newscat.fields import (
    BODY_SQL,
    FRONT_MATTER,
    REGISTRY,
    STORED_FIELDS,
    STORIES_TABLE,
    STORY_FIELDS,
    Column,
    Field,
    FieldKeys,
    PathStats,
    catalogue_paths,
    field_keys,
)
from newscat.handles import Handles, after_prefix
from newscat.ignore import Exclusions, Selection
from newscat.model import DEFAULT_MAX_SIZE, Article, Problem
from newscat.store import state as state_store
from newscat.store import stories
from newscat.store.sqlfunctions import register as register_functions
from newscat.transactions import write_transaction

SCHEMA_VERSION = 9
#: The part of an id after its last "_" (the whole id when it has none) and its last
#: path segment: indexed, so that the REF rules and handles never scan every id.
#: A query uses the index only when it spells the expression exactly so.
_ID_SUFFIX = "substr({id}, length(rtrim({id}, replace({id}, '_', ''))) + 1)"
_ID_LEAF = "substr({id}, length(rtrim({id}, replace({id}, '/', ''))) + 1)"
#: In-place upgrades from older schema versions; any other version is rebuilt.
#: Version 9 keeps no bodies (the files hold them; the full-text index keeps its own
#: copy once built), so what older versions stored is read again: none is upgraded.
_ID_INDEXES = (
    f"CREATE INDEX IF NOT EXISTS articles_suffix ON articles({_ID_SUFFIX.format(id='id')})",
    f"CREATE INDEX IF NOT EXISTS articles_leaf ON articles({_ID_LEAF.format(id='id')})",
)
_UPGRADES: dict[int, str] = {}
ENV_CACHE_DIR = "NEWSCAT_CACHE_DIR"
#: Below this many files to parse, a process pool costs more than it saves.
POOL_THRESHOLD = 400
#: How long a command waits for another process's refresh to finish.
BUSY_SECONDS = 600.0
#: The first look keeps at most this many changes; beyond, the refresh streams them.
PLAN_LIMIT = 5000
#: meta 'fulltext' holds this once the full-text index is built and kept in step.
FULLTEXT_BUILT = "built"
_FULLTEXT_BATCH = 2000
#: How every full-text condition reads in SQL (see newscat.query).
_SEARCHES_TEXT = "fts MATCH"
_BATCH = 256
#: A file modified less than this long before it is read is read again next time
#: (file system clocks tick coarsely: a few milliseconds on Linux, 2 s on FAT).
RACY_NS = 2_000_000_000
#: The modification time stored for such a file: one that no file has.
RACY_MTIME = -1

#: Secondary indexes, kept apart because filling an empty index drops them and builds
#: them once at the end (a sort), which is much faster than row-by-row upkeep.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS problems_path ON problems(path)",
    "CREATE INDEX IF NOT EXISTS articles_id ON articles(id)",
    *_ID_INDEXES,
    "CREATE INDEX IF NOT EXISTS articles_date ON articles(date DESC, id, path)",
    "CREATE INDEX IF NOT EXISTS topics_key ON topics(key, article)",
    "CREATE INDEX IF NOT EXISTS topics_article ON topics(article)",
)

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
-- Covering, so that comparing a folder reads this index alone, in order.
CREATE INDEX IF NOT EXISTS files_dir ON files(dir, path, size, mtime_ns);
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
    {_STORED_DECLARATIONS}
);
CREATE TABLE IF NOT EXISTS topics (
    article INTEGER NOT NULL,           -- articles.rowid
    topic TEXT NOT NULL,                -- as written
    key TEXT NOT NULL                   -- casefolded, for matching and grouping
);
-- Built on the first full-text search (meta 'fulltext' = 'built'), then kept in step
-- with articles by the refresh itself (_apply, _delete_paths), in batches. Its rowid is
-- the article's; it keeps its own copy of the texts, the only copy of bodies in the index.
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, excerpt, body, tokenize='unicode61 remove_diacritics 2'
);
{";".join(_INDEXES)};
{stories.SCHEMA}
"""

#: The stored fields' columns, in the order of ``article_row`` and ``article_from_row``.
ARTICLE_COLUMNS = ", ".join(spec.stored_name for spec in STORED_FIELDS)

Warn = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RefreshReport:
    """What one refresh changed; ``names`` lists each file added, changed or removed
    as ``(what, id, path)``, in the order the refresh met them."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: int = 0
    seconds: float = 0.0
    names: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Status:
    """What ``newscat index --status`` reports."""

    database: str
    size_bytes: int
    articles: int
    files: int
    problems: int
    last_refresh: str | None
    #: Whether the stories are grouped and the full-text index built (each is made
    #: when a command first needs it, or by ``index --full``).
    stories: bool = False
    fulltext: bool = False


def default_cache_dir(environ: dict[str, str] | None = None) -> Path:
    """``$NEWSCAT_CACHE_DIR``, else ``$XDG_CACHE_HOME/newscat``, else ``~/.cache/newscat``."""
    env = os.environ if environ is None else environ
    if env.get(ENV_CACHE_DIR):
        return Path(env[ENV_CACHE_DIR]).expanduser()
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "newscat"


def database_name(roots: Sequence[str], exclusions: Exclusions | None = None) -> str:
    """One database file per list of roots (and per set of command-line exclusions,
    which change what the index holds).

    Order matters: where roots overlap, a file reached through several is an article
    under the first root's id, so ``-C a -C a/sub`` and ``-C a/sub -C a`` hold
    different ids.
    """
    parts = list(roots)
    if exclusions is not None and exclusions.key():
        parts += ["", exclusions.key()]
    key = "\0".join(parts).encode("utf-8", "surrogateescape")
    return f"catalog-{hashlib.sha256(key).hexdigest()[:16]}.sqlite3"


class Index:
    """An open index over a set of catalogue roots."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        roots: Sequence[str],
        location: str,
        warn: Warn = lambda message: None,
        exclusions: Exclusions | None = None,
        state: Path | None = None,
    ) -> None:
        self.conn = conn
        self.roots = list(roots)
        self.location = location
        self.exclusions = exclusions or Exclusions()
        self.max_size = DEFAULT_MAX_SIZE
        self._fulltext = False  # whether the refresh under way keeps the full-text index
        self.warn = warn
        self._paths: dict[tuple[str, ...], PathStats] | None = None
        self._identity: tuple[int, int] | None = None  # the database file's (device, inode)
        self._catalogues = _Catalogues({}, {}, _Catalogues.DEFAULT_FINGERPRINT)
        #: The state database (arrivals, seen marks); None keeps one in memory.
        self.state = state
        self.state_kept = state_store.attach(conn, state, warn)

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        roots: Sequence[str],
        cache_dir: Path | None,
        warn: Warn = lambda message: None,
        exclusions: Exclusions | None = None,
        state: Path | None = None,
    ) -> Index:
        """Open (or create) the index for ``roots``; ``cache_dir=None`` means in memory.
        ``exclusions`` are the command line's (``--exclude``, ``--no-ignore``).

        ``state`` is the state database file (arrival times, seen marks), attached
        to the index's connection; None keeps an empty one in memory.

        A database that is corrupt or of another schema version is rebuilt, and a
        cache dir that cannot be written falls back to memory; each says so once
        through ``warn`` and the command goes on.
        """
        if cache_dir is None:
            return cls(_connect(":memory:"), roots, ":memory:", warn, exclusions, state)
        path = cache_dir / database_name(roots, exclusions)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            if not os.access(cache_dir, os.W_OK):
                raise PermissionError(f"{cache_dir} is not writable")
        except OSError as exc:
            warn(f"cannot use the cache dir ({_reason(exc)}); indexing in memory this time")
            return cls(_connect(":memory:"), roots, ":memory:", warn, exclusions, state)
        try:
            return cls._file(path, roots, warn, exclusions, state)
        except sqlite3.OperationalError as exc:  # cannot open or lock it: leave it alone
            warn(f"cannot use the index at {path} ({exc}); indexing in memory this time")
            return cls(_connect(":memory:"), roots, ":memory:", warn, exclusions, state)
        except _OtherSchema as exc:
            warn(f"the index at {path} was made by another newscat ({exc}); rebuilding it")
            _remove_database(path)
        except sqlite3.DatabaseError as exc:  # not a database, or malformed
            warn(f"the index at {path} is unusable ({exc}); rebuilding it")
            _remove_database(path)
        try:
            return cls._file(path, roots, warn, exclusions, state)
        except sqlite3.Error as exc:
            warn(f"cannot create the index at {path} ({exc}); indexing in memory this time")
            return cls(_connect(":memory:"), roots, ":memory:", warn, exclusions, state)

    @classmethod
    def _file(
        cls,
        path: Path,
        roots: Sequence[str],
        warn: Warn,
        exclusions: Exclusions | None,
        state: Path | None,
    ) -> Index:
        index = cls(_connect(str(path), roots), roots, str(path), warn, exclusions, state)
        index._identity = _identity(path)
        mark_used(str(path))
        return index

    def close(self) -> None:
        self.conn.close()

    # --- refresh --------------------------------------------------------------------------

    def refresh(self, progress: Progress | None = None, rebuild: bool = False) -> RefreshReport:
        """Bring the index up to date with the files.

        When the database cannot be written (a full disk, a read-only or vanished
        cache dir, an I/O error), the transaction is rolled back, so the file keeps
        the previous index and the next run with room repairs it; this run says why
        once through ``warn`` and indexes in memory instead. A database found
        corrupt on the way is removed, to be rebuilt next time.
        """
        try:
            report = self._refresh(progress, rebuild)
            self._check_still_there()
        except sqlite3.Error as exc:
            self._to_memory(exc)
            report = self._refresh(progress, rebuild)
        self._record_arrivals(report)
        return report

    def _to_memory(self, exc: sqlite3.Error) -> None:
        """Say once why the index file cannot be used or written, and go on with an empty
        index in memory (the caller fills it). A corrupt file is removed, to be rebuilt
        next time; one that is merely unwritable keeps what it held."""
        if self.location == ":memory:" or _is_bug(exc):
            raise exc
        broken = _is_corrupt(exc)
        self.warn(
            f"cannot {'use' if broken else 'write'} the index at {self.location} "
            f"({exc}); indexing in memory this time"
        )
        self.conn.close()
        if broken:
            _remove_database(Path(self.location))
        self.conn = _connect(":memory:")
        self.location = ":memory:"
        self.state_kept = state_store.attach(self.conn, self.state, self.warn)

    def _build(self, build: Callable[[], None]) -> None:
        """Run what a command builds when it first needs it (the stories, the full-text
        index); when the file cannot be written, the index moves to memory (read again
        there, said once) and is built there."""
        try:
            build()
        except sqlite3.Error as exc:
            self._to_memory(exc)
            self._refresh(None, False)
            build()

    def _record_arrivals(self, report: RefreshReport) -> None:
        """Give new articles their arrival time in the state database.

        Only after a refresh that added or changed files, or when this index last
        recorded into another state database (or one since lost); a state database
        that cannot be written says so once and the command goes on.
        """
        conn = self.conn
        try:
            current = state_store.token(conn)
            row = conn.execute("SELECT value FROM meta WHERE key = 'state_token'").fetchone()
            if not (report.added or report.changed) and row and row[0] == current:
                return
            changed = [path for what, _, path in report.names if what == "changed"]
            with write_transaction(conn):
                state_store.record_arrivals(conn, state_store.utc_now(), changed)
                conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('state_token', ?)", (current,)
                )
        except sqlite3.Error as exc:
            self.warn(f"cannot record arrival times in the state database ({exc})")

    def _check_still_there(self) -> None:
        """Say once when the database file was removed (or replaced) since it was opened.

        SQLite goes on writing to a file that was unlinked, so this run's answer is
        right, but nothing of it is kept: the next run builds the index again.
        """
        if self._identity is None or self._identity == _identity(Path(self.location)):
            return
        self._identity = None
        self.warn(
            f"the index at {self.location} was removed while newscat ran; "
            "this answer is right, and the next run builds the index again"
        )

    def _refresh(self, progress: Progress | None, rebuild: bool) -> RefreshReport:
        """Bring the index up to date with the files, in the database as it is.

        A first look, without any lock, compares the walk with the index. When
        nothing changed, that is all. Otherwise the write lock is taken and the
        changes are applied, from the first look's list when it was short and no
        other process has written since, else from a second walk streamed straight
        into the parser, so that memory does not grow with the catalogue.
        """
        started = time.perf_counter()
        self._catalogues = _Catalogues.read(self.roots, self.exclusions, self.warn)
        if not rebuild and self._catalogues.fingerprint != self._stored_fingerprint():
            self._forget_stamps()  # a catalogue reads its fields from other keys now
        seen = self._data_version()
        problems: list[Problem] = []
        filling = not rebuild and self._is_empty()
        plan = self._count() if filling else self._plan(problems)
        if filling and not plan.files:  # nothing found by name: look properly, for problems
            plan = self._plan(problems)
        if not rebuild and not plan.changes and self._same_walk_problems(problems):
            return RefreshReport(unchanged=plan.files, problems=self._problem_count())
        # Filling an empty index writes every page once: without the write-ahead log
        # that is one write instead of two (log, then checkpoint). A rollback journal
        # keeps it atomic; other processes wait for it as they would for the lock.
        rollback_journal = (
            filling
            and plan.reads >= POOL_THRESHOLD
            and self.location != ":memory:"
            and self._journal_mode("delete")
        )
        # A second process refreshing at the same time waits here, then finds nothing to do.
        try:
            report, files = self._refresh_locked(plan, seen, rebuild, problems, progress)
        finally:
            if rollback_journal:
                self._journal_mode("wal")
        return RefreshReport(
            added=report.added,
            changed=report.changed,
            removed=report.removed,
            unchanged=files - report.added - report.changed,
            problems=self._problem_count(),
            seconds=time.perf_counter() - started,
            names=report.names,
        )

    def unchanged(self) -> RefreshReport:
        """The report of a refresh that found nothing to do (a watcher did the work).

        Arrivals are still recorded if the watcher recorded them in another state
        database (or in none).
        """
        report = RefreshReport(problems=self._problem_count())
        self._record_arrivals(report)
        return report

    def _is_empty(self) -> bool:
        return self.conn.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None

    def _journal_mode(self, mode: str) -> bool:
        """Switch the journal mode; False when other connections keep it from changing."""
        try:
            row = self.conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()
        except sqlite3.OperationalError:
            return False
        return bool(row and str(row[0]).lower() == mode)

    def _refresh_locked(
        self,
        plan: _Plan,
        seen: int,
        rebuild: bool,
        problems: list[Problem],
        progress: Progress | None,
    ) -> tuple[RefreshReport, int]:
        """Apply the changes in one write transaction; also says how many files there are."""
        with write_transaction(self.conn):
            self._fulltext = self._fulltext_built()
            if rebuild:
                self.conn.execute("DELETE FROM fts")
                for table in ("articles", "topics", "files", "problems"):
                    self.conn.execute(f"DELETE FROM {table}")
                stories.reset(self.conn)
            stories.ensure_schema(self.conn)
            first_new = self._next_rowid()
            changes: Iterator[_Change]
            expected = plan.files if rebuild else plan.reads
            tally = _Tally(plan.files)
            if rebuild or plan.items is None or self._data_version() != seen:
                problems = []
                tally = _Tally()
                changes = self._changes(problems, tally)
            else:
                changes = iter(plan.items)
            report = self._apply(changes, expected, problems, progress)
            if stories.ready(self.conn):  # else grouped when first needed
                stories.update(self.conn, first_new)
            record_roots(self.conn, self.roots)
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('fields', ?)",
                (self._catalogues.fingerprint,),
            )
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('last_refresh', ?)",
                (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),),
            )
        return report, tally.files

    def chosen_keys(self) -> dict[str, dict[str, list[str]]]:
        """The ``[fields]`` each root's ``newscat.toml`` chose, as of the last refresh
        (by root; roots that chose nothing are left out)."""
        try:
            found = json.loads(self._stored_fingerprint())
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def _forget_stamps(self) -> None:
        """Make every file read again (as changed) by the refresh that follows: each
        stored stamp and hash is set to one no file has. Should that refresh not finish,
        the next one reads them all the same."""
        with write_transaction(self.conn):
            self.conn.execute("UPDATE files SET mtime_ns = ?, hash = NULL", (RACY_MTIME,))

    def _stored_fingerprint(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'fields'").fetchone()
        return str(row[0]) if row else _Catalogues.DEFAULT_FINGERPRINT

    def _data_version(self) -> int:
        """A number that changes whenever another connection commits to the database."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _count(self) -> _Plan:
        """The first look at an empty index: every file is new, so names are enough.

        Counting by name (no stat, no comparison) sizes the progress bar and picks
        the bulk path; the walk that matters runs once, under the write lock.
        """
        selections = self._catalogues.selections
        files = sum(len(folder.files) for folder in walk_folders(self.roots, [], False, selections))
        return _Plan(None, files, files, files)

    def _plan(self, problems: list[Problem]) -> _Plan:
        """The first look: how many files, what changed (kept while the list is short)."""
        tally = _Tally()
        items: list[_Change] | None = []
        changes = reads = 0
        for change in self._changes(problems, tally):
            changes += 1
            reads += change[1] is not None
            if items is not None:
                items.append(change)
                if len(items) > PLAN_LIMIT:
                    items = None  # too many to hold: stream them again under the lock
        return _Plan(items, changes, reads, tally.files)

    def _changes(self, problems: list[Problem], tally: _Tally) -> Iterator[_Change]:
        """Every difference between the files and the index, one folder at a time.

        Yields ``(path, stamp, stored hash, indexed, raw path)`` for a file to read
        and ``(path, None, None, True, None)`` for one that is gone. Paths are text
        (see ``text_path``); the raw path, for reading, is given only where it differs.
        """
        conn = self.conn
        singles = {text_path(root) for root in self.roots if not os.path.isdir(root)}
        visited: set[str] = set()
        for folder in walk_folders(self.roots, problems, True, self._catalogues.selections):
            tally.files += len(folder.files)
            files, raw = text_keys(folder.files)
            if folder.whole:
                folder_path = text_path(folder.path)
                visited.add(folder_path)
                rows = conn.execute(
                    "SELECT path, size, mtime_ns FROM files WHERE dir = ?", (folder_path,)
                ).fetchall()
            else:
                marks = ",".join("?" * len(files))
                rows = conn.execute(
                    f"SELECT path, size, mtime_ns FROM files WHERE path IN ({marks})",
                    list(files),
                ).fetchall()
            stored = stamps(rows)
            if stored == files:  # the usual case, nothing changed: compared in C
                continue
            for path, now in files.items():
                then = stored.pop(path, None)
                if then is None:
                    yield (path, now, None, False, raw.get(path))
                elif then != now:
                    digest = conn.execute("SELECT hash FROM files WHERE path = ?", (path,))
                    yield (path, now, digest.fetchone()[0], True, raw.get(path))
            for path in stored:
                if path not in singles:
                    yield (path, None, None, True, None)
        for (folder_path,) in conn.execute("SELECT DISTINCT dir FROM files").fetchall():
            if folder_path not in visited:
                gone = conn.execute("SELECT path FROM files WHERE dir = ?", (folder_path,))
                for (path,) in gone.fetchall():
                    if path not in singles:
                        yield (path, None, None, True, None)

    def _same_walk_problems(self, problems: list[Problem]) -> bool:
        stored = self.conn.execute(
            "SELECT count(*) FROM problems WHERE path NOT IN (SELECT path FROM files)"
        ).fetchone()[0]
        return bool(stored == len(problems))

    def _apply(
        self,
        changes: Iterator[_Change],
        expected: int,
        walk_problems: list[Problem],
        progress: Progress | None,
    ) -> RefreshReport:
        conn = self.conn
        # Filling an empty index: the secondary indexes are built once at the end
        # (a sort), which is much faster than row-by-row upkeep.
        bulk = (
            expected >= POOL_THRESHOLD
            and not conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone()
        )
        if bulk:
            for statement in _INDEXES:
                conn.execute(f"DROP INDEX {statement.split()[5]}")
        gone: list[str] = []

        def batches() -> Iterator[list[_ToRead]]:
            batch: list[_ToRead] = []
            for path, now, old_hash, known, raw in changes:
                if now is None:
                    gone.append(path)
                    continue
                batch.append((path, now, old_hash, known, raw))
                if len(batch) == _BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

        next_rowid = self._next_rowid()
        added = changed = unchanged = 0
        names: list[tuple[str, str, str]] = []
        done = 0
        parallel = expected >= POOL_THRESHOLD
        keys = self._catalogues.keys
        reading = _Reading(self.roots, self.max_size, keys, self._fulltext)
        for results in _read_all(batches(), reading, parallel):
            stats: list[tuple[int, int, str]] = []
            replaced: list[str] = []
            files: list[tuple[Any, ...]] = []
            articles: list[tuple[Any, ...]] = []
            topics: list[tuple[int, str, str]] = []
            texts: list[tuple[int, str | None, str | None, str | None]] = []
            problems: list[Problem] = []
            for file_row, known, digest, result in results:
                path, root, file_id, size, mtime_ns = file_row
                if result is None:  # same content, new stat
                    unchanged += 1
                    stats.append((size, mtime_ns, path))
                    continue
                if known:
                    changed += 1
                    replaced.append(path)
                    names.append(("changed", file_id, path))
                else:
                    added += 1
                    names.append(("added", file_id, path))
                if isinstance(result, Problem):
                    problems.append(result)
                    status = "error"
                else:
                    row, article_topics, warnings, body = result
                    articles.append((next_rowid, root, *row))
                    if self._fulltext:
                        texts.append((next_rowid, row[_TITLE], row[_EXCERPT], body))
                    topics.extend((next_rowid, t, t.casefold()) for t in article_topics)
                    problems.extend(warnings)
                    next_rowid += 1
                    status = "ok"
                files.append((*file_row, os.path.dirname(path), digest, status))
            conn.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", stats)
            _delete_paths(conn, replaced, files=False, fulltext=self._fulltext)
            conn.executemany(_INSERT_ARTICLE, articles)
            if self._fulltext:
                conn.executemany(_INSERT_TEXT, texts)
            conn.executemany("INSERT INTO topics(article, topic, key) VALUES (?, ?, ?)", topics)
            _insert_problems(conn, problems)
            conn.executemany(
                "INSERT OR REPLACE INTO files(path, root, id, size, mtime_ns, dir, hash, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                files,
            )
            done += len(results)
            if progress is not None:
                progress(done, max(expected, done))
        if bulk:
            for statement in _INDEXES:
                conn.execute(statement)
        for batch in _chunks(gone, 500):
            marks = ",".join("?" * len(batch))
            names.extend(
                ("removed", file_id, path)
                for path, file_id in conn.execute(
                    f"SELECT path, id FROM files WHERE path IN ({marks}) ORDER BY path", batch
                )
            )
            _delete_paths(conn, batch, files=True, fulltext=self._fulltext)
        conn.execute("DELETE FROM problems WHERE path NOT IN (SELECT path FROM files)")
        _insert_problems(conn, walk_problems)
        return RefreshReport(added, changed, len(gone), unchanged, names=tuple(names))

    # --- the full-text index ------------------------------------------------------------

    def _needs(self, *clauses: str) -> None:
        """Build what a cold index leaves out before the first statement that reads it:
        the full-text index, the stories."""
        if any(_SEARCHES_TEXT in clause for clause in clauses):
            self.ensure_fulltext()
        if any(STORIES_TABLE in clause for clause in clauses):
            self.ensure_stories()

    def ensure_stories(self) -> None:
        """Group the catalogue into stories if nothing has needed them yet; later
        refreshes keep them in step.

        A cold index leaves them out: grouping runs over the whole catalogue in one
        process, and listing, filtering or exporting without story fields never needs it.
        """
        if stories.ready(self.conn):
            return

        def group() -> None:
            with write_transaction(self.conn):
                if not stories.ready(self.conn):  # another process may have grouped meanwhile
                    stories.rebuild(self.conn)

        self._build(group)

    def _fulltext_built(self) -> bool:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'fulltext'").fetchone()
        return bool(row and row[0] == FULLTEXT_BUILT)

    def ensure_fulltext(self, progress: Progress | None = None) -> None:
        """Build the full-text index if no search has needed it yet; later refreshes keep it.

        A cold index leaves it out: tokenising every body is most of the work of a
        first fill, and many catalogues are never searched that way.
        """
        if self._fulltext_built():
            return
        self._build(lambda: self._fill_fulltext(progress))

    def _fill_fulltext(self, progress: Progress | None) -> None:
        conn = self.conn
        with write_transaction(conn):
            if not self._fulltext_built():  # another process may have built it meanwhile
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
                conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('fulltext', ?)",
                    (FULLTEXT_BUILT,),
                )

    def _next_rowid(self) -> int:
        return int(
            self.conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM articles").fetchone()[0]
        )

    def _problem_count(self) -> int:
        return int(
            self.conn.execute("SELECT count(*) FROM problems WHERE severity = 'error'").fetchone()[
                0
            ]
        )

    # --- reads ----------------------------------------------------------------------------

    def select(
        self,
        where: str = "1",
        params: Sequence[Any] = (),
        order: str = "a.date DESC, a.id",
        limit: int | None = None,
        offset: int = 0,
        stories: bool = True,
        front_matter: bool = True,
    ) -> Iterator[Article]:
        """Articles matching an SQL condition over ``articles AS a`` (parameters bound).
        Without ``stories`` their story fields are left None (no grouping is needed);
        without ``front_matter`` their front matter is left empty (not read or decoded)."""
        story_columns = _STORY_COLUMNS if stories else _NO_STORY_COLUMNS
        self._needs(where, order, story_columns)
        columns = _SELECTED if front_matter else _SELECTED_LEAN
        sql = f"SELECT {columns}, {story_columns} FROM articles AS a WHERE {where} ORDER BY {order}"
        args = list(params)
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args += [-1 if limit is None else limit, offset]
        for row in self.conn.execute(sql, args):
            yield article_from_row(row)

    def snippet(
        self, fts_query: str, path: str, marks: tuple[str, str], words: int = 12
    ) -> str | None:
        """The passage of an article that matches an FTS5 query, matches between ``marks``.

        From the excerpt or the body where they match (the title is shown anyway),
        else from the title.
        """
        row = self.conn.execute(
            "SELECT snippet(fts, 1, ?1, ?2, '…', ?3), snippet(fts, 2, ?1, ?2, '…', ?3), "
            "snippet(fts, 0, ?1, ?2, '…', ?3) FROM fts WHERE fts MATCH ?4 "
            "AND rowid = (SELECT rowid FROM articles WHERE path = ?5)",
            (marks[0], marks[1], words, fts_query, path),
        ).fetchone()
        if row is None:
            return None
        return next((str(text) for text in row if text and marks[0] in text), None)

    def ids(self) -> Iterator[str]:
        """Every article's id (the same id twice when two roots hold it)."""
        return (row[0] for row in self.conn.execute("SELECT id FROM articles"))

    def handles(self) -> Handles:
        """The handles of this index's articles, computed as they are asked for."""
        return Handles(self.ref_matches, self.ids)

    def ref_matches(self, ref: str) -> list[str]:
        """At most two ids that the first REF rule matching anything matches (see
        ``ref_conditions``): what a handle must make unique. Indexed queries only."""
        for where, params in ref_conditions(ref):
            sql = f"SELECT a.id FROM articles AS a WHERE {where} LIMIT 2"
            found = [row[0] for row in self.conn.execute(sql, params)]
            if found:
                return found
        return []

    def select_columns(
        self,
        columns: str,
        where: str,
        params: Sequence[Any],
        order: str,
        limit: int,
        offset: int,
    ) -> list[tuple[Any, ...]]:
        """A page of a few columns (``columns``, chosen by the caller, over ``articles AS a``)
        of the matching articles, without reading their records or bodies."""
        self._needs(where, order)
        sql = f"SELECT {columns} FROM articles AS a WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        return self.conn.execute(sql, [*params, limit, offset]).fetchall()

    def count(self, where: str = "1", params: Sequence[Any] = ()) -> int:
        self._needs(where)
        sql = f"SELECT count(*) FROM articles AS a WHERE {where}"
        return int(self.conn.execute(sql, list(params)).fetchone()[0])

    def front_matter_paths(self) -> Mapping[tuple[str, ...], PathStats]:
        """Every path the front matters hold, with its kinds, count and an example
        (read once per open index)."""
        if self._paths is None:
            self._paths = catalogue_paths(self.front_matters())
        return self._paths

    def front_matters(self) -> Iterator[dict[str, Any]]:
        """Every article's front matter as written, in id order."""
        for (record,) in self.conn.execute("SELECT record FROM articles ORDER BY id, path"):
            value = json.loads(record)
            if isinstance(value, dict):
                yield value

    def problems(self, severity: str | None = None) -> list[Problem]:
        """Stored problems, errors first, then by path and line."""
        sql = "SELECT path, code, message, line, col, severity FROM problems"
        args: list[Any] = []
        if severity is not None:
            sql += " WHERE severity = ?"
            args.append(severity)
        sql += " ORDER BY severity = 'warning', path, line, code"
        return [
            Problem(path, code, message, line, col, sev)
            for path, code, message, line, col, sev in self.conn.execute(sql, args)
        ]

    def duplicates(self, show: Callable[[str], str] = str) -> list[Problem]:
        """Cross-file warnings: an id, or a URL in canonical form, that several articles share.

        Each file involved gets one warning naming the other files (through ``show``).
        """
        self.ensure_stories()
        found: list[Problem] = []
        for table, column, code, label in (
            ("articles", "id", "duplicate-id", "id"),
            ("story_items", "canonical_url", "duplicate-url", "URL"),
        ):
            key = "article" if table == "story_items" else "rowid"
            groups: dict[str, list[str]] = {}
            for value, path in self.conn.execute(
                f"SELECT t.{column}, a.path FROM {table} AS t JOIN articles AS a "
                f"ON a.rowid = t.{key} WHERE t.{column} IN "
                f"(SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
                f"GROUP BY {column} HAVING count(*) > 1) ORDER BY t.{column}, a.path"
            ):
                groups.setdefault(value, []).append(path)
            for value, paths in groups.items():
                for path in paths:
                    others = [show(other) for other in paths if other != path]
                    named = ", ".join(others[:3])
                    if len(others) > 3:
                        named += f" and {len(others) - 3} more"
                    message = f"same {label} {value!r} as {named}"
                    found.append(Problem(path, code, message, severity="warning"))
        return found

    def file_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM files").fetchone()[0])

    def status(self) -> Status:
        def one(sql: str) -> Any:
            return self.conn.execute(sql).fetchone()[0]

        size = 0
        if self.location != ":memory:":
            for suffix in ("", "-wal"):
                with contextlib.suppress(OSError):
                    size += os.path.getsize(self.location + suffix)
        last = self.conn.execute("SELECT value FROM meta WHERE key = 'last_refresh'").fetchone()
        return Status(
            database=self.location,
            size_bytes=size,
            articles=int(one("SELECT count(*) FROM articles")),
            files=int(one("SELECT count(*) FROM files")),
            problems=self._problem_count(),
            last_refresh=last[0] if last else None,
            stories=stories.ready(self.conn),
            fulltext=self._fulltext_built(),
        )


@dataclass
class _Plan:
    items: list[_Change] | None  # None: more than PLAN_LIMIT, not kept
    changes: int
    reads: int
    files: int


@dataclass
class _Tally:
    files: int = 0


def _column_sql(spec: Field) -> str:
    """How SQL reads a field computed from other tables (its source is a column expression)."""
    assert isinstance(spec.source, Column)
    return spec.source.sql


#: The story an article belongs to, looked up per row (a join would change the query plan
#: that lets the default listing read the date index and stop at the limit).
_STORY_COLUMNS = (
    ", ".join(_column_sql(REGISTRY[name]) for name in STORY_FIELDS) + f", {state_store.ARRIVED_SQL}"
)  # and when newscat first saw it
_NO_STORY_COLUMNS = ", ".join(["NULL"] * len(STORY_FIELDS) + [state_store.ARRIVED_SQL])


def _prefixed(columns: str) -> str:
    return ", ".join(f"a.{name.strip()}" for name in columns.split(","))


def article_from_row(row: Sequence[Any]) -> Article:
    """An Article from a row of ``ARTICLE_COLUMNS`` (and the story columns, when present)."""
    stored, story = row[: len(STORED_FIELDS)], row[len(STORED_FIELDS) :]
    values = {
        spec.name: _from_sql(spec, value) for spec, value in zip(STORED_FIELDS, stored, strict=True)
    }
    values.update(zip(STORY_FIELDS, story[: len(STORY_FIELDS)], strict=True) if story else ())
    return Article(
        **values,
        body_in_file=True,
        front_matter_json=row[_FRONT_MATTER],
        arrived=story[len(STORY_FIELDS)] if story else None,
    )


#: The parts of an id a REF may start with, as SQL over ``articles AS a`` (each indexed):
#: the id, the part after its last ``_``, its last segment.
ID_PARTS = {
    "id": "a.id",
    "suffix": _ID_SUFFIX.format(id="a.id"),
    "leaf": _ID_LEAF.format(id="a.id"),
}


def ref_conditions(ref: str) -> list[tuple[str, list[str]]]:
    """The REF rules that read only ids, in order, as SQL conditions over ``articles AS a``:
    the exact id, a prefix of the id, a prefix of the part after its last ``_``, a trailing
    part of it in whole segments. Each is served by an index."""
    return [
        ("a.id = ?", [ref]),
        prefix_condition(ID_PARTS["id"], ref),
        prefix_condition(ID_PARTS["suffix"], ref),
        (
            ID_PARTS["leaf"] + " = ? AND substr(a.id, -length(?) - 1) = '/' || ?",
            [ref.rpartition("/")[2], ref, ref],
        ),
    ]


def prefix_condition(expression: str, prefix: str) -> tuple[str, list[str]]:
    """Texts that start with ``prefix``, as a range an index serves."""
    upper = after_prefix(prefix)
    if upper is None:
        return f"{expression} >= ?", [prefix]
    return f"{expression} >= ? AND {expression} < ?", [prefix, upper]


def _to_sql(spec: Field, article: Article) -> Any:
    """A stored field's column value: lists and mappings as JSON text, a bool as 1/0."""
    value = getattr(article, spec.name)
    if spec.type == "mapping":
        return article.front_matter_json or json.dumps(value, ensure_ascii=False)
    if spec.type == "list of text":
        return json.dumps(list(value), ensure_ascii=False)
    if spec.type == "bool":
        return None if value is None else int(value)
    return value


def _from_sql(spec: Field, value: Any) -> Any:
    """The Article attribute a stored column holds (``_to_sql`` undone)."""
    if spec.type == "mapping":
        return json.loads(value)
    if spec.type == "list of text":
        return tuple(json.loads(value))
    if spec.type == "bool":
        return None if value is None else bool(value)
    return value


def _connect(target: str, roots: Sequence[str] = ()) -> sqlite3.Connection:
    conn = sqlite3.connect(
        target, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
    )
    register_functions(conn)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if target != ":memory:":
            _when_unlocked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
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
            raise _OtherSchema(f"schema version {version}; this one uses {SCHEMA_VERSION}")
        conn.execute("SELECT count(*) FROM files").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


class _OtherSchema(sqlite3.DatabaseError):
    """A database that another (newer, or much older) newscat laid out."""


def _when_unlocked(step: Callable[[], object], seconds: float = BUSY_SECONDS) -> None:
    """Run a step that SQLite may refuse while another process holds a lock, retrying."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file's (device, inode), or None when it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(path) + suffix)


#: SQLite's result codes for a mistake in newscat's own SQL, not a state of the disk.
_SQL_MISTAKES = (1, 21, 25)  # SQLITE_ERROR, SQLITE_MISUSE, SQLITE_RANGE


def _is_bug(exc: sqlite3.Error) -> bool:
    """Whether an error is newscat's own (where Python tells): no fallback would help."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQL_MISTAKES


def _is_corrupt(exc: sqlite3.Error) -> bool:
    """Whether an error says the database file itself is damaged (not merely unwritable)."""
    name = getattr(exc, "sqlite_errorname", "")
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.OperationalError | sqlite3.IntegrityError
    )


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _insert_problems(conn: sqlite3.Connection, problems: Iterable[Problem]) -> None:
    conn.executemany(
        "INSERT INTO problems(path, severity, code, message, line, col) VALUES (?, ?, ?, ?, ?, ?)",
        [(text_path(p.path), p.severity, p.code, p.message, p.line, p.column) for p in problems],
    )


_INSERT_ARTICLE = (
    f"INSERT INTO articles(rowid, root, {ARTICLE_COLUMNS}) "
    f"VALUES ({','.join('?' * (2 + len(STORED_FIELDS)))})"
)

_INSERT_TEXT = "INSERT INTO fts(rowid, title, excerpt, body) VALUES (?, ?, ?, ?)"
_STORED_NAMES = [spec.stored_name for spec in STORED_FIELDS]
#: Where title and excerpt (with the body, what the full-text index holds) and the front matter
#: sit in an article's row (``article_row``).
_TITLE, _EXCERPT = (_STORED_NAMES.index(name) for name in ("title", "excerpt"))
_FRONT_MATTER = [spec.name for spec in STORED_FIELDS].index(FRONT_MATTER)
#: The stored columns an Article is made from, and the same with an empty front matter
#: in place of the one written (most of a row's bytes), for output that shows none of it.
_SELECTED = _prefixed(ARTICLE_COLUMNS)
_SELECTED_LEAN = ", ".join(
    "'{}'" if spec.name == FRONT_MATTER else f"a.{spec.stored_name}" for spec in STORED_FIELDS
)

ArticleRow = tuple[tuple[Any, ...], tuple[str, ...], tuple[Problem, ...], "str | None"]


def article_row(article: Article, raw_name: str | None = None, body: bool = False) -> ArticleRow:
    """What the index stores for an article: its column values (in ``ARTICLE_COLUMNS``
    order, less ``root``), its topics, its warnings, and its body when ``body`` (for
    the full-text index, once built). Built in the worker processes, so that only flat
    tuples cross back to the writer. ``raw_name`` is the name's bytes as base64 when
    the name is not UTF-8."""
    if raw_name is not None:
        article = dataclasses.replace(article, path_bytes=raw_name)
    row = tuple(_to_sql(spec, article) for spec in STORED_FIELDS)
    return row, article.topics, article.warnings, article.body if body else None


def _delete_paths(
    conn: sqlite3.Connection, paths: Sequence[str], files: bool, fulltext: bool
) -> None:
    """Forget what the index holds for these paths (the file rows too, when ``files``;
    their full-text entries when ``fulltext``, the full-text index being built)."""
    for batch in _chunks(paths, 500):
        marks = ",".join("?" * len(batch))
        rowids = [
            row[0]
            for row in conn.execute(f"SELECT rowid FROM articles WHERE path IN ({marks})", batch)
        ]
        if rowids:  # their text, topics and story rows go with them
            stories.forget(conn, rowids)
            held = ",".join("?" * len(rowids))
            if fulltext:
                conn.execute(f"DELETE FROM fts WHERE rowid IN ({held})", rowids)
            conn.execute(f"DELETE FROM topics WHERE article IN ({held})", rowids)
            conn.execute(f"DELETE FROM articles WHERE rowid IN ({held})", rowids)
        conn.execute(f"DELETE FROM problems WHERE path IN ({marks})", batch)
        if files:
            conn.execute(f"DELETE FROM files WHERE path IN ({marks})", batch)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: A file to read: (path as text, stamp, stored hash, whether the index has it, and the
#: raw path when it differs from the text one).
_ToRead = tuple[str, int, "str | None", bool, "str | None"]
#: A difference: a file to read, or (path, None, None, True, None) for a file that is gone.
_Change = tuple[str, "int | None", "str | None", bool, "str | None"]
#: What reading it gave: the files-table row (path, root, id, size, mtime_ns), whether
#: the index had it, the content hash, and the article's row, a Problem, or None when
#: the content is unchanged. Flat tuples, because they cross from worker to writer.
_ReadResult = tuple[
    tuple[str, str, str, int, int], bool, "str | None", "ArticleRow | Problem | None"
]


@dataclass(frozen=True)
class _Catalogues:
    """What the roots' ``newscat.toml`` files and the command line say, read at each
    refresh so that an edit shows on the next command: which files each folder root
    leaves out, which keys its fields are read from (by text root, only where a
    catalogue chose its own), and a fingerprint of those choices."""

    DEFAULT_FINGERPRINT = "{}"

    selections: Mapping[str, Selection]
    keys: Mapping[str, FieldKeys]
    fingerprint: str

    @classmethod
    def read(cls, roots: Sequence[str], exclusions: Exclusions, warn: Warn) -> _Catalogues:
        """A catalogue file that cannot be used is said once through ``warn``; that
        catalogue is then read as if it had none."""
        selections: dict[str, Selection] = {}
        keys: dict[str, FieldKeys] = {}
        chosen: dict[str, dict[str, list[str]]] = {}
        for root in roots:
            if not os.path.isdir(root):
                continue
            try:
                config = load_catalog_config(root)
            except ConfigError as exc:
                warn(f"{exc}; reading the catalogue without it")
                config = CatalogConfig(root)
            selections[root] = exclusions.selection(config.exclude)
            if config.fields:
                keys[text_path(root)] = field_keys(config.fields)
                chosen[text_path(root)] = {k: list(v) for k, v in config.fields.items()}
        fingerprint = json.dumps(chosen, sort_keys=True) if chosen else cls.DEFAULT_FINGERPRINT
        return cls(selections, keys, fingerprint)


@dataclass(frozen=True)
class _Reading:
    """How the workers read files: the roots, the size limit, each catalogue's keys
    (by text root), and whether bodies travel back (for the full-text index)."""

    roots: Sequence[str]
    max_size: int
    keys: Mapping[str, FieldKeys]
    bodies: bool = False


def _read_batch(batch: Sequence[_ToRead], reading: _Reading) -> list[_ReadResult]:
    roots, max_size, keys = reading.roots, reading.max_size, reading.keys
    text_roots = [text_path(root) for root in roots]
    out: list[_ReadResult] = []
    started = time.time_ns()
    for path, file_stamp, old_hash, known, raw in batch:
        entry = file_entry(path, file_stamp, text_roots)
        digest, result = read_article(
            raw or path, entry.id, old_hash, max_size, name=path, keys=keys.get(entry.root)
        )
        # A file changed moments before it was read may change again within the same
        # tick of the file system's clock, keeping its size and mtime: its stamp is
        # stored as one no file has, so that the next refresh reads it again.
        racy = started - entry.mtime_ns < RACY_NS
        row = (entry.path, entry.root, entry.id, entry.size, RACY_MTIME if racy else entry.mtime_ns)
        stored: ArticleRow | Problem | None = result if not isinstance(result, Article) else None
        if isinstance(result, Article):
            stored = article_row(result, None if raw is None else path_bytes(raw), reading.bodies)
        out.append((row, known, digest, stored))
    return out


def _read_all(
    batches: Iterator[list[_ToRead]], reading: _Reading, parallel: bool
) -> Iterator[list[_ReadResult]]:
    """Read and parse batches of files, in order, across every core when ``parallel``.

    At most a few batches per worker are in flight, so however many files there
    are, memory holds only those.
    """
    workers = os.cpu_count() or 1
    if not parallel or workers < 2:
        for batch in batches:
            yield _read_batch(batch, reading)
        return
    # start-up time: only a large refresh starts worker processes
    import multiprocessing
    from collections import deque

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # Workers start with SIGINT and SIGTERM blocked and then leave both to this
    # process: Ctrl-C (sent to the whole process group) or SIGTERM interrupts the
    # writer here, which rolls back and stops the pool; a worker never prints its
    # own traceback, and none outlives the command.
    held = signals.hold()
    try:
        pool = multiprocessing.get_context(method).Pool(workers, initializer=_start_worker)
    finally:
        signals.release(held)
    with pool:
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(pool.apply_async(_read_batch, (batch, reading)))
            if len(pending) >= workers * 3:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _start_worker() -> None:
    """In a pool worker: ignore Ctrl-C (the parent handles it); die quietly on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signals.release(set())
