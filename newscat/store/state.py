"""What newscat must not lose: when it first saw each article, and who has seen what.

The index is a cache (delete it and nothing is lost); this is state. It lives in
one small SQLite database in the state dir (``$NEWSCAT_STATE_DIR``, else the
platform's, ``$XDG_STATE_HOME/newscat`` on Linux), shared by every catalogue, and
is attached to each index connection as the schema ``state``, so that queries
over ``articles AS a`` can read it and a rebuilt, corrupt or in-memory index
loses none of it.

- ``arrivals``: one row per article file newscat has seen, by absolute path,
  with its content hash and when it was first seen. A file renamed with its
  content unchanged keeps its row (and so its arrival and its seen marks).
- ``seen``: per consumer (a name such as ``digest``), the articles it has been
  given and when. Consumers never share marks.

This module is the core API (no click): ``mark_seen``, ``unseen_ids``,
``reset_seen``, ``consumers``, plus the SQL other modules build queries from.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newscat.errors import NewscatError
from newscat.model import Warn
from newscat.store.transactions import is_corrupt, when_unlocked, write_transaction

#: The file in the state dir.
STATE_FILE = "state.sqlite3"
#: When newscat first saw the article ``a`` (an ISO 8601 UTC instant, or NULL).
ARRIVED_SQL = "(SELECT r.arrived FROM state.arrivals AS r WHERE r.path = a.path)"
#: True when consumer ``?`` has been given article ``a`` (one parameter: the consumer).
SEEN_SQL = (
    "EXISTS (SELECT 1 FROM state.arrivals AS r JOIN state.seen AS m ON m.article = r.key "
    "WHERE r.path = a.path AND m.consumer = ?)"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state.meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state.arrivals (
    key INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,      -- absolute
    hash TEXT,                      -- of the content, to follow a rename
    arrived TEXT NOT NULL           -- first seen, YYYY-MM-DDTHH:MM:SSZ
);
CREATE INDEX IF NOT EXISTS state.arrivals_hash ON arrivals(hash);
CREATE TABLE IF NOT EXISTS state.seen (
    consumer TEXT NOT NULL,
    article INTEGER NOT NULL,       -- arrivals.key
    marked TEXT NOT NULL,           -- YYYY-MM-DDTHH:MM:SSZ
    PRIMARY KEY (consumer, article)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS state.seen_marked ON seen(consumer, marked);
"""


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def attach(conn: sqlite3.Connection, path: Path | None, warn: Warn) -> bool:
    """Attach the state database to ``conn`` as ``state``; True when it is a file.

    ``path`` None attaches an empty one in memory (nothing is kept). A state
    database that is damaged is moved aside (never deleted: it is state) and a
    new one started; one that cannot be created or written is replaced by one
    in memory for this run. Each says so once through ``warn``.
    """
    if path is not None:
        why = _attach_file(conn, path, warn)
        if why is None:
            return True
        warn(f"{why}; arrival times and seen marks are not kept this time")
    _attach(conn, ":memory:")
    return False


class StateUnavailable(NewscatError):
    """The state database cannot be used: its dir is not a folder, or it cannot be
    created, opened or read (the message names the path and says why)."""


@contextlib.contextmanager
def opened(path: Path, warn: Warn, create: bool) -> Iterator[sqlite3.Connection]:
    """A connection of its own with the state database at ``path`` attached as ``state``,
    closed on leaving. Without ``create``, a state database not made yet (nothing was
    ever kept) is an empty one in memory, and none is made. StateUnavailable when it
    cannot be used: a caller that reads or changes marks has nothing to stand in."""
    conn = sqlite3.connect(":memory:", isolation_level=None, timeout=600.0)
    try:
        if not create and not _exists(path):
            _attach(conn, ":memory:")
        elif (why := _attach_file(conn, path, warn)) is not None:
            raise StateUnavailable(why)
        yield conn
    finally:
        conn.close()


def _exists(path: Path) -> bool:
    """Whether there is a file at ``path``; True also when it cannot be told (a dir that
    is a file, a folder that cannot be searched), so that opening it says why."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _attach_file(conn: sqlite3.Connection, path: Path, warn: Warn) -> str | None:
    """Attach the state database file at ``path``, made when missing (a damaged one is
    moved aside, said through ``warn``, and a new one made); why not when it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _attach(conn, str(path))
        return None
    except sqlite3.DatabaseError as exc:
        _detach(conn)
        if is_corrupt(exc) and path.exists():
            with contextlib.suppress(OSError):
                aside = move_aside(path)
                warn(f"the state database at {path} is damaged ({exc}); moved it to {aside}")
                try:
                    _attach(conn, str(path))
                    return None
                except sqlite3.Error:
                    _detach(conn)
        return f"cannot use the state database at {path} ({exc})"
    except FileExistsError:  # the state dir is a file
        return f"cannot use the state dir {path.parent} ({os.strerror(errno.ENOTDIR)})"
    except OSError as exc:
        return f"cannot use the state dir {path.parent} ({exc.strerror or exc})"


def move_aside(path: Path) -> Path:
    """Move a damaged state database aside (never deleted: it is state), beside it; where
    it went. OSError when it cannot be moved."""
    aside = path.with_name(f"{path.name}.damaged-{int(time.time())}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):  # its log goes with it: marks not yet in the file
        with contextlib.suppress(FileNotFoundError):
            os.replace(str(path) + suffix, str(aside) + suffix)
    return aside


def _attach(conn: sqlite3.Connection, target: str) -> None:
    conn.execute("ATTACH DATABASE ? AS state", (target,))
    if target != ":memory:":
        when_unlocked(lambda: conn.execute("PRAGMA state.journal_mode = WAL"))
        conn.execute("PRAGMA state.synchronous = NORMAL")
    conn.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
    conn.execute("SELECT 1 FROM state.arrivals LIMIT 1").fetchone()  # a first read, not a count


def _detach(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
    with contextlib.suppress(sqlite3.Error):
        conn.execute("DETACH DATABASE state")


def token(conn: sqlite3.Connection) -> str:
    """An id of this state database, made when it was created: an index that has
    recorded its arrivals in another (or in one since lost) records them again."""
    row = conn.execute("SELECT value FROM state.meta WHERE key = 'token'").fetchone()
    if row:
        return str(row[0])
    made = os.urandom(8).hex()
    conn.execute("INSERT OR IGNORE INTO state.meta(key, value) VALUES ('token', ?)", (made,))
    row = conn.execute("SELECT value FROM state.meta WHERE key = 'token'").fetchone()
    return str(row[0])


# -- arrivals --------------------------------------------------------------------------------


#: Bring every stored arrival hash of this index's files up to date. The index's files
#: lead (CROSS JOIN keeps them outside): the state database holds every catalogue's
#: arrivals, often far more than one index, and a scan of it would cost with its size.
REHASH_ALL = (
    "UPDATE state.arrivals SET hash = (SELECT f.hash FROM files AS f WHERE f.path = arrivals.path) "
    "WHERE path IN (SELECT f.path FROM files AS f CROSS JOIN state.arrivals AS r "
    "ON r.path = f.path WHERE f.hash IS NOT r.hash)"
)


def record_arrivals(
    conn: sqlite3.Connection,
    now: str,
    changed: Iterable[str] | None = (),
    only: Sequence[str] | None = None,
) -> int:
    """Give every article of the index that has no arrival one (of ``only`` those
    paths, when given); returns how many got one. ``changed`` None: any file may have
    changed.

    A new path whose content hash matches an arrival whose file is gone (not in
    this index and not on disk) is that file renamed: the arrival moves to the new
    path, keeping its time and its seen marks. ``changed`` paths have new content:
    their stored hash is brought up to date. Runs inside the caller's transaction.
    """
    if changed is None:
        conn.execute(REHASH_ALL)
    else:
        conn.executemany(
            "UPDATE state.arrivals SET hash = (SELECT f.hash FROM files AS f WHERE f.path = ?) "
            "WHERE path = ?",
            [(path, path) for path in changed],
        )
    among = "" if only is None else "AND a.path IN (SELECT value FROM json_each(?))"
    paths = () if only is None else (json.dumps(list(only)),)
    candidates = conn.execute(
        f"""
        SELECT a.path, r.key, r.path
        FROM articles AS a JOIN files AS f ON f.path = a.path
        JOIN state.arrivals AS r ON r.hash = f.hash
        WHERE NOT EXISTS (SELECT 1 FROM state.arrivals AS x WHERE x.path = a.path)
          AND NOT EXISTS (SELECT 1 FROM files AS g WHERE g.path = r.path) {among}
        ORDER BY a.path, r.key
        """,
        paths,
    ).fetchall()
    moved: set[int] = set()
    taken: set[str] = set()
    for new_path, key, old_path in candidates:
        if new_path in taken or key in moved or os.path.lexists(old_path):
            continue
        conn.execute("UPDATE state.arrivals SET path = ? WHERE key = ?", (new_path, key))
        moved.add(key)
        taken.add(new_path)
    cursor = conn.execute(
        "INSERT INTO state.arrivals(path, hash, arrived) SELECT a.path, f.hash, ? "
        "FROM articles AS a JOIN files AS f ON f.path = a.path "
        f"WHERE NOT EXISTS (SELECT 1 FROM state.arrivals AS r WHERE r.path = a.path) {among}",
        (now, *paths),
    )
    return max(cursor.rowcount, 0)


# -- seen marks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    """A consumer's marks: how many articles it has been given, first and last mark."""

    name: str
    seen: int
    first: str
    last: str


_CONSUMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def check_consumer(name: str) -> str:
    """A consumer's name as given; ValueError unless letters, digits, '_', '-' and '.'."""
    if not _CONSUMER.match(name):
        raise ValueError(
            f"{name!r} is not a consumer name (letters, digits, '_', '-', '.'; at most 64)"
        )
    return name


def mark_seen(conn: sqlite3.Connection, consumer: str, paths: Sequence[str], now: str) -> int:
    """Mark the articles at ``paths`` seen by ``consumer`` (kept marks keep their time)."""
    marked = 0
    with write_transaction(conn):
        for start in range(0, len(paths), 500):
            batch = list(paths[start : start + 500])
            marks = ",".join("?" * len(batch))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO state.seen(consumer, article, marked) "
                f"SELECT ?, key, ? FROM state.arrivals WHERE path IN ({marks})",
                [consumer, now, *batch],
            )
            marked += max(cursor.rowcount, 0)
    return marked


def mark_one_seen(
    conn: sqlite3.Connection, consumer: str, path: str, now: str, wait_ms: int = 50
) -> bool:
    """Mark the article at ``path`` seen by ``consumer`` now, waiting at most ``wait_ms``
    for another writer; False when the state database was busy (mark it later).

    For a reader on screen, which must not freeze while a refresh holds the lock.
    """
    (before,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        conn.execute(
            "INSERT OR IGNORE INTO state.seen(consumer, article, marked) "
            "SELECT ?, key, ? FROM state.arrivals WHERE path = ?",
            (consumer, now, path),
        )
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorname", "SQLITE_BUSY").startswith(
            ("SQLITE_BUSY", "SQLITE_LOCKED")
        ):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(before)}")
    return True


def seen_sql(consumer: str) -> str:
    """``SEEN_SQL`` for one consumer named in the SQL itself (checked: letters, digits,
    '_', '-', '.'), for a column list where a bound parameter would shift the others."""
    return SEEN_SQL.replace("?", f"'{check_consumer(consumer)}'")


def unseen_ids(conn: sqlite3.Connection, consumer: str) -> list[str]:
    """The ids of the index's articles that ``consumer`` has not been given, by id."""
    rows = conn.execute(
        f"SELECT a.id FROM articles AS a WHERE NOT {SEEN_SQL} ORDER BY a.id, a.path", (consumer,)
    )
    return [row[0] for row in rows]


def reset_seen(conn: sqlite3.Connection, consumer: str, since: str | None = None) -> int:
    """Forget ``consumer``'s marks (only those made at or after ``since``, when given)."""
    sql = "DELETE FROM state.seen WHERE consumer = ?"
    params: list[str] = [consumer]
    if since is not None:
        sql += " AND marked >= ?"
        params.append(since)
    return max(conn.execute(sql, params).rowcount, 0)


def consumers(conn: sqlite3.Connection) -> list[Consumer]:
    """Every consumer with marks, by name."""
    rows = conn.execute(
        "SELECT consumer, count(*), min(marked), max(marked) FROM state.seen "
        "GROUP BY consumer ORDER BY consumer"
    )
    return [Consumer(name, count, first, last) for name, count, first, last in rows]
