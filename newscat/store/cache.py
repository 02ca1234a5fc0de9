"""The index files in a cache dir: what each holds, and pruning those nobody can use.

There is one index per set of catalogue roots, so a cache dir collects one file
for every set ever used. Each index records its roots when it is created; the
file's modification time is bumped whenever a command opens it (its last use).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newscat.catalog import text_path

#: An index's file name; ``database_name`` in newscat.store.index makes them.
INDEX_FILE = re.compile(r"^catalog-[0-9a-f]{16}\.sqlite3$")
#: Files that belong to an index and go with it: SQLite's own, and the watcher's.
SIDECARS = ("-wal", "-shm", "-journal", ".watch")

#: What ``newscat cache`` says of an index.
IN_USE = "ok"
ROOTS_GONE = "roots gone"
UNKNOWN = "roots unknown"
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class CacheEntry:
    """One index file and what is known about it."""

    path: Path
    size_bytes: int  # the database and its sidecars
    last_used: float  # seconds since the epoch
    roots: tuple[str, ...] | None  # None: not recorded, or unreadable
    missing: tuple[str, ...]  # the roots that no longer exist
    state: str  # IN_USE, ROOTS_GONE, UNKNOWN or UNREADABLE

    @property
    def prunable(self) -> bool:
        """True when no command can use this index again: a root of it is gone."""
        return self.state == ROOTS_GONE


def entries(cache_dir: Path) -> list[CacheEntry]:
    """Every index file in ``cache_dir``, most recently used first ([] when there is none)."""
    try:
        names = os.listdir(cache_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = [_entry(cache_dir / name) for name in names if INDEX_FILE.match(name)]
    return sorted(found, key=lambda e: (-e.last_used, e.path.name))


def prune(found: Iterable[CacheEntry]) -> list[CacheEntry]:
    """Remove every prunable index with its sidecars; returns what was removed."""
    removed: list[CacheEntry] = []
    for entry in found:
        if not entry.prunable:
            continue
        for path in _files_of(entry.path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed.append(entry)
    return removed


def record_roots(conn: sqlite3.Connection, roots: Sequence[str]) -> None:
    """Remember which roots an index serves (inside the caller's transaction)."""
    conn.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('roots', ?)",
        # ASCII-escaped, so that a root whose name is not UTF-8 round-trips exactly.
        (json.dumps(sorted(roots)),),
    )


def mark_used(database: str) -> None:
    """Note a use of the index file by its modification time (best effort)."""
    with contextlib.suppress(OSError):
        os.utime(database)


def _files_of(database: Path) -> list[Path]:
    return [database, *(database.with_name(database.name + s) for s in SIDECARS)]


def _entry(database: Path) -> CacheEntry:
    size = 0
    for path in _files_of(database):
        with contextlib.suppress(OSError):
            size += path.stat().st_size
    last_used = 0.0
    with contextlib.suppress(OSError):
        last_used = database.stat().st_mtime
    try:
        roots = _stored_roots(database)
    except (OSError, sqlite3.Error, ValueError):
        return CacheEntry(database, size, last_used, None, (), UNREADABLE)
    if roots is None:
        return CacheEntry(database, size, last_used, None, (), UNKNOWN)
    missing = tuple(text_path(root) for root in roots if not os.path.exists(root))
    shown = tuple(text_path(root) for root in roots)
    return CacheEntry(database, size, last_used, shown, missing, ROOTS_GONE if missing else IN_USE)


def _stored_roots(database: Path) -> tuple[str, ...] | None:
    """The roots an index records; None when it records none (an index made before this).

    Read through an ordinary connection, so that closing it, as the last one, removes
    the write-ahead log and shared-memory files again; the file keeps its times.
    """
    before = database.stat()
    conn = sqlite3.connect(str(database), timeout=5.0)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'roots'").fetchone()
    finally:
        conn.close()
        with contextlib.suppress(OSError):
            os.utime(database, ns=(before.st_atime_ns, before.st_mtime_ns))
    if row is None:
        return None
    roots = json.loads(row[0])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise ValueError("roots are not a list of paths")
    return tuple(roots)
