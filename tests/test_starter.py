"""The preloaded starter: a command it runs is indistinguishable from a fresh one (same
output, errors and exit status), it serves only callers it can stand in for, passes
signals on, and ends with the watcher that started it."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscat import starter, starting
from tests.conftest import ROOT, SEEDS, write_article

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "SO_PEERCRED"), reason="the starter needs SO_PEERCRED"
)

#: Runs one command through the starter only: exit status 99 when it was not served.
SERVED_ONLY = (
    "import sys\n"
    "from newscat.starting import run_through_starter\n"
    "sys.argv = ['newscat', *sys.argv[1:]]\n"
    "code = run_through_starter()\n"
    "sys.exit(99 if code is None else code)\n"
)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _socket_path() -> str:
    """Where the starter of a caller run as the tests run them listens."""
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "from newscat import starting as s; print(s.socket_path(s.identity()))",
        ],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where != "None"
    return where


class Starter:
    """A starter in a process of its own, as a watcher starts one."""

    def __init__(self) -> None:
        path = _socket_path()
        self.path = path
        self.read_end, self.keep_alive = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newscat.starter", str(self.read_end)],
            cwd=ROOT,
            env=_env(),
            pass_fds=(self.read_end,),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(self.read_end)
        deadline = time.monotonic() + 60
        while not starting.listening(path):
            assert self.proc.poll() is None, "the starter ended before it listened"
            assert time.monotonic() < deadline, "the starter never listened"
            time.sleep(0.02)

    def end(self) -> None:
        os.close(self.keep_alive)
        self.proc.wait(timeout=30)


@pytest.fixture
def served() -> Iterator[Starter]:
    one = Starter()
    yield one
    one.end()


def _fresh(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "newscat", *args],
        cwd=cwd,
        env=_env(NEWSCAT_STARTER="off", **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )


def _through(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", SERVED_ONLY, *args],
        cwd=cwd,
        env=_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )


COMMANDS = [
    ["list"],
    ["list", "-f", "json", "-F", "id,title,date,topics"],
    ["list", "--where", "quality >"],  # a usage error: exit 2 and its message
    ["list", "--bogus"],
    ["show", "--format", "json", "0ed"],
    ["export", "-f", "csv"],
    ["topics"],
    ["stories", "-f", "tsv"],
    ["check"],
    ["index", "-q"],
    ["fields", "-f", "tsv"],
    ["list", "-C", "no-such-folder"],
    ["--version"],
    ["list", "--help"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_served_command_answers_as_a_fresh_one(
    args: list[str], served: Starter, tmp_path: Path
) -> None:
    catalogue = tmp_path / "cat"
    catalogue.mkdir()
    for seed in SEEDS.iterdir():
        (catalogue / seed.name).write_bytes(seed.read_bytes())
    write_article(catalogue, "odd name ünï.md", "Body.\n", title="Odd", date="2024-05-06")
    _fresh(["index", "-q"], catalogue)  # both find the index built
    fresh = _fresh(args, catalogue)
    through = _through(args, catalogue)
    assert through.returncode != 99, "the starter did not serve the command"
    assert (through.returncode, through.stdout, through.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )


def test_the_caller_s_environment_folder_and_umask_are_the_command_s(
    served: Starter, tmp_path: Path
) -> None:
    write_article(tmp_path / "cat", "a.md", "Body.\n", title="A", date="2024-05-06")
    out = tmp_path / "out"
    out.mkdir()
    script = (
        "import os, sys\n"
        "os.umask(0o077)\n"
        "from newscat.starting import run_through_starter\n"
        "sys.argv = ['newscat', 'export', '-C', '../cat', '-f', 'csv', '-o', 'a.csv']\n"
        "sys.exit(run_through_starter() or 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=out,
        env=_env(NEWSCAT_CACHE_DIR=str(tmp_path / "elsewhere")),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    written = out / "a.csv"
    assert written.read_text(encoding="utf-8").splitlines()[1].startswith("a,")
    assert written.stat().st_mode & 0o777 == 0o600  # the caller's umask, not the starter's
    assert list((tmp_path / "elsewhere").iterdir())  # the caller's cache dir


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"NEWSCAT_STARTER": "off"}, "switched off"),
        ({"TZ": "Asia/Tokyo"}, "another time zone"),
        ({"LC_ALL": "C"}, "another locale"),
        ({"PYTHONHASHSEED": "7"}, "other python settings"),
    ],
)
def test_a_caller_it_cannot_stand_in_for_starts_afresh(
    env: dict[str, str], why: str, served: Starter, tmp_path: Path
) -> None:
    result = _through(["--version"], tmp_path, **env)
    assert result.returncode == 99, why
    assert result.stdout == b""


def test_a_terminal_on_stdout_starts_afresh(served: Starter, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-c", SERVED_ONLY, "--version"],
            cwd=tmp_path,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 99


def test_no_starter_means_a_fresh_start(tmp_path: Path) -> None:
    result = _through(["--version"], tmp_path)
    assert result.returncode == 99
    fresh = subprocess.run(
        [sys.executable, "-m", "newscat", "--version"],
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert fresh.returncode == 0 and fresh.stdout.startswith(b"newscat, version ")


def test_a_stale_socket_is_not_a_starter(tmp_path: Path) -> None:
    path = _socket_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()  # the file stays; nobody listens
    assert _through(["--version"], tmp_path).returncode == 99
    one = Starter()  # and a new starter takes the place over
    try:
        assert _through(["--version"], tmp_path).returncode == 0
    finally:
        one.end()


def _watching_command(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`index --watch` run through the starter: a command that runs until stopped."""
    write_article(tmp_path / "cat", "a.md", "Body.\n", title="A", date="2024-05-06")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVED_ONLY, "index", "--watch", "-C", "cat"],
        cwd=tmp_path,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # a report of the first refresh, then this
        if line.startswith(b"watching "):
            pid = line.rsplit(b"(pid ", 1)[1].split(b")")[0].decode()
            with open(tmp_path / "pids", "a", encoding="utf-8") as pids:
                pids.write(pid + "\n")
            return proc, tmp_path / "cat"
    raise AssertionError(f"the served watcher ended: {proc.wait()}")


def test_signals_reach_the_served_command(served: Starter, tmp_path: Path) -> None:
    pytest.importorskip("watchdog")
    proc, _ = _watching_command(tmp_path)
    proc.send_signal(signal.SIGTERM)  # the watcher stops cleanly on SIGTERM
    assert proc.wait(timeout=30) == 0


def test_commands_under_way_end_and_report_after_the_watcher_is_gone(tmp_path: Path) -> None:
    pytest.importorskip("watchdog")
    one = Starter()
    proc, _ = _watching_command(tmp_path)
    os.close(one.keep_alive)  # the watcher that started the starter has ended
    deadline = time.monotonic() + 30
    while os.path.exists(one.path):  # no new callers are taken
        assert time.monotonic() < deadline, "the starter still listens"
        time.sleep(0.05)
    assert _through(["--version"], tmp_path).returncode == 99
    assert one.proc.poll() is None  # while a command it runs is under way
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0  # its status still reported
    assert one.proc.wait(timeout=30) == 0


def test_a_starter_killed_under_a_command_is_an_error_never_a_second_run(
    served: Starter, tmp_path: Path
) -> None:
    pytest.importorskip("watchdog")
    proc, _ = _watching_command(tmp_path)
    served.proc.kill()
    served.proc.wait(timeout=30)
    assert proc.wait(timeout=30) == 1
    served.end = lambda: None  # type: ignore[method-assign]  # it is gone already
    # The orphaned command holds the caller's streams until it ends.
    for line in (tmp_path / "pids").read_text().split():
        os.kill(int(line), signal.SIGKILL)
    assert proc.stderr is not None and proc.stderr.read() == (
        b"newscat: error: the starter stopped before the command ended\n"
    )
    assert proc.stdout is not None and proc.stdout.read() == b""  # no fresh watcher began


def test_a_caller_killed_takes_its_command_with_it(served: Starter, tmp_path: Path) -> None:
    pytest.importorskip("watchdog")
    proc, cat = _watching_command(tmp_path)
    proc.kill()
    proc.wait(timeout=30)
    # The watcher's lock is free again once the served command has ended.
    deadline = time.monotonic() + 30
    while True:
        status = _fresh(["index", "--status", "-C", str(cat)], tmp_path)
        if b"watched       no" in status.stdout:
            break
        assert time.monotonic() < deadline, status.stdout
        time.sleep(0.1)


def test_the_watcher_starts_a_starter_and_it_ends_with_the_watcher(tmp_path: Path) -> None:
    pytest.importorskip("watchdog")
    write_article(tmp_path / "cat", "a.md", "Body.\n", title="A", date="2024-05-06")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "newscat", "index", "--watch", "-C", "cat"],
        cwd=tmp_path,
        env=_env(NEWSCAT_STARTER="off"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert watcher.stdout is not None
        assert any(line.startswith(b"watching ") for line in watcher.stdout)
        path = _socket_path()
        deadline = time.monotonic() + 60
        while _through(["--version"], tmp_path).returncode == 99:
            assert time.monotonic() < deadline, "no starter listened"
            time.sleep(0.1)
        listed = _through(["list", "-C", "cat", "-F", "title", "--no-header"], tmp_path)
        assert (listed.returncode, listed.stdout) == (0, b"A\n")
    finally:
        watcher.kill()  # however the watcher ends, its starter ends with it
        watcher.wait(timeout=30)
    deadline = time.monotonic() + 30
    while os.path.exists(path):
        assert time.monotonic() < deadline, "the starter outlived its watcher"
        time.sleep(0.05)
    assert _through(["--version"], tmp_path).returncode == 99


def test_each_python_and_newscat_has_a_socket_of_its_own() -> None:
    assert starting.socket_path(b"one") != starting.socket_path(b"two")
    assert starting.socket_path(b"one") == starting.socket_path(b"one")


def test_a_changed_newscat_file_stops_the_starter(tmp_path: Path) -> None:
    copy = tmp_path / "stamps.py"
    copy.write_text("x = 1\n", encoding="utf-8")
    loaded = {str(copy): copy.stat().st_mtime_ns}
    assert not starter._changed(loaded)
    os.utime(copy, ns=(1, 1))
    assert starter._changed(loaded)
    copy.unlink()
    assert starter._changed({str(copy): 1})
