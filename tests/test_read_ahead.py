"""``list`` reads its articles while the refresh's forked copies walk a large catalogue,
and keeps what it read only when the refresh leaves the index as it read it: nothing
changed on disk, no other process wrote, nothing needed building first, no arrival
recorded. Otherwise it reads again after the refresh. Either way the answer is the
serial walk's, to the byte."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from click.testing import Result

from newscat import cli, refresh
from newscat.store.index import Index
from tests.conftest import run, serial_walks, write_article


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, shared_walks: None) -> list[bool]:
    """Share every first look between forked copies (however small the catalogue);
    each ``Index.select`` is noted: True when it ran while the copies walked."""
    noted: list[bool] = []
    real = Index.select

    def select(self: Index, *args: object, **kwargs: object) -> object:
        noted.append(self._reading_ahead)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "select", select)
    return noted


def build(root: Path) -> None:
    for folder in ("a", "b", "c/deep", "d"):
        for number in range(3):
            name = f"{folder}/{number}.md"
            write_article(root, name, "Body.", title=name, date=f"2024-01-0{number + 1}")
    an_hour_ago = time.time() - 3600  # not modified just now, so not read again next time
    for path in root.rglob("*.md"):
        os.utime(path, (an_hour_ago, an_hour_ago))


def where(root: Path, cache: Path) -> tuple[str, ...]:
    return ("-C", str(root), "--cache-dir", str(cache))


def outcome(result: Result) -> tuple[int, str, str]:
    return result.exit_code, result.stdout, result.stderr


def serial(monkeypatch: pytest.MonkeyPatch, command: Callable[[], Result]) -> Result:
    with serial_walks(monkeypatch):
        return command()


def indexed(tmp_path: Path) -> tuple[Path, Path]:
    root, cache = tmp_path / "cat", tmp_path / "cache"
    build(root)
    assert run("index", *where(root, cache)).exit_code == 0
    return root, cache


def test_an_unchanged_catalogue_is_listed_from_what_was_read_during_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    root, cache = indexed(tmp_path)
    for args in (
        ["-f", "csv"],
        ["-n", "200", "-F", "id,title,date"],
        ["-f", "json", "-t", "x"],
        ["-f", "ids", "-s", "id"],
        ["-f", "markdown", "-F", "ref,title"],
        ["--template", "{date:%Y} {title}"],
        ["-f", "jsonl", "-n", "300"],
    ):
        expected = serial(monkeypatch, partial(run, "list", *args, *where(root, cache)))
        reads.clear()
        assert outcome(run("list", *args, *where(root, cache))) == outcome(expected)
        assert reads == [True]


def test_a_file_changed_on_disk_is_listed_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    root, cache = indexed(tmp_path)
    write_article(root, "b/1.md", "Body.", title="Edited", date="2024-01-02")
    listed = run("list", "-F", "id,title", "-s", "id", *where(root, cache))
    assert (listed.exit_code, listed.stderr) == (0, "")
    assert "b/1\tEdited\n" in listed.stdout
    assert reads == [True, False]
    again = serial(
        monkeypatch, lambda: run("list", "-F", "id,title", "-s", "id", *where(root, cache))
    )
    assert outcome(again) == outcome(listed)


def test_a_write_by_another_process_during_the_walk_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    """The index changes while the copies walk, after ``list`` read it: another process
    committed (here a forked copy, once the read is done). What was read is dropped."""
    root, cache = indexed(tmp_path)
    (database,) = cache.glob("*.sqlite3")
    done = tmp_path / "read"
    real_read, real_looks = Index._read_ahead, refresh._Refresh._in_copy

    def read_then_say(self: Index, ahead: Callable[[Index], None]) -> bool:
        ran = real_read(self, ahead)
        done.touch()
        return ran

    def write_after_the_read(self: refresh._Refresh, *args: object) -> object:
        deadline = time.monotonic() + 10
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        with sqlite3.connect(database, timeout=10) as other:
            other.execute("UPDATE articles SET title = 'Written meanwhile' WHERE id = 'a/0'")
        other.close()
        return real_looks(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "_read_ahead", read_then_say)
    monkeypatch.setattr(refresh._Refresh, "_in_copy", write_after_the_read)
    listed = run("list", "-F", "id,title", "-s", "id", *where(root, cache))
    assert outcome(listed) == (0, listed.stdout, "")
    assert listed.stdout.splitlines()[1] == "a/0\tWritten meanwhile"
    assert reads == [True, False]


def test_a_listing_of_stories_not_yet_grouped_is_read_after_the_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    """Grouping the stories writes the index: never while reading ahead."""
    expected_root, expected_cache = indexed(tmp_path / "serial")
    expected = serial(
        monkeypatch, lambda: run("list", "-F", "id,story", *where(expected_root, expected_cache))
    )
    root, cache = indexed(tmp_path / "shared")
    reads.clear()
    listed = run("list", "-F", "id,story", *where(root, cache))
    assert outcome(listed) == outcome(expected)
    assert expected.stdout.count("\n") == 13
    assert reads == [True, False]
    reads.clear()  # grouped now: read ahead
    assert outcome(run("list", "-F", "id,story", *where(root, cache))) == outcome(expected)
    assert reads == [True]


def test_arrivals_recorded_by_the_refresh_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    """Another state database has no arrival times yet: the refresh records them, after
    ``list`` read the articles without them."""
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(tmp_path / "state-a"))
    root, cache = indexed(tmp_path)
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(tmp_path / "state-b"))
    reads.clear()
    listed = run("list", "-F", "id,arrived", "-s", "id", *where(root, cache))
    assert (listed.exit_code, listed.stderr) == (0, "")
    rows = [line.split("\t") for line in listed.stdout.splitlines()[1:]]
    assert len(rows) == 12 and all(arrived for _, arrived in rows)
    assert reads == [True, False]


def test_a_listing_too_long_to_hold_is_read_after_the_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    root, cache = indexed(tmp_path)
    expected = serial(monkeypatch, lambda: run("list", "-f", "csv", *where(root, cache)))
    monkeypatch.setattr(cli, "AHEAD_ROWS", 11)
    reads.clear()
    assert outcome(run("list", "-f", "csv", *where(root, cache))) == outcome(expected)
    assert expected.stdout.count("\n") == 13
    assert reads == [True, False]
    monkeypatch.setattr(cli, "AHEAD_ROWS", 12)
    reads.clear()
    assert outcome(run("list", "-f", "csv", *where(root, cache))) == outcome(expected)
    assert reads == [True]


def test_a_mistake_met_while_reading_ahead_is_said_once_after_the_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    root, cache = indexed(tmp_path)
    args = ("list", "-F", "id,nosuchfield", *where(root, cache))
    expected = serial(monkeypatch, lambda: run(*args))
    assert expected.exit_code == 2 and expected.stderr.count("\n") == 1
    assert outcome(run(*args)) == outcome(expected)


def test_articles_written_ahead_are_marked_seen_once_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    root, cache = indexed(tmp_path)
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(cli, "SHORT_LISTING", 2)  # -n 5 is read ahead
    first = run("list", "--unseen", "me", "-f", "csv", "-n", "5", *where(root, cache))
    assert (first.exit_code, first.stderr, first.stdout.count("\n")) == (0, "", 6)
    again = run("list", "--unseen", "me", "-f", "csv", *where(root, cache))
    assert (again.exit_code, again.stderr, again.stdout.count("\n")) == (0, "", 8)
    assert set(first.stdout.splitlines()[1:]).isdisjoint(again.stdout.splitlines()[1:])
    assert run("list", "--unseen", "me", "-f", "ids", *where(root, cache)).stdout == ""
    assert reads == [True, True, True]


def test_a_short_listing_is_read_after_the_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[bool]
) -> None:
    """Its query is quick: the walk keeps this process and one forked copy."""
    root, cache = indexed(tmp_path)
    args = ("list", "-n", "3", "-F", "id,title", *where(root, cache))
    expected = serial(monkeypatch, lambda: run(*args))
    reads.clear()
    assert outcome(run(*args)) == outcome(expected)
    assert reads == [False]
    monkeypatch.setattr(cli, "SHORT_LISTING", 2)
    reads.clear()
    assert outcome(run(*args)) == outcome(expected)
    assert reads == [True]
