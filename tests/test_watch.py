"""`newscat index --watch`: a real watcher process keeps the index fresh; commands skip
their walk only while it is alive and has caught up, and walk in every other case."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newscat import watch
from newscat.errors import UsageError
from newscat.refresh import RefreshReport
from newscat.store.index import Index, database_name
from tests.conftest import ROOT, run, write_article

pytest.importorskip("watchdog")


def _article(folder: Path, name: str, title: str) -> None:
    write_article(folder, name, "body\n", title=title, publishedDateTime="2024-01-02T03:04:05Z")


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    folder = tmp_path / "cat"
    for i in range(3):
        _article(folder, f"a{i}.md", f"Title {i}")
    return folder


class Child:
    """``newscat index --watch`` in a process of its own."""

    def __init__(self, cat: Path, cache: Path, *extra: str) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), NEWSCAT_CACHE_DIR=str(cache))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newscat", "index", "--watch", "-C", str(cat), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> str:
        assert self.proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.proc.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise AssertionError(f"watcher exited: {self.proc.returncode}") from None
                continue
            if line.startswith("watching "):
                self.lines = lines
                return line
        raise AssertionError("watcher never said it was ready")

    def end(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
        self.proc.communicate(timeout=30)


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        child.end()


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the walks of this (test) process's commands; the watcher's are its own."""
    calls: list[int] = []
    real = Index.refresh

    def counted(self: Index, *args: Any, **kwargs: Any) -> RefreshReport:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Index, "refresh", counted)
    return calls


def _titles(cat: Path) -> list[str]:
    result = run("list", "-C", str(cat), "-F", "title", "--no-header", "--sort", "title")
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_commands_skip_the_walk_yet_see_every_change(
    cat: Path, isolated_env: Path, children: list[Child], refreshes: list[int]
) -> None:
    child = Child(cat, isolated_env)
    children.append(child)
    assert child.wait_ready() == f"watching {cat} (pid {child.proc.pid}); Ctrl-C stops\n"

    assert _titles(cat) == ["Title 0", "Title 1", "Title 2"]
    _article(cat, "new/b.md", "Brand new")  # and no pause before the next command
    assert _titles(cat) == ["Brand new", "Title 0", "Title 1", "Title 2"]
    (cat / "a0.md").unlink()
    _article(cat, "a1.md", "Edited")
    assert _titles(cat) == ["Brand new", "Edited", "Title 2"]
    (cat / "new").rename(cat / "moved")
    assert run("list", "-C", str(cat), "-f", "ids", "-t", "x").stdout == ""
    assert run("list", "-C", str(cat), "-f", "ids", "--sort", "id").stdout == ("a1\na2\nmoved/b\n")
    assert refreshes == []  # not one walk of their own
    assert not [p for p in cat.iterdir() if p.name.startswith(watch.COOKIE_PREFIX)]
    status = run("index", "--status", "-C", str(cat)).stdout.splitlines()
    assert status[-1] == f"watched       yes, by pid {child.proc.pid}"


def test_a_dead_watcher_means_a_walk(
    cat: Path, isolated_env: Path, children: list[Child], refreshes: list[int]
) -> None:
    child = Child(cat, isolated_env)
    children.append(child)
    child.wait_ready()
    child.proc.kill()  # no chance to clean up: the lock file stays, its lock does not
    child.proc.wait()
    database = isolated_env / database_name([str(cat)])
    assert Path(str(database) + watch.SUFFIX).exists()

    _article(cat, "late.md", "Late")

    assert _titles(cat) == ["Late", "Title 0", "Title 1", "Title 2"]
    assert refreshes == [1]
    assert run("index", "--status", "-C", str(cat)).stdout.splitlines()[-1] == "watched       no"


def test_a_watcher_that_does_not_answer_means_a_walk(
    cat: Path,
    isolated_env: Path,
    children: list[Child],
    refreshes: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    child = Child(cat, isolated_env)
    children.append(child)
    child.wait_ready()
    os.kill(child.proc.pid, signal.SIGSTOP)  # alive, holding its lock, deaf
    monkeypatch.setattr(watch, "SYNC_SECONDS", 0.3)
    _article(cat, "late.md", "Late")

    assert _titles(cat) == ["Late", "Title 0", "Title 1", "Title 2"]
    assert refreshes == [1]
    assert not [p for p in cat.iterdir() if p.name.startswith(watch.COOKIE_PREFIX)]


def test_a_root_replaced_by_another_folder_means_a_walk_at_once_and_the_watcher_ends(
    cat: Path, isolated_env: Path, children: list[Child], refreshes: list[int]
) -> None:
    """The watch follows the folder it began with, wherever it goes: a new folder at the
    root's path is not watched, so a command does not wait for a cookie nobody will see,
    and the watcher says why it stops."""
    child = Child(cat, isolated_env)
    children.append(child)
    child.wait_ready()
    database = str(isolated_env / database_name([str(cat)]))
    assert watch.synced(database, [str(cat)])
    cat.rename(cat.parent / "old")
    _article(cat, "other.md", "In the new folder")
    answers: list[bool] = []
    asking = threading.Thread(target=lambda: answers.append(watch.synced(database, [str(cat)])))
    asking.start()
    asking.join(timeout=watch.SYNC_SECONDS / 2)  # not waiting out a cookie nobody sees
    assert answers == [False]

    assert _titles(cat) == ["In the new folder"]
    assert refreshes == [1]
    assert child.proc.wait(timeout=30) == 1
    assert child.proc.stderr is not None
    assert child.proc.stderr.read() == (
        f"Error: {cat} was replaced by another folder; no longer watching\n"
    )
    assert not Path(database + watch.SUFFIX).exists()
    assert run("index", "--status", "-C", str(cat)).stdout.splitlines()[-1] == "watched       no"


def test_a_root_removed_while_watched_ends_the_watcher_saying_it_is_gone(
    cat: Path, isolated_env: Path, children: list[Child]
) -> None:
    """The watch of a removed folder stops with it: the watcher says the root is gone (one
    line, no traceback), not only that its watch stopped, and leaves no lock behind."""
    child = Child(cat, isolated_env)
    children.append(child)
    child.wait_ready()
    database = str(isolated_env / database_name([str(cat)]))
    shutil.rmtree(cat)
    assert child.proc.wait(timeout=30) == 1
    assert child.proc.stderr is not None
    assert child.proc.stderr.read() == f"Error: {cat} is gone; no longer watching\n"
    assert not Path(database + watch.SUFFIX).exists()


def test_what_a_watcher_says_of_itself_is_read_whole_however_long(tmp_path: Path) -> None:
    """Forty roots of long names make the lock file's JSON longer than a page: read in
    part it would be no JSON, and every command would walk."""
    database = str(tmp_path / "index.sqlite3")
    roots = [str(tmp_path / f"{'r' * 120}{i}") for i in range(40)]
    for root in roots:
        os.mkdir(root)
    info = {"pid": 4242, "roots": roots, "identities": watch._identities(roots), "started": 0}
    fd = os.open(watch.lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a live watcher holds it
        os.write(fd, json.dumps(info).encode())
        assert os.fstat(fd).st_size > 4096
        assert watch.watcher_pid(database) == 4242
        assert watch._live_watcher(database) == info
    finally:
        os.close(fd)


def test_sigterm_stops_it_cleanly(cat: Path, isolated_env: Path, children: list[Child]) -> None:
    child = Child(cat, isolated_env)
    children.append(child)
    child.wait_ready()
    _article(cat, ".more.md", "More")  # hidden while written, so no refresh sees half of it
    (cat / ".more.md").rename(cat / "more.md")
    assert _titles(cat)[0] == "More"

    child.proc.send_signal(signal.SIGTERM)
    child.proc.wait(timeout=30)
    err = child.proc.stderr.read()  # type: ignore[union-attr]
    time.sleep(0.2)
    out = "".join(child.lines.get_nowait() for _ in range(child.lines.qsize()))

    assert (child.proc.returncode, err) == (0, "")
    assert "1 added, 0 changed, 0 removed, 3 unchanged, 0 with problems" in out
    assert sorted(p.name for p in isolated_env.iterdir()) == [database_name([str(cat)])]


def test_one_watcher_per_catalogue(cat: Path, isolated_env: Path, children: list[Child]) -> None:
    first = Child(cat, isolated_env)
    children.append(first)
    first.wait_ready()

    second = run("index", "--watch", "-C", str(cat))

    assert (second.exit_code, second.stdout) == (1, "")
    assert second.stderr == f"Error: the catalogue is already watched (pid {first.proc.pid})\n"


def test_usage_errors(cat: Path) -> None:
    single = run("index", "--watch", "-C", str(cat / "a0.md"))
    memory = run("index", "--watch", "-C", str(cat), "--no-cache")
    both = run("index", "--watch", "--rebuild", "-C", str(cat))
    assert (single.exit_code, single.stderr) == (
        2,
        f"Error: index --watch watches folders, and {cat / 'a0.md'} is a file\n",
    )
    assert (memory.exit_code, memory.stderr) == (
        2,
        "Error: index --watch needs a cache dir (not --no-cache)\n",
    )
    assert both.exit_code == 2


def test_without_watchdog_one_line_says_what_to_install(
    cat: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "watchdog.observers", None)
    result = run("index", "--watch", "-C", str(cat))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == 'Error: index --watch needs watchdog: pip install "newscat[watch]"\n'


def _in_thread(index: Index, report: Callable[[RefreshReport], None]) -> watch.Watcher:
    watcher = watch.Watcher(index, report)
    ready = threading.Event()
    threading.Thread(target=watcher.run, args=(ready.set,), daemon=True).start()
    assert ready.wait(30)
    return watcher


def test_a_lost_event_makes_the_watcher_walk(cat: Path, tmp_path: Path) -> None:
    index = Index.open([str(cat)], tmp_path / "cache")
    walks: list[RefreshReport] = []
    watcher = _in_thread(index, walks.append)
    try:
        assert len(walks) == 1  # the catching-up walk
        # What watchdog does when the kernel's queue overflows: it says so in its log.
        logging.getLogger("watchdog.observers.inotify_c").warning("events were lost")
        deadline = time.monotonic() + 10
        while len(walks) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(walks) >= 2  # one walk per event that arrived apart, at least one
    finally:
        watcher.stop()


def test_changes_in_hidden_folders_and_cookies_do_not_walk(cat: Path, tmp_path: Path) -> None:
    index = Index.open([str(cat)], tmp_path / "cache")
    walks: list[RefreshReport] = []
    watcher = _in_thread(index, walks.append)
    try:
        (cat / ".git").mkdir()
        (cat / ".git" / "index").write_text("x")
        assert watch.synced(index.location, [str(cat)])
        assert len(walks) == 1
        (cat / ".git" / "HEAD").write_text("y")
        assert watch.synced(index.location, [str(cat)])
        assert len(walks) == 1
        (cat / ".gitignore").write_text("a2.md\n")  # this one the walk reads
        assert watch.synced(index.location, [str(cat)])
        assert len(walks) >= 2  # one walk per event that arrived apart, at least one
    finally:
        watcher.stop()


def test_the_watcher_records_arrivals_and_names_changes_with_v(
    cat: Path, isolated_env: Path, children: list[Child], refreshes: list[int], tmp_path: Path
) -> None:
    child = Child(cat, isolated_env, "-v")
    children.append(child)
    child.wait_ready()
    _article(tmp_path / "staging", "fresh.md", "Fresh")  # then moved in whole: one refresh
    os.replace(tmp_path / "staging" / "fresh.md", cat / "fresh.md")
    named = child.lines.get(timeout=30)
    summary = child.lines.get(timeout=30)

    # Before any command has run: the watcher itself recorded every arrival.
    with sqlite3.connect(tmp_path / "state" / "state.sqlite3") as state:
        paths = [row[0] for row in state.execute("SELECT path FROM arrivals ORDER BY path")]
    listed = run("list", "-C", str(cat), "-f", "ids", "-w", "arrived is not empty", "-s", "id")
    unseen = run("list", "-C", str(cat), "--unseen", "digest", "-f", "ids", "-s", "id")
    again = run("list", "-C", str(cat), "--unseen", "digest", "--count")

    assert named == "added    fresh\n"
    assert "1 added, 0 changed, 0 removed, 3 unchanged" in summary
    assert paths == [str(cat / name) for name in ("a0.md", "a1.md", "a2.md", "fresh.md")]
    assert (listed.exit_code, listed.stdout) == (0, "a0\na1\na2\nfresh\n")
    assert (unseen.stdout, again.stdout) == ("a0\na1\na2\nfresh\n", "0\n")
    assert refreshes == []


def test_a_command_records_arrivals_the_watcher_kept_elsewhere(
    cat: Path,
    isolated_env: Path,
    children: list[Child],
    refreshes: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(tmp_path / "watcher-state"))
    child = Child(cat, isolated_env)
    children.append(child)
    child.wait_ready()
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(tmp_path / "state"))
    _article(cat, "fresh.md", "Fresh")

    listed = run("list", "-C", str(cat), "-f", "ids", "-w", "arrived is not empty", "-s", "id")

    assert (listed.exit_code, listed.stdout) == (0, "a0\na1\na2\nfresh\n")
    assert refreshes == []


def test_a_root_removed_before_the_watch_began_is_said_to_be_gone(
    cat: Path, tmp_path: Path
) -> None:
    """The root went between the opening of the index and the taking of the watcher's
    lock: the same error as for a root that never was, not that it is a file."""
    index = Index.open([str(cat)], tmp_path / "cache")
    watcher = watch.Watcher(index)
    shutil.rmtree(cat)
    with pytest.raises(UsageError) as raised:
        watcher.run()
    assert str(raised.value) == f"catalogue root does not exist: {cat}"
    assert not os.path.exists(watch.lock_path(index.location))
