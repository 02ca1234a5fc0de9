"""Hostile values and field names match literally or fail cleanly; the index survives."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscat.cli import cli
from newscat.errors import UsageError
from newscat.store.index import Index
from tests.query_support import ALL, open_index, select_ids, write_catalogue

HOSTILE = [
    "'); DROP TABLE articles; --",
    "Robert'); DROP TABLE students;--",
    '" OR 1=1 --',
    "x' OR '1'='1",
    "; DELETE FROM articles",
    "SELECT * FROM articles",
    "%",
    "_",
    "\\",
    "NULL",
    "\x00",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    base = tmp_path_factory.mktemp("catalogue")
    return open_index(write_catalogue(base / "articles"), base / "cache")


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def intact(index: Index) -> None:
    assert select_ids(index) == ALL
    assert index.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("template", ["title = {}", "title ~ {}", "topics = {}", "topics ~ {}",
                                      "provider != {}", "body ~ {}", "select ~ {}",
                                      "meta.editor.name in ({}, {})"])  # fmt: skip
def test_hostile_values_match_literally(index: Index, template: str, value: str) -> None:
    select_ids(index, [template.format(quoted(value), quoted(value))])
    intact(index)


def test_hostile_values_find_exactly_their_article(index: Index) -> None:
    assert select_ids(index, [f"title = {quoted(HOSTILE[0])}"]) == ["a07"]
    assert select_ids(index, [f"topics = {quoted(HOSTILE[1])}"]) == ["a07"]
    assert select_ids(index, ["body ~ 'SELECT * FROM articles; --'"]) == ["a07"]
    assert select_ids(index, ["title ~ '%'"]) == []
    assert select_ids(index, ["title ~ '_'"]) == []
    assert select_ids(index, ["`it's` = 1"]) == ["a07"]
    assert select_ids(index, ["select = 'from'"]) == ["a07"]


@pytest.mark.parametrize(
    "name",
    ["`'); DROP TABLE articles; --`", "`a\"b`", "`x``y`", "`$.title`", "`title') OR 1=1 --`",
     "`meta`.`editor`.`'; --`"],
)  # fmt: skip
def test_hostile_field_names_fail_cleanly(index: Index, name: str) -> None:
    with pytest.raises(UsageError, match="unknown field"):
        select_ids(index, [f"{name} = 1"])
    intact(index)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_flag_values(index: Index, value: str) -> None:
    assert select_ids(index, topics=(value,), providers=(value,), categories=(value,)) == []
    assert select_ids(index, types=(value,)) == []
    intact(index)


def test_hostile_sort_keys_fail_cleanly(index: Index) -> None:
    for key in ("id; DROP TABLE articles", "-(select 1)", "title DESC --"):
        with pytest.raises(UsageError, match="unknown sort key"):
            select_ids(index, sort=[key])
    intact(index)


def test_hostile_match_is_bound(index: Index) -> None:
    assert select_ids(index, match='"\'); DROP TABLE articles; --"') == ["a07"]
    with pytest.raises(UsageError, match="invalid --match"):
        select_ids(index, match="'); DROP TABLE articles; --")
    intact(index)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=40))
def test_the_parser_never_crashes(index: Index, expression: str) -> None:
    """Any text either compiles and runs, or is a clean usage error."""
    with contextlib.suppress(UsageError):
        select_ids(index, [expression])


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(
            ["quality", "title", "topics", "(", ")", "and", "or", "not", ">", "=", "~", "=~", "in",
             "between", "is", "empty", "'x'", '"a b"', "3", "7d", ",", "`q`", "!", "2022-05-19",
             "published", "images.width", "meta.score", "date", "age"]
        ),
        max_size=8,
    )
)  # fmt: skip
def test_token_soup_never_crashes(index: Index, words: list[str]) -> None:
    with contextlib.suppress(UsageError):
        select_ids(index, [" ".join(words)])


def test_hostile_values_through_the_cli(tmp_path: Path) -> None:
    root = write_catalogue(tmp_path / "articles")
    cache = tmp_path / "cache"
    args = ["list", "-C", str(root), "--cache-dir", str(cache), "-f", "ids"]
    runner = CliRunner()
    result = runner.invoke(cli, [*args, "-w", f"title = {quoted(HOSTILE[0])}"])
    assert (result.exit_code, result.stdout) == (0, "a07\n")
    result = runner.invoke(cli, [*args, "-w", "`'); DROP TABLE articles; --` = 1"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid --where expression: unknown field ")
    result = runner.invoke(cli, [*args, "--count"])
    assert (result.exit_code, result.stdout) == (0, "12\n")
    intact(open_index(root, cache))
