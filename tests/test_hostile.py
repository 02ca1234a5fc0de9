"""Hostile and broken input: each case by name, through the parser and the catalogue.

Every case must end as a named Problem (or a warning on a valid article), never
as an exception, a hang, a crash of the process, or a side effect.
"""

from __future__ import annotations

import resource
import time

from newscat.model import Article, Problem
from newscat.parse import MAX_DEPTH, parse_article


def parse(data: bytes | str) -> Article | Problem:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return parse_article(raw, "/cat/a.md", "a")


def problem(data: bytes | str) -> Problem:
    result = parse(data)
    assert isinstance(result, Problem), result
    return result


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        prev, cur = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "---\n" + "\n".join(lines) + "\n---\n"


# --- the nesting and alias guards ------------------------------------------------------


def test_alias_bomb_billion_laughs_is_refused_fast_with_flat_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    found = problem(billion_laughs())
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB
    assert found.code == "alias-bomb"
    assert found.message == "aliases expand the front matter past 200,000 values"
    assert (found.line, found.column) == (7, 4)  # the value of `f`, where the bound is passed


def test_small_aliases_still_work() -> None:
    article = parse("---\ntitle: t\nbase: &b {name: x}\nother: *b\n---\n")
    assert isinstance(article, Article)
    assert article.record["other"] == {"name": "x"}


def test_alias_to_its_own_container_is_refused_not_looped() -> None:
    found = problem("---\ntitle: x\nloop: &a [*a, 1]\n---\n")
    assert found.code == "alias-bomb"
    assert found.message == "an alias refers to a value that contains it"
    assert (found.line, found.column) == (3, 7)


def test_recursive_mapping_alias_is_refused() -> None:
    assert problem("---\na: &m {self: *m}\n---\n").code == "alias-bomb"


def test_deep_flow_nesting_100000_brackets_does_not_crash_libyaml() -> None:
    found = problem("---\nx: " + "[" * 100_000 + "\n---\n")
    assert found.code == "too-deep"
    assert found.line == 2


def test_flow_nesting_just_past_the_bound() -> None:
    n = MAX_DEPTH + 1
    found = problem("---\nx: " + "[" * n + "1" + "]" * n + "\n---\n")
    assert found.code == "too-deep"
    assert found.message == f"front matter nests more than {MAX_DEPTH} levels deep"


def test_flow_nesting_at_the_bound_is_fine() -> None:
    n = MAX_DEPTH - 1
    assert isinstance(parse("---\nx: " + "[" * n + "1" + "]" * n + "\n---\n"), Article)


def test_deep_block_sequence_on_one_line() -> None:
    found = problem("---\nx:\n" + "- " * 100_000 + "a\n---\n")
    assert found.code == "too-deep"
    assert found.line == 3


def test_deep_block_nesting_by_indentation() -> None:
    # Once an internal RecursionError: the pre-scan ignored indentation and lone dashes.
    lines = "".join(" " * i + "-\n" for i in range(1, 3000))
    assert problem("---\nx:\n" + lines + "---\n").code == "too-deep"
    mapping = "".join(" " * i + "k:\n" for i in range(1, 1500))
    found = problem("---\nx:\n" + mapping + "---\n")
    assert found.code == "too-deep"
    assert found.line == MAX_DEPTH + 2


def test_ordinary_indentation_is_not_too_deep() -> None:
    text = "---\ntitle: t\nexcerpt: |\n" + " " * 3000 + "indented poem\nquality: 1\n---\n"
    assert isinstance(parse(text), Article)
