"""Handles: the shortest REF naming one article, shown in a table's ``ref`` column."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newscat.catalog import resolve
from newscat.handles import MIN_LENGTH, Handles, hash_part
from newscat.index import Index
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
    handles = Handles(["000_50e039b255de019a", "002_6ef551387f7f8ea7"])
    assert handles("000_50e039b255de019a") == "50e0"
    assert handles("002_6ef551387f7f8ea7") == "6ef5"


def test_a_hash_prefix_grows_until_unique() -> None:
    ids = ["2026/12/000_1485ef0817e09c04", "2021/07/021_1485c98cee2d250d", "x/001_14aa00000000"]
    handles = Handles(ids)
    assert [handles(id_) for id_ in ids] == ["1485e", "1485c", "14aa"]


def test_a_hash_prefix_that_is_also_an_id_prefix_is_not_a_handle() -> None:
    # "abcd" is a prefix of the id "abcdef/post" too, and that rule comes first.
    ids = ["a/001_abcdef0123", "abcdef/post"]
    handles = Handles(ids)
    assert handles("a/001_abcdef0123") == "abcdef0"
    assert handles("abcdef/post") == "post"


def test_ids_without_a_hash_get_their_shortest_unique_trailing_part() -> None:
    ids = ["site/blog/2024-release-3", "site/news/2024-release-3", "site/blog/launch-day"]
    handles = Handles(ids)
    assert handles("site/blog/2024-release-3") == "blog/2024-release-3"
    assert handles("site/news/2024-release-3") == "news/2024-release-3"
    assert handles("site/blog/launch-day") == "launch-day"


def test_an_id_held_by_two_roots_has_no_shorter_handle() -> None:
    handles = Handles(["post", "post"])
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
    handles = Handles(ids)
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
    handles = Handles(index.ids())
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
