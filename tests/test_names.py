"""Hostile file names: not UTF-8, line breaks, tabs, quotes, a leading '-', spaces,
emoji, escape sequences and backslashes, in every format, with -0, and as REFs."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscat.store.index import Index
from tests.conftest import run

#: (raw name without ".md", id as newscat writes it), in title order T0, T1, ...
NAMES: list[tuple[bytes, str]] = [
    (b"caf\xe9", "caf\\xe9"),  # Latin-1: not UTF-8
    (b"line\nbreak", "line\nbreak"),
    (b"tab\there", "tab\there"),
    (b"quote\"s'", "quote\"s'"),
    (b"-draft", "-draft"),
    (b"with space", "with space"),
    ("emoji 🎉".encode(), "emoji 🎉"),
    (b"esc\x1b[31mred", "esc\x1b[31mred"),
    (b"back\\slash", "back\\slash"),
]


def article(n: int) -> bytes:
    return (
        f"---\ntitle: T{n}\nwebUrl: https://example.com/{n}\n"
        f"publishedDateTime: 2022-05-1{n}T00:00:00Z\n---\nBody {n}.\n"
    ).encode()


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    root.mkdir()
    for n, (name, _) in enumerate(NAMES):
        with open(os.fsencode(root) + b"/" + name + b".md", "wb") as out:
            out.write(article(n))
    return root


def listing(root: Path, *args: str) -> str:
    result = run("list", "-C", str(root), "-s", "title", *args)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result.stdout


def test_json_has_every_article_with_text_ids_and_raw_names(hostile: Path) -> None:
    records = json.loads(listing(hostile, "-f", "json"))
    assert [r["id"] for r in records] == [shown for _, shown in NAMES]
    raw_root = os.fsencode(hostile)
    for record, (name, shown) in zip(records, NAMES, strict=True):
        assert record["path"] == f"{hostile}/{shown}.md"
        if name == b"caf\xe9":
            assert base64.b64decode(record["path_bytes"]) == raw_root + b"/caf\xe9.md"
        else:
            assert record["path_bytes"] is None
    lines = listing(hostile, "-f", "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == records


def test_tsv_and_csv_read_back_to_the_ids(hostile: Path) -> None:
    tsv = listing(hostile, "-f", "tsv", "-F", "id,title", "--no-header").splitlines()
    assert tsv == [
        "caf\\\\xe9\tT0",
        "line\\nbreak\tT1",
        "tab\\there\tT2",
        "quote\"s'\tT3",
        "-draft\tT4",
        "with space\tT5",
        "emoji 🎉\tT6",
        "esc\\x1b[31mred\tT7",
        "back\\\\slash\tT8",
    ]
    rows = list(csv.reader(io.StringIO(listing(hostile, "-f", "csv", "-F", "id,title"))))
    assert rows[0] == ["id", "title"]
    # csv quotes line breaks and tabs itself; only what a terminal acts on is escaped.
    expected = [shown.replace("\x1b", "\\x1b") for _, shown in NAMES]
    assert [row[0] for row in rows[1:]] == expected


def test_markdown_table_and_line_formats_keep_one_article_a_line(hostile: Path) -> None:
    markdown = listing(hostile, "-f", "markdown", "-F", "id", "--no-header")
    assert markdown.splitlines() == [
        "| caf\\\\xe9 |",
        "| line<br>break |",
        "| tab\there |",
        "| quote\"s' |",
        "| -draft |",
        "| with space |",
        "| emoji 🎉 |",
        "| esc\\\\x1b[31mred |",
        "| back\\\\slash |",
    ]
    ids = listing(hostile, "-f", "ids")
    assert ids.splitlines() == [
        "caf\\xe9",
        "line\\nbreak",
        "tab\\there",
        "quote\"s'",
        "-draft",
        "with space",
        "emoji 🎉",
        "esc\\x1b[31mred",
        "back\\slash",
    ]
    paths = listing(hostile, "-f", "paths").splitlines()
    assert paths == [f"{hostile}/{line}.md" for line in ids.splitlines()]
    table = listing(hostile, "-f", "table", "-F", "id,title")
    assert "\x1b" not in table and "\t" not in table
    assert len(table.splitlines()) == 1 + len(NAMES)


def test_null_separated_ids_are_exact_and_paths_are_the_raw_bytes(hostile: Path) -> None:
    result = run("list", "-C", str(hostile), "-s", "title", "-0")
    assert result.stdout_bytes == b"".join(shown.encode() + b"\0" for _, shown in NAMES)
    result = run("list", "-C", str(hostile), "-s", "title", "-f", "paths", "-0")
    raw_root = os.fsencode(hostile)
    assert result.stdout_bytes == b"".join(raw_root + b"/" + name + b".md\0" for name, _ in NAMES)


def ref_title(root: Path, ref: str) -> str:
    result = run("show", "-C", str(root), "-f", "json", "--", ref)
    assert (result.exit_code, result.stderr) == (0, ""), (ref, result.stderr)
    return str(json.loads(result.stdout)["title"])


def test_every_name_is_a_ref_by_its_id_its_printed_form_and_its_path(hostile: Path) -> None:
    for n, (name, shown) in enumerate(NAMES):
        assert ref_title(hostile, shown) == f"T{n}"
        printed = shown.replace("\n", "\\n").replace("\t", "\\t").replace("\x1b", "\\x1b")
        assert ref_title(hostile, printed) == f"T{n}"  # as -f ids prints it
        raw_path = os.fsdecode(os.fsencode(hostile) + b"/" + name + b".md")
        assert ref_title(hostile, raw_path) == f"T{n}"
    assert ref_title(hostile, os.fsdecode(b"caf\xe9")) == "T0"  # typed as raw bytes


def test_an_id_that_starts_with_a_dash_gets_a_hint(hostile: Path) -> None:
    result = run("show", "-C", str(hostile), "-draft")
    assert result.exit_code == 2
    # click's own message comes first; newscat's hint is the last line.
    assert result.stderr.endswith(
        "\nAn id that starts with '-' goes after '--': newscat show -- -draft\n"
    )
    assert ref_title(hostile, "-draft") == "T4"
    result = run("open", "-C", str(hostile), "--print", "-draft")
    assert result.stderr.endswith("newscat open -- -draft\n")


def test_a_broken_file_with_a_latin1_name_is_a_problem_named_as_text(hostile: Path) -> None:
    with open(os.fsencode(hostile) + b"/bad\xff.md", "wb") as out:
        out.write(b"no front matter\n")
    result = run("check", "-C", str(hostile), "-f", "tsv")
    assert result.exit_code == 1
    assert (
        f"{hostile}/bad\\\\xff.md\t1\t1\terror\tno-front-matter\t" in result.stdout
    )  # tsv doubles "\\"
    listed = run("list", "-C", str(hostile), "--count")
    assert (listed.stdout, listed.stderr) == (
        f"{len(NAMES)}\n",
        f"1 file skipped; run `newscat check -C {hostile}`\n",
    )


def test_a_latin1_folder_and_root(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path) + b"/r\xf6\xf6t"
    os.makedirs(root + b"/d\xffir")
    with open(root + b"/d\xffir/a.md", "wb") as out:
        out.write(article(1))
    result = run("list", "-C", os.fsdecode(root), "-f", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    (record,) = json.loads(result.stdout)
    assert record["id"] == "d\\xffir/a"
    assert record["path"] == f"{tmp_path}/r\\xf6\\xf6t/d\\xffir/a.md"
    assert base64.b64decode(record["path_bytes"]) == root + b"/d\xffir/a.md"
    missing = run("list", "-C", os.fsdecode(root + b"/n\xe9"))
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"Error: catalogue root does not exist: {os.fsdecode(root)}/n\\xe9\n".replace(
            os.fsdecode(root), f"{tmp_path}/r\\xf6\\xf6t"
        ),
    )


def test_a_latin1_name_beside_its_own_escaped_spelling_is_two_articles(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    (root / "caf\\xe9.md").write_bytes(article(1))  # a name that really is "caf\xe9"
    with open(os.fsencode(root) + b"/caf\xe9.md", "wb") as out:
        out.write(article(2))
    records = json.loads(listing(root, "-f", "json"))
    assert [(r["id"], r["title"]) for r in records] == [("caf\\xe9", "T1"), ("caf\\\\xe9", "T2")]
    assert records[0]["path_bytes"] is None
    assert base64.b64decode(records[1]["path_bytes"]).endswith(b"/caf\xe9.md")
    index = Index.open([str(root)], tmp_path / "cache")
    assert (index.refresh().unchanged, index.refresh().unchanged) == (2, 2)


_NAME_BYTES = st.binary(min_size=1, max_size=40).filter(
    lambda name: b"/" not in name and b"\0" not in name and not name.startswith(b".")
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.sets(_NAME_BYTES, min_size=1, max_size=6))
def test_any_names_are_listed_exactly_and_agree_after_changes(
    tmp_path: Path, names: set[bytes]
) -> None:
    root = tmp_path / "any"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    raw_root = os.fsencode(root)
    for n, name in enumerate(sorted(names)):
        with open(raw_root + b"/" + name + b".md", "wb") as out:
            out.write(article(n % 10))
    cache = tmp_path / "cache"
    args = ["list", "-C", str(root), "--cache-dir", str(cache), "-f", "paths", "-0"]
    want = {raw_root + b"/" + name + b".md" for name in names}
    first = run(*args)
    assert (first.exit_code, first.stderr) == (0, "")
    assert set(first.stdout_bytes.split(b"\0")[:-1]) == want
    gone = sorted(names)[0]
    os.remove(raw_root + b"/" + gone + b".md")
    second = run(*args)
    assert set(second.stdout_bytes.split(b"\0")[:-1]) == want - {raw_root + b"/" + gone + b".md"}


COMMANDS = [
    ["list", "-f", fmt]
    for fmt in ("table", "tsv", "csv", "json", "jsonl", "ids", "paths", "markdown")
] + [
    ["show", "caf\\xe9", "line\\nbreak", "--", "-draft"],
    ["show", "-f", "json", "caf\\xe9", "esc\\x1b[31mred"],
    ["show", "--raw", "caf\\xe9"],
    ["topics"],
    ["providers"],
    ["stats"],
    ["stories", "-f", "json"],
    ["fields"],
    ["check"],
    ["index"],
    ["index", "--status"],
    ["open", "--print", "caf\\xe9"],
    *(["export", "-f", fmt] for fmt in ("csv", "tsv", "json", "jsonl")),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:3]) for a in COMMANDS])
def test_every_command_copes_with_every_hostile_name(hostile: Path, args: list[str]) -> None:
    result = run(*args[:1], "-C", str(hostile), *args[1:])
    assert result.exit_code == 0, result.stderr
    said = ["no article has topics; newscat reads topics, tags or keywords — see newscat.toml\n"]
    allowed = ["", f"no problems in {len(NAMES)} files\n", *(said if args == ["topics"] else [])]
    assert result.stderr in allowed
    assert "\x1b" not in result.stdout or args[:3] == ["show", "--raw", "caf\\xe9"]


def test_show_raw_reads_a_latin1_file_by_its_raw_name(hostile: Path) -> None:
    result = run("show", "-C", str(hostile), "--raw", "caf\\xe9")
    assert (result.exit_code, result.stdout_bytes) == (0, article(0))


def test_export_to_sqlite_keeps_text_paths_and_raw_names(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.sqlite"
    result = run("export", "-C", str(hostile), "-o", str(target))
    assert result.exit_code == 0
    import sqlite3

    conn = sqlite3.connect(target)
    try:
        rows = dict(conn.execute("SELECT id, path_bytes FROM articles").fetchall())
    finally:
        conn.close()
    assert sorted(rows) == sorted(shown for _, shown in NAMES)
    raw_root = os.fsencode(hostile)
    for name, shown in NAMES:
        if name == b"caf\xe9":
            assert base64.b64decode(rows[shown]) == raw_root + b"/caf\xe9.md"
        else:
            assert rows[shown] is None


def test_export_to_parquet_keeps_text_ids_and_raw_names(hostile: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="the parquet extra is not installed")
    target = tmp_path / "dataset"
    result = run("export", "-C", str(hostile), "-f", "parquet", "-o", str(target))
    assert (result.exit_code, result.stderr) == (0, f"exported {len(NAMES)} articles to {target}\n")
    table = pq.read_table(target / "year=2022" / "month=05" / "part-0.parquet")
    rows = {row["id"]: row for row in table.to_pylist()}
    assert sorted(rows) == sorted(shown for _, shown in NAMES)
    raw_root = os.fsencode(hostile)
    for name, shown in NAMES:
        assert rows[shown]["path"] == f"{hostile}/{shown}.md"
        expected = None if name != b"caf\xe9" else raw_root + b"/caf\xe9.md"
        got = rows[shown]["path_bytes"]
        assert (got if got is None else base64.b64decode(got)) == expected


def test_every_body_is_read_back_from_its_file_by_its_raw_name(hostile: Path) -> None:
    """The index keeps no bodies: show, json records and --where body read each from its
    file, which for a name that is not UTF-8 must be opened by its raw bytes."""
    result = run("list", "-C", str(hostile), "-s", "title", "-F", "title,body", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [(r["title"], r["body"]) for r in json.loads(result.stdout)] == [
        (f"T{n}", f"Body {n}.") for n in range(len(NAMES))
    ]
    found = run("list", "-C", str(hostile), "-w", "body = 'Body 0.'", "-F", "title")
    assert (found.exit_code, found.stdout) == (0, "title\nT0\n")
    shown = run("show", "-C", str(hostile), "-f", "json", "--", os.fsdecode(b"caf\xe9"))
    assert json.loads(shown.stdout)["body"] == "Body 0."
