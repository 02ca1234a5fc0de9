"""Handles: the shortest REF naming one article, shown in a table's ``ref`` column."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newscat.handles import (
    MIN_LENGTH,
    Handles,
    IdLookup,
    after_prefix,
    hash_part,
    id_suffix,
    trailing_parts,
)
from newscat.refs import resolve
from newscat.store import schema
from newscat.store.index import Index
from tests.conftest import run, write_article


def brute_force(ids: list[str], ref: str) -> list[str]:
    """What the REF rules match, by scanning every id: the first rule that matches anything."""
    rules = [
        lambda id_: id_ == ref,
        lambda id_: id_.startswith(ref),
        lambda id_: "_" in id_ and id_.rpartition("_")[2].startswith(ref),
        lambda id_: id_.endswith("/" + ref),
    ]
    for rule in rules:
        found = [id_ for id_ in ids if rule(id_)]
        if found:
            return found
    return []


def test_hash_part_needs_eight_hex_digits_after_the_last_underscore() -> None:
    assert hash_part("000_50e039b255de019a") == "50e039b255de019a"
    assert hash_part("2024/05/003_abcdef01") == "abcdef01"
    assert hash_part("2024/05/my_story") == ""
    assert hash_part("notes_0123abcd/post") == ""


def test_a_hash_prefix_of_at_least_four_characters() -> None:
    handles = Handles.of_ids(["000_50e039b255de019a", "002_6ef551387f7f8ea7"])
    assert handles("000_50e039b255de019a") == "50e0"
    assert handles("002_6ef551387f7f8ea7") == "6ef5"


def test_a_hash_prefix_grows_until_unique() -> None:
    ids = ["2026/12/000_1485ef0817e09c04", "2021/07/021_1485c98cee2d250d", "x/001_14aa00000000"]
    handles = Handles.of_ids(ids)
    assert [handles(id_) for id_ in ids] == ["1485e", "1485c", "14aa"]


def test_a_hash_prefix_that_is_also_an_id_prefix_is_not_a_handle() -> None:
    # "abcd" is a prefix of the id "abcdef/post" too, and that rule comes first.
    ids = ["a/001_abcdef0123", "abcdef/post"]
    handles = Handles.of_ids(ids)
    assert handles("a/001_abcdef0123") == "abcdef0"
    assert handles("abcdef/post") == "post"


def test_ids_without_a_hash_get_their_shortest_unique_trailing_part() -> None:
    ids = ["site/blog/2024-release-3", "site/news/2024-release-3", "site/blog/launch-day"]
    handles = Handles.of_ids(ids)
    assert handles("site/blog/2024-release-3") == "blog/2024-release-3"
    assert handles("site/news/2024-release-3") == "news/2024-release-3"
    assert handles("site/blog/launch-day") == "launch-day"


def test_an_id_held_by_two_roots_has_no_shorter_handle() -> None:
    handles = Handles.of_ids(["post", "post"])
    assert handles("post") == "post"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ab_/0", min_size=1, max_size=10).filter(
            lambda s: not s.startswith("/") and not s.endswith("/") and "//" not in s
        ),
        min_size=1,
        max_size=12,
        unique=True,
    )
)
def test_every_handle_names_its_article_by_the_ref_rules(ids: list[str]) -> None:
    handles = Handles.of_ids(ids)
    for id_ in ids:
        handle = handles(id_)
        assert brute_force(ids, handle) == [id_], (id_, handle)
        assert len(handle) >= MIN_LENGTH or handle == id_


def test_every_handle_resolves_in_a_real_index(tmp_path: Path) -> None:
    """Hundreds of articles with shared hash prefixes and ids without hashes."""
    folder = tmp_path / "catalog"
    rng = random.Random(7)
    names = [f"{y}/{i:03d}_{rng.choice('abc')}{rng.getrandbits(40):010x}.md"
             for i, y in enumerate(rng.choice(["2023", "2024"]) for _ in range(300))]  # fmt: skip
    names += ["blog/2024-release-3.md", "news/2024-release-3.md", "blog/launch-day.md", "a/b.md"]
    for name in names:
        write_article(folder, name, title=name)
    index = Index.open([str(folder)], None)
    index.refresh()
    handles = Handles(index.ref_matches)
    for article in index.select():
        handle = handles(article.id)
        assert resolve(index, handle).id == article.id
    index.close()


def test_a_trailing_part_is_a_ref(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    write_article(folder, "blog/2024-release-3.md", title="Blog release")
    write_article(folder, "news/2024-release-3.md", title="News release")
    result = run("show", "-C", str(folder), "blog/2024-release-3", "-f", "json")
    assert (result.exit_code, json.loads(result.stdout)["title"]) == (0, "Blog release")
    result = run("show", "-C", str(folder), "2024-release-3")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: '2024-release-3' is ambiguous; it matches 2 articles:")


def test_the_table_ref_column_feeds_show(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    write_article(
        folder, "blog/2024-release-3.md", title="Blog release", publishedDateTime="2024-03-01"
    )
    write_article(
        folder, "news/2024-release-3.md", title="News release", publishedDateTime="2024-02-01"
    )
    write_article(
        folder, "001_1485ef0817e09c04.md", title="First hash", publishedDateTime="2024-01-01"
    )
    write_article(
        folder, "002_1485c98cee2d250d.md", title="Second hash", publishedDateTime="2023-01-01"
    )
    result = run("list", "-C", str(folder), "-f", "table", "-F", "ref,title")
    assert result.stdout.splitlines() == [
        "ref                  title       ",
        "blog/2024-release-3  Blog release",
        "news/2024-release-3  News release",
        "1485e                First hash  ",
        "1485c                Second hash ",
    ]
    for line in result.stdout.splitlines()[1:]:
        ref, title = line.split(None, 1)
        shown = run("show", "-C", str(folder), ref, "-f", "json")
        assert json.loads(shown.stdout)["title"] == title.strip()


def test_ref_in_machine_formats_is_the_handle() -> None:
    result = run("list", "-F", "ref,id", "--no-header")
    assert result.stdout == "6ef5\t002_6ef551387f7f8ea7\n50e0\t000_50e039b255de019a\n"


def test_a_missing_ref_is_still_not_found() -> None:
    result = run("show", "zzzz")
    assert (result.exit_code, result.stderr) == (1, "Error: no article matches 'zzzz'\n")


# --- handles from the index: only the shown rows, with indexed queries ---------------------


def test_after_prefix_bounds_exactly_the_texts_with_that_prefix() -> None:
    assert after_prefix("50e0") == "50e1"
    assert after_prefix("a\U0010ffff") == "b"
    assert after_prefix("\ud7ff") == "\ue000"
    assert after_prefix("\U0010ffff\U0010ffff") is None
    assert after_prefix("") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=4), st.text(max_size=6))
def test_a_prefix_range_holds_the_texts_that_start_with_it(prefix: str, text: str) -> None:
    upper = after_prefix(prefix)
    utf8 = text.encode("utf-8", "surrogatepass")  # SQLite compares UTF-8 bytes
    inside = prefix.encode("utf-8", "surrogatepass") <= utf8 and (
        upper is None or utf8 < upper.encode("utf-8", "surrogatepass")
    )
    assert inside == text.startswith(prefix)


TRICKY_NAMES = [
    "2024/000_50e039b255de019a.md",
    "2024/001_50e0ffff00000000.md",
    "2023/002_50e1aaaa00000000.md",
    "50e0fade/notes.md",  # an id that starts like a hash part: the id-prefix rule comes first
    "x_50e2/readme.md",  # an "_" in a folder name
    "blog/2024-release-3.md",
    "news/2024-release-3.md",
    "blog/launch-day.md",
    "blog/café-ünïcode.md",
    "a/b.md",
    "deep/er/still/b.md",
    "post_final.md",
    "post_finale.md",
    "003_\U0010ffff0123456789.md",
]


def tricky_index(tmp_path: Path) -> Index:
    first, second = tmp_path / "one", tmp_path / "two"
    for name in TRICKY_NAMES:
        write_article(first, name, title=name)
    write_article(second, "blog/launch-day.md", title="the same id under a second root")
    index = Index.open([str(first), str(second)], None)
    index.refresh()
    return index


def test_the_index_gives_the_handles_that_every_id_gives(tmp_path: Path) -> None:
    index = tricky_index(tmp_path)
    ids = [a.id for a in index.select()]
    from_index, in_memory = Handles(index.ref_matches), Handles.of_ids(ids)
    assert {id_: from_index(id_) for id_ in ids} == {id_: in_memory(id_) for id_ in ids}
    switching = Handles(index.ref_matches, index.ids, switch_after=3)  # as a long pipe does
    assert {id_: switching(id_) for id_ in ids} == {id_: in_memory(id_) for id_ in ids}
    assert isinstance(switching.lookup, IdLookup)
    assert from_index("2024/000_50e039b255de019a") == "50e03"
    assert from_index("50e0fade/notes") == "notes"
    assert from_index("blog/launch-day") == "blog/launch-day"  # held by two roots
    refs = {ref for id_ in ids for ref in (id_[:4], id_[:6], *trailing_parts(id_))}
    refs |= {"50e", "50e0", "50e1", "release-3", "b", "er/still/b", "final", "\U0010ffff"}
    for ref in sorted(refs):
        assert sorted(index.ref_matches(ref)) == sorted(brute_force(ids, ref))[:2] or (
            len(brute_force(ids, ref)) > 2 and len(index.ref_matches(ref)) == 2
        ), ref
    index.close()


def sql_steps(index: Index, work: Callable[[], object]) -> int:
    """How many SQLite virtual-machine steps (in hundreds) some work takes."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    index.conn.set_progress_handler(count, 100)
    try:
        work()
    finally:
        index.conn.set_progress_handler(None, 100)
    return steps


def test_the_handles_of_shown_rows_cost_the_same_in_a_catalogue_twenty_times_larger(
    tmp_path: Path,
) -> None:
    rng = random.Random(3)
    folder = tmp_path / "catalog"
    names = [f"{i // 100:02d}/{i:05d}_{rng.getrandbits(64):016x}.md" for i in range(1200)]
    names += [f"blog/post-{i}.md" for i in range(200)]
    for name in names:
        write_article(folder, name, title=name)
    small = tmp_path / "small"
    for name in names[:60] + names[-10:]:
        write_article(small, name, title=name)
    costs = []
    for root in (small, folder):
        index = Index.open([str(root)], None)
        index.refresh()
        shown = [a.id for a in index.select(limit=40)] + ["blog/post-190", "blog/post-199"]
        handles = Handles(index.ref_matches)
        costs.append(sql_steps(index, lambda h=handles, s=shown: [h(i) for i in s]))
        for id_ in shown:
            assert resolve(index, handles(id_)).id == id_
        index.close()
    small_cost, large_cost = costs
    assert large_cost < 3 * small_cost, costs  # a scan of every id would cost 20 times more


def test_an_index_of_an_older_schema_is_rebuilt_with_the_id_indexes(tmp_path: Path) -> None:
    """An index of a schema older than those upgraded in place is read again, and says
    so once."""
    cache = tmp_path / "cache"
    run("index", "--cache-dir", str(cache))
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP INDEX articles_suffix")
        conn.execute("DROP INDEX articles_leaf")
        conn.execute("PRAGMA user_version = 13")
    conn.close()
    result = run("list", "-F", "ref", "--no-header", "--cache-dir", str(cache))
    assert (result.exit_code, result.stdout) == (0, "6ef5\n50e0\n")
    assert result.stderr == (
        f"newscat: warning: the index at {db} was made by another newscat (schema version "
        f"13; this one uses {schema.SCHEMA_VERSION}); rebuilding it\n"
    )
    with sqlite3.connect(db) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    assert {"articles_suffix", "articles_leaf"} <= names
    assert version == schema.SCHEMA_VERSION


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab_/-.é0", max_size=12))
def test_the_stored_parts_of_an_id_are_what_the_ref_rules_say(article_id: str) -> None:
    """The part after the last "_" ("" without one: the handles' ``id_suffix``) and the
    last segment, as the SQL that defined them before they were stored computes them."""
    conn = sqlite3.connect(":memory:")
    sql = (
        "SELECT iif(instr(?1, '_'), substr(?1, length(rtrim(?1, replace(?1, '_', ''))) + 1), ''), "
        "substr(?1, length(rtrim(?1, replace(?1, '/', ''))) + 1)"
    )
    assert schema.id_parts(article_id) == conn.execute(sql, (article_id,)).fetchone()
    assert schema.id_parts(article_id)[0] == id_suffix(article_id)
    conn.close()


def test_an_index_of_the_previous_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    """Version 14 stored an id without "_" whole as the part after its last "_": the
    upgrade stores "" instead, without reading the files again, and every REF and
    handle reads as before."""
    root = tmp_path / "cat"
    for name in ("news/alpha-one", "news/alpha_two", "blog/beta_2024_x9", "blog/gamma"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / f"{name}.md").write_text(f"---\ntitle: {name}\n---\n", encoding="utf-8")
    cache = tmp_path / "cache"
    args = ["-C", str(root), "--cache-dir", str(cache)]
    before = run("list", "-F", "ref,id", "--no-header", *args)
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET id_suffix = id WHERE instr(id, '_') = 0")
        conn.execute("PRAGMA user_version = 14")
    conn.close()
    after = run("list", "-F", "ref,id", "--no-header", *args)
    assert (after.exit_code, after.stdout, after.stderr) == (0, before.stdout, "")
    with sqlite3.connect(db) as conn:
        parts = conn.execute("SELECT id, id_suffix FROM articles ORDER BY id").fetchall()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    assert version == schema.SCHEMA_VERSION
    assert parts == [
        ("blog/beta_2024_x9", "x9"), ("blog/gamma", ""), ("news/alpha-one", ""),
        ("news/alpha_two", "two"),
    ]  # fmt: skip
    for ref, shown in (
        ("x9", "blog/beta_2024_x9"),
        ("two", "news/alpha_two"),
        ("gamma", "blog/gamma"),
    ):
        found = run("show", ref, "-f", "json", *args)
        assert (found.exit_code, json.loads(found.stdout)["id"]) == (0, shown)
