"""When nothing matched: name the filter values no article has, with the closest ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run, write_article


@pytest.mark.parametrize("command", ["list", "topics", "providers", "export"])
def test_a_misspelt_topic_is_named_with_the_closest(command: str) -> None:
    result = run(command, "-t", "AI Ethic", "-f", "csv")
    assert result.exit_code == 0
    assert result.stderr == "no topic 'AI Ethic'; did you mean 'AI Ethics'?\n"


def test_stats_names_it_too() -> None:
    result = run("stats", "-t", "ai ethic", "-f", "json")
    assert result.stderr == "no topic 'ai ethic'; did you mean 'AI Ethics'?\n"


def test_every_unknown_value_once_in_option_order() -> None:
    result = run(
        "list", "--count", "-t", "AI Ethic,Facebook AI", "-t", "Zebra", "-p", "nhs.uj",
        "--category", "nws", "--type", "articel", "--type", "article",
    )  # fmt: skip
    assert result.stdout == "0\n"
    assert result.stderr == (
        "no topic 'AI Ethic'; did you mean 'AI Ethics'?\n"
        "no topic 'Zebra' in the catalogue\n"
        "no provider 'nhs.uj'; did you mean 'hee.nhs.uk'?\n"
        "no category 'nws'; did you mean 'news'?\n"
        "no type 'articel'; did you mean 'article'?\n"
    )


def test_several_close_values_most_common_first(tmp_path: Path) -> None:
    for i, topics in enumerate([["AI Policy"], ["AI Policy", "AI Polity"], ["AI Police"]]):
        write_article(tmp_path, f"{i}.md", title=str(i), topics=topics)
    result = run("list", "-C", str(tmp_path), "-t", "AI Polic", "--no-header")
    assert result.stderr == (
        "no topic 'AI Polic'; did you mean 'AI Policy', 'AI Police' or 'AI Polity'?\n"
    )


def test_known_values_that_just_do_not_meet_are_not_blamed() -> None:
    # Both topics exist; only together with the provider nothing matches.
    result = run("list", "-t", "Facebook AI", "-p", "digitalhealth.net", "--no-header")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_a_parent_domain_is_known() -> None:
    result = run("list", "-p", "nhs.uk", "--min-quality", "99", "--no-header")
    assert result.stderr == ""


def test_quiet_silences_the_hint_but_not_the_failure() -> None:
    result = run("list", "-t", "AI Ethic", "-q", "-e")
    assert (result.exit_code, result.stderr) == (1, "Error: no articles matched\n")


def test_the_value_is_shown_inert() -> None:
    result = run("list", "-t", "\x1b[31mred", "--no-header")
    assert result.stderr == "no topic '\\x1b[31mred' in the catalogue\n"


def test_topics_of_a_catalogue_without_any_says_why(tmp_path: Path) -> None:
    write_article(tmp_path, "a.md", title="Bare")
    result = run("topics", "--no-cache", "-C", str(tmp_path), "--no-header")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        "no article has topics; newscat reads topics, tags or keywords — see newscat.toml\n",
    )


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("list", "-t", ""),
        ("list", "-t", " , "),
        ("topics", "--topic", ","),
        ("export", "-p", ""),
        ("stats", "--category", " "),
        ("list", "--type", ""),
    ],
)
def test_a_blank_name_filter_is_a_usage_error(command: str, option: str, value: str) -> None:
    # -t "$TOPIC" with the variable unset matched every article; -p "" matched none.
    result = run(command, option, value, "-f", "json")
    name = {"-t": "--topic", "-p": "--provider"}.get(option, option)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: invalid {name} {value!r}: it is empty\n"


def test_a_blank_part_among_topics_is_left_out() -> None:
    result = run("list", "-t", "AI Ethics, ,", "--count")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "2\n", "")
