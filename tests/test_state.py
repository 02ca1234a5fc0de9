"""State is not cache: arrival times and seen marks survive whatever happens to the index."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newscat.store.index import Index, database_name
from newscat.store.state import (
    STATE_FILE,
    StateUnavailable,
    consumers,
    mark_seen,
    opened,
    reset_seen,
    unseen_ids,
)
from tests.conftest import ROOT, remount, run, write_article

NHS = "000_50e039b255de019a"
DH = "002_6ef551387f7f8ea7"
OLD = "2020-01-01T00:00:00Z"
NOT_A_DIR = os.strerror(errno.ENOTDIR)


def state_file() -> Path:
    return Path(os.environ["NEWSCAT_STATE_DIR"]) / STATE_FILE


def arrivals() -> dict[str, str]:
    """Arrival time by file name, straight from the state database."""
    conn = sqlite3.connect(state_file())
    try:
        return {
            Path(path).name: when
            for path, when in conn.execute("SELECT path, arrived FROM arrivals")
        }
    finally:
        conn.close()


def backdate(name: str, when: str = OLD) -> None:
    conn = sqlite3.connect(state_file())
    with conn:
        conn.execute("UPDATE arrivals SET arrived = ? WHERE path LIKE ?", (when, f"%/{name}"))
    conn.close()


def listed(catalog: Path, *args: str) -> str:
    result = run("list", "-C", str(catalog), *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_arrival_is_recorded_and_kept_across_refreshes(catalog: Path) -> None:
    assert run("index", "-C", str(catalog)).exit_code == 0
    times = arrivals()
    assert set(times) == {f"{NHS}.txt", f"{DH}.txt"}
    backdate(f"{NHS}.txt")
    path = catalog / f"{NHS}.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title:", "title: Edited", 1), encoding="utf-8"
    )
    os.utime(path, (2_000_000_000, 2_000_000_000))
    assert run("index", "-C", str(catalog)).exit_code == 0  # changed content
    assert arrivals()[f"{NHS}.txt"] == OLD
    assert (
        listed(catalog, "-F", "id,arrived", "--sort", "arrived").splitlines()[1] == f"{NHS}\t{OLD}"
    )


def test_arrivals_whose_recording_never_ran_are_given_by_the_next_refresh(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New articles get their arrival path by path; when a refresh stored articles but
    their recording never ran (a crash between the two), the next refresh gives them
    theirs, with or without new articles of its own."""
    from newscat.store import state as state_store

    real = state_store.record_arrivals

    def lost(*args: object, **kwargs: object) -> int:
        raise sqlite3.OperationalError("the process died here")

    assert run("index", "-C", str(catalog)).exit_code == 0
    monkeypatch.setattr(state_store, "record_arrivals", lost)
    write_article(catalog, "first.md", "Body.", title="First", date="2024-01-02")
    assert run("index", "-C", str(catalog)).exit_code == 0
    assert "first.md" not in arrivals()
    monkeypatch.setattr(state_store, "record_arrivals", real)
    assert run("index", "-C", str(catalog)).exit_code == 0  # nothing changed since
    assert "first.md" in arrivals()

    monkeypatch.setattr(state_store, "record_arrivals", lost)
    write_article(catalog, "second.md", "Body.", title="Second", date="2024-01-02")
    assert run("index", "-C", str(catalog)).exit_code == 0
    monkeypatch.setattr(state_store, "record_arrivals", real)
    write_article(catalog, "third.md", "Body.", title="Third", date="2024-01-02")
    assert run("index", "-C", str(catalog)).exit_code == 0  # its own new article, and more
    assert {"second.md", "third.md"} <= set(arrivals())
    asked: list[object] = []

    def spied(*args: object, **kwargs: object) -> int:
        asked.append(args[3] if len(args) > 3 else kwargs.get("only"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(state_store, "record_arrivals", spied)
    write_article(catalog, "fourth.md", "Body.", title="Fourth", date="2024-01-02")
    assert run("index", "-C", str(catalog)).exit_code == 0  # path by path again
    assert len(arrivals()) == 6
    assert asked == [[str(catalog / "fourth.md")]]


def test_a_file_that_becomes_an_article_gets_its_arrival(catalog: Path) -> None:
    """A file half written when one refresh read it (a problem, no article) and whole
    at the next is changed, not added: it arrives then, as an article."""
    (catalog / "torn.md").write_text("---\ntitle: [unclosed\n", encoding="utf-8")
    result = run("index", "-C", str(catalog))
    assert result.exit_code == 0
    assert ", 1 with problems " in result.stdout
    assert "torn.md" not in arrivals()
    write_article(catalog, "torn.md", "Body.", title="Whole now", date="2024-01-02")
    os.utime(catalog / "torn.md", (2_000_000_000, 2_000_000_000))
    assert run("index", "-C", str(catalog)).exit_code == 0
    assert "torn.md" in arrivals()
    assert listed(catalog, "-F", "id,arrived", "-w", "arrived is empty") == "id\tarrived\n"


def test_a_rename_of_unchanged_content_keeps_the_arrival_and_a_copy_does_not(catalog: Path) -> None:
    run("index", "-C", str(catalog))
    backdate(f"{NHS}.txt")
    (catalog / f"{NHS}.txt").rename(catalog / "moved.txt")
    shutil.copy(catalog / f"{DH}.txt", catalog / "copy.txt")
    backdate(f"{DH}.txt", "2021-01-01T00:00:00Z")
    assert run("index", "-C", str(catalog)).exit_code == 0
    times = arrivals()
    assert times["moved.txt"] == OLD
    assert f"{NHS}.txt" not in times
    assert times[f"{DH}.txt"] == "2021-01-01T00:00:00Z"
    assert times["copy.txt"] > "2025"  # a new article: the original is still there


@pytest.mark.parametrize("how", ["rebuild", "corrupt", "deleted", "memory"])
def test_the_index_can_go_and_the_arrivals_stay(
    catalog: Path, isolated_env: Path, how: str
) -> None:
    run("index", "-C", str(catalog))
    backdate(f"{NHS}.txt")
    database = isolated_env / database_name([str(catalog)])
    extra: tuple[str, ...] = ()
    if how == "rebuild":
        assert run("index", "--rebuild", "-C", str(catalog)).exit_code == 0
    elif how == "corrupt":
        database.write_bytes(b"this is not a database" * 100)
    elif how == "deleted":
        shutil.rmtree(isolated_env)
    else:
        extra = ("--no-cache",)
    out = listed(catalog, "-F", "id,arrived", "-w", "arrived < 2021-01-01", *extra)
    assert out == f"id\tarrived\n{NHS}\t{OLD}\n"


@pytest.mark.parametrize("how", ["deleted", "rebuild"])
def test_content_changed_while_the_index_was_gone_is_followed_through_a_rename(
    catalog: Path, isolated_env: Path, how: str
) -> None:
    """A file edited while its index was gone (deleted, or built again): the index built
    again tells the state its new content, so renaming it later keeps its arrival."""
    assert run("index", "-C", str(catalog)).exit_code == 0
    backdate(f"{NHS}.txt")
    if how == "deleted":
        shutil.rmtree(isolated_env)
    path = catalog / f"{NHS}.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title:", "title: Edited", 1), encoding="utf-8"
    )
    again = ("--rebuild",) if how == "rebuild" else ()
    assert run("index", *again, "-C", str(catalog)).exit_code == 0
    path.rename(catalog / "moved.txt")
    assert run("index", "-C", str(catalog)).exit_code == 0
    assert arrivals() == {"moved.txt": OLD, f"{DH}.txt": arrivals()[f"{DH}.txt"]}


def test_a_table_shows_arrived_in_local_time_to_the_minute(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed(catalog, "--count")  # they arrive now
    arrived = json.loads(run("list", "-C", str(catalog), "-f", "json", "-F", "arrived").stdout)
    instant = datetime.strptime(arrived[0]["arrived"], "%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, all year
    time.tzset()
    result = run("list", "-C", str(catalog), "-f", "table", "-F", "id,arrived", "-n", "1")
    local = (instant + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M")
    assert result.stdout.splitlines()[1].split(maxsplit=1)[1].strip() == local


def test_arrived_in_where_sort_fields_and_arrived_since(catalog: Path) -> None:
    run("index", "-C", str(catalog))
    backdate(f"{NHS}.txt")
    backdate(f"{DH}.txt", "2024-06-01T12:00:00Z")
    assert listed(catalog, "-f", "ids", "--sort=-arrived") == f"{DH}\n{NHS}\n"
    assert listed(catalog, "-f", "ids", "--arrived-since", "2024-01-01") == f"{DH}\n"
    assert listed(catalog, "-f", "ids", "--arrived-since", "7d", "--now", "2024-06-05") == f"{DH}\n"
    assert listed(catalog, "-f", "ids", "-w", "arrived = 2024-06-01") == f"{DH}\n"
    assert listed(catalog, "-f", "ids", "-w", "arrived >= 1y", "--now", "2024-12-01") == f"{DH}\n"
    record = json.loads(listed(catalog, "-f", "json", "-F", "id,arrived", "--sort", "arrived"))
    assert record == [{"id": NHS, "arrived": OLD}, {"id": DH, "arrived": "2024-06-01T12:00:00Z"}]
    fields = run("fields", "-C", str(catalog), "-f", "tsv").stdout.splitlines()
    assert "arrived\tdate\t2\t2020-01-01T00:00:00Z" in fields


def test_index_names_what_it_added_changed_and_removed(catalog: Path) -> None:
    result = run("index", "-v", "-C", str(catalog))
    assert result.stdout.splitlines()[:2] == [f"added    {NHS}", f"added    {DH}"]
    assert result.stdout.splitlines()[2].startswith("2 added, 0 changed, 0 removed, 0 unchanged")
    write_article(catalog, "new/one.md", title="New", publishedDateTime="2024-01-01T00:00:00Z")
    (catalog / f"{DH}.txt").unlink()
    path = catalog / f"{NHS}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore body.\n", encoding="utf-8")
    result = run("index", "-f", "json", "-C", str(catalog))
    payload = json.loads(result.stdout)
    assert payload["added"] == [{"id": "new/one", "path": str(catalog / "new" / "one.md")}]
    assert payload["changed"] == [{"id": NHS, "path": str(path)}]
    assert payload["removed"] == [{"id": DH, "path": str(catalog / f"{DH}.txt")}]
    assert (payload["unchanged"], payload["problems"]) == (0, 0)
    result = run("index", "-v", "-C", str(catalog))
    assert result.stdout.startswith("0 added, 0 changed, 0 removed, 2 unchanged")
    assert run("index", "-C", str(catalog)).stdout.count("\n") == 1  # without -v: the summary


# -- unseen ----------------------------------------------------------------------------------


def test_unseen_lists_once_per_consumer_and_peek_marks_nothing(catalog: Path) -> None:
    assert listed(catalog, "--unseen", "digest", "-f", "ids", "--peek") == f"{DH}\n{NHS}\n"
    assert listed(catalog, "--unseen", "digest", "-f", "ids") == f"{DH}\n{NHS}\n"
    assert listed(catalog, "--unseen", "digest", "-f", "ids") == ""
    assert listed(catalog, "--unseen", "mail", "-f", "ids", "-n", "1") == f"{DH}\n"
    assert listed(catalog, "--unseen", "mail", "-f", "ids") == f"{NHS}\n"
    write_article(catalog, "fresh.md", title="Fresh", publishedDateTime="2024-01-01T00:00:00Z")
    assert listed(catalog, "--unseen", "digest", "-f", "ids") == "fresh\n"
    assert listed(catalog, "--unseen", "digest", "--count") == "0\n"
    result = run("seen")
    rows = [line.split("\t")[:2] for line in result.stdout.splitlines()]
    assert rows == [["consumer", "seen"], ["digest", "3"], ["mail", "2"]]
    table = run("seen", "-f", "table").stdout.splitlines()
    assert [line.split()[:2] for line in table] == [
        ["consumer", "seen"], ["digest", "3"], ["mail", "2"]
    ]  # fmt: skip
    assert re.fullmatch(
        r"digest +3 +\d{4}-\d\d-\d\d \d\d:\d\d +\d{4}-\d\d-\d\d \d\d:\d\d", table[1]
    )
    nobody = run("seen", "nobody", "-f", "table")
    assert (nobody.stdout, nobody.stderr) == (
        "",
        "nobody has no seen marks yet; --unseen NAME (list, export) makes them\n",
    )


def test_export_unseen_to_a_file_marks_once_it_is_in_place(catalog: Path, tmp_path: Path) -> None:
    target = tmp_path / "week.csv"
    result = run(
        "export",
        "-C",
        str(catalog),
        "--unseen",
        "digest",
        "-f",
        "csv",
        "-F",
        "id",
        "-o",
        str(target),
    )
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == f"id\n{DH}\n{NHS}\n"
    result = run("export", "-C", str(catalog), "--unseen", "digest", "-F", "id", "-o", str(target))
    assert target.read_text(encoding="utf-8") == "id\n"  # the header alone: nothing new
    assert result.stderr.endswith(f"exported 0 articles to {target}\n")
    target.write_text("last week's\n", encoding="utf-8")
    result = run("export", "-C", str(catalog), "--unseen", "digest", "-e", "-o", str(target))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: nothing new for digest: no article it has not seen matched\n"
    assert target.read_text(encoding="utf-8") == "last week's\n"  # left as it was


def test_a_failed_write_marks_nothing(catalog: Path, tmp_path: Path) -> None:
    result = run(
        "export",
        "-C",
        str(catalog),
        "--unseen",
        "digest",
        "-f",
        "csv",
        "-o",
        str(tmp_path / "no" / "x.csv"),
    )
    assert result.exit_code == 1
    result = run(
        "export",
        "-C",
        str(catalog),
        "--unseen",
        "digest",
        "-e",
        "-t",
        "nothing",
        "-o",
        str(tmp_path / "e.csv"),
    )
    assert result.exit_code == 1
    if Path("/dev/full").exists():  # the disk fills while stdout is written
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "newscat", "list", "-C", str(catalog), "--unseen", "digest", "-f", "ids"],
                stdout=full, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
        assert done.returncode == 1
        assert done.stderr.startswith("Error: cannot write to stdout")
    assert listed(catalog, "--unseen", "digest", "-f", "ids") == f"{DH}\n{NHS}\n"


def test_seen_reset_and_since(catalog: Path) -> None:
    listed(catalog, "--unseen", "digest", "-f", "ids")
    listed(catalog, "--unseen", "other", "-f", "ids")
    conn = sqlite3.connect(state_file())
    with conn:
        conn.execute("UPDATE seen SET marked = '2024-01-01T00:00:00Z' WHERE consumer = 'digest'")
        conn.execute(
            "UPDATE seen SET marked = '2024-03-01T00:00:00Z' WHERE consumer = 'digest' AND article = "
            "(SELECT key FROM arrivals WHERE path LIKE ?)",
            (f"%/{NHS}.txt",),
        )
    conn.close()
    result = run("seen", "digest", "--since", "2024-02-01")
    assert (result.exit_code, result.stderr) == (
        0,
        "forgot 1 mark of digest made since 2024-02-01T00:00:00Z\n",
    )
    assert listed(catalog, "--unseen", "digest", "-f", "ids", "--peek") == f"{NHS}\n"
    result = run("seen", "digest", "--reset")
    assert result.stderr == "forgot 1 mark of digest\n"
    assert listed(catalog, "--unseen", "digest", "-f", "ids", "--peek") == f"{DH}\n{NHS}\n"
    assert run("seen", "other").stdout.split("\t")[:2] == ["other", "2"]  # untouched
    assert run("seen", "--reset").exit_code == 2
    assert run("list", "--peek").exit_code == 2
    result = run("list", "--unseen", "two words")
    assert result.exit_code == 2


def test_a_damaged_state_database_is_moved_aside(catalog: Path) -> None:
    state = state_file()
    state.parent.mkdir(parents=True)
    state.write_bytes(b"garbage" * 1000)
    result = run("list", "-C", str(catalog), "--unseen", "digest", "-f", "ids")
    assert result.exit_code == 0
    assert result.stdout == f"{DH}\n{NHS}\n"
    assert result.stderr.startswith(f"newscat: warning: the state database at {state} is damaged")
    assert [p.name.startswith("state.sqlite3.damaged-") for p in state.parent.iterdir()].count(
        True
    ) == 1
    assert listed(catalog, "--unseen", "digest", "-f", "ids") == ""


def test_an_unusable_state_dir_keeps_nothing_and_says_so(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(blocker / "state"))
    result = run("list", "-C", str(catalog), "--unseen", "digest", "-f", "ids")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"newscat: warning: cannot use the state dir {blocker / 'state'}"
    )
    assert "cannot keep seen marks for 'digest'" in result.stderr
    result = run("list", "-C", str(catalog), "--unseen", "digest", "--peek", "-f", "ids")
    assert (result.exit_code, result.stdout) == (0, f"{DH}\n{NHS}\n")


def test_seen_says_why_when_the_state_dir_is_a_file(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Showing no marks would be a wrong answer, and forgetting none a lost request: each
    is one error naming the state dir and why (exit 1), never a silent empty list."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for state in (blocker, blocker / "state"):
        monkeypatch.setenv("NEWSCAT_STATE_DIR", str(state))
        why = f"cannot use the state dir {state} ({NOT_A_DIR})"
        for args, doing in [
            ((), "show"), (("digest", "-f", "tsv"), "show"), (("-f", "table"), "show"),
            (("digest", "--reset"), "change"), (("digest", "--since", "1d"), "change"),
        ]:  # fmt: skip
            result = run("seen", *args)
            assert (result.exit_code, result.stdout, result.stderr) == (
                1, "", f"Error: cannot {doing} the seen marks: {why}\n",
            ), args  # fmt: skip
    # Other commands go on without arrival times, and say so in one line.
    result = run("list", "-C", str(catalog), "-f", "ids")
    assert (result.exit_code, result.stdout) == (0, f"{DH}\n{NHS}\n")
    assert result.stderr == (
        f"newscat: warning: {why}; arrival times and seen marks are not kept this time\n"
    )


def test_seen_before_anything_was_kept_is_empty_and_makes_nothing(tmp_path: Path) -> None:
    result = run("seen", "-f", "table")
    assert (result.exit_code, result.stdout) == (0, "")
    assert (
        result.stderr == "no consumer has seen marks yet; --unseen NAME (list, export) makes them\n"
    )
    assert run("seen", "digest").stdout == "digest\t0\t\t\n"
    assert not state_file().parent.exists()


def test_seen_on_a_read_only_state_dir_says_why(
    catalog: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real read-only remount: the marks kept there cannot be opened, and ``seen``
    says so (naming the database) instead of showing none."""
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(small_disk / "state"))
    listed(catalog, "--unseen", "digest", "-f", "ids")
    assert run("seen", "digest").stdout.split("\t")[:2] == ["digest", "2"]
    remount(small_disk, "ro")
    for args, doing in [(("digest",), "show"), (("digest", "--reset"), "change")]:
        result = run("seen", *args)
        assert (result.exit_code, result.stdout) == (1, ""), args
        prefix = f"Error: cannot {doing} the seen marks: cannot use the state database at "
        assert result.stderr.startswith(f"{prefix}{state_file()} (")
        assert result.stderr.endswith(")\n") and result.stderr.count("\n") == 1
    remount(small_disk, "rw")
    assert run("seen", "digest").stdout.split("\t")[:2] == ["digest", "2"]  # nothing lost


# -- the core API ------------------------------------------------------------------------------


def test_core_api_marks_lists_and_resets(catalog: Path, tmp_path: Path) -> None:
    index = Index.open([str(catalog)], None, state=tmp_path / "s" / STATE_FILE)
    index.refresh()
    try:
        assert index.state_kept
        assert unseen_ids(index.conn, "browse") == [NHS, DH]
        paths = [str(catalog / f"{NHS}.txt")]
        assert mark_seen(index.conn, "browse", paths, "2024-01-01T00:00:00Z") == 1
        assert mark_seen(index.conn, "browse", paths, "2024-02-01T00:00:00Z") == 0  # kept
        assert unseen_ids(index.conn, "browse") == [DH]
        assert unseen_ids(index.conn, "digest") == [NHS, DH]
        assert reset_seen(index.conn, "browse", since="2024-01-02T00:00:00Z") == 0
        assert reset_seen(index.conn, "browse") == 1
        assert unseen_ids(index.conn, "browse") == [NHS, DH]
    finally:
        index.close()


def test_core_api_opened_makes_nothing_to_read_and_says_why_it_cannot(tmp_path: Path) -> None:
    said: list[str] = []
    missing = tmp_path / "none" / STATE_FILE
    with opened(missing, said.append, create=False) as conn:
        assert consumers(conn) == []
    assert not missing.parent.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for create in (False, True):
        with (
            pytest.raises(StateUnavailable) as raised,
            opened(blocker / STATE_FILE, said.append, create=create),
        ):
            pass
        assert str(raised.value) == f"cannot use the state dir {blocker} ({NOT_A_DIR})"
    with opened(missing, said.append, create=True) as conn:
        assert consumers(conn) == []
    assert missing.is_file() and said == []


def test_bringing_every_hash_up_to_date_costs_with_the_index_not_the_state(
    catalog: Path, tmp_path: Path
) -> None:
    """A large refresh brings every stored arrival hash of its files up to date; the
    state database holds every other catalogue's arrivals too, and those are not read."""
    from newscat.store import state as state_store

    index = Index.open([str(catalog)], None, state=tmp_path / "s" / STATE_FILE)
    index.refresh()
    try:
        conn = index.conn
        conn.executemany(
            "INSERT INTO state.arrivals(path, hash, arrived) VALUES (?, ?, ?)",
            ((f"/elsewhere/{i}.md", f"h{i}", OLD) for i in range(5_000)),
        )
        mine = str(catalog / f"{NHS}.txt")
        conn.execute("UPDATE state.arrivals SET hash = 'stale' WHERE path = ?", (mine,))
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        conn.set_progress_handler(count, 1)
        state_store.record_arrivals(conn, "2030-01-01T00:00:00Z", changed=None)
        conn.set_progress_handler(None, 1)
        hashes = dict(conn.execute("SELECT path, hash FROM state.arrivals WHERE path = ?", (mine,)))
        stored = conn.execute("SELECT hash FROM files WHERE path = ?", (mine,)).fetchone()[0]
        assert hashes == {mine: stored}
        assert steps < 5_000  # each row of the state read would take several
    finally:
        index.close()


#: Every write SQLite asks an authorizer about.
WRITES = (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)


def _refusing(
    database: str, actions: tuple[int, ...] = WRITES, table: str | None = None
) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    """An SQLite authorizer that refuses ``actions`` in ``database`` (main: the index
    file, state: the state database), in any table or in ``table``: SQLite itself
    refuses, where a disk that fills at just that moment cannot be arranged."""

    def authorize(
        action: int, name: str | None, _arg2: str | None, db: str | None, _trigger: str | None
    ) -> int:
        refused = action in actions and db == database and table in (None, name)
        return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

    return authorize


def _pending(index_file: str) -> str | None:
    """The index file's note that arrivals are yet to be recorded."""
    conn = sqlite3.connect(index_file)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'arrivals_pending'").fetchone()
        return None if row is None else str(row[0])
    finally:
        conn.close()


def test_arrivals_are_kept_when_the_index_cannot_note_them_recorded(
    catalog: Path, tmp_path: Path
) -> None:
    """A refresh stores a new article; the index then refuses the note that its arrival
    is recorded (a disk that filled after the refresh). The arrival is in the state
    database all the same, nothing is said, the index stays a file, and the next
    refresh, which records again, keeps the first time."""
    cache, state = tmp_path / "cache", state_file()
    index = Index.open([str(catalog)], cache, state=state)
    index.refresh()
    location = index.location
    index.close()
    write_article(catalog, "new.md", "Body.", title="New", date="2024-01-02")
    said: list[str] = []
    index = Index.open([str(catalog)], cache, said.append, state=state)
    index.conn.set_authorizer(_refusing("main", (sqlite3.SQLITE_DELETE,), "meta"))
    try:
        report = index.refresh()
        assert (said, report.added, index.location) == ([], 1, location)
    finally:
        index.close()
    first = arrivals()["new.md"]
    assert _pending(location) == "one"  # recorded again next time
    backdate("new.md")
    index = Index.open([str(catalog)], cache, said.append, state=state)
    try:
        assert index.refresh().added == 0
    finally:
        index.close()
    assert (said, arrivals()["new.md"], _pending(location)) == ([], OLD, None)
    assert first != OLD


def test_a_state_database_that_cannot_be_written_is_named_and_keeps_the_note(
    catalog: Path, tmp_path: Path
) -> None:
    """The state database refuses the arrivals: the warning names it, the index stays a
    file and keeps its note, and the next refresh records them."""
    cache, state = tmp_path / "cache", state_file()
    said: list[str] = []
    index = Index.open([str(catalog)], cache, said.append, state=state)
    location = index.location
    index.conn.set_authorizer(_refusing("state"))
    try:
        index.refresh()
        assert said == ["cannot record arrival times in the state database (not authorized)"]
        assert index.location == location != ":memory:"
    finally:
        index.close()
    assert _pending(location) == "one"
    index = Index.open([str(catalog)], cache, said.append, state=state)
    try:
        index.refresh()
    finally:
        index.close()
    assert set(arrivals()) == {f"{NHS}.txt", f"{DH}.txt"}
    assert (len(said), _pending(location)) == (1, None)
