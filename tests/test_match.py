"""-m/--match: user text is searched as words and phrases, mistakes are explained, rank orders."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat.errors import UsageError
from newscat.match import to_fts
from tests.conftest import run, write_article


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    write_article(
        folder,
        "001_aaaaaaaa11111111.md",
        "AI-Ethics boards and privacy.",
        title="Ethics boards",
        publishedDateTime="2024-01-03T00:00:00Z",
    )
    write_article(
        folder,
        "002_bbbbbbbb22222222.md",
        "Care homes test robots. Care staff, care plans.",
        title="Care robots",
        publishedDateTime="2024-01-02T00:00:00Z",
    )
    write_article(
        folder,
        "003_cccccccc33333333.md",
        "C++ and Rust in care privacy software.",
        title="Care privacy",
        publishedDateTime="2024-01-01T00:00:00Z",
    )
    write_article(
        folder,
        "004_dddddddd44444444.md",
        "A covid-19 vaccine for care workers.",
        title="Vaccines",
        publishedDateTime="2024-01-04T00:00:00Z",
    )
    return folder  # fmt: skip


def ids(folder: Path, *args: str) -> list[str]:
    result = run("list", "-C", str(folder), "-f", "ids", *args)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("AI-Ethics", ["001_aaaaaaaa11111111"]),
        ("C++", ["003_cccccccc33333333"]),
        ("covid-19", ["004_dddddddd44444444"]),
        ("care AND NOT privacy", ["002_bbbbbbbb22222222", "004_dddddddd44444444"]),
        ("care NOT privacy", ["002_bbbbbbbb22222222", "004_dddddddd44444444"]),
        ('"care plans" OR rust', ["002_bbbbbbbb22222222", "003_cccccccc33333333"]),
        ("title:care", ["002_bbbbbbbb22222222", "003_cccccccc33333333"]),
        ("vacc*", ["004_dddddddd44444444"]),
        ("(robots OR rust) privacy", ["003_cccccccc33333333"]),
    ],
)
def test_user_text_is_searched_as_words(news: Path, query: str, expected: list[str]) -> None:
    assert sorted(ids(news, "-m", query)) == expected


def test_with_match_the_default_order_is_relevance(news: Path) -> None:
    # "care" five times in 002, fewer elsewhere; by date 004 would come first.
    assert ids(news, "-m", "care")[0] == "002_bbbbbbbb22222222"
    assert ids(news, "-m", "care", "--sort", "-date") == [
        "004_dddddddd44444444", "002_bbbbbbbb22222222", "003_cccccccc33333333",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '"care plans',
            "invalid --match query: this quote is never closed (column 1)\n"
            '  "care plans\n'
            "  ^^^^^^^^^^^\n",
        ),
        (
            "care OR",
            "invalid --match query: OR needs a term after it (column 6)\n  care OR\n       ^^\n",
        ),
        (
            "NOT privacy",
            "invalid --match query: NOT needs a term before it, as in 'care NOT privacy' "
            "(column 1)\n"
            "  NOT privacy\n"
            "  ^^^\n",
        ),
        (
            "(care robots",
            "invalid --match query: this '(' is never closed (column 1)\n  (care robots\n  ^\n",
        ),
        ("care)", "invalid --match query: this ')' closes nothing (column 5)\n  care)\n      ^\n"),
    ],
)
def test_a_real_mistake_is_explained_with_a_caret(news: Path, query: str, message: str) -> None:
    result = run("list", "-C", str(news), "-m", query)
    hint = 'Words, "phrases", prefix*, OR, NOT between two terms, (groups), title:word.\n'
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: " + message + hint


def test_an_empty_match_is_refused(news: Path) -> None:
    result = run("list", "-C", str(news), "-m", "  ")
    assert (result.exit_code, result.stderr) == (2, "Error: invalid --match query: it is empty\n")


_FTS = sqlite3.connect(":memory:")
_FTS.execute("CREATE VIRTUAL TABLE fts USING fts5(title, excerpt, body)")
_FTS.execute("INSERT INTO fts VALUES ('a', 'b', 'c')")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab AND OR NOT()"*:-+^title_é\t')), max_size=30))
def test_any_text_is_a_valid_query_or_a_usage_error(text: str) -> None:
    try:
        query = to_fts(text)
    except UsageError:
        return
    _FTS.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (query,)).fetchall()


@pytest.mark.parametrize(
    ("columns", "table"),
    [
        (
            "80",
            [
                "ref   date        title                          snippet",
                "50e0  2022-05-19  New report finds healthcare …  Frontline healthcare staff wil…",
                "6ef5  2022-11-02  NHS report calls for artific…  …that all healthcare staff wor…",
            ],
        ),
        (
            "120",
            [
                "ref   date        title                                              snippet",
                "50e0  2022-05-19  New report finds healthcare staff need support t…  "
                "Frontline healthcare staff will need bespoke and s…",
                "6ef5  2022-11-02  NHS report calls for artificial intelligence tra…  "
                "…that all healthcare staff working in the NHS rece…",
            ],
        ),
    ],
)
def test_a_match_table_shows_snippets_best_first(
    monkeypatch: pytest.MonkeyPatch, columns: str, table: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    result = run("list", "-m", "healthcare staff", "-f", "table")
    assert [line.rstrip() for line in result.stdout.splitlines()] == table


def test_the_match_is_highlighted_in_a_table() -> None:
    result = run("list", "-m", "healthcare staff", "-f", "table", "--color", "always", "-n", "1")
    row = result.stdout.splitlines()[1]
    assert "\x1b[1;7mhealthcare\x1b[0m \x1b[1;7mstaff\x1b[0m" in row


def test_json_records_gain_a_snippet_in_markdown_bold() -> None:
    result = run("list", "-m", "AI-Lab", "-f", "json", "-F", "ref,snippet")
    assert result.stdout == (
        "[\n"
        '  {"ref": "6ef5", "snippet": "A report from NHS **AI Lab** and HEE is recommending that all…"}\n'
        "]\n"
    )
    whole = run("list", "-m", "AI-Lab", "-f", "jsonl")
    assert '"snippet": "A report from NHS **AI Lab** and HEE' in whole.stdout


def test_without_match_there_is_no_snippet() -> None:
    result = run("list", "-F", "id,snippet", "--no-header", "-n", "1")
    assert result.stdout == "002_6ef551387f7f8ea7\t\n"
    assert "snippet" not in run("list", "-f", "jsonl", "-n", "1").stdout
