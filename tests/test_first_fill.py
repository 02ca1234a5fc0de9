"""A large first fill commits its rows, then builds its indexes while another connection
records the arrivals: the same index and the same arrivals as any other fill, and one
stopped in between is finished by the next connection."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from newscat import refresh as refresh_module
from newscat.store import state as state_store
from newscat.store.index import Index
from newscat.store.state import STATE_FILE
from tests.conftest import write_article

COUNT = 30
SCHEMA_SQL = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
SECONDARY = {"articles_id", "articles_date", "topics_key", "files_dir", "problems_path"}


def _catalogue(folder: Path) -> Path:
    for n in range(COUNT):
        write_article(
            folder,
            f"{n // 10:02d}/{n:03d}.md",
            body=f"Body {n}.",
            title=f"Article {n}",
            publishedDateTime=f"2024-02-{1 + n % 28:02d}T10:00:00Z",
            topics=["AI", f"Topic {n % 3}"],
        )
    (folder / "broken.md").write_text("---\n: : :\n---\n", encoding="utf-8")
    return folder


def _state() -> Path:
    return Path(os.environ["NEWSCAT_STATE_DIR"]) / STATE_FILE


def _open(cat: Path, cache: Path, said: list[str]) -> Index:
    return Index.open([str(cat)], cache, said.append, state=_state())


def _rows(location: str, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(location)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _arrivals() -> dict[str, str]:
    return dict(_rows(str(_state()), "SELECT path, arrived FROM arrivals"))  # type: ignore[arg-type]


def _meta(location: str) -> dict[str, object]:
    return dict(_rows(location, "SELECT key, value FROM meta"))  # type: ignore[arg-type]


def _serial_schema(cat: Path, cache: Path) -> list[tuple[object, ...]]:
    """The schema of an index filled file by file (no bulk fill, no waiting indexes)."""
    index = Index.open([str(cat)], cache)
    try:
        index.refresh()
        return index.conn.execute(SCHEMA_SQL).fetchall()
    finally:
        index.close()


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 5)


@pytest.mark.usefixtures("bulk")
def test_a_large_first_fill_gives_the_same_index_and_every_arrival(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "cat")
    said: list[str] = []
    index = _open(cat, tmp_path / "cache", said)
    try:
        report = index.refresh()
        location = index.location
        assert (report.added, said) == (COUNT + 1, [])
        assert index.conn.execute(SCHEMA_SQL).fetchall() == _serial_schema(cat, tmp_path / "s")
        assert index.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        paths = {row[0] for row in index.conn.execute("SELECT path FROM articles")}
    finally:
        index.close()
    assert set(_arrivals()) == paths and len(paths) == COUNT
    meta = _meta(location)
    assert "indexes_waiting" not in meta and "arrivals_pending" not in meta
    assert meta["state_token"] == _rows(str(_state()), "SELECT value FROM meta")[0][0]


@pytest.mark.usefixtures("bulk")
def test_a_fill_stopped_before_its_indexes_leaves_them_to_the_next_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the indexes are built: the rows are kept (committed), and the next
    connection builds the indexes before anything reads them."""
    cat = _catalogue(tmp_path / "cat")
    said: list[str] = []

    def stopped(conn: sqlite3.Connection) -> None:
        raise KeyboardInterrupt

    index = _open(cat, tmp_path / "cache", said)
    location = index.location
    try:
        with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
            patched.setattr(refresh_module, "build_waiting_indexes", stopped)
            index.refresh()
    finally:
        index.close()
    names = {row[0] for row in _rows(location, "SELECT name FROM sqlite_master")}
    assert not names & SECONDARY
    assert _rows(location, "SELECT count(*) FROM articles") == [(COUNT,)]
    assert _meta(location)["indexes_waiting"] == "1"
    recorded = _arrivals()  # recorded beside the build, which was stopped
    assert len(recorded) == COUNT

    index = _open(cat, tmp_path / "cache", said)
    try:
        assert index.conn.execute(SCHEMA_SQL).fetchall() == _serial_schema(cat, tmp_path / "s")
        report = index.refresh()
        assert (report.added, report.unchanged) == (0, COUNT + 1)
        assert [a.title for a in index.select(order="a.id")][:2] == ["Article 0", "Article 1"]
    finally:
        index.close()
    assert (said, _arrivals()) == ([], recorded)
    assert "indexes_waiting" not in _meta(location) and "arrivals_pending" not in _meta(location)


@pytest.mark.usefixtures("bulk")
def test_arrivals_that_cannot_be_recorded_beside_the_build_are_said_and_recorded_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = _catalogue(tmp_path / "cat")
    said: list[str] = []

    def full(*args: object) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    index = _open(cat, tmp_path / "cache", said)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(state_store, "record_arrivals", full)
            assert index.refresh().added == COUNT + 1
        location = index.location
        assert location != ":memory:"
    finally:
        index.close()
    assert said == ["cannot record arrival times in the state database (database or disk is full)"]
    assert _meta(location)["arrivals_pending"] == "one"
    assert "indexes_waiting" not in _meta(location)
    index = _open(cat, tmp_path / "cache", said)
    try:
        index.refresh()
    finally:
        index.close()
    assert len(_arrivals()) == COUNT and len(said) == 1
    assert "arrivals_pending" not in _meta(location)


@pytest.mark.usefixtures("bulk")
def test_an_unexpected_error_beside_the_build_reaches_the_caller_not_a_thread_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything but SQLite's errors in the arrivals' thread is raised again where the
    command handles errors (one line, or the traceback with --debug), not printed by
    the thread as it dies."""
    cat = _catalogue(tmp_path / "cat")
    died: list[BaseException | None] = []

    def broken(*args: object) -> int:
        if threading.current_thread() is threading.main_thread():
            return 0
        raise RuntimeError("a bug")

    index = _open(cat, tmp_path / "cache", [])
    try:
        with monkeypatch.context() as patched, pytest.raises(RuntimeError, match="a bug"):
            patched.setattr(state_store, "record_arrivals", broken)
            patched.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
            index.refresh()
    finally:
        index.close()
    assert died == []
