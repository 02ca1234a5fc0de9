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

import pytest

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


def _fill(disk: Path) -> Path:
    """Take every byte left on ``disk``; the file that holds them."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


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
    filler = _fill(small_disk)
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
    from newscat.store.index import Index

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
    from newscat.store.index import Index

    cat = tmp_path / "cat"
    make_articles(cat, 5, body_size=200)
    warnings: list[str] = []
    index = Index.open([str(cat)], tmp_path / "cache", warnings.append)
    index.refresh()
    index.refresh()
    index.close()
    assert warnings == []


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_what_a_cold_index_leaves_for_later_is_built_in_memory_when_it_cannot_be_written(
    tmp_path: Path, small_disk: Path, fault: str
) -> None:
    """A cold index leaves the stories and the full-text index to the first command
    that needs them; when the index cannot be written then, that command says so once
    and answers from memory, and the next one with room builds them in the file."""
    cat = tmp_path / "cat"
    make_articles(cat, 60, body_size=2000)
    assert list_ids(cat, small_disk)[2] == ""  # a cold index: no stories, no full text
    base = ["-C", str(cat), "--cache-dir", str(small_disk)]
    first, second = "00/00000_0000000000000000", "00/00001_0000000000000001"
    filler = _fill(small_disk) if fault == "full" else None
    if fault == "read-only":
        remount(small_disk, "ro")
    try:
        stories = run("list", *base, "-F", "id,coverage", "--sort", "id", "-n", "2")
        search = run("list", *base, "-m", "fox", "-f", "ids", "--sort", "id", "-n", "2")
    finally:
        if fault == "read-only":
            remount(small_disk, "rw")
    assert (stories.exit_code, stories.stdout) == (0, f"id\tcoverage\n{first}\t1\n{second}\t1\n")
    assert_one_fallback_warning(stories.stderr)
    assert (search.exit_code, search.stdout) == (0, f"{first}\n{second}\n")
    assert_one_fallback_warning(search.stderr)
    if filler is not None:
        filler.unlink()
    assert run("list", *base, "-m", "fox", "--count").stdout == "60\n"  # room again
    assert status(cat, small_disk)["full text"] == "built"


def test_a_file_size_limit_while_building_the_full_text_index_answers_from_memory(
    tmp_path: Path,
) -> None:
    """The index is fresh (the refresh writes nothing), but the first search must build
    the full-text index and the files may not grow: one warning, the right answer."""
    cat = tmp_path / "cat"
    make_articles(cat, 60, body_size=2000)
    cache = tmp_path / "cache"
    assert list_ids(cat, cache)[2] == ""
    args = ["list", "-C", str(cat), "-m", "fox", "-f", "ids", "--sort", "id", "-n", "2"]
    limited = _newscat_limited(args, cache, limit=32 * 1024)  # the log may not grow
    assert (limited.returncode, limited.stdout) == (
        0,
        "00/00000_0000000000000000\n00/00001_0000000000000001\n",
    ), limited.stderr
    assert_one_fallback_warning(limited.stderr)
    assert status(cat, cache)["full text"] == "not yet (on first -m)"
