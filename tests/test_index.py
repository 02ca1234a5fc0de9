"""The SQLite index: incremental refresh, parallel parsing, and reliability."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newscat import refresh as refresh_module
from newscat.catalog import root_and_id, stamp, unstamp
from newscat.store import schema
from newscat.store.index import Index, database_name, default_cache_dir
from tests.conftest import ROOT, article_text, run, write_article


def make_catalogue(folder: Path, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        write_article(
            folder,
            f"{n // 100:02d}/{n:05d}_{n:016x}.txt",
            body=f"Body of article {n} about neural networks.",
            title=f"Article {n}",
            publishedDateTime=f"2023-01-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            quality=n % 100,
            heat=(n * 7) % 100,
            provider={"name": f"Provider {n % 5}", "domain": f"p{n % 5}.example.com"},
            topics=["AI", f"Topic {n % 3}"],
            webUrl=f"https://p{n % 5}.example.com/{n}",
        )


def open_index(roots: list[Path], cache: Path) -> Index:
    return Index.open([str(r) for r in roots], cache)


def ids(index: Index) -> list[str]:
    return [a.id for a in index.select(order="a.id")]


def test_first_refresh_adds_everything_then_nothing_changes(tmp_path: Path) -> None:
    make_catalogue(tmp_path / "cat", 5)
    index = open_index([tmp_path / "cat"], tmp_path / "cache")
    report = index.refresh()
    assert (report.added, report.changed, report.removed, report.unchanged) == (5, 0, 0, 0)
    again = index.refresh()
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert ids(index)[0] == "00/00000_0000000000000000"


def test_edits_deletions_renames_and_new_files_are_reflected(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 4)
    index = open_index([cat], tmp_path / "cache")
    index.refresh()
    index.ensure_fulltext()  # from now on each refresh keeps it in step
    first = cat / "00/00000_0000000000000000.txt"
    first.write_text(article_text(title="Edited", quality=99), encoding="utf-8")
    (cat / "00/00001_0000000000000001.txt").unlink()
    (cat / "00/00002_0000000000000002.txt").rename(cat / "00/renamed.txt")
    write_article(cat, "new/fresh.md", title="Fresh")
    report = index.refresh()
    assert (report.added, report.changed, report.removed, report.unchanged) == (2, 1, 2, 1)
    assert ids(index) == [
        "00/00000_0000000000000000",
        "00/00003_0000000000000003",
        "00/renamed",
        "new/fresh",
    ]
    edited = next(index.select("a.id = ?", ["00/00000_0000000000000000"]))
    assert (edited.title, edited.quality) == ("Edited", 99)
    assert index.conn.execute("SELECT count(*) FROM topics").fetchone()[0] == 2 * 2
    hits = index.conn.execute("SELECT count(*) FROM fts WHERE fts MATCH 'Edited'").fetchone()[0]
    assert hits == 1


def test_changes_are_seen_in_every_batch_of_folders(tmp_path: Path) -> None:
    """The walk compares many folders per query: a change in the first, the last or a
    folder at a batch's edge is seen, and so is a folder that is gone or new."""
    cat = tmp_path / "cat"
    folders = refresh_module.FOLDERS_PER_READ * 2 + 3
    for n in range(folders):
        write_article(cat, f"f{n:04d}/a.md", title=f"A {n}", date="2024-01-02")
    for n in range(0, folders, 7):  # some folders hold more than one file
        write_article(cat, f"f{n:04d}/b.md", title=f"B {n}", date="2024-01-02")
    index = open_index([cat], tmp_path / "cache")
    first = index.refresh()
    assert (first.added, first.unchanged) == (folders + len(range(0, folders, 7)), 0)
    edge = refresh_module.FOLDERS_PER_READ
    edited = [0, edge - 1, edge, edge + 1, folders - 1]
    for n in edited:
        write_article(cat, f"f{n:04d}/a.md", title=f"Edited {n}", date="2024-01-02")
        os.utime(cat / f"f{n:04d}/a.md", ns=(1, 1))  # the same size would not show it
    for path in sorted((cat / f"f{edge + 2:04d}").iterdir()):
        path.unlink()
    (cat / f"f{edge + 2:04d}").rmdir()
    write_article(cat, "zz-new/a.md", title="New", date="2024-01-02")
    report = index.refresh()
    gone = 1 + ((edge + 2) % 7 == 0)
    assert (report.added, report.changed, report.removed) == (1, len(edited), gone)
    titles = {a.id: a.title for a in index.select(order="a.id")}
    assert [titles[f"f{n:04d}/a"] for n in edited] == [f"Edited {n}" for n in edited]
    assert f"f{edge + 2:04d}/a" not in titles and titles["zz-new/a"] == "New"
    assert index.refresh().unchanged == len(titles)


def test_a_report_names_the_first_files_unless_all_are_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build of a million files does not hold a million names; `index -v` and
    `index -f json` still name every file, and every article still gets its arrival."""
    monkeypatch.setattr(refresh_module, "NAMES_KEPT", 3)
    make_catalogue(tmp_path / "cat", 5)
    index = open_index([tmp_path / "cat"], tmp_path / "cache")
    report = index.refresh()
    assert (report.added, len(report.names), report.names_complete) == (5, 3, False)
    arrived = index.conn.execute("SELECT count(*) FROM state.arrivals").fetchone()[0]
    assert arrived == 5
    make_catalogue(tmp_path / "cat", 5, start=5)
    assert len(index.refresh(all_names=True).names) == 5
    make_catalogue(tmp_path / "cat", 5, start=10)
    listed = run("index", "-v", "-C", str(tmp_path / "cat"), "--cache-dir", str(tmp_path / "c2"))
    assert listed.stdout.count("added ") == 15
    make_catalogue(tmp_path / "cat", 4, start=15)
    as_json = run(
        "index", "-f", "json", "-C", str(tmp_path / "cat"), "--cache-dir", str(tmp_path / "c2")
    )
    assert len(json.loads(as_json.stdout)["added"]) == 4


def test_touching_a_file_reparses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 3)
    minute_ago = time.time_ns() - 60_000_000_000
    for path in cat.rglob("*.txt"):  # files written just now are read again next time
        os.utime(path, ns=(minute_ago, minute_ago))
    index = open_index([cat], tmp_path / "cache")
    index.refresh()
    target = cat / "00/00001_0000000000000001.txt"
    os.utime(target, ns=(time.time_ns(), time.time_ns() - 5_000_000_000))
    parsed: list[str] = []
    real = refresh_module.read_article

    def spy(path: str, *args: object, **kwargs: object) -> object:
        result = real(path, *args, **kwargs)  # type: ignore[arg-type]
        parsed.append(path if result.result is not None else "unchanged")
        return result

    monkeypatch.setattr(refresh_module, "read_article", spy)
    report = index.refresh()
    assert (report.added, report.changed, report.unchanged) == (0, 0, 3)
    assert parsed == ["unchanged"]
    stored = index.conn.execute(
        "SELECT mtime_ns FROM files WHERE path = ?", (str(target),)
    ).fetchone()[0]
    assert stored == target.stat().st_mtime_ns
    assert index.refresh().unchanged == 3  # the new stat was remembered


def test_a_rewrite_within_the_same_clock_tick_is_seen(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    target = write_article(cat, "a.md", title="Version 1")
    index = open_index([cat], tmp_path / "cache")
    index.refresh()
    # Same size, same mtime: what a rewrite in the same tick of a coarse clock looks like.
    before = target.stat()
    write_article(cat, "a.md", title="Version 2")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    index.refresh()
    assert [a.title for a in index.select()] == ["Version 2"]
    assert index.refresh().unchanged == 1


def test_problems_are_stored_and_cleared_when_fixed(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    cat.mkdir()
    bad = cat / "bad.md"
    bad.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    index = open_index([cat], tmp_path / "cache")
    assert index.refresh().problems == 1
    problem = index.problems("error")[0]
    assert (problem.path, problem.code, problem.line) == (str(bad), "yaml-syntax", 3)
    bad.write_text(article_text(title="Fixed"), encoding="utf-8")
    assert index.refresh().problems == 0
    assert ids(index) == ["bad"]


def test_parallel_parse_gives_the_same_index_as_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 60)
    (cat / "broken.md").write_text("---\n: : :\n---\n", encoding="utf-8")
    serial = open_index([cat], tmp_path / "serial")
    serial.refresh()
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 1)
    monkeypatch.setattr(refresh_module, "_BATCH", 7)
    progress: list[tuple[int, int]] = []
    parallel = open_index([cat], tmp_path / "parallel")
    parallel.refresh(progress=lambda done, total: progress.append((done, total)))
    query = "SELECT id, date, title, quality, topics, record FROM articles ORDER BY id"
    assert serial.conn.execute(query).fetchall() == parallel.conn.execute(query).fetchall()
    assert parallel.problems() == serial.problems()
    assert progress[-1] == (61, 61)
    # Built on the first search, from what either fill stored.
    assert _fts_ids(parallel, "neural") == _fts_ids(serial, "neural") == ids(serial)
    assert _fts_ids(parallel, "article 42") == ["00/00042_000000000000002a"]
    for index in (serial, parallel):
        index.conn.execute("INSERT INTO fts(fts) VALUES ('integrity-check')")
    # The bulk fill dropped the secondary indexes and built them again: the same ones,
    # and sound (the files table's, which the walk compares with, included).
    schema_sql = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    assert (
        parallel.conn.execute(schema_sql).fetchall() == serial.conn.execute(schema_sql).fetchall()
    )
    assert parallel.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    (cat / "00" / "00003_0000000000000003.txt").unlink()
    assert (parallel.refresh().removed, parallel.file_count()) == (1, 60)


def _write_authored(cat: Path, n: int, word: str) -> None:
    """Article ``n`` (a problem when ``word`` is empty): its title, topic and two
    authors all carry ``word``, so that every row of it says whose it is."""
    if not word:
        (cat / f"{n:02d}.md").write_text("---\n: : :\n---\n", encoding="utf-8")
        return
    write_article(cat, f"{n:02d}.md", title=f"{word} {n}", topics=[f"{word} {n}"], authors=[f"Ada {word} {n}", f"Grace {word} {n}"])  # fmt: skip


def _owned_rows(index: Index) -> list[tuple[str, str]]:
    """(article id, value) of every topic, provider name and full-text title, by rowid."""
    return index.conn.execute(
        "SELECT a.id, t.topic FROM topics AS t JOIN articles AS a ON a.rowid = t.article "
        "UNION ALL SELECT a.id, n.name FROM provider_names AS n "
        "JOIN articles AS a ON a.rowid = n.article "
        "UNION ALL SELECT a.id, f.title FROM fts AS f JOIN articles AS a ON a.rowid = f.rowid "
        "ORDER BY 1, 2"
    ).fetchall()


def test_each_row_a_worker_sends_belongs_to_its_own_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers send a batch's rows keyed by each article's place among the batch's
    articles (a file that is a problem has none), the writer gives the rowids: topics,
    provider names and full text stay with their article, filled or refreshed, and
    new articles come after every stored one."""
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 1)
    monkeypatch.setattr(refresh_module, "_BATCH", 4)
    cat = tmp_path / "cat"
    cat.mkdir()
    words = {n: "" if n % 3 == 1 else "old" for n in range(12)}
    for n, word in words.items():
        _write_authored(cat, n, word)
    index = open_index([cat], tmp_path / "cache")
    report = index.refresh()
    assert (report.added, report.problems, report.names_complete) == (12, 4, True)
    assert sorted(path for _, _, path in report.names) == sorted(
        str(cat / f"{n:02d}.md") for n in words
    )
    index.ensure_fulltext()
    stored_max = index.conn.execute("SELECT max(rowid) FROM articles").fetchone()[0]
    assert stored_max == 8
    words.update({1: "new", 2: "", 3: "new", 12: "new", 13: "", 14: "new"})
    for n in (1, 2, 3, 12, 13, 14):
        _write_authored(cat, n, words[n])
    os.utime(cat / "03.md", ns=(1, 1))  # the same size would not show it
    report = index.refresh()
    assert (report.added, report.changed, report.problems) == (3, 3, 5)
    expected = sorted(
        (f"{n:02d}", f"{who}{word} {n}")
        for n, word in words.items()
        if word
        for who in ("", "", "Ada ", "Grace ")  # topic, title; the two authors
    )
    assert _owned_rows(index) == expected
    renewed = index.conn.execute(
        "SELECT id FROM articles WHERE rowid > ? ORDER BY id", (stored_max,)
    ).fetchall()
    assert renewed == [("01",), ("03",), ("12",), ("14",)]


def _fts_ids(index: Index, words: str) -> list[str]:
    index.ensure_fulltext()
    return [
        row[0]
        for row in index.conn.execute(
            "SELECT a.id FROM fts JOIN articles AS a ON a.rowid = fts.rowid "
            "WHERE fts MATCH ? ORDER BY a.id",
            (words,),
        )
    ]


def test_no_cache_indexes_in_memory(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = run("list", "--no-cache", "--count", "--cache-dir", str(cache))
    assert result.stdout == "2\n"
    assert not cache.exists()


def test_cache_dir_option_and_environment(tmp_path: Path, isolated_env: Path) -> None:
    run("index", "--cache-dir", str(tmp_path / "mine"))
    assert len(list((tmp_path / "mine").glob("catalog-*.sqlite3"))) == 1
    run("index")
    assert len(list(isolated_env.glob("catalog-*.sqlite3"))) == 1


def test_default_cache_dir_follows_xdg() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/newscat")
    assert default_cache_dir({"NEWSCAT_CACHE_DIR": "/y", "XDG_CACHE_HOME": "/x"}) == Path("/y")
    assert default_cache_dir({"HOME": "/h"}).name == "newscat"


def test_one_database_per_list_of_roots() -> None:
    assert database_name(["/a", "/b"]) == database_name(["/a", "/b"])
    assert database_name(["/a"]) != database_name(["/a", "/b"])
    # Overlapping roots give ids by the first that holds a file: order matters.
    assert database_name(["/a", "/a/sub"]) != database_name(["/a/sub", "/a"])


def test_corrupt_database_is_rebuilt_with_one_warning(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run("index", "--cache-dir", str(cache))
    (db,) = cache.glob("catalog-*.sqlite3")
    for extra in cache.glob("catalog-*.sqlite3-*"):
        extra.unlink()
    db.write_bytes(b"this is not a database" * 100)
    result = run("list", "--count", "--cache-dir", str(cache))
    assert (result.exit_code, result.stdout) == (0, "2\n")
    assert result.stderr.count("warning") == 1
    assert "rebuilding it" in result.stderr
    assert run("list", "--count", "--cache-dir", str(cache)).stderr == ""


def test_database_of_another_schema_version_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run("index", "--cache-dir", str(cache))
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    result = run("list", "--count", "--cache-dir", str(cache))
    assert (result.exit_code, result.stdout) == (0, "2\n")
    assert result.stderr == (
        f"newscat: warning: the index at {db} was made by another newscat "
        f"(schema version 99; this one uses {schema.SCHEMA_VERSION}); rebuilding it\n"
    )


def test_an_index_of_an_older_schema_is_read_again(tmp_path: Path) -> None:
    """Versions before 7 stored records that lost front-matter keys; none is upgraded."""
    cat = tmp_path / "cat"
    make_catalogue(cat, 3)
    write_article(cat, os.fsdecode(b"caf\xe9.txt"), title="Latin-1 name")
    cache = tmp_path / "cache"
    open_index([cat], cache).refresh()
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 6")
    conn.close()
    result = run("list", "-C", str(cat), "--cache-dir", str(cache), "--count")
    assert (result.exit_code, result.stdout) == (0, "4\n")
    assert result.stderr == (
        f"newscat: warning: the index at {db} was made by another newscat "
        f"(schema version 6; this one uses {schema.SCHEMA_VERSION}); rebuilding it\n"
    )
    index = open_index([cat], cache)
    assert index.conn.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION,)
    assert index.refresh().unchanged == 4
    (article,) = index.select("a.id = ?", ["caf\\xe9"])
    assert article.path_bytes == base64.b64encode(os.fsencode(str(cat / "caf\udce9.txt"))).decode()


def test_a_large_first_fill_lays_the_index_out_in_large_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index first filled with many articles is laid out in LARGE_PAGES (its rows are
    kilobytes of front matter); a small one keeps small pages, and so a small file. Both
    are read again as they were written."""
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 5)
    small, large = tmp_path / "small", tmp_path / "large"
    make_catalogue(small, 4)
    make_catalogue(large, 6)
    pages = {}
    for cat, count in ((small, 4), (large, 6)):
        index = open_index([cat], tmp_path / "cache")
        assert index.refresh().added == count
        # back in the write-ahead log after the fill, the schema's version kept
        assert index.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert index.conn.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION,)
        pages[cat] = index.conn.execute("PRAGMA page_size").fetchone()[0]
        index.conn.close()
        index = open_index([cat], tmp_path / "cache")
        assert index.refresh().unchanged == count
        assert len(ids(index)) == count
        index.conn.close()
    assert pages[large] == schema.LARGE_PAGES
    assert pages[small] < schema.LARGE_PAGES


def test_an_index_filled_meanwhile_is_not_laid_out_again(tmp_path: Path) -> None:
    """Laying an index out again rewrites all of it: only a nearly empty one is (another
    process may have filled it since this one found it empty)."""
    conn = sqlite3.connect(tmp_path / "full.sqlite3", isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE t(x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 2000,) for _ in range(1000)])
    assert schema.large_pages(conn) is False
    assert conn.execute("PRAGMA page_size").fetchone() == (4096,)
    conn.execute("DELETE FROM t")
    conn.execute("VACUUM")
    assert schema.large_pages(conn) is True
    assert conn.execute("PRAGMA page_size").fetchone() == (schema.LARGE_PAGES,)
    conn.close()


def test_a_catalogue_emptied_of_articles_keeps_its_walk_problems_once(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 1)
    (cat / "dangling.md").symlink_to(cat / "nowhere.md")
    index = open_index([cat], tmp_path / "cache")
    index.refresh()
    for path in (cat / "00").iterdir():
        path.unlink()
    report = index.refresh()
    assert (report.removed, index.file_count()) == (1, 0)
    assert [(p.path, p.code) for p in index.problems()] == [
        (str(cat / "dangling.md"), "unreadable")
    ]
    assert index.refresh().removed == 0


def test_rebuild_empties_the_full_text_index_first(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 4)
    index = open_index([cat], tmp_path / "cache")
    index.refresh()
    index.ensure_fulltext()
    write_article(cat, "00/00001_0000000000000001.txt", title="Other", body="Different.")
    report = index.refresh(rebuild=True)
    assert (report.added, report.changed, report.removed) == (4, 0, 0)
    assert _fts_ids(index, "neural") == [a for a in ids(index) if not a.startswith("00/00001")]
    assert _fts_ids(index, "different") == ["00/00001_0000000000000001"]
    assert index.conn.execute("SELECT count(*) FROM topics").fetchone() == (6,)
    index.conn.execute("INSERT INTO fts(fts) VALUES ('integrity-check')")


def test_unwritable_cache_dir_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run("list", "--count", "--cache-dir", str(blocker / "cache"))
    assert (result.exit_code, result.stdout) == (0, "2\n")
    assert result.stderr.startswith("newscat: warning: cannot use the cache dir")
    assert result.stderr.count("\n") == 1


def test_index_command_reports_and_status(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 3)
    first = run("index", "-C", str(cat))
    assert first.stdout.startswith("3 added, 0 changed, 0 removed, 0 unchanged, 0 with problems (")
    second = run("index", "-C", str(cat))
    assert second.stdout.startswith("0 added, 0 changed, 0 removed, 3 unchanged, 0 with problems")
    rebuilt = run("index", "-C", str(cat), "--rebuild")
    assert rebuilt.stdout.startswith("3 added, 0 changed, 0 removed, 0 unchanged")
    status = run("index", "-C", str(cat), "--status").stdout.splitlines()
    assert status[0].startswith("database      ") and status[0].endswith(".sqlite3")
    assert status[2:5] == ["articles      3", "files         3", "problems      0"]
    assert status[5].startswith("last refresh  20")


def _newscat(*args: str, cache: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, NEWSCAT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "newscat", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_refreshing_at_once_both_succeed_and_agree(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 600)
    cache = tmp_path / "cache"
    procs = [_newscat("list", "-C", str(cat), "--count", cache=cache) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert [out for out, _ in outputs] == ["600\n", "600\n"]
    assert [err for _, err in outputs] == ["", ""]
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 600
        assert conn.execute("SELECT count(DISTINCT path) FROM articles").fetchone()[0] == 600
    conn.close()


@pytest.mark.parametrize("first", [300, 0], ids=["adding to an index", "filling an empty one"])
def test_a_killed_refresh_leaves_an_index_the_next_run_uses(tmp_path: Path, first: int) -> None:
    cat = tmp_path / "cat"
    cat.mkdir()
    make_catalogue(cat, first)
    cache = tmp_path / "cache"
    assert _newscat("index", "-C", str(cat), cache=cache).wait(timeout=120) == 0
    make_catalogue(cat, 3300 - first, start=first)
    proc = _newscat("index", "-C", str(cat), cache=cache)
    (db,) = cache.glob("catalog-*.sqlite3")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once it holds the write lock, mid-refresh
        probe = sqlite3.connect(db, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            break
        finally:
            probe.close()
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    after = _newscat("list", "-C", str(cat), "--count", cache=cache)
    out, err = after.communicate(timeout=120)
    assert (after.returncode, out, err) == (0, "3300\n", "")


@given(st.integers(0, 2**62), st.integers(-(2**63), 2**63 - 1))
def test_stamp_round_trips_and_tells_files_apart(size: int, mtime_ns: int) -> None:
    assert unstamp(stamp(size, mtime_ns)) == (size, mtime_ns)
    assert stamp(size, mtime_ns) != stamp(size + 1, mtime_ns)
    assert stamp(size, mtime_ns) != stamp(size, mtime_ns ^ 1)


def test_root_and_id_take_the_first_root_that_holds_the_path(tmp_path: Path) -> None:
    outer, inner, single = str(tmp_path), str(tmp_path / "in"), str(tmp_path / "x" / "one.md")
    assert root_and_id(f"{inner}/a/b.md", [outer, inner]) == (outer, "in/a/b")
    assert root_and_id(f"{inner}/a/b.md", [inner, outer]) == (inner, "a/b")
    root, file_id = root_and_id(single, [single])
    assert (file_id, root, *unstamp(stamp(3, 4))) == ("one", str(tmp_path / "x"), 3, 4)


def _snapshot(index: Index) -> list[tuple[object, ...]]:
    return index.conn.execute(
        "SELECT a.id, a.path, a.title, a.quality, f.size, f.dir FROM articles a "
        "JOIN files f ON f.path = a.path ORDER BY a.path"
    ).fetchall()


@pytest.mark.parametrize("streamed", [False, True])
def test_every_kind_of_change_matches_a_fresh_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:  # too many changes to keep: the refresh streams the walk a second time
        monkeypatch.setattr(refresh_module, "PLAN_LIMIT", 2)
        monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 1)
        monkeypatch.setattr(refresh_module, "_BATCH", 3)
    cat = tmp_path / "cat"
    make_catalogue(cat, 250)  # folders 00, 01, 02
    index = open_index([cat], tmp_path / "cache")
    assert index.refresh().added == 250
    index.ensure_fulltext()
    for n in range(5):
        write_article(cat, f"00/{n:05d}_{n:016x}.txt", title=f"Edited {n}", quality=1)
    for path in (cat / "01").iterdir():
        path.unlink()
    (cat / "01").rmdir()
    (cat / "02/00200_00000000000000c8.txt").rename(cat / "02/moved.txt")
    write_article(cat, "03/new.md", title="New")
    report = index.refresh()
    assert (report.added, report.changed, report.removed) == (2, 5, 101)
    assert report.unchanged == 250 - 100 - 5 - 1
    fresh = open_index([cat], tmp_path / "fresh")
    fresh.refresh()
    assert _snapshot(index) == _snapshot(fresh)
    assert index.refresh().unchanged == 250 - 100 + 1
    assert _fts_ids(index, "edited") == [f"00/{n:05d}_{n:016x}" for n in range(5)]
    assert _fts_ids(index, "neural") == _fts_ids(fresh, "neural")
    index.conn.execute("INSERT INTO fts(fts) VALUES ('integrity-check')")


def test_a_file_root_inside_a_folder_root_is_indexed_once(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 3)
    single = cat / "00/00001_0000000000000001.txt"
    index = open_index([cat, single], tmp_path / "cache")
    assert index.refresh().added == 3
    again = index.refresh()
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert sorted(ids(index)) == [
        "00/00000_0000000000000000",
        "00/00002_0000000000000002",
        "00001_0000000000000001",
    ]


def _fulltext_rows(index: Index) -> int:
    return int(index.conn.execute("SELECT count(*) FROM fts_docsize").fetchone()[0])


def test_the_full_text_index_is_built_on_the_first_search_then_kept(tmp_path: Path) -> None:
    cat, cache = tmp_path / "cat", tmp_path / "cache"
    make_catalogue(cat, 6)
    index = open_index([cat], cache)
    index.refresh()
    assert _fulltext_rows(index) == 0  # a cold fill leaves it out
    search = ("list", "-C", str(cat), "--cache-dir", str(cache), "-f", "ids")

    first = run(*search, "-m", "article 3")

    assert (first.exit_code, first.stdout, first.stderr) == (0, "00/00003_0000000000000003\n", "")
    assert _fulltext_rows(index) == 6
    write_article(cat, "00/00003_0000000000000003.txt", title="Renamed", body="Other words.")
    (cat / "00/00004_0000000000000004.txt").unlink()
    write_article(cat, "new.md", title="Shiny new article")
    assert run(*search, "-m", "article 3").stdout == ""
    assert run(*search, "-m", "shiny").stdout == "new\n"
    assert run(*search, "-m", "other").stdout == "00/00003_0000000000000003\n"
    assert _fulltext_rows(index) == 6
    index.conn.execute("INSERT INTO fts(fts) VALUES ('integrity-check')")


def test_a_full_text_index_not_marked_built_is_never_trusted(tmp_path: Path) -> None:
    # An index from before the full-text index was built lazily holds entries that
    # nothing kept in step; the first search builds it afresh.
    cat, cache = tmp_path / "cat", tmp_path / "cache"
    make_catalogue(cat, 3)
    index = open_index([cat], cache)
    index.refresh()
    index.conn.execute(
        "INSERT INTO fts(rowid, title, excerpt, body) VALUES (1, 'stale', '', ''), "
        "(99, 'ghost', '', '')"
    )

    stale = run(
        "list", "-C", str(cat), "--cache-dir", str(cache), "-m", "stale OR ghost", "-f", "ids"
    )
    neural = run("list", "-C", str(cat), "--cache-dir", str(cache), "-m", "neural", "--count")

    assert (stale.exit_code, stale.stdout) == (0, "")
    assert neural.stdout == "3\n"
    assert _fulltext_rows(index) == 3


def test_every_read_that_searches_builds_it_first(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    make_catalogue(cat, 2)
    index = open_index([cat], tmp_path / "cache")
    index.refresh()
    where = "a.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
    assert index.count(where, ["neural"]) == 2
    assert [a.id for a in index.select(where, ["article 1"])] == ["00/00001_0000000000000001"]


def test_a_first_fill_without_a_progress_bar_counts_only_enough_to_choose_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count before a first fill sizes the progress bar; without one it stops as soon
    as it knows the fill is large (the whole walk comes under the lock anyway)."""
    cat = tmp_path / "cat"
    for folder in range(6):
        make_catalogue(cat, 10, start=folder * 100)  # six folders of ten
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 5)
    walks: list[int] = []  # the files each walk found: the count's, then the fill's
    walk = refresh_module.walk_folders

    def spied(*args: object, **kwargs: object) -> object:
        walks.append(0)
        for folder in walk(*args, **kwargs):  # type: ignore[arg-type]
            walks[-1] += len(folder.files)
            yield folder

    monkeypatch.setattr(refresh_module, "walk_folders", spied)
    quiet = open_index([cat], tmp_path / "quiet")
    report = quiet.refresh()
    assert (report.added, report.unchanged, quiet.file_count()) == (60, 0, 60)
    assert len(walks) == 2 and 5 <= walks[0] < 60 and walks[1] == 60
    walks.clear()
    progress: list[tuple[int, int]] = []
    shown = open_index([cat], tmp_path / "shown")
    shown.refresh(progress=lambda done, total: progress.append((done, total)))
    assert walks == [60, 60]
    assert progress[-1] == (60, 60)
    query = "SELECT id, date, title, record FROM articles ORDER BY id"
    assert quiet.conn.execute(query).fetchall() == shown.conn.execute(query).fetchall()
    # The command line shows no bar when stderr is not a terminal, so it counts no more.
    walks.clear()
    result = run("index", "-C", str(cat), "--cache-dir", str(tmp_path / "cli"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("60 added, 0 changed, 0 removed, 0 unchanged")
    assert len(walks) == 2 and 5 <= walks[0] < 60 and walks[1] == 60


@pytest.mark.parametrize("threshold", [1, 10_000], ids=["pool", "serial"])
def test_a_first_fill_stores_the_stamps_of_the_files_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    """A first fill's walk stats no file; what it stores is what a stat would give (for
    a file it cannot open too), a dangling link is said at once, and the next refresh
    finds nothing changed."""
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", threshold)
    cat = tmp_path / "cat"
    make_catalogue(cat, 12)
    (cat / "dangling.md").symlink_to(cat / "nowhere.md")
    (cat / "linked.md").symlink_to(cat / "00" / "00003_0000000000000003.txt")
    old = time.time_ns() - 60_000_000_000  # a minute ago: not racy
    for path in cat.rglob("*.txt"):
        os.utime(path, ns=(old, old))
    locked = cat / "00" / "00005_0000000000000005.txt"
    real_open = os.open

    def guarded(path: str, flags: int, *args: int) -> int:  # as chmod 000 for a user
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", guarded)
    index = open_index([cat], tmp_path / "cache")
    report = index.refresh()
    assert (report.added, report.unchanged) == (13, 0)
    assert sorted((p.path, p.code) for p in index.problems()) == [
        (str(locked), "unreadable"),
        (str(cat / "dangling.md"), "unreadable"),
    ]
    stored = index.conn.execute("SELECT path, size, mtime_ns FROM files ORDER BY path")
    expected = sorted(
        (str(path), path.stat().st_size, path.stat().st_mtime_ns)
        for path in [*cat.rglob("*.txt"), cat / "linked.md"]
    )
    assert stored.fetchall() == expected
    again = index.refresh()
    assert (again.added, again.changed, again.unchanged) == (0, 0, 13)
    assert [p.code for p in index.problems()] == ["unreadable", "unreadable"]


def test_a_first_fill_that_waited_for_another_reads_as_a_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the index is empty is decided under the write lock: a first fill that
    waited while another process filled the index compares with what that one stored."""
    monkeypatch.setattr(refresh_module, "POOL_THRESHOLD", 5)
    cat = tmp_path / "cat"
    make_catalogue(cat, 30)
    cache = tmp_path / "cache"
    waiting = open_index([cat], cache)
    real = refresh_module._Refresh._locked
    others: list[int] = []

    def after_another(self: object, *args: object) -> object:
        if not others:  # the other process fills the index first
            others.append(0)
            others[0] = open_index([cat], cache).refresh().added
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(refresh_module._Refresh, "_locked", after_another)
    report = waiting.refresh()
    assert others == [30]
    assert (report.added, report.changed, report.unchanged) == (0, 0, 30)
    assert waiting.file_count() == 30
    assert waiting.conn.execute("SELECT count(*) FROM articles").fetchone() == (30,)
    names = {row[0] for row in waiting.conn.execute("SELECT name FROM sqlite_master")}
    assert "files_dir" in names
