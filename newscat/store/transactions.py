"""One write transaction on a SQLite connection in autocommit mode."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def write_transaction(
    conn: sqlite3.Connection, immediate: bool = True
) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception (Ctrl-C included).

    SQLite may have rolled back already (it does on a full disk); a failing ROLLBACK
    must not hide the error that got us here. ``BEGIN IMMEDIATE`` takes the write lock
    of every attached database; without ``immediate`` only those written are locked,
    each as it is first written.
    """
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def when_unlocked(step: Callable[[], object], seconds: float = 600.0) -> None:
    """Run a step that SQLite may refuse at once, without waiting, while another process
    holds a lock (setting the journal mode), retrying until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def is_corrupt(exc: sqlite3.Error) -> bool:
    """Whether an error says the database file itself is damaged (not merely unwritable);
    a misuse of the sqlite3 module (newscat's own mistake) never does."""
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return False
    name = getattr(exc, "sqlite_errorname", "")
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.OperationalError | sqlite3.IntegrityError
    )
