"""Real signals to a real newscat process: SIGTERM and Ctrl-C (SIGINT to the process group)
during a cold index, a refresh and an export leave the previous index usable, no
temporary file and no worker process, and exit 143 or 130 without a word."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from tests.test_index import make_catalogue


def newscat(*args: str, cache: Path, cwd: Path | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ, NEWSCAT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    # The module's fixture runs before each test's isolated environment: never the
    # user's state database or config (another newscat may hold the state's lock).
    env.setdefault("NEWSCAT_STATE_DIR", str(cache.parent / "state"))
    env.setdefault("NEWSCAT_CONFIG", str(cache.parent / "config.toml"))
    return subprocess.Popen(
        [sys.executable, "-m", "newscat", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a job
        # As a terminal's foreground job has it: a test runner started in the background
        # (nohup, CI, `&`) passes SIGINT on as ignored, and Python then keeps ignoring it.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def children(pid: int) -> set[int]:
    """The pids of a process's children (its pool workers)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            with open(task / "children") as listing:
                found.update(int(word) for word in listing.read().split())
        except FileNotFoundError:  # a thread that has just ended
            continue
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.005)


def writing(database: Path) -> bool:
    """Whether some process holds the write lock of this index (mid-refresh)."""
    if not database.exists():
        return False
    probe = sqlite3.connect(database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def count_articles(cat: Path, cache: Path) -> tuple[int, str, str]:
    proc = newscat("list", "-C", str(cat), "--count", cache=cache)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="finds pool workers through /proc (Linux)"
)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A catalogue of 6,000 articles (in folders of 100) and a cache that holds its index.

    Large enough that a cold index is still running when the signal arrives: it leaves
    the full-text index for the first search, so 2,000 articles took well under a second.
    """
    base = tmp_path_factory.mktemp("signals")
    cat, cache = base / "cat", base / "cache"
    make_catalogue(cat, 6000)
    assert count_articles(cat, cache) == (0, "6000\n", "")
    return cat, cache


@needs_proc
@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "Ctrl-C"]
)
@pytest.mark.parametrize("first", [0, 300], ids=["cold index", "refresh"])
def test_a_signal_mid_refresh_stops_quietly_and_leaves_the_previous_index(
    tmp_path: Path, indexed: tuple[Path, Path], signum: int, status: int, first: int
) -> None:
    cat, cache = tmp_path / "cat", tmp_path / "cache"
    shutil.copytree(indexed[0], cat)
    if first:  # index the first folders only, then bring the rest back
        aside = tmp_path / "aside"
        aside.mkdir()
        folders = sorted(cat.iterdir())[first // 100 :]
        for folder in folders:
            folder.rename(aside / folder.name)
        assert count_articles(cat, cache) == (0, f"{first}\n", "")
        for folder in folders:
            (aside / folder.name).rename(folder)
    proc = newscat("index", "-C", str(cat), cache=cache)
    wait_for(lambda: any(cache.glob("catalog-*.sqlite3")))
    (database,) = cache.glob("catalog-*.sqlite3")
    # Live pool workers (not the zombies a finished pool leaves for a moment) and the
    # write lock: the refresh is under way, with its parsing still to finish.
    wait_for(lambda: any(alive(pid) for pid in children(proc.pid)) and writing(database))
    workers = children(proc.pid)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # what Ctrl-C does: the whole job gets it
    else:
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (status, "", "")
    assert not [pid for pid in workers if alive(pid)]
    assert sorted(p.name for p in cache.iterdir()) == [database.name]
    if first:  # the previous index is there, untouched
        conn = sqlite3.connect(database)
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == first
        conn.close()
    assert count_articles(cat, cache) == (0, "6000\n", "")


@pytest.mark.parametrize("fmt", ["sqlite", "jsonl"])
def test_sigterm_mid_export_leaves_no_file_and_keeps_the_old_one(
    tmp_path: Path, indexed: tuple[Path, Path], fmt: str
) -> None:
    cat, cache = indexed
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / f"all.{fmt}"
    target.write_text("the previous export\n")
    proc = newscat("export", "-C", str(cat), "-f", fmt, "-o", str(target), cache=cache)
    wait_for(lambda: len(list(out_dir.iterdir())) > 1)  # the temporary file beside it
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (143, "", "")
    assert [p.name for p in out_dir.iterdir()] == [target.name]
    assert target.read_text() == "the previous export\n"


def test_ctrl_c_while_newscat_loads_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C in the first tenth of a second, while Python still imports newscat, comes
    before the command line's own handler: it stops as quietly. (The interrupt is raised
    by an import hook at the moment ``newscat.cli`` is imported, where a real one lands.)"""
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'newscat.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['newscat', 'list']\n"
        "from newscat.entry import main\n"
        "main(starter=False)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "")


def test_the_command_s_objects_are_frozen_on_the_way_out(tmp_path: Path) -> None:
    """The entry point freezes the objects a command leaves (gc.freeze), sparing the
    interpreter's last garbage collections 20 to 40 ms; the command's output and exit
    status are those it gave, whether it returns or exits (as click does). Garbage is
    still collected while the command runs (collections are paused only while newscat
    loads)."""
    script = (
        "import gc, sys\n"
        f"sys.argv = ['newscat', 'list', '-f', 'ids', '-C', {str(SEEDS)!r},"
        f" '--cache-dir', {str(tmp_path / 'cache')!r}]\n"
        "from newscat.entry import main\n"
        "try:\n"
        "    main(starter=False)\n"
        "finally:\n"
        "    print('frozen' if gc.get_freeze_count() else 'not frozen', file=sys.stderr)\n"
        "    print('collecting' if gc.isenabled() else 'not collecting', file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSCAT_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    expected = "002_6ef551387f7f8ea7\n000_50e039b255de019a\n"
    assert (done.returncode, done.stdout, done.stderr) == (0, expected, "frozen\ncollecting\n")
