"""The first look at a large catalogue is shared among forked processes, and gives the
serial walk's answer, in its order: the same report, problems and index. A share
that fails, or two shares that meet the same folder through a link, send the
refresh back to the serial walk."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from newscat import forked, refresh
from newscat.store import writes
from tests.conftest import run, serial_walks, write_article


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch, shared_walks: None) -> list[int]:
    """Share every first look (however small the catalogue) between two processes;
    each forked copy's pid is noted."""
    made: list[int] = []
    real = forked.Child.__init__

    def noted(self: forked.Child[object], work: object) -> None:
        real(self, work)  # type: ignore[arg-type]
        made.append(self.pid)

    monkeypatch.setattr(forked.Child, "__init__", noted)
    return made


def build(root: Path) -> None:
    for folder in ("a", "b", "c", "d", "e/deep", "e/deep/er", "f"):
        for number in range(3):
            name = f"{folder}/{number}.md"
            write_article(root, name, "Body.", title=name, date="2024-01-02")
    write_article(root, "top.md", "Body.", title="Top", date="2024-01-02")


def change(root: Path) -> None:
    write_article(root, "c/new.md", "Body.", title="New", date="2024-01-03")
    write_article(root, "g/newer.md", "Body.", title="Newer", date="2024-01-03")
    write_article(root, "top2.md", "Body.", title="Top 2", date="2024-01-03")
    write_article(root, "a/0.md", "Edited.", title="Edited", date="2024-01-03")
    os.utime(root / "a/0.md", (2_000_000_000, 2_000_000_000))
    (root / "b/1.md").unlink()
    shutil.rmtree(root / "d")
    (root / "e/deep/er/2.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")


def report(root: Path, cache: Path) -> dict[str, object]:
    result = run("index", "-C", str(root), "--cache-dir", str(cache), "-f", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    found = json.loads(result.stdout)
    del found["seconds"]
    return found  # type: ignore[no-any-return]


def answers(root: Path, cache: Path) -> tuple[str, str]:
    where = ("-C", str(root), "--cache-dir", str(cache))
    listed = run("list", *where, "-f", "tsv", "-F", "id,title", "-s", "id")
    checked = run("check", *where, "-f", "json")
    return listed.stdout, checked.stdout


def serial_and_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Index the catalogue into two caches, change it, refresh both again: one with
    a serial walk, one shared. Returns each cache's reports."""
    root = tmp_path / "cat"
    build(root)
    serial, shared = tmp_path / "serial", tmp_path / "shared"
    reports: dict[Path, list[dict[str, object]]] = {serial: [], shared: []}
    for step in (None, change, None):
        if step is not None:
            step(root)
        for cache in (serial, shared):
            with serial_walks(monkeypatch) if cache == serial else contextlib.nullcontext():
                reports[cache].append(report(root, cache))
    assert answers(root, serial) == answers(root, shared)
    return reports[serial], reports[shared]


@pytest.mark.parametrize("few_folders", [512, 0])  # weighed by folders; by files
def test_a_shared_walk_gives_the_serial_walks_report_in_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int], few_folders: int
) -> None:
    monkeypatch.setattr(refresh, "FEW_FOLDERS", few_folders)
    serial, shared = serial_and_shared(tmp_path, monkeypatch, children)
    assert shared == serial
    first, changed, unchanged = shared
    assert len(first["added"]) == 22  # type: ignore[arg-type]
    assert (len(changed["added"]), len(changed["changed"]), len(changed["removed"])) == (  # type: ignore[arg-type]
        3,
        2,
        4,
    )
    assert changed["problems"] == 1
    assert unchanged["unchanged"] == 21
    # The first build has nothing to compare with (no look is shared); the later
    # refreshes (and the commands' own) share theirs with one forked copy each.
    assert len(children) >= 2


def test_two_shares_meeting_one_folder_through_a_link_walk_serially(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int]
) -> None:
    """``a/link`` is ``b``'s subfolder: the serial walk reads it once, under the path
    it meets first, and so must the shared one."""
    root = tmp_path / "cat"
    for name in ("a/1.md", "a/2.md", "b/sub/1.md", "b/sub/2.md", "b/3.md"):
        write_article(root, name, "Body.", title=name, date="2024-01-02")
    (root / "a/link").symlink_to(root / "b/sub", target_is_directory=True)
    serial, shared = tmp_path / "serial", tmp_path / "shared"
    with serial_walks(monkeypatch):
        report(root, serial)
    report(root, shared)
    write_article(root, "b/sub/3.md", "Body.", title="b/sub/3.md", date="2024-01-03")
    with serial_walks(monkeypatch):
        expected = report(root, serial)
    assert report(root, shared) == expected
    assert len(expected["added"]) == 1  # type: ignore[arg-type]
    assert children  # the shares were walked, then found to overlap
    listed, _ = answers(root, shared)
    assert len(listed.splitlines()) == 1 + 6  # a header, then each article once
    assert answers(root, shared) == answers(root, serial)


def test_a_folder_met_from_two_starts_by_one_process_walks_serially(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int]
) -> None:
    """The starts are taken largest first, not in the serial walk's order: one process
    that takes ``b`` before ``a`` meets ``b/sub`` there first, where the serial walk
    meets it as ``a/link``. Two starts meeting one folder send the refresh back to the
    serial walk, whichever process walked them."""

    def slow(*args: object) -> dict[int, object]:
        return {}  # a copy that takes no start: this process takes them all

    monkeypatch.setattr(refresh._Refresh, "_in_copy", slow)
    root = tmp_path / "cat"
    for name in ("a/1.md", "b/sub/1.md", "b/sub/2.md", "b/3.md", "b/x/1.md", "b/y/1.md"):
        write_article(root, name, "Body.", title=name, date="2024-01-02")
    (root / "a/link").symlink_to(root / "b/sub", target_is_directory=True)
    serial, shared = tmp_path / "serial", tmp_path / "shared"
    for cache in (serial, shared):
        report(root, cache)
    write_article(root, "b/sub/3.md", "Body.", title="b/sub/3.md", date="2024-01-03")
    with serial_walks(monkeypatch):
        expected = report(root, serial)
    assert report(root, shared) == expected
    assert answers(root, shared) == answers(root, serial)
    listed, _ = answers(root, shared)
    assert "\na/link/3\t" in listed and "\nb/sub/3\t" not in listed  # b weighs more


def test_a_share_that_fails_sends_the_refresh_back_to_the_serial_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int]
) -> None:
    def fails(*args: object) -> object:
        raise OSError("the copy failed")

    monkeypatch.setattr(refresh._Refresh, "_in_copy", fails)
    serial, shared = serial_and_shared(tmp_path, monkeypatch, children)
    assert shared == serial
    assert len(children) >= 2


def test_each_ticket_is_taken_once_by_one_of_the_processes() -> None:
    """The starts of a shared walk are handed out as tickets: each goes to exactly one
    process, this one or a forked copy, and each process takes them in their order."""
    tickets = forked.Tickets.of(range(999, -1, -1))
    assert tickets is not None

    def take_all() -> list[int]:
        assert tickets is not None
        taken = []
        while (number := tickets.take()) is not None:
            taken.append(number)
        return taken

    copies = [forked.Child(take_all) for _ in range(2)]
    taken = [take_all(), *(copy.result() for copy in copies)]
    tickets.close()
    assert all(each is not None and each == sorted(each, reverse=True) for each in taken)
    assert sorted(number for each in taken if each for number in each) == list(range(1000))


def test_tickets_a_pipe_cannot_hold_at_once_are_not_handed_out() -> None:
    """Four bytes a ticket: four mebibytes are more than a pipe holds by default, and
    the tickets are written before any process reads them; the walk is not shared."""
    assert forked.Tickets.of(range(1 << 20)) is None
    empty = forked.Tickets.of([])
    assert empty is not None and empty.take() is None
    empty.close()


@pytest.mark.parametrize(
    ("few_folders", "costs"),
    # a, b, c, d, e, f: the stored folders under each; or files + 4 per folder
    [(512, [1, 1, 1, 1, 2, 1]), (8, [1, 1, 1, 1, 2, 1]), (7, [7, 7, 7, 7, 14, 7])],
)
def test_the_largest_starts_of_a_shared_walk_are_taken_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, few_folders: int, costs: list[int]
) -> None:
    """What a start of the walk is weighed by: where the index has few folders, how
    many lie under it (a seek each); else its files and folders, counted."""
    from newscat.store.index import Index

    root = tmp_path / "cat"
    build(root)  # 7 folders holding files (e/deep and e/deep/er under e), and the root
    monkeypatch.setattr(refresh, "FEW_FOLDERS", few_folders)
    monkeypatch.setattr(refresh, "SHARED_WALK_FILES", 0)
    index = Index.open([str(root)], tmp_path / "cache")
    index.refresh()
    source = refresh.Source(index.roots, index.exclusions, index.max_size, index.warn)
    walk = refresh._Refresh(index.conn, source)
    folders = [str(root / name) for name in ("a", "b", "c", "d", "e", "f")]
    assert walk._costs(folders) == costs
    # 21 files under them: fewer than 22 are not shared, when they are counted
    monkeypatch.setattr(refresh, "SHARED_WALK_FILES", 22)
    assert walk._costs(folders) == (costs if few_folders >= 8 else None)
    index.close()


def test_each_subtree_is_sized_by_its_files_and_folders(tmp_path: Path) -> None:
    """What the shares are weighed by: the files the index holds under each folder, and
    the folders that hold them (a folder, its listing and its lookup, costs the walk
    more than a file does)."""
    root = tmp_path / "cat"
    build(root)
    write_article(root, "a.md", "Body.", title="Beside a", date="2024-01-02")  # not under a/
    write_article(root, "a-b/1.md", "Body.", title="Beside a too", date="2024-01-02")
    cache = tmp_path / "cache"
    report(root, cache)
    (database,) = cache.glob("*.sqlite3")
    conn = sqlite3.connect(database)
    folders = [str(root / name) for name in ("a", "e", "e/deep", "f", "g")]
    assert writes.tree_sizes(conn, folders) == [(3, 1), (6, 2), (6, 2), (3, 1), (0, 0)]
    conn.close()


@pytest.mark.parametrize("seek_from", [0, 10**9])  # always seek; never
def test_folders_gone_are_found_by_seeking_or_by_reading_the_whole_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seek_from: int
) -> None:
    monkeypatch.setattr(refresh, "SEEK_FOLDERS_FILES", seek_from)
    monkeypatch.setattr(forked, "workers", lambda: 1)
    root, cache = tmp_path / "cat", tmp_path / "cache"
    for folder in ("a", "a b", "a-b", "a/b", "a0", "é", "z/y/x"):
        write_article(root, f"{folder}/1.md", "Body.", title=folder, date="2024-01-02")
    report(root, cache)
    (database,) = cache.glob("*.sqlite3")
    with sqlite3.connect(database) as conn:
        every = sorted(row[0] for row in conn.execute("SELECT DISTINCT dir FROM files"))
        assert len(every) == 7
        assert writes.stored_folders(conn, seek=True) == every
        assert sorted(writes.stored_folders(conn, seek=False)) == every
    conn.close()
    for folder in ("a b", "a/b", "z/y/x"):
        shutil.rmtree(root / folder)
    found = report(root, cache)
    removed = sorted(item["id"] for item in found["removed"])  # type: ignore[attr-defined]
    assert removed == ["a b/1", "a/b/1", "z/y/x/1"]
