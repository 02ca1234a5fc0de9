"""Faults a real file system produces, under real conditions rather than mocks.

A full cache dir is a real tmpfs when the tests run as root (skipped otherwise)
and a real ``RLIMIT_FSIZE`` in a child process everywhere; a read-only cache dir
is a real read-only remount. Each must give one warning and a correct answer.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, remount, run, write_article

WARNING_END = "; indexing in memory this time\n"


def make_articles(folder: Path, count: int, start: int = 0, body_size: int = 3000) -> None:
    """``count`` articles with bodies of about ``body_size`` bytes (to fill a small disk)."""
    words = "the quick brown fox reports on machine learning and public health "
    for n in range(start, start + count):
        write_article(
            folder,
            f"{n // 200:02d}/{n:05d}_{n:016x}.md",
            body=(f"Article {n}: " + words * (body_size // len(words) + 1))[:body_size],
            title=f"Article {n}",
            publishedDateTime=f"2023-02-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            quality=n % 100,
            topics=["AI", f"Topic {n % 7}"],
            webUrl=f"https://example.com/{n}",
        )


def expected_ids(folder: Path) -> str:
    """What ``list -f ids`` must print: every article, by a fresh in-memory index."""
    result = run("list", "-C", str(folder), "--no-cache", "-f", "ids", "--sort", "id")
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def list_ids(folder: Path, cache: Path) -> tuple[int, str, str]:
    result = run("list", "-C", str(folder), "--cache-dir", str(cache), "-f", "ids", "--sort", "id")
    return result.exit_code, result.stdout, result.stderr


def assert_one_fallback_warning(stderr: str) -> None:
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("newscat: warning: cannot "), stderr
    assert stderr.endswith(WARNING_END), stderr


def status(folder: Path, cache: Path) -> dict[str, str]:
    result = run("index", "--status", "-C", str(folder), "--cache-dir", str(cache))
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return {line[:14].strip(): line[14:] for line in result.stdout.splitlines()}


def stored_articles(cache: Path) -> int:
    (database,) = cache.glob("catalog-*.sqlite3")
    conn = sqlite3.connect(database)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


# --- a real tmpfs (root only) ----------------------------------------------------------


def test_a_disk_that_fills_during_the_first_index_falls_back_to_memory(
    tmp_path: Path, small_disk: Path
) -> None:
    cat = tmp_path / "cat"
    make_articles(cat, 700)  # about 2 MiB of text: more than the disk holds
    want = expected_ids(cat)
    code, out, err = list_ids(cat, small_disk)
    assert (code, out) == (0, want)
    assert_one_fallback_warning(err)
    again = list_ids(cat, small_disk)  # still full: the same, not worse
    assert (again[0], again[1]) == (0, want)
    assert_one_fallback_warning(again[2])
    remount(small_disk, "size=64m")  # room again: the next run repairs the cache
    assert list_ids(cat, small_disk) == (0, want, "")
    held = status(cat, small_disk)
    assert held["database"].startswith(str(small_disk))
    assert (held["articles"], held["files"]) == ("700", "700")


def test_a_disk_that_fills_during_a_refresh_keeps_the_previous_index(
    tmp_path: Path, small_disk: Path
) -> None:
    cat = tmp_path / "cat"
    make_articles(cat, 40, body_size=300)
    assert list_ids(cat, small_disk)[2] == ""
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # take every byte that is left
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    make_articles(cat, 250, start=40, body_size=300)
    want = expected_ids(cat)
    code, out, err = list_ids(cat, small_disk)
    assert (code, out) == (0, want)
    assert_one_fallback_warning(err)
    filler.unlink()
    assert stored_articles(small_disk) == 40  # the previous index, intact
    assert list_ids(cat, small_disk) == (0, want, "")
    assert stored_articles(small_disk) == 290  # repaired


def test_a_read_only_cache_dir_falls_back_to_memory(tmp_path: Path, small_disk: Path) -> None:
    cat = tmp_path / "cat"
    make_articles(cat, 20, body_size=200)
    assert list_ids(cat, small_disk)[2] == ""
    make_articles(cat, 5, start=20, body_size=200)
    want = expected_ids(cat)
    remount(small_disk, "ro")
    try:
        code, out, err = list_ids(cat, small_disk)
    finally:
        remount(small_disk, "rw")
    assert (code, out) == (0, want)
    assert_one_fallback_warning(err)
    assert list_ids(cat, small_disk) == (0, want, "")


# --- RLIMIT_FSIZE (any user) -----------------------------------------------------------


def _limit_file_size(limit: int) -> None:
    """In the child: files may not grow past ``limit`` bytes (EFBIG, not a SIGXFSZ kill)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _newscat_limited(args: list[str], cache: Path, limit: int) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NEWSCAT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "newscat", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: _limit_file_size(limit),
    )


def test_a_file_size_limit_during_the_first_index_falls_back_to_memory(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_articles(cat, 500)
    want = expected_ids(cat)
    cache = tmp_path / "cache"
    args = ["list", "-C", str(cat), "-f", "ids", "--sort", "id"]
    limited = _newscat_limited(args, cache, limit=256 * 1024)
    assert (limited.returncode, limited.stdout) == (0, want)
    assert_one_fallback_warning(limited.stderr)
    unlimited = _newscat_limited(args, cache, limit=resource.RLIM_INFINITY)
    assert (unlimited.returncode, unlimited.stdout, unlimited.stderr) == (0, want, "")
    assert status(cat, cache)["articles"] == "500"


# --- a cache dir that goes away --------------------------------------------------------


def test_a_cache_dir_removed_mid_run_still_answers_and_comes_back(tmp_path: Path) -> None:
    from newscat.index import Index

    cat = tmp_path / "cat"
    make_articles(cat, 30, body_size=200)
    cache = tmp_path / "cache"
    warnings: list[str] = []
    index = Index.open([str(cat)], cache, warnings.append)
    shutil.rmtree(cache)  # between opening the index and writing to it
    index.refresh()
    assert index.count() == 30
    assert warnings == [
        f"the index at {cache / Path(index.location).name} was removed while newscat ran; "
        "this answer is right, and the next run builds the index again"
    ]
    index.refresh()  # said once
    assert len(warnings) == 1
    index.close()
    assert list_ids(cat, cache) == (0, expected_ids(cat), "")
    assert stored_articles(cache) == 30


def test_an_index_left_in_place_warns_nothing(tmp_path: Path) -> None:
    from newscat.index import Index

    cat = tmp_path / "cat"
    make_articles(cat, 5, body_size=200)
    warnings: list[str] = []
    index = Index.open([str(cat)], tmp_path / "cache", warnings.append)
    index.refresh()
    index.refresh()
    index.close()
    assert warnings == []
