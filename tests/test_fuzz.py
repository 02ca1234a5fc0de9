"""Hypothesis: mutated article files never make parse_article raise, and list and
check on a folder of them exit cleanly with no traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscat.cli import cli
from newscat.model import Article, Problem
from newscat.parse import parse_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CORPUS = Path(__file__).parent / "corpus"
SAMPLES = [p.read_bytes() for p in sorted(SEEDS.iterdir())] + [
    p.read_bytes() for p in sorted((CORPUS / "valid").glob("*.md"))
]
YAML_BITS = [b"---\n", b"\n", b"- ", b": ", b"&a ", b"*a", b"!!python/name:os.system", b"[",
             b"]", b"{", b"}", b"'", b'"', b"\t", b"|\n", b">-\n", b"? ", b"#", b"%YAML 1.1\n",
             b"\xef\xbb\xbf", b"\r\n", b"\x00", b"\xff", b"~", b"null", b"2022-05-19"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "yaml", "unicode"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "yaml":
            data[at:at] = draw(st.sampled_from(YAML_BITS))
        else:
            data[at:at] = draw(st.text(max_size=8)).encode("utf-8", "surrogatepass")
    return bytes(data)


def front_matter_from(value: object) -> bytes:
    import yaml

    return b"---\n" + yaml.safe_dump(value, allow_unicode=True).encode() + b"---\nbody\n"


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def assert_parses_or_problem(data: bytes) -> None:
    result = parse_article(data, "/fuzz/a.md", "a")  # must not raise
    assert isinstance(result, (Article, Problem))
    if isinstance(result, Problem):
        assert result.severity == "error"
        assert result.code != "internal", result
    else:
        assert all(w.severity == "warning" for w in result.warnings)


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_mutated_files_parse_or_yield_a_problem(data: bytes) -> None:
    assert_parses_or_problem(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_after_a_delimiter(data: bytes) -> None:
    assert_parses_or_problem(b"---\n" + data)


@settings(max_examples=100, deadline=None)
@given(YAML_VALUES)
def test_random_yaml_values(value: object) -> None:
    assert_parses_or_problem(front_matter_from(value))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_title(title: str) -> None:
    import json

    assert_parses_or_problem(b"---\ntitle: " + json.dumps(title).encode() + b"\n---\n")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_list_and_check_on_a_folder_of_mutants_exit_cleanly(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for number, data in enumerate(files):
            (Path(folder) / f"{number}.md").write_bytes(data)
        runner = CliRunner()
        for args in (["list", "-f", "table"], ["list", "-f", "tsv"], ["check", "-f", "table"],
                     ["check", "-f", "json"]):  # fmt: skip
            result = runner.invoke(cli, [*args, "--no-cache", "-C", folder])
            assert result.exit_code in (0, 1), result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert "Traceback" not in result.output
            assert "internal error" not in result.output
