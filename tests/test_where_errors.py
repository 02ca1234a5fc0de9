"""Every kind of mistake in a query, through the CLI: exact stderr, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newscat.cli import cli
from tests.query_support import write_catalogue


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_catalogue(tmp_path_factory.mktemp("catalogue"))


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["list", "--no-cache", "-C", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def lines(*text: str) -> str:
    return "\n".join(text) + "\n"


WHERE_ERRORS = [
    (
        "quality >= 3 and qualty > 2",
        lines(
            "Error: invalid --where expression: unknown field 'qualty' (column 18)",
            "  quality >= 3 and qualty > 2",
            "                   ^^^^^^",
            "Did you mean 'quality'?",
        ),
    ),
    (
        "provider.domian ~ nhs",
        lines(
            "Error: invalid --where expression: unknown field 'provider.domian' (column 1)",
            "  provider.domian ~ nhs",
            "  ^^^^^^^^^^^^^^^",
            "Did you mean 'provider.domain'?",
        ),
    ),
    (
        "regoin = bayern",  # a key only the catalogue has still gets a suggestion
        lines(
            "Error: invalid --where expression: unknown field 'regoin' (column 1)",
            "  regoin = bayern",
            "  ^^^^^^",
            "Did you mean 'region'?",
        ),
    ),
    (
        "zzzz = 1",
        lines(
            "Error: invalid --where expression: unknown field 'zzzz' (column 1)",
            "  zzzz = 1",
            "  ^^^^",
            "Run `newscat fields` to see every field.",
        ),
    ),
    (
        "quality > high",
        lines(
            "Error: invalid --where expression: expected a number for 'quality', got 'high' (column 11)",
            "  quality > high",
            "            ^^^^",
        ),
    ),
    (
        'quality > "high"',
        lines(
            "Error: invalid --where expression: expected a number for 'quality', got \"high\" (column 11)",
            '  quality > "high"',
            "            ^^^^^^",
        ),
    ),
    (
        "date > tomorrowish",
        lines(
            "Error: invalid --where expression: expected a date for 'date', got 'tomorrowish' (column 8)",
            "  date > tomorrowish",
            "         ^^^^^^^^^^^",
            "Dates: 2022-05-19, 2022-05-19T09:13Z, 'May 2022', today, yesterday, 7d",
        ),
    ),
    (
        "age < soon",
        lines(
            "Error: invalid --where expression: expected a duration for 'age', got 'soon' (column 7)",
            "  age < soon",
            "        ^^^^",
            "Durations: 12h 7d 2w 3mo 1y",
        ),
    ),
    (
        "quality ~ 5",
        lines(
            "Error: invalid --where expression: '~' works on text; 'quality' is a number (column 9)",
            "  quality ~ 5",
            "          ^",
        ),
    ),
    (
        "published > 1",
        lines(
            "Error: invalid --where expression: '>' does not apply to 'published' (true or false) (column 11)",
            "  published > 1",
            "            ^",
            "Write: published = true",
        ),
    ),
    (
        "images = x",
        lines(
            "Error: invalid --where expression: 'images' is a list of mappings; compare one of its keys (column 1)",
            "  images = x",
            "  ^^^^^^",
            "For example: images.url",
        ),
    ),
    (
        'title = "abc',
        lines(
            "Error: invalid --where expression: unterminated string (column 9)",
            '  title = "abc',
            "          ^^^^",
            'Close it with ".',
        ),
    ),
    (
        "quality >",
        lines(
            "Error: invalid --where expression: missing value after '>' (column 9)",
            "  quality >",
            "          ^",
        ),
    ),
    (
        "quality > and heat > 2",
        lines(
            "Error: invalid --where expression: missing value after '>' (column 9)",
            "  quality > and heat > 2",
            "          ^",
        ),
    ),
    (
        "heat > 2 and not",
        lines(
            "Error: invalid --where expression: missing operand after 'not' (column 14)",
            "  heat > 2 and not",
            "               ^^^",
        ),
    ),
    (
        "quality 3",
        lines(
            "Error: invalid --where expression: expected an operator after 'quality', got '3' (column 9)",
            "  quality 3",
            "          ^",
            "Operators: = != < <= > >= ~ !~ =~ !=~ between in is",
        ),
    ),
    (
        "title = x y",
        lines(
            "Error: invalid --where expression: unexpected 'y' (column 11)",
            "  title = x y",
            "            ^",
            "Use and / or.",
        ),
    ),
    (
        "and heat > 2",
        lines(
            "Error: invalid --where expression: expected a field, got 'and' (column 1)",
            "  and heat > 2",
            "  ^^^",
        ),
    ),
    (
        "((quality > 3) or (heat < 2)",
        lines(
            "Error: invalid --where expression: unclosed '(' (column 1)",
            "  ((quality > 3) or (heat < 2)",
            "  ^",
        ),
    ),
    (
        "quality > 3)",
        lines(
            "Error: invalid --where expression: unmatched ')' (column 12)",
            "  quality > 3)",
            "             ^",
        ),
    ),
    (
        "quality in (1, 2",
        lines(
            "Error: invalid --where expression: unclosed '(' (column 12)",
            "  quality in (1, 2",
            "             ^",
        ),
    ),
    (
        'title =~ "("',
        lines(
            "Error: invalid --where expression: bad regular expression: missing ), "
            "unterminated subpattern at position 0 (column 10)",
            '  title =~ "("',
            "           ^^^",
        ),
    ),
    (
        "title is full",
        lines(
            "Error: invalid --where expression: expected 'empty' after 'is', got 'full' (column 10)",
            "  title is full",
            "           ^^^^",
            "Write: field is empty, or field is not empty.",
        ),
    ),
    (
        "title ! x",
        lines(
            "Error: invalid --where expression: unexpected '!' (column 7)",
            "  title ! x",
            "        ^",
            "Use != or !~ or !=~.",
        ),
    ),
    ("", lines("Error: invalid --where expression: empty expression")),
    ("   ", lines("Error: invalid --where expression: empty expression")),
]


@pytest.mark.parametrize(("expression", "stderr"), WHERE_ERRORS)
def test_where_error(root: Path, expression: str, stderr: str) -> None:
    assert run(root, "-w", expression) == (2, "", stderr)


OTHER_ERRORS = [
    (("--sort", "-qualty"), "Error: unknown sort key 'qualty'. Did you mean 'quality'?\n"),
    (("--sort", "rank"), "Error: sort key 'rank' needs -m/--match\n"),
    (("--sort", "images"), "Error: cannot sort by 'images': it is a list of mappings\n"),
    (
        ("-m", "ai AND"),
        "Error: invalid --match query: AND needs a term after it (column 4)\n"
        "  ai AND\n"
        "     ^^^\n"
        'Words, "phrases", prefix*, OR, NOT between two terms, (groups), title:word.\n',
    ),
    (
        ("--since", "whenever"),
        "Error: invalid --since 'whenever': expected a date (2022-05-19, 2022-05-19T09:13:00Z, "
        "'May 2022'), today, yesterday, a span back from now (12h, 7d, 2w, 3mo, 1y, "
        "'3 days ago', '1 week', 'last month') or a weekday ('last monday')\n",
    ),
    (("--until", "2022-13-01"), "Error: invalid --until '2022-13-01': month must be in 1..12\n"),
]


@pytest.mark.parametrize(("args", "stderr"), OTHER_ERRORS)
def test_other_query_errors(root: Path, args: tuple[str, ...], stderr: str) -> None:
    assert run(root, *args) == (2, "", stderr)


def test_acceptance_line_through_the_cli(root: Path) -> None:
    code, out, err = run(
        root, "-t", "AI Ethics", "--min-quality", "50", "--since", "2022-01-01",
        "-w", "heat > 60 or provider.domain ~ nhs", "--sort=-quality", "-n", "10", "-f", "ids",
    )  # fmt: skip
    assert (code, out, err) == (0, "a01\na02\nsub/a12\na07\n", "")


def test_acceptance_line_on_the_seeds() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "list", "--no-cache", "-t", "AI Ethics", "--min-quality", "50", "--since",
            "2022-01-01", "-w", "heat > 60 or provider.domain ~ nhs", "--sort=-quality", "-n",
            "10", "-f", "ids",
        ],
        env={"NEWSCAT_CATALOG": ""},
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, "000_50e039b255de019a\n002_6ef551387f7f8ea7\n")


def test_count_uses_the_same_filters(root: Path) -> None:
    assert run(root, "-w", "type = video", "--count") == (0, "2\n", "")
