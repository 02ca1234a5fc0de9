"""The open index: where its file lives, the fallback to memory, and its reads.

One database per set of catalogue roots lives in the cache dir (or in memory
with ``--no-cache``); every command refreshes it first (``newscat.refresh``) and
then reads from it. Its tables are ``newscat.store.schema``'s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from newscat.fields import (
    ARRIVED,
    FRONT_MATTER,
    MISSING_AT,
    MISSING_WARNINGS,
    REGISTRY,
    STORED_FIELDS,
    STORIES_TABLE,
    STORY_FIELDS,
    Column,
    Field,
    PathStats,
    catalogue_paths,
    field_keys,
    missing_message,
)
from newscat.handles import Handles, after_prefix
from newscat.ignore import Exclusions
from newscat.model import DEFAULT_MAX_SIZE, Article, Problem, Progress, Warn
from newscat.refresh import RefreshReport, Source, refresh, stored_fingerprint
from newscat.store import state as state_store
from newscat.store import stories, writes
from newscat.store.cache import mark_used
from newscat.store.schema import (
    ARTICLE_COLUMNS,
    ATTRIBUTES,
    BUSY_SECONDS,
    CONVERTED,
    FRONT_MATTER_AT,
    ID_PARTS,
    OtherSchema,
    connect,
    fulltext_built,
    is_bug,
    meta,
    problem_count,
    remove_database,
    set_meta,
)
from newscat.store.transactions import is_corrupt, write_transaction
from newscat.text import inert

ENV_CACHE_DIR = "NEWSCAT_CACHE_DIR"
#: Up to this many new articles, arrival times are given path by path; beyond, one
#: pass over the whole index is cheaper.
_ARRIVALS_BY_PATH = 5000
#: How Python's sqlite3 says a stored text is not UTF-8 (the bytes of a damaged page).
_DAMAGED_TEXT = "Could not decode to UTF-8"
#: How every full-text condition reads in SQL (see newscat.query).
_SEARCHES_TEXT = "fts MATCH"


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


class Shared(NamedTuple):
    """A value several articles share, and the paths of their files."""

    code: str
    value: str
    paths: tuple[str, ...]


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


class _WritingAhead(Exception):
    """Reading ahead met something to build first (see ``Index.refresh``)."""


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
        self.warn = warn
        self._paths: dict[tuple[str, ...], PathStats] | None = None
        self._identity: tuple[int, int] | None = None  # the database file's (device, inode)
        #: The state database (arrivals, seen marks); None keeps one in memory.
        self.state = state
        self.state_kept = state_store.attach(conn, state, warn)
        #: What recording the arrivals beside a first fill's index build gave
        #: (``_arrivals_beside``): its result in a tuple, or its error.
        self._beside: tuple[tuple[str, str | None] | None] | Exception | None = None
        #: The caller's reading ahead (``refresh``) runs now: nothing may be written.
        self._reading_ahead = False

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
            return cls(connect(":memory:"), roots, ":memory:", warn, exclusions, state)
        path = cache_dir / database_name(roots, exclusions)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            if not os.access(cache_dir, os.W_OK):
                raise PermissionError(f"{cache_dir} is not writable")
        except OSError as exc:
            warn(f"cannot use the cache dir ({_reason(exc)}); indexing in memory this time")
            return cls(connect(":memory:"), roots, ":memory:", warn, exclusions, state)
        try:
            return cls._file(path, roots, warn, exclusions, state)
        except sqlite3.OperationalError as exc:  # cannot open or lock it: leave it alone
            warn(f"cannot use the index at {path} ({exc}); indexing in memory this time")
            return cls(connect(":memory:"), roots, ":memory:", warn, exclusions, state)
        except OtherSchema as exc:
            warn(f"the index at {path} was made by another newscat ({exc}); rebuilding it")
            remove_database(path)
        except sqlite3.DatabaseError as exc:  # not a database, or malformed
            warn(f"the index at {path} is unusable ({exc}); rebuilding it")
            remove_database(path)
        try:
            return cls._file(path, roots, warn, exclusions, state)
        except sqlite3.Error as exc:
            warn(f"cannot create the index at {path} ({exc}); indexing in memory this time")
            return cls(connect(":memory:"), roots, ":memory:", warn, exclusions, state)

    @classmethod
    def _file(
        cls,
        path: Path,
        roots: Sequence[str],
        warn: Warn,
        exclusions: Exclusions | None,
        state: Path | None,
    ) -> Index:
        index = cls(connect(str(path), roots), roots, str(path), warn, exclusions, state)
        index._identity = _identity(path)
        mark_used(str(path))
        return index

    def close(self) -> None:
        self.conn.close()

    # --- refresh --------------------------------------------------------------------------

    def refresh(
        self,
        progress: Progress | None = None,
        rebuild: bool = False,
        all_names: bool = False,
        ahead: Callable[[Index], None] | None = None,
    ) -> RefreshReport:
        """Bring the index up to date with the files.

        When the database cannot be written (a full disk, a read-only or vanished
        cache dir, an I/O error), the transaction is rolled back, so the file keeps
        the previous index and the next run with room repairs it; this run says why
        once through ``warn`` and indexes in memory instead. A database found
        corrupt on the way is removed, to be rebuilt next time.

        ``ahead`` reads the index while forked copies walk a large catalogue (see
        ``Source.meanwhile``); the report's ``read_ahead`` says whether what it read
        stands. It may only read: should it need to write (the stories or the
        full-text index built on first use), or fail in any way, it stops there and
        what it read does not stand.
        """
        done: list[bool] = []
        meanwhile = None if ahead is None else lambda: done.append(self._read_ahead(ahead))
        try:
            report = self._refresh(progress, rebuild, all_names, meanwhile)
            self._check_still_there()
        except sqlite3.Error as exc:
            self._to_memory(exc)
            done.clear()
            report = self._refresh(progress, rebuild, all_names)
        recorded = self._record_arrivals(report)
        if report.read_ahead and (recorded or done != [True]):
            report = replace(report, read_ahead=False)
        return report

    def _read_ahead(self, ahead: Callable[[Index], None]) -> bool:
        """Run ``ahead`` on this index, writing nothing; whether it ran to its end."""
        self._reading_ahead = True
        try:
            ahead(self)
        except Exception:  # the command reads again after the refresh, and says why there
            return False
        finally:
            self._reading_ahead = False
        return True

    def _to_memory(self, exc: sqlite3.Error) -> None:
        """Say once why the index file cannot be used or written, and go on with an empty
        index in memory (the caller fills it). A corrupt file is removed, to be rebuilt
        next time; one that is merely unwritable keeps what it held."""
        if self.location == ":memory:" or is_bug(exc):
            raise exc
        broken = is_corrupt(exc)
        self.warn(
            f"cannot {'use' if broken else 'write'} the index at {self.location} "
            f"({exc}); indexing in memory this time"
        )
        self.conn.close()
        if broken:
            remove_database(Path(self.location))
        self.conn = connect(":memory:")
        self.location = ":memory:"
        self.state_kept = state_store.attach(self.conn, self.state, self.warn)

    def _build(self, build: Callable[[], None]) -> None:
        """Run what a command builds when it first needs it (the stories, the full-text
        index); when the file cannot be written, the index moves to memory (read again
        there, said once) and is built there."""
        if self._reading_ahead:
            raise _WritingAhead
        try:
            build()
        except sqlite3.Error as exc:
            self._to_memory(exc)
            self._refresh(None, False)
            build()

    def _record_arrivals(self, report: RefreshReport) -> bool:
        """Give new articles their arrival time in the state database.

        Only after a refresh that added or changed files, or when this index last
        recorded into another state database (or one since lost). A state database
        that cannot be written says so once and the command goes on.

        The arrivals are committed first, in the state database alone; then the index
        notes that they are recorded. SQLite commits two attached WAL databases one
        after the other, so one transaction for both could keep the note and lose the
        arrivals. When the index cannot take the note (a full disk), the next refresh
        records again, which adds nothing twice: nothing is lost, and nothing is said.
        Whether any arrival was (or may have been) recorded.
        """
        beside, self._beside = self._beside, None
        try:
            if isinstance(beside, Exception):  # raised here, where errors are handled
                raise beside
            recorded = self._record(report) if beside is None else beside[0]
        except sqlite3.Error as exc:
            self.warn(f"cannot record arrival times in the state database ({exc})")
            return True
        if recorded is None:
            return False
        token, pending = recorded
        try:
            with write_transaction(self.conn):
                set_meta(self.conn, "state_token", token)
                # Unless another refresh has noted articles of its own since.
                self.conn.execute(
                    "DELETE FROM meta WHERE key = ? AND value IS ?",
                    (writes.ARRIVALS_PENDING, pending),
                )
        except sqlite3.Error as exc:
            if is_bug(exc):
                raise
        return True

    def _record(
        self, report: RefreshReport, conn: sqlite3.Connection | None = None
    ) -> tuple[str, str | None] | None:
        """Record the arrivals ``_record_arrivals`` means, in a transaction that writes
        the state database alone; the state database's token and the index's pending
        note as they were, or None when there was nothing to record. On a connection of
        its own (``conn``), the transaction leaves the index unlocked."""
        own = conn is not None
        conn = self.conn if conn is None else conn
        current = state_store.token(conn)
        same_state = meta(conn, "state_token") == current
        pending = meta(conn, writes.ARRIVALS_PENDING)
        if not (report.added or report.changed or pending) and same_state:
            return None
        # Without every name (a large refresh), every stored hash is brought up to
        # date and every article looked at; so too after filling an empty index (a
        # first fill, or --rebuild): any file may have changed while it was gone.
        filled = report.added and not (report.changed or report.unchanged)
        complete = report.names_complete and not filled
        changed = [path for what, _, path in report.names if what == "changed"]
        # A changed file may be new as an article: one half written (a problem)
        # when the last refresh read it.
        fresh = [path for what, _, path in report.names if what in ("added", "changed")]
        with write_transaction(conn, immediate=not own):
            # Only this refresh's new articles need looking at, unless another's
            # are waiting too (a recording that never ran), or the state database
            # is not the one last used.
            pending = meta(conn, writes.ARRIVALS_PENDING)
            whole = (
                not complete
                or not same_state
                or pending == "several"
                or (pending == "one" and not fresh)  # another refresh's
                or len(fresh) > _ARRIVALS_BY_PATH
            )
            only = None if whole else fresh
            state_store.record_arrivals(
                conn, state_store.utc_now(), changed if complete else None, only
            )
        return current, pending

    def damaged(self, exc: Exception) -> str | None:
        """What to say of an error that ended a command when it shows a damaged database
        (a corrupt page, text that is not UTF-8, a record that is not JSON), that database
        put out of the way first: the index removed, to be built again; the state
        database moved aside, never deleted. None for any other error."""
        if not isinstance(exc, sqlite3.DatabaseError):
            return None
        text = str(exc)
        if not (is_corrupt(exc) or text.startswith(_DAMAGED_TEXT) or text == "malformed JSON"):
            return None
        self.conn.close()
        said = inert(text)
        if not self._state_whole() and self.state is not None:
            try:
                aside = state_store.move_aside(self.state)
            except OSError:
                return f"the state database at {self.state} is damaged ({said})"
            return (
                f"the state database at {self.state} is damaged ({said}); moved it to "
                f"{aside}: run the command again"
            )
        if self.location == ":memory:":
            return None
        remove_database(Path(self.location))
        return (
            f"the index at {self.location} is damaged ({said}); removed it: run the "
            "command again to build it anew"
        )

    def _state_whole(self) -> bool:
        """Whether the state database file (if any) passes SQLite's quick check, read
        through a connection of its own (the command's may be mid-statement)."""
        if self.state is None or not self.state.exists():
            return True
        try:
            conn = sqlite3.connect(f"{self.state.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return True  # not known to be damaged: it stays where it is
        try:
            row = conn.execute("PRAGMA quick_check(1)").fetchone()
        except sqlite3.Error as exc:  # busy, or unreadable: damaged only when SQLite says so
            return not is_corrupt(exc)
        finally:
            conn.close()
        return row is None or row[0] == "ok"

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

    def _refresh(
        self,
        progress: Progress | None,
        rebuild: bool,
        all_names: bool = False,
        meanwhile: Callable[[], None] | None = None,
    ) -> RefreshReport:
        """Bring the index up to date with the files, in the database as it is."""
        in_memory = self.location == ":memory:"
        kept = self.state_kept and self.state is not None and not in_memory
        beside = self._arrivals_beside if kept else None
        source = Source(self.roots, self.exclusions, self.max_size, self.warn, beside, meanwhile)
        self._beside = None
        return refresh(self.conn, source, progress, rebuild, in_memory, all_names)

    def _arrivals_beside(self, report: RefreshReport) -> None:
        """Record the arrivals of a first fill on a connection of its own, while this one
        builds the fill's indexes (in another thread: see ``Source.alongside``); what it
        gives, or its error, is kept for ``_record_arrivals``."""
        try:
            conn = sqlite3.connect(
                self.location, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("ATTACH DATABASE ? AS state", (str(self.state),))
                conn.execute("PRAGMA state.synchronous = NORMAL")
                self._beside = (self._record(report, conn),)
            finally:
                conn.close()
        except Exception as exc:  # raised again by _record_arrivals, in the caller's thread
            self._beside = exc

    def unchanged(self) -> RefreshReport:
        """The report of a refresh that found nothing to do (a watcher did the work).

        Arrivals are still recorded if the watcher recorded them in another state
        database (or in none).
        """
        report = RefreshReport(problems=problem_count(self.conn))
        self._record_arrivals(report)
        return report

    def chosen_keys(self) -> dict[str, dict[str, list[str]]]:
        """The ``[fields]`` each root's ``newscat.toml`` chose, as of the last refresh
        (by root; roots that chose nothing are left out)."""
        try:
            found = json.loads(stored_fingerprint(self.conn))
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

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

    def ensure_fulltext(self, progress: Progress | None = None) -> None:
        """Build the full-text index if no search has needed it yet; later refreshes keep it.

        A cold index leaves it out: tokenising every body is most of the work of a
        first fill, and many catalogues are never searched that way.
        """
        if fulltext_built(self.conn):
            return
        self._build(lambda: self._fill_fulltext(progress))

    def _fill_fulltext(self, progress: Progress | None) -> None:
        with write_transaction(self.conn):
            if not fulltext_built(self.conn):  # another process may have built it meanwhile
                writes.fill_fulltext(self.conn, progress)

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
        arrived: bool = True,
    ) -> Iterator[Article]:
        """Articles matching an SQL condition over ``articles AS a`` (parameters bound).
        Without ``stories`` their story fields are left None (no grouping is needed);
        without ``front_matter`` their front matter is left empty (not read or decoded);
        without ``arrived``, their arrival time (a look-up in the state database)."""
        story_columns = _STORY_COLUMNS if stories else _NO_STORY_COLUMNS
        self._needs(where, order, story_columns)
        columns = _SELECTED if front_matter else _SELECTED_LEAN
        arrival = state_store.ARRIVED_SQL if arrived else "NULL"
        sql = (
            f"SELECT {columns}, {story_columns}, {arrival} FROM articles AS a "
            f"WHERE {where} ORDER BY {order}"
        )
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

    def topics_common(self, topics: Sequence[Sequence[str]], rows: int) -> bool:
        """Whether each of ``topics`` (a topic's alternatives, casefolded) has enough
        articles that a page of ``rows`` read in the sort's order, testing each article,
        ends sooner than fetching all of its articles by the topics' index: at least
        the square root of ``rows`` times the articles (about as many rows either way)."""
        last = self.conn.execute("SELECT max(rowid) FROM articles").fetchone()[0] or 0
        enough = math.isqrt(rows * last)
        for keys in topics:
            marks = ",".join("?" * len(keys))
            sql = f"SELECT count(*) FROM (SELECT 1 FROM topics WHERE key IN ({marks}) LIMIT ?)"
            if self.conn.execute(sql, [*keys, enough]).fetchone()[0] < enough:
                return False
        return True

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
        """Stored problems and the warnings derived from articles' rows (those of
        ``MISSING_WARNINGS``), errors first, then by path and line."""
        sql = "SELECT path, code, message, line, col, severity FROM problems"
        args: list[Any] = []
        if severity is not None:
            sql += " WHERE severity = ?"
            args.append(severity)
        found = [
            Problem(path, code, message, line, col, sev)
            for path, code, message, line, col, sev in self.conn.execute(sql, args)
        ]
        if severity in (None, "warning"):
            found.extend(self._missing())
        found.sort(key=lambda p: (p.severity == "warning", p.path, p.line or 0, p.code))
        return found

    def _missing(self) -> Iterator[Problem]:
        """A warning for each article that lacks a field of ``MISSING_WARNINGS``, worded
        with its catalogue's keys as of the last refresh."""
        chosen = self.chosen_keys()
        line, column = MISSING_AT
        for code, (name, instead) in MISSING_WARNINGS.items():
            sql = f"SELECT a.path, a.root FROM articles AS a WHERE a.{REGISTRY[name].stored_name} IS NULL"
            args: list[str] = []
            if instead is not None:
                sql += " AND NOT EXISTS (SELECT 1 FROM problems AS p WHERE p.path = a.path AND p.code = ?)"
                args.append(instead)
            messages: dict[str, str] = {}
            for path, root in self.conn.execute(sql, args):
                message = messages.get(root)
                if message is None:
                    keys = field_keys(chosen[root]) if root in chosen else None
                    message = messages[root] = missing_message(name, keys)
                yield Problem(path, code, message, line, column, "warning")

    def shared_values(self) -> list[Shared]:
        """Values that several articles share: an id (code ``duplicate-id``), or a URL in
        canonical form (``duplicate-url``); by code, then value, each with its paths in order."""
        self.ensure_stories()
        found: list[Shared] = []
        for table, column, code in (
            ("articles", "id", "duplicate-id"),
            ("story_items", "canonical_url", "duplicate-url"),
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
            found.extend(Shared(code, value, tuple(paths)) for value, paths in groups.items())
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
        return Status(
            database=self.location,
            size_bytes=size,
            articles=int(one("SELECT count(*) FROM articles")),
            files=int(one("SELECT count(*) FROM files")),
            problems=problem_count(self.conn),
            last_refresh=meta(self.conn, "last_refresh"),
            stories=stories.ready(self.conn),
            fulltext=fulltext_built(self.conn),
        )


def _column_sql(spec: Field) -> str:
    """How SQL reads a field computed from other tables (its source is a column expression)."""
    assert isinstance(spec.source, Column)
    return spec.source.sql


#: The story an article belongs to, looked up per row (a join would change the query plan
#: that lets the default listing read the date index and stop at the limit).
_STORY_COLUMNS = ", ".join(_column_sql(REGISTRY[name]) for name in STORY_FIELDS)
_NO_STORY_COLUMNS = ", ".join(["NULL"] * len(STORY_FIELDS))


def _prefixed(columns: str) -> str:
    return ", ".join(f"a.{name.strip()}" for name in columns.split(","))


def article_from_row(row: Sequence[Any]) -> Article:
    """An Article from a row of ``ARTICLE_COLUMNS`` (and the story columns, when present)."""
    stored, story = row[: len(STORED_FIELDS)], row[len(STORED_FIELDS) :]
    values = dict(zip(ATTRIBUTES, stored, strict=True))
    for name, convert in CONVERTED:  # the few columns not stored as they are shown
        values[name] = convert(values[name])
    if story:
        values.update(zip(STORY_FIELDS, story[: len(STORY_FIELDS)], strict=True))
        values[ARRIVED] = story[len(STORY_FIELDS)]
    values["front_matter_json"] = row[FRONT_MATTER_AT]
    return Article.stored(values)


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


def _identity(path: Path) -> tuple[int, int] | None:
    """The file's (device, inode), or None when it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


#: The stored columns an Article is made from, and the same with an empty front matter
#: in place of the one written (most of a row's bytes), for output that shows none of it.
_SELECTED = _prefixed(ARTICLE_COLUMNS)
_SELECTED_LEAN = ", ".join(
    "'{}'" if spec.name == FRONT_MATTER else f"a.{spec.stored_name}" for spec in STORED_FIELDS
)
