"""`newscat cache`: the index files in the cache dir, and pruning those whose roots are gone."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from newscat.store import cache
from newscat.store.index import database_name
from tests.conftest import SEEDS, run


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _catalogue(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(SEEDS, folder)
    return folder


def _size(database: Path) -> int:
    return sum(
        p.stat().st_size
        for p in database.parent.iterdir()
        if p.name == database.name or p.name.startswith(database.name + "-")
    )


def test_lists_each_index_with_size_last_use_state_and_roots(
    tmp_path: Path, isolated_env: Path
) -> None:
    kept, gone = _catalogue(tmp_path, "kept"), _catalogue(tmp_path, "gone")
    assert run("list", "-C", str(gone), "--count").exit_code == 0
    assert run("list", "-C", str(kept), "-C", str(gone), "--count").exit_code == 0
    assert run("list", "-C", str(kept), "--count").exit_code == 0
    shutil.rmtree(gone)
    one = isolated_env / database_name([str(kept)])
    both = isolated_env / database_name([str(kept), str(gone)])
    lone = isolated_env / database_name([str(gone)])
    os.utime(both, (1_700_000_000, 1_700_000_000))
    os.utime(lone, (1_600_000_000, 1_600_000_000))

    result = run("cache", "-f", "tsv")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "index\tsize\tlast_used\tstate\troots",
        f"{one}\t{_size(one)}\t{_utc(one.stat().st_mtime)}\tok\t{kept}",
        f"{both}\t{_size(both)}\t2023-11-14T22:13:20Z\troots gone\t{gone}; {kept}",
        f"{lone}\t{_size(lone)}\t2020-09-13T12:26:40Z\troots gone\t{gone}",
    ]
    listed = json.loads(run("cache", "-f", "json").stdout)
    assert [(e["index"], e["state"], e["missing"]) for e in listed] == [
        (str(one), "ok", []),
        (str(both), "roots gone", [str(gone)]),
        (str(lone), "roots gone", [str(gone)]),
    ]
    assert listed[1]["roots"] == sorted([str(kept), str(gone)])


def test_prune_removes_only_the_indexes_whose_roots_are_gone(
    tmp_path: Path, isolated_env: Path
) -> None:
    kept, gone = _catalogue(tmp_path, "kept"), _catalogue(tmp_path, "gone")
    run("list", "-C", str(kept), "--count")
    run("list", "-C", str(gone), "--count")
    shutil.rmtree(gone)
    lone = isolated_env / database_name([str(gone)])
    (isolated_env / (lone.name + ".watch")).write_text("{}")
    size = _size(lone) + 2

    result = run("cache", "--prune")

    assert result.exit_code == 0
    assert result.stdout == (f"removed {lone.name} ({_human(size)}; gone: {gone})\n")
    assert result.stderr == f"1 index removed, {_human(size)} freed, 1 kept\n"
    left = sorted(p.name for p in isolated_env.iterdir())
    assert all(name.startswith(database_name([str(kept)])) for name in left), left
    assert run("list", "-C", str(kept), "--count").stdout == "2\n"
    again = run("cache", "--prune")
    assert (again.stdout, again.stderr) == ("", "0 indexes removed, 0 B freed, 1 kept\n")


def _human(size: int) -> str:
    from newscat.commands.caching import human_size

    return human_size(size)


def test_an_unreadable_file_is_listed_and_left_alone(isolated_env: Path) -> None:
    isolated_env.mkdir()
    junk = isolated_env / "catalog-0123456789abcdef.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    (isolated_env / "notes.txt").write_text("not an index")

    listed = json.loads(run("cache", "-f", "json").stdout)
    pruned = run("cache", "--prune")

    assert [(e["index"], e["state"], e["roots"]) for e in listed] == [
        (str(junk), "unreadable", None)
    ]
    assert pruned.stderr == "0 indexes removed, 0 B freed, 1 kept\n"
    assert junk.exists()


def test_an_empty_or_missing_cache_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run("cache", "--cache-dir", str(missing), "-f", "tsv")
    assert (result.exit_code, result.stdout) == (0, "index\tsize\tlast_used\tstate\troots\n")
    assert result.stderr == f"no index in {missing}\n"
    assert not missing.exists()


def test_every_open_marks_the_index_used(catalog: Path, isolated_env: Path) -> None:
    run("list", "-C", str(catalog), "--count")
    database = isolated_env / database_name([str(catalog)])
    os.utime(database, (1_000_000_000, 1_000_000_000))
    run("show", "-C", str(catalog), "50e0")
    assert database.stat().st_mtime > time.time() - 60
    [entry] = cache.entries(isolated_env)
    assert (entry.roots, entry.state) == ((str(catalog),), "ok")


def test_sizes_read_like_du_si() -> None:
    from newscat.commands.caching import human_size

    assert [human_size(n) for n in (0, 999, 1000, 123_456, 5_100_000_000)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "123.5 kB",
        "5.1 GB",
    ]


# --- a database damaged under newscat ---------------------------------------------------------


def test_an_index_damaged_in_a_row_is_removed_and_built_anew(
    catalog: Path, isolated_env: Path
) -> None:
    """Text of a stored row that is not UTF-8 (a damaged page) ends the command with one
    line naming the index, which is removed; the next run builds it anew."""
    assert run("index", "-C", str(catalog)).exit_code == 0
    [database] = isolated_env.glob("*.sqlite3")
    data = database.read_bytes()
    assert b"NHS report calls" in data
    database.write_bytes(data.replace(b"NHS report calls", b"NHS r\xffport calls"))

    result = run("list", "-C", str(catalog), "-F", "id,title")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: the index at {database} is damaged (Could not")
    assert result.stderr.endswith("); removed it: run the command again to build it anew\n")
    assert len(result.stderr.splitlines()) == 1 and "internal" not in result.stderr
    assert not database.exists()
    again = run("list", "-C", str(catalog), "-F", "title")
    assert (again.exit_code, again.stderr) == (0, "")
    assert any(line.startswith("NHS report calls") for line in again.stdout.splitlines())


def test_a_state_database_damaged_under_a_command_is_moved_aside(
    catalog: Path, isolated_env: Path
) -> None:
    assert run("list", "-C", str(catalog), "--unseen", "me", "--peek").exit_code == 0
    state = isolated_env.parent / "state" / "state.sqlite3"
    data = bytearray(state.read_bytes())
    data[4096 * 2 : 4096 * 3] = b"\xff" * 4096  # a page of its tables, overwritten
    state.write_bytes(bytes(data))

    result = run("list", "-C", str(catalog), "-F", "id,arrived")

    assert result.exit_code == 1
    [aside] = [
        p
        for p in state.parent.glob("state.sqlite3.damaged-*")
        if not p.name.endswith(("-wal", "-shm"))
    ]
    assert result.stderr == (
        f"Error: the state database at {state} is damaged (database disk image is malformed); "
        f"moved it to {aside}: run the command again\n"
    )
    assert aside.read_bytes() == bytes(data)
    assert run("list", "-C", str(catalog), "-F", "id,arrived").exit_code == 0


def test_newscats_own_mistake_is_no_damage(catalog: Path, isolated_env: Path) -> None:
    """An error the sqlite3 module raises itself (wrong bindings, a closed connection) is
    newscat's mistake: an internal error, and the index is left alone."""
    import sqlite3

    from newscat.store.index import Index

    index = Index.open([str(catalog)], isolated_env)
    index.refresh()
    location = Path(index.location)
    try:
        index.conn.execute("SELECT ?", (1, 2))
    except sqlite3.Error as exc:
        assert index.damaged(exc) is None
    else:
        raise AssertionError("the bindings were accepted")
    index.close()
    try:
        index.conn.execute("SELECT 1")
    except sqlite3.Error as exc:
        assert index.damaged(exc) is None
    assert location.exists()
