"""The refresh: bring the index up to date with the files.

Walk the roots and compare each folder with what the index stored (the plan), read
and parse what changed (across a process pool when there is much of it), and store
the results through ``newscat.store.writes``, all in one write transaction.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from newscat import forked, signals
from newscat.catalog import (
    Folder,
    Opened,
    Start,
    Walked,
    opened_ahead,
    path_bytes,
    read_article,
    root_and_id,
    stamps,
    text_keys,
    text_path,
    unstamp,
    walk_folders,
    walk_from,
)
from newscat.config import CatalogConfig, ConfigError, load_catalog_config
from newscat.fields import FieldKeys, field_keys
from newscat.ignore import Exclusions, Selection
from newscat.model import Article, Problem, Progress, Warn
from newscat.store import stories, writes
from newscat.store.schema import (
    INDEXES_WAITING,
    RACY_MTIME,
    ArticleRow,
    article_row,
    build_waiting_indexes,
    fulltext_built,
    journal_mode,
    large_pages,
    meta,
    problem_count,
    set_meta,
)
from newscat.store.transactions import write_transaction

#: Below this many files to parse, a process pool costs more than it saves.
POOL_THRESHOLD = 400
#: The first look keeps at most this many changes; beyond, the refresh streams them.
PLAN_LIMIT = 5000
#: From this many stored files the first look is shared among processes, at most
#: ``MAX_WALKERS`` (one per core).
SHARED_WALK_FILES = 20_000
MAX_WALKERS = 4
#: What a folder costs a share of the walk, in files: its listing, and comparing it with
#: the index. Measured on eleven real sites, so that a site of many small folders (one
#: page bundle each) does not make its share the slow one.
FOLDER_COST = 4
#: Up to this many stored folders, the shares of a walk are weighed by the folders under
#: each, found by as many seeks; beyond, by counting the files under each, which reads
#: the whole folders' index (15 ms at 100,000 files, 150 ms at a million).
FEW_FOLDERS = 512
#: The stamp a first fill's walk gives every file (it stats none): no stamp is negative.
UNSTATTED = -1
#: A report names at most this many files (a cold build of a million need not hold a
#: million names), unless all are asked for.
NAMES_KEPT = 10_000
#: The walk's comparison reads the stored stamps of this many folders (or of the
#: folders holding this many files) in one query; fewer than SQLite's oldest limit
#: of 999 bound values.
FOLDERS_PER_READ = 500
FILES_PER_READ = 8192
#: A folder of this many files is read with a query of its own (the batch's rows are
#: sorted into folders in Python, which costs more than a query for a large folder).
OWN_READ_FILES = 64
#: Where the walk found this many files a folder (or more), the stored folders are
#: found by seeking from one to the next; below, by reading the folders' whole index.
#: A seek costs about as much as reading sixteen entries here: 1 ms against 10 at
#: 100,000 generated articles (a thousand a folder), 8 against 5 on the real
#: catalogue of 29,254 files (nine a folder).
SEEK_FOLDERS_FILES = 16
_BATCH = 256
#: A file modified less than this long before it is read is read again next time
#: (file system clocks tick coarsely: a few milliseconds on Linux, 2 s on FAT).
RACY_NS = 2_000_000_000
#: What meta 'fields' holds when no catalogue chose its own keys.
DEFAULT_FINGERPRINT = "{}"


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
    #: False when ``names`` holds only the first ``NAMES_KEPT`` (the counts are whole).
    names_complete: bool = True
    #: Whether the source's ``meanwhile`` ran and read the index as this refresh leaves
    #: it: the walk found nothing to change, and no other process wrote while it ran.
    read_ahead: bool = False


@dataclass(frozen=True)
class Source:
    """What a refresh reads: the roots, the command line's exclusions (``--exclude``,
    ``--no-ignore``), the size limit of a file, and where to say what it skipped."""

    roots: Sequence[str]
    exclusions: Exclusions
    max_size: int
    warn: Warn
    #: The caller's work that a large first fill runs, in a thread with a connection of
    #: its own, once its rows are committed and while it builds its indexes (``None``:
    #: the fill builds them before it commits). It is given the fill's report.
    alongside: Callable[[RefreshReport], None] | None = None
    #: The caller's reading of the index, run in this process while forked copies of it
    #: walk a large catalogue (the core it would wait on is busy then, not idle after);
    #: it must only read. What it read stands when the report's ``read_ahead`` is true.
    meanwhile: Callable[[], None] | None = None


def refresh(
    conn: sqlite3.Connection,
    source: Source,
    progress: Progress | None = None,
    rebuild: bool = False,
    in_memory: bool = False,
    all_names: bool = False,
) -> RefreshReport:
    """Bring the index on ``conn`` up to date with the files, in the database as it is.

    A first look, without any lock, compares the walk with the index. When
    nothing changed, that is all. Otherwise the write lock is taken and the
    changes are applied, from the first look's list when it was short and no
    other process has written since, else from a second walk streamed straight
    into the parser, so that memory does not grow with the catalogue: the report
    names the first ``NAMES_KEPT`` files it added, changed or removed, or all of them
    with ``all_names``.
    """
    return _Refresh(conn, source, all_names).run(progress, rebuild, in_memory)


def stored_fingerprint(conn: sqlite3.Connection) -> str:
    """The catalogues' choice of keys as of the last refresh (see ``_Catalogues``)."""
    value = meta(conn, "fields")
    return DEFAULT_FINGERPRINT if value is None else value


@dataclass
class _Plan:
    """What the first look found: the changes (when few enough to keep), and counts."""

    items: list[_Change] | None  # None: more than PLAN_LIMIT, not kept
    changes: int
    reads: int
    files: int


@dataclass
class _Tally:
    """How many files a walk found."""

    files: int = 0


@dataclass
class _Look:
    """What a first look (or one share of it) found: the changes while they are at
    most ``PLAN_LIMIT`` (else None), how many, how many files to read, how many files,
    the walk's problems and the folders visited."""

    items: list[_Change] | None = field(default_factory=list)
    changes: int = 0
    reads: int = 0
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)

    def add(self, change: _Change) -> None:
        self.changes += 1
        self.reads += change[1] is not None
        if self.items is not None:
            self.items.append(change)
            if len(self.items) > PLAN_LIMIT:
                self.items = None  # too many to hold: stream them again under the lock

    def merge(self, other: _Look) -> None:
        """Add what ``other`` found after what this look found."""
        if self.items is not None:
            self.items = None if other.items is None else self.items + other.items
            if self.items is not None and len(self.items) > PLAN_LIMIT:
                self.items = None
        self.changes += other.changes
        self.reads += other.reads
        self.files += other.files
        self.problems += other.problems
        self.visited |= other.visited


#: What each process of a shared walk found, by the number of the start: its look, and
#: the folders (device, inode) it met.
_Looks = dict[int, tuple[_Look, set[tuple[int, int]]]]


#: A file to read: (path as text, stamp, stored hash, whether the index has it, and the
#: raw path when it differs from the text one).
_ToRead = tuple[str, int, "str | None", bool, "str | None"]
#: A difference: a file to read, or (path, None, None, True, None) for a file that is gone.
_Change = tuple[str, "int | None", "str | None", bool, "str | None"]
#: What reading it gave: the files-table row (path, root, id, size, mtime_ns), whether
#: the index had it, the content hash, and the article's row, a Problem, or None when
#: the content is unchanged; the worker adds it to its batch's rows (``_Read``).
_ReadResult = tuple[writes.FileRow, bool, "str | None", "ArticleRow | Problem | None"]


@dataclass
class _Read:
    """What reading one batch of files gave, shaped where it was read for the writer:
    the rows to store, which of ``rows.files`` the index had (changed, not added), the
    files a first fill's walk found that neither open nor stat reached (the walk's
    problems, no files of the index), and how many files the batch had."""

    rows: writes.Batch = field(default_factory=writes.Batch)
    changed: list[int] = field(default_factory=list)
    vanished: list[Problem] = field(default_factory=list)
    files: int = 0

    def add(self, result: _ReadResult, fulltext: bool) -> None:
        file_row, known, digest, stored = result
        path, root, _, size, mtime_ns = file_row
        self.files += 1
        if size == UNSTATTED and isinstance(stored, Problem):
            self.vanished.append(stored)
            return
        rows = self.rows
        if stored is None:  # same content, new stat
            rows.stats.append((size, mtime_ns, path))
            return
        if known:
            self.changed.append(len(rows.files))
            rows.replaced.append(path)
        if isinstance(stored, Problem):
            rows.add_problem(stored)
        else:
            rows.add_article(root, stored, fulltext)
        rows.add_file(file_row, digest, ok=not isinstance(stored, Problem))


class _Refresh:
    """One refresh of the index on ``conn``."""

    def __init__(self, conn: sqlite3.Connection, source: Source, all_names: bool = False) -> None:
        self.conn = conn
        self.source = source
        self.all_names = all_names
        self.catalogues = _Catalogues.read(source.roots, source.exclusions, source.warn)
        self.fulltext = False  # whether this refresh keeps the full-text index
        #: Whether a first fill may commit its rows before it builds its indexes.
        self.indexes_after = False
        self.meanwhile_ran = False  # the source's ``meanwhile``

    def run(self, progress: Progress | None, rebuild: bool, in_memory: bool) -> RefreshReport:
        started = time.perf_counter()
        conn = self.conn
        if not rebuild and self.catalogues.fingerprint != stored_fingerprint(conn):
            # A catalogue reads its fields from other keys now: every file is read again.
            # Should that refresh not finish, the next one reads them all the same.
            with write_transaction(conn):
                writes.forget_stamps(conn)
        seen = writes.data_version(conn)
        problems: list[Problem] = []
        filling = not rebuild and writes.is_empty(conn)
        if filling:
            plan = self._count(None if progress is not None else POOL_THRESHOLD)
        else:
            plan = self._plan(problems)
        if filling and not plan.files:  # nothing found by name: look properly, for problems
            plan = self._plan(problems)
        if not rebuild and not plan.changes and writes.walk_problem_count(conn) == len(problems):
            return self._unchanged(plan, seen)
        # Filling an empty index writes every page once: without the write-ahead log
        # that is one write instead of two (log, then checkpoint). A rollback journal
        # keeps it atomic; other processes wait for it as they would for the lock.
        rollback_journal = (
            filling
            and plan.reads >= POOL_THRESHOLD
            and not in_memory
            and journal_mode(conn, "delete")
        )
        # A second process refreshing at the same time waits here, then finds nothing to do.
        try:
            if rollback_journal:
                large_pages(conn)
            self.indexes_after = rollback_journal and self.source.alongside is not None
            report, files = self._locked(plan, seen, rebuild, problems, progress)
            if self.indexes_after:
                # Before the write-ahead log is back: the index pages are written once.
                self._indexes_alongside(report)
        finally:
            if rollback_journal:
                journal_mode(conn, "wal")
        return RefreshReport(
            added=report.added,
            changed=report.changed,
            removed=report.removed,
            unchanged=files - report.added - report.changed,
            problems=problem_count(conn),
            seconds=time.perf_counter() - started,
            names=report.names,
            names_complete=report.names_complete,
        )

    def _unchanged(self, plan: _Plan, seen: int) -> RefreshReport:
        """The report of a refresh with nothing to change. What the source's ``meanwhile``
        read stands when no other connection committed since ``seen``, before the walk:
        the walk's stamps and what it read are then of the index as it is now."""
        conn = self.conn
        read_ahead = self.meanwhile_ran and writes.data_version(conn) == seen
        return RefreshReport(
            unchanged=plan.files, problems=problem_count(conn), read_ahead=read_ahead
        )

    def _indexes_alongside(self, report: RefreshReport) -> None:
        """Build the indexes a first fill left waiting (its rows committed) while the
        source's ``alongside`` runs in a thread on a connection of its own. Both are
        SQLite's work, done outside the interpreter's lock: the cores the workers used
        serve both at once. Should this stop in between, the next connection builds
        them (``INDEXES_WAITING``)."""
        assert self.source.alongside is not None
        beside = threading.Thread(target=self.source.alongside, args=(report,), daemon=True)
        beside.start()
        try:
            build_waiting_indexes(self.conn)
        finally:
            beside.join()

    def _locked(
        self,
        plan: _Plan,
        seen: int,
        rebuild: bool,
        problems: list[Problem],
        progress: Progress | None,
    ) -> tuple[RefreshReport, int]:
        """Apply the changes in one write transaction; also says how many files there are."""
        conn = self.conn
        with write_transaction(conn):
            self.fulltext = fulltext_built(conn)
            if rebuild:
                writes.empty(conn)
            stories.ensure_schema(conn)
            first_new = writes.next_rowid(conn)
            batches: Iterator[list[_ToRead]]
            gone: list[str] = []  # the paths of the files gone
            expected = plan.files if rebuild else plan.reads
            tally = _Tally(plan.files)
            moved = writes.data_version(conn) != seen  # another refresh wrote meanwhile
            if moved and not rebuild and self.catalogues.fingerprint != stored_fingerprint(conn):
                # ... and read the files with other keys (newscat.toml changed in between):
                # all are read again here, so the keys stored at the end are those every
                # row was read with.
                writes.forget_stamps(conn)
            fresh = writes.is_empty(conn)  # no file stored: every one is new
            if rebuild or plan.items is None or moved:
                problems = []
                tally = _Tally()
                if fresh:
                    batches = self._fresh_batches(problems, tally)
                else:
                    batches = _batches(self._changes(problems, tally), gone)
            else:
                batches = _batches(iter(plan.items), gone)
            report, vanished = self._apply(batches, gone, expected, problems, progress, fresh)
            if stories.ready(conn):  # else grouped when first needed
                stories.update(conn, first_new)
            if report.added or report.changed:
                writes.arrivals_pending(conn)
            writes.finish(conn, self.source.roots, self.catalogues.fingerprint)
        return report, tally.files - vanished

    def _count(self, enough: int | None) -> _Plan:
        """The first look at an empty index: every file is new, so names are enough.

        Counting by name (no stat, no comparison) sizes the progress bar and picks
        the bulk path; the walk that matters runs once, under the write lock. Without
        a progress bar the count stops at ``enough``, which decides the path: on a
        large catalogue a whole count is a serial walk while the second core idles.
        """
        roots, selections = self.source.roots, self.catalogues.selections
        files = 0
        for folder in walk_folders(roots, [], False, selections):
            files += len(folder.files)
            if enough is not None and files >= enough:
                break
        return _Plan(None, files, files, files)

    def _plan(self, problems: list[Problem]) -> _Plan:
        """The first look: how many files, what changed (kept while the list is short)."""
        shared = self._shared_plan(problems)
        if shared is not None:
            return shared
        look = _Look()
        tally = _Tally()
        for change in self._changes(problems, tally):
            look.add(change)
        return _Plan(look.items, look.changes, look.reads, tally.files)

    def _shared_plan(self, problems: list[Problem]) -> _Plan | None:
        """The first look at a large catalogue, shared: this process and forked copies
        of it take the root's subfolders in turn, walk them and compare them with the index,
        which halves the time on two cores (the stat calls are what takes it; threads
        would queue for the interpreter's lock after each). The answer is the serial
        walk's, in its order.

        None when sharing does not apply: more than one root, one core, a catalogue
        under ``SHARED_WALK_FILES`` files, or a folder reached from two shares (links),
        which the serial walk visits once, under the path it meets first.
        """
        roots = self.source.roots
        workers = min(forked.workers(), MAX_WALKERS)
        if workers < 2 or len(roots) != 1 or not os.path.isdir(roots[0]):
            return None
        # The article numbers bound the catalogue's size from above, at no cost: a small
        # catalogue is walked serially without counting anything.
        if writes.next_rowid(self.conn) <= SHARED_WALK_FILES:
            return None
        root = roots[0]
        selection = self.catalogues.selections.get(root)
        try:
            top = os.stat(root)
        except OSError:
            return None
        seen = {(top.st_dev, top.st_ino)}
        stack: list[Start] = [(root, "", ())]
        head = _Look()
        walk = walk_from(stack, {}, head.problems, seen, True, selection)
        first = next(walk, None)  # the root folder: the stack now holds its subfolders
        walk.close()
        starts = stack[::-1]  # in the order the serial walk visits them
        if first is None or len(starts) < 2:
            return None
        costs = self._costs([text_path(path) for path, _, _ in starts])
        if costs is None:
            return None
        self._look_at(head, [first])
        order = sorted(range(len(starts)), key=lambda i: -costs[i])  # the largest first
        looks = self._walk_shares(starts, order, seen, selection)
        if looks is None:
            return None
        total = _Look()
        for look in [head, *looks]:
            total.merge(look)
        for change in self._gone(total.visited, set(), total.files):
            total.add(change)
        problems.extend(total.problems)
        return _Plan(total.items, total.changes, total.reads, total.files)

    def _costs(self, folders: list[str]) -> list[int] | None:
        """What walking each of ``folders``, subfolders of one folder, is expected to
        cost, so that the largest are taken first.

        Where the index has at most ``FEW_FOLDERS`` folders (a tree of large ones, as a
        dated archive is), the weight is how many lie under each: a few seeks (the
        catalogue's size is bounded only by its article numbers, as the caller checked).
        Else the files and folders under each are counted, which reads the folders'
        index whole, and None says they hold fewer than ``SHARED_WALK_FILES`` files (then
        the walk is not shared).
        """
        stored = writes.few_folders(self.conn, FEW_FOLDERS)
        if stored is None:
            sizes = writes.tree_sizes(self.conn, folders)
            if sum(files for files, _ in sizes) < SHARED_WALK_FILES:
                return None
            return [files + FOLDER_COST * folders for files, folders in sizes]
        costs = [0] * len(folders)
        number = {folder: i for i, folder in enumerate(folders)}
        prefix = os.path.join(os.path.dirname(folders[0]), "")
        for folder in stored:
            if folder.startswith(prefix):
                i = number.get(prefix + folder[len(prefix) :].split(os.sep, 1)[0])
                if i is not None:
                    costs[i] += 1
        return costs

    def _walk_shares(
        self,
        starts: list[Start],
        order: list[int],
        seen: set[tuple[int, int]],
        selection: Selection | None,
    ) -> list[_Look] | None:
        """The look from each of ``starts``, walked by this process and forked copies of
        it, each taking the next start (in ``order``) as it finishes the one before;
        None when a copy failed or two starts met the same folder. With the source's
        ``meanwhile``, only the copies walk while this process runs it: three processes
        on two cores, which the system keeps both busy."""
        meanwhile = self.source.meanwhile
        tickets = forked.Tickets.of(order)
        if tickets is None:
            return None
        copies = min(forked.workers(), MAX_WALKERS, len(starts)) - (meanwhile is None)
        looks = partial(self._looks, starts, tickets, seen, selection)
        children: list[forked.Child[_Looks]] = []
        results: list[_Looks | None] = []
        try:
            children += [forked.Child(partial(self._in_copy, looks)) for _ in range(copies)]
            if meanwhile is None:
                results.append(looks())
            else:
                meanwhile()
                self.meanwhile_ran = True
            results += [child.result() for child in children]
        finally:
            tickets.close()
            for child in children:
                child.stop()
        found: _Looks = {}
        for result in results:
            if result is None:
                return None
            found.update(result)
        if len(found) != len(starts):
            return None
        met: set[tuple[int, int]] = set()
        for _, folders in found.values():  # two starts that meet one folder: not shared
            if not met.isdisjoint(folders):
                return None
            met |= folders
        return [found[i][0] for i in range(len(starts))]

    def _in_copy(self, looks: Callable[[], _Looks]) -> _Looks:
        """``looks`` run in a forked copy, with a connection of its own."""
        conn = writes.reopened(self.conn)
        if conn is None:
            raise sqlite3.OperationalError("no index file to read")
        self.conn = conn
        return looks()

    def _looks(
        self,
        starts: list[Start],
        tickets: forked.Tickets,
        seen: set[tuple[int, int]],
        selection: Selection | None,
    ) -> _Looks:
        """By number, for each start this process took: what walking from it found, and
        the folders (device, inode) it met that ``seen`` did not hold. Each start is
        walked from ``seen`` alone, not from what the starts before it met: they come
        largest first, not in the serial walk's order."""
        looks = {}
        while (number := tickets.take()) is not None:
            look, met = _Look(), set(seen)
            self._look_at(
                look, walk_from([starts[number]], {}, look.problems, met, True, selection)
            )
            looks[number] = (look, met - seen)
        return looks

    def _look_at(self, look: _Look, folders: Iterable[Folder]) -> None:
        """Add to ``look`` the differences in ``folders`` and how many files they hold."""
        tally = _Tally()
        for change in self._compared(folders, tally, look.visited, set()):
            look.add(change)
        look.files += tally.files

    def _fresh_batches(self, problems: list[Problem], tally: _Tally) -> Iterator[list[_ToRead]]:
        """The files to read when the index holds none (under the write lock), in batches
        straight from the walk: every file is new, so none is stat'ed (the reader stats
        it as it opens it), looked up or compared, and none is gone."""
        batch: list[_ToRead] = []
        for folder in walk_folders(self.source.roots, problems, False, self.catalogues.selections):
            tally.files += len(folder.files)
            files, raw = text_keys(folder.files)
            batch.extend((path, UNSTATTED, None, False, raw.get(path)) for path in files)
            while len(batch) >= _BATCH:
                yield batch[:_BATCH]
                del batch[:_BATCH]
        if batch:
            yield batch

    def _changes(self, problems: list[Problem], tally: _Tally) -> Iterator[_Change]:
        """Every difference between the files and the index, one folder at a time.

        Yields ``(path, stamp, stored hash, indexed, raw path)`` for a file to read
        and ``(path, None, None, True, None)`` for one that is gone. Paths are text
        (see ``text_path``); the raw path, for reading, is given only where it differs.
        """
        singles = self._singles()
        visited: set[str] = set()
        folders = walk_folders(self.source.roots, problems, True, self.catalogues.selections)
        yield from self._compared(folders, tally, visited, singles)
        yield from self._gone(visited, singles, tally.files)

    def _singles(self) -> set[str]:
        return {text_path(root) for root in self.source.roots if not os.path.isdir(root)}

    def _compared(
        self,
        folders: Iterable[Folder],
        tally: _Tally,
        visited: set[str],
        singles: set[str],
    ) -> Iterator[_Change]:
        """The differences in the files of ``folders``; their paths go to ``visited``."""
        conn = self.conn
        # Whole folders wait in a batch, so that one query reads the stamps of many
        # (a query per folder cost as much as the stat calls on a real site).
        pending: list[tuple[str, Walked, dict[str, str]]] = []
        pending_files = 0
        for folder in folders:
            tally.files += len(folder.files)
            files, raw = text_keys(folder.files)
            if not folder.whole:
                stored = stamps(writes.path_stamps(conn, list(files)))
                yield from self._differences(files, raw, stored, singles)
                continue
            folder_path = text_path(folder.path)
            visited.add(folder_path)
            if len(files) >= OWN_READ_FILES:  # a large folder: its own query, read in C
                stored = stamps(writes.folder_stamps(conn, folder_path))
                if stored != files:
                    yield from self._differences(files, raw, stored, singles)
                continue
            pending.append((folder_path, files, raw))
            pending_files += len(files)
            if len(pending) >= FOLDERS_PER_READ or pending_files >= FILES_PER_READ:
                yield from self._folder_differences(pending, singles)
                pending = []
                pending_files = 0
        yield from self._folder_differences(pending, singles)

    def _gone(self, visited: set[str], singles: set[str], files: int) -> Iterator[_Change]:
        """The files of stored folders the walk did not visit (of ``files`` it found): gone."""
        seek = files >= SEEK_FOLDERS_FILES * len(visited)
        for folder_path in writes.stored_folders(self.conn, seek):
            if folder_path not in visited:
                for path in writes.folder_paths(self.conn, folder_path):
                    if path not in singles:
                        yield (path, None, None, True, None)

    def _folder_differences(
        self, pending: list[tuple[str, Walked, dict[str, str]]], singles: set[str]
    ) -> Iterator[_Change]:
        """The differences in a batch of whole folders ``(folder, files, raw paths)``."""
        if not pending:
            return
        stored_rows = writes.folders_stamps(self.conn, [folder for folder, _, _ in pending])
        for folder_path, files, raw in pending:
            stored = stamps(stored_rows.get(folder_path, ()))
            if stored != files:  # the usual case, nothing changed, is compared in C
                yield from self._differences(files, raw, stored, singles)

    def _differences(
        self, files: Walked, raw: dict[str, str], stored: Walked, singles: set[str]
    ) -> Iterator[_Change]:
        """What differs between the files of one folder and their stored stamps."""
        for path, now in files.items():
            then = stored.pop(path, None)
            if then is None:
                yield (path, now, None, False, raw.get(path))
            elif then != now:
                yield (path, now, writes.stored_hash(self.conn, path), True, raw.get(path))
        for path in stored:
            if path not in singles:
                yield (path, None, None, True, None)

    def _apply(
        self,
        batches: Iterator[list[_ToRead]],
        gone: list[str],
        expected: int,
        walk_problems: list[Problem],
        progress: Progress | None,
        fresh: bool = False,
    ) -> tuple[RefreshReport, int]:
        """Read the changed files and store what they hold; forget the files that are gone
        (``gone``: their paths, complete once ``batches`` is). Also says how many files the
        walk found that were not there to read after all."""
        conn = self.conn
        # Filling an empty index: the secondary indexes are built once at the end
        # (a sort), which is much faster than row-by-row upkeep; the files table's too
        # when it was empty (``fresh``: then the walk compares no stored stamps).
        bulk = expected >= POOL_THRESHOLD and not writes.has_articles(conn)
        if bulk:
            writes.drop_indexes(conn, files=fresh)
        tally = _Applied(writes.next_rowid(conn), None if self.all_names else NAMES_KEPT)
        reading = _Reading(
            self.source.roots, self.source.max_size, self.catalogues.keys, self.fulltext
        )
        parallel = expected >= POOL_THRESHOLD
        for read in _read_all(batches, reading, parallel):
            first_rowid = tally.take(read, walk_problems)
            writes.write_batch(conn, read.rows, self.fulltext, first_rowid)
            if progress is not None:
                progress(tally.done, max(expected, tally.done))
        self.indexes_after = bulk and fresh and self.indexes_after
        if self.indexes_after:
            set_meta(conn, INDEXES_WAITING, "1")  # built once the rows are committed
        elif bulk:
            writes.build_indexes(conn, files=fresh)
        for path, file_id in writes.remove_files(conn, gone, self.fulltext):
            tally.name("removed", file_id, path)
        writes.replace_walk_problems(conn, walk_problems)
        report = RefreshReport(
            tally.added,
            tally.changed,
            len(gone),
            tally.unchanged,
            names=tuple(tally.names),
            names_complete=tally.names_complete,
        )
        return report, tally.vanished


def _batches(changes: Iterator[_Change], gone: list[str]) -> Iterator[list[_ToRead]]:
    """The files to read, in batches for the workers; the paths of those gone to ``gone``."""
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


@dataclass
class _Applied:
    """What the refresh stored so far: counts, names, and the next article's rowid."""

    next_rowid: int
    #: How many names to keep (None: all).
    keep: int | None = None
    names_complete: bool = True
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    done: int = 0
    #: Files the walk found that could not be reached after all (see ``batch``).
    vanished: int = 0
    names: list[tuple[str, str, str]] = field(default_factory=list)

    def name(self, what: str, file_id: str, path: str) -> None:
        if self.keep is None or len(self.names) < self.keep:
            self.names.append((what, file_id, path))
        else:
            self.names_complete = False

    def take(self, read: _Read, walk_problems: list[Problem]) -> int:
        """Count what one batch of read files holds, and give the rowid its first article
        gets (its others follow in order). A file a first fill's walk found but neither
        open nor stat could reach is the walk's problem: it goes to ``walk_problems``."""
        rows = read.rows
        walk_problems.extend(read.vanished)
        self.vanished += len(read.vanished)
        self.unchanged += len(rows.stats)
        self.changed += len(read.changed)
        self.added += len(rows.files) - len(read.changed)
        self.done += read.files
        named = (
            rows.files if self.keep is None else rows.files[: max(0, self.keep - len(self.names))]
        )
        if len(named) < len(rows.files):
            self.names_complete = False
        changed = set(read.changed)
        self.names.extend(
            ("changed" if at in changed else "added", row[2], row[0])
            for at, row in enumerate(named)
        )
        first_rowid = self.next_rowid
        self.next_rowid += len(rows.articles)
        return first_rowid


@dataclass(frozen=True)
class _Catalogues:
    """What the roots' ``newscat.toml`` files and the command line say, read at each
    refresh so that an edit shows on the next command: which files each folder root
    leaves out, which keys its fields are read from (by text root, only where a
    catalogue chose its own), and a fingerprint of those choices."""

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
        fingerprint = json.dumps(chosen, sort_keys=True) if chosen else DEFAULT_FINGERPRINT
        return cls(selections, keys, fingerprint)


@dataclass(frozen=True)
class _Reading:
    """How the workers read files: the roots, the size limit, each catalogue's keys
    (by text root), and whether bodies travel back (for the full-text index)."""

    roots: Sequence[str]
    max_size: int
    keys: Mapping[str, FieldKeys]
    bodies: bool = False


def _read_batch(batch: Sequence[_ToRead], reading: _Reading) -> _Read:
    text_roots = [text_path(root) for root in reading.roots]
    started = time.time_ns()
    read = _Read()
    # The next files are opened and their reading started while one is parsed.
    with closing(opened_ahead([raw or path for path, _, _, _, raw in batch])) as ahead:
        for item, opened in zip(batch, ahead, strict=True):
            read.add(_read_one(item, opened, reading, text_roots, started), reading.bodies)
    return read


def _read_one(
    item: _ToRead, opened: Opened, reading: _Reading, text_roots: list[str], started: int
) -> _ReadResult:
    path, file_stamp, old_hash, known, raw = item
    root, file_id = root_and_id(path, text_roots)
    # The warnings the index derives (no date, no url: on nearly every real file) are
    # not made only for article_row to leave them out; nor is a body no row holds.
    digest, result, size, mtime_ns = read_article(
        raw or path, file_id, old_hash, reading.max_size, path, reading.keys.get(root), opened,
        derivable=False, body=reading.bodies,
    )  # fmt: skip
    # The stamp stored is that of the file as read (the walk of a first fill takes
    # none); the walk's when neither open nor stat reached it, and on a first fill
    # then none: the file is the walk's problem (``_Read.add``).
    if size is None or mtime_ns is None:
        unstatted = file_stamp == UNSTATTED
        size, mtime_ns = (UNSTATTED, 0) if unstatted else unstamp(file_stamp)
    # A file changed moments before it was read may change again within the same
    # tick of the file system's clock, keeping its size and mtime: its stamp is
    # stored as one no file has, so that the next refresh reads it again.
    racy = started - mtime_ns < RACY_NS
    row = (path, root, file_id, size, RACY_MTIME if racy else mtime_ns)
    if not isinstance(result, Article):  # (asked once: every file asks it)
        return row, known, digest, result
    stored = article_row(result, None if raw is None else path_bytes(raw), reading.bodies)
    return row, known, digest, stored


def _read_all(
    batches: Iterator[list[_ToRead]], reading: _Reading, parallel: bool
) -> Iterator[_Read]:
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
    from collections import deque

    # Workers start with SIGINT and SIGTERM blocked and then leave both to this
    # process: Ctrl-C (sent to the whole process group) or SIGTERM interrupts the
    # writer here, which rolls back and stops the pool; a worker never prints its
    # own traceback, and none outlives the command.
    held = signals.hold()
    try:
        pool = _pool(workers)
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


def _pool(workers: int) -> Any:
    """A pool of ``workers`` processes, forked where the system can."""
    # start-up time: only a large refresh starts worker processes
    import multiprocessing
    from multiprocessing.pool import Pool

    class QuietPool(Pool):
        """A pool whose worker handler (a thread of this process) wakes only when a
        worker exits or the pool's state changes. The standard one also wakes while a
        result waits in the pipe from the workers, so that it spins until the result
        handler has read the result (a batch's rows, a few hundred kilobytes): on a
        real catalogue a sixth of the writer's time, and the interpreter's lock taken
        from it. Nothing here needs that wake-up: no worker exits by itself (no
        ``maxtasksperchild``), and the pool's cache emptying, ``close`` and
        ``terminate`` wake the handler through its notifier."""

        def _get_sentinels(self) -> list[Any]:
            notifier = getattr(self, "_change_notifier", None)  # not in the stubs
            if notifier is None:  # a pool of another make: its own wake-ups
                return list(getattr(super(), "_get_sentinels")())  # noqa: B009
            return [notifier._reader]

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "fork":
        # The parser is loaded once, here, and every forked worker has it, instead of
        # each loading it for its first file (some 30 ms of CPU each).
        # start-up time: only a large refresh reads files in worker processes
        import newscat.parse  # noqa: F401
    context = multiprocessing.get_context(method)
    return QuietPool(workers, initializer=_start_worker, context=context)


def _start_worker() -> None:
    """In a pool worker: ignore Ctrl-C (the parent handles it); die quietly on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signals.release(set())
