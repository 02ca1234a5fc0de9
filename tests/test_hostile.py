"""Hostile and broken input: each case by name, through the parser and the catalogue.

Every case must end as a named Problem (or a warning on a valid article), never
as an exception, a hang, a crash of the process, or a side effect.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newscat import catalog
from newscat.catalog import content_hash, read_article, walk_folders
from newscat.cli import cli
from newscat.ignore import Selection
from newscat.model import Article, Problem
from newscat.parse import MAX_DEPTH, parse_article
from newscat.store.index import Index

GOOD = "---\ntitle: Fine\npublishedDateTime: 2022-05-19T09:13:00Z\nwebUrl: https://e.com/{n}\n---\n"


# Every test here runs with libyaml and with the pure-Python loader.
pytestmark = pytest.mark.usefixtures("yaml_loader")


def run(args: list[str], width: int = 100) -> Result:
    return CliRunner().invoke(cli, args, env={"COLUMNS": str(width), "NO_COLOR": "1"})


def make_root(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    root = tmp_path / "cat"
    root.mkdir(exist_ok=True)
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    return root


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


def _peak_kib_parsing(text: str, loader: str) -> int:
    """The peak memory (KiB) of a fresh process that parses ``text`` with ``loader``."""
    script = (
        "import resource, sys\n"
        "from newscat import parse\n"
        "if sys.argv[1] == 'pure-python':\n"
        "    parse.Loader = parse.PurePythonLoader\n"
        "parse.parse_article(sys.stdin.buffer.read(), 'bomb.md', 'bomb')\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, loader],
        input=text.encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout)


def test_alias_bomb_is_refused_with_flat_memory(yaml_loader: str) -> None:
    # Expanded, this document is 9**9 strings: gigabytes, and minutes of work.
    # Each measurement is a child process's own peak, so it can fail.
    small = "---\ntitle: small\n---\n"
    extra = _peak_kib_parsing(billion_laughs(), yaml_loader) - _peak_kib_parsing(small, yaml_loader)
    assert extra < 50 * 1024


def test_alias_bomb_billion_laughs_is_refused() -> None:
    found = problem(billion_laughs())
    assert found.code == "alias-bomb"
    assert found.message == "aliases expand the front matter past 200,000 values"
    assert (found.line, found.column) == (7, 4)  # the value of `f`, where the bound is passed


def test_one_long_value_repeated_by_aliases_is_a_bomb_too(tmp_path: Path) -> None:
    """A 1 MB string repeated by a thousand aliases is a gigabyte of front matter: one
    alias-bomb problem, and the other articles are read."""
    text = '---\na: &a "' + "x" * 1_000_000 + '"\nb: [' + "*a, " * 1000 + "]\n---\n"
    found = problem(text)
    assert found.code == "alias-bomb"
    assert found.message == "aliases expand the front matter past 10,000,000 characters"
    assert (found.line, found.column) == (3, 4)
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "bomb.md").write_text(text, encoding="utf-8")
    (folder / "fine.md").write_text("---\ntitle: Fine\n---\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["list", "--no-cache", "-C", str(folder), "-F", "title"])
    assert (result.exit_code, result.stdout) == (0, "title\nFine\n")
    assert result.stderr == f"1 file skipped; run `newscat check -C {folder} --no-cache`\n"


@pytest.mark.parametrize("written", ["1" + "0" * 5000, "0x" + "f" * 5000])
def test_a_number_past_pythons_digits_is_kept_as_text(written: str, yaml_loader: str) -> None:
    """A whole number Python will not write out in decimal (past 4,300 digits) is kept
    as the text it was written as, on either reader: a bad-score warning, not an
    internal error."""
    for extra in ("", "other: &a 1\n"):  # the plain reader, then YAML's (an anchor)
        article = parse(f"---\ntitle: x\nquality: {written}\n{extra}---\n")
        assert isinstance(article, Article)
        assert article.front_matter["quality"] == written
        assert article.quality is None
        assert [w.code for w in article.warnings if w.code == "bad-score"] == ["bad-score"]


def test_small_aliases_still_work() -> None:
    article = parse("---\ntitle: t\nbase: &b {name: x}\nother: *b\n---\n")
    assert isinstance(article, Article)
    assert article.front_matter["other"] == {"name": "x"}


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


# --- broken files, one by one ------------------------------------------------------------


def test_empty_file() -> None:
    found = problem(b"")
    assert (found.code, found.message, found.line) == ("no-front-matter", "empty file", 1)


def test_whitespace_only_file() -> None:
    assert problem(b"  \n\n").code == "no-front-matter"


def test_binary_file() -> None:
    found = problem(b"---\ntitle: a\x00b\n---\n")
    assert found.code == "binary"
    assert found.message == "binary file (NUL byte at byte 12)"
    assert (found.line, found.column) == (2, 9)


def test_png_header_is_binary() -> None:
    assert problem(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").code == "binary"


def test_not_utf8() -> None:
    found = problem("---\ntitle: café\n---\n".encode("latin-1"))
    assert found.code == "not-utf8"
    assert found.message == "not valid UTF-8 at byte 14"
    assert (found.line, found.column) == (2, 11)


def test_not_utf8_after_a_bom_counts_the_bom() -> None:
    found = problem(b"\xef\xbb\xbf---\nt: \xff\n---\n")
    assert found.message == "not valid UTF-8 at byte 10"


def test_no_front_matter() -> None:
    found = problem("# Just markdown\n\nSome text.\n")
    assert found.code == "no-front-matter"
    assert found.message == "no front matter: the first line is not '---' or '+++'"


def test_front_matter_not_on_the_first_line() -> None:
    assert problem("\n---\ntitle: x\n---\n").code == "no-front-matter"


def test_unclosed_front_matter() -> None:
    found = problem("---\ntitle: x\nbody without a closing line\n")
    assert found.code == "unclosed-front-matter"
    assert found.message == "front matter opened on line 1 is never closed"


def test_closing_line_must_be_exactly_dashes() -> None:
    assert problem("---\ntitle: x\n----\n").code == "unclosed-front-matter"
    assert problem("---\ntitle: x\n --- \n").code == "unclosed-front-matter"


def test_yaml_syntax_error_line_and_column() -> None:
    found = problem("---\ntitle: ok\nexcerpt: a: b\n---\n")
    assert found.code == "yaml-syntax"
    assert found.message.startswith("YAML: ")  # then the YAML library's own words
    assert (found.line, found.column) == (3, 11)


def test_yaml_syntax_error_unclosed_flow() -> None:
    found = problem("---\ntitle: x\ntopics: [a, b\nquality: 3\n---\n")
    assert found.code == "yaml-syntax"
    # Where the cause is far from where YAML notices it, newscat names both places.
    assert found.message.startswith(
        "YAML: while parsing a flow sequence (opened on line 3, column 9): "
    )
    assert (found.line, found.column) == (4, 8)


def test_yaml_syntax_error_in_crlf_file_keeps_positions() -> None:
    found = problem(b"---\r\ntitle: ok\r\nexcerpt: a: b\r\n---\r\n")
    assert (found.code, found.line, found.column) == ("yaml-syntax", 3, 11)


def test_tab_indentation() -> None:
    found = problem("---\ntitle: x\nprovider:\n\tname: y\n---\n")
    assert found.code == "yaml-syntax"
    assert found.message.endswith("(a tab; YAML indents with spaces only)")
    assert (found.line, found.column) == (4, 1)


def test_front_matter_that_is_a_list() -> None:
    found = problem("---\n- a\n- b\n---\n")
    assert (found.code, found.message) == (
        "not-a-mapping",
        "front matter is a list, not a mapping",
    )


@pytest.mark.parametrize(
    ("scalar", "kind"),
    [("just text", "string"), ("42", "number"), ("true", "boolean"), ("2022-05-19", "string")],
)
def test_front_matter_that_is_a_scalar(scalar: str, kind: str) -> None:
    found = problem(f"---\n{scalar}\n---\n")
    assert found.code == "not-a-mapping"
    assert found.message == f"front matter is a single {kind}, not a mapping"


def test_empty_front_matter_is_an_article_with_warnings() -> None:
    article = parse("---\n---\nbody\n")
    assert isinstance(article, Article)
    assert [w.code for w in article.warnings] == ["missing-title", "missing-date", "missing-url"]


@pytest.mark.parametrize(
    "payload",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/new:os.system ["touch {marker}"]',
        "!!python/name:os.system",
        '!!python/object/apply:subprocess.call [["touch", "{marker}"]]',
    ],
)
def test_python_tags_are_refused_never_run(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    found = problem(f"---\ntitle: {payload.format(marker=marker)}\n---\n")
    assert found.code == "yaml-tag"
    assert "is not allowed (tags are refused, never run)" in found.message
    assert (found.line, found.column) == (2, 8)
    assert not marker.exists()


def test_python_tag_through_the_cli_creates_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    root = tmp_path / "cat"
    root.mkdir()
    (root / "evil.md").write_text(
        f'---\ntitle: !!python/object/apply:os.system ["touch {marker}"]\n---\n'
    )
    result = run(["check", "--no-cache", "-C", str(root), "-f", "tsv"])
    assert result.exit_code == 1
    assert "\tyaml-tag\t" in result.stdout
    assert not marker.exists()


def test_custom_tag_is_refused() -> None:
    found = problem("---\nx: !secret 3\n---\n")
    assert (found.code, found.message) == (
        "yaml-tag",
        "YAML: the tag '!secret' is not allowed (tags are refused, never run)",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!set zb, a}", "YAML: !!set on a scalar: expected a mapping"),
        ("!!set [a, b]", "YAML: !!set on a list: expected a mapping"),
        ("!!map x", "YAML: !!map on a scalar: expected a mapping"),
    ],
)
def test_a_mapping_tag_on_no_mapping_is_the_files_error(
    value: str, message: str, yaml_loader: str
) -> None:
    # Found by test_fuzz: an 'internal' problem ("not enough values to unpack").
    found = problem(f"---\ntitle: x\nmembers: {value}\n---\n")
    assert (found.code, found.message, found.line, found.column) == ("yaml-syntax", message, 3, 10)


def test_a_10000_character_title_is_kept_whole() -> None:
    title = "x" * 10_000
    article = parse(
        f"---\ntitle: {title}\npublishedDateTime: 2022-05-19\nwebUrl: https://e.com/a\n---\n"
    )
    assert isinstance(article, Article)
    assert article.title == title
    assert article.warnings == ()


def test_a_10000_character_title_in_list_and_check(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    (root / "long.md").write_text(
        "---\ntitle: "
        + "x" * 10_000
        + "\npublishedDateTime: 2022-05-19\nwebUrl: https://e.com/a\n---\n"
    )
    table = run(["list", "--no-cache", "-C", str(root), "-f", "table"], width=80)
    assert table.exit_code == 0
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    assert "…" in table.stdout
    tsv = run(["list", "--no-cache", "-C", str(root), "-f", "tsv", "-F", "title"])
    assert tsv.stdout == "title\n" + "x" * 10_000 + "\n"
    assert run(["check", "--no-cache", "-C", str(root)]).exit_code == 0


# --- the catalogue: files that change, vanish, loop or cannot be read ----------------------


def test_file_over_the_size_limit_via_index_max_size(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"big.md": GOOD.format(n=1) + "x" * 500, "ok.md": GOOD.format(n=2)})
    index = Index.open([str(root)], None)
    index.max_size = 200
    index.refresh()
    [found] = index.problems("error")
    assert (found.path, found.code) == (str(root / "big.md"), "too-large")
    assert found.message == "file is larger than the 200-byte limit"
    assert index.count() == 1


def test_sparse_large_file_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.md"
    with open(big, "wb") as handle:
        handle.write(b"---\ntitle: huge\n---\n")
        handle.truncate(4 * 1024 * 1024 * 1024)  # 4 GiB, sparse: no disk used
    tracemalloc.start()
    digest, found, *_ = read_article(str(big), "huge")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(found, Problem)
    assert (digest, found.code) == (None, "too-large")
    assert found.message == "file is larger than the 16 MiB limit"
    assert peak < 1024 * 1024


def _stat_says_ten_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file's fstat says 10 bytes: a file that grew after the stat."""
    real_fstat = os.fstat

    def small_fstat(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *[0] * 5, 10, *[0] * 3))

    monkeypatch.setattr(catalog.os, "fstat", small_fstat)


def _read_whole(path: Path, body: str) -> None:
    """``path`` reads as an article with ``body``, hashed over all its bytes."""
    digest, found, *_ = read_article(str(path), path.stem)
    assert isinstance(found, Article)
    assert found.body == body
    assert digest == content_hash(path.read_bytes())


def test_file_that_grows_past_the_limit_after_the_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.md"
    path.write_text(GOOD.format(n=1) + "x" * 100)
    _stat_says_ten_bytes(monkeypatch)
    _, found, *_ = read_article(str(path), "growing", max_size=50)
    assert isinstance(found, Problem)
    assert found.code == "too-large"


def test_file_that_grows_after_the_stat_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.md"
    path.write_text(GOOD.format(n=1) + "tail " * 20000)  # 100 kB: several reads
    _stat_says_ten_bytes(monkeypatch)
    _read_whole(path, "tail " * 20000)


def test_a_file_system_that_reads_short_is_read_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read may give fewer bytes than asked before the end (some FUSE file systems):
    # the reading stops early only past the size the stat gave.
    path = tmp_path / "short.md"
    path.write_text(GOOD.format(n=1) + "body " * 50)
    real_read = os.read
    monkeypatch.setattr(catalog.os, "read", lambda fd, n: real_read(fd, min(n, 7)))
    _read_whole(path, "body " * 50)


def test_size_limit_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "DEFAULT_MAX_SIZE", 64)
    monkeypatch.setattr("newscat.store.index.DEFAULT_MAX_SIZE", 64)
    root = make_root(tmp_path, {"big.md": GOOD.format(n=1) + "x" * 100})
    result = run(["check", "--no-cache", "-C", str(root), "-f", "tsv"])
    assert result.exit_code == 1
    assert "\ttoo-large\tfile is larger than the 64-byte limit\n" in result.stdout


def test_symlink_cycle_is_walked_once(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"a/one.md": GOOD.format(n=1)})
    os.symlink("..", root / "a" / "up")
    os.symlink(str(root), root / "a" / "again")
    os.symlink("loop.md", root / "loop.md")  # a symlink to itself
    problems: list[Problem] = []
    found = {
        p: st for folder in walk_folders([str(root)], problems) for p, st in folder.files.items()
    }
    assert [catalog.root_and_id(path, [str(root)])[1] for path in found] == ["a/one"]
    assert [(p.code, p.message) for p in problems] == [
        ("unreadable", f"cannot read: {os.strerror(errno.ELOOP)}")
    ]
    result = run(["list", "--no-cache", "-C", str(root), "-f", "ids"])
    assert (result.exit_code, result.stdout) == (0, "a/one\n")


def test_file_deleted_between_walk_and_read(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"gone.md": GOOD.format(n=1), "stays.md": GOOD.format(n=2)})
    walked = [p for folder in walk_folders([str(root)], []) for p in folder.files]
    (root / "gone.md").unlink()
    _, found, *_ = read_article(str(root / "gone.md"), "gone")
    assert str(root / "gone.md") in walked
    assert isinstance(found, Problem)
    assert (found.code, found.message) == ("unreadable", "cannot read: No such file or directory")


def test_index_refresh_survives_a_file_deleted_after_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_root(tmp_path, {"gone.md": GOOD.format(n=1), "stays.md": GOOD.format(n=2)})
    real_walk = catalog.walk_folders
    walks: list[bool] = []

    def walk_then_delete(
        roots: list[str],
        problems: list[Problem],
        stat_files: bool = True,
        selections: Mapping[str, Selection] | None = None,
    ) -> Iterator[catalog.Folder]:
        walks.append(stat_files)
        yield from real_walk(roots, problems, stat_files, selections)
        if len(walks) == 2:  # the walk that reads, after the first fill's count by name
            (root / "gone.md").unlink()

    monkeypatch.setattr("newscat.refresh.walk_folders", walk_then_delete)
    index = Index.open([str(root)], None)
    report = index.refresh()
    assert [a.id for a in index.select()] == ["stays"]
    assert [(p.path, p.code) for p in index.problems()] == [(str(root / "gone.md"), "unreadable")]
    # A first fill's walk stats no file: one it found that neither opens nor stats is
    # the walk's problem, as a walk that stats would have said, and no file of the index.
    assert (report.added, report.unchanged, index.file_count()) == (1, 0, 1)
    monkeypatch.setattr("newscat.refresh.walk_folders", real_walk)
    report = index.refresh()  # the next refresh forgets the vanished file
    assert (report.added, report.removed, report.unchanged) == (0, 0, 1)
    assert index.problems() == []


def test_file_replaced_between_walk_and_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_root(tmp_path, {"swap.md": GOOD.format(n=1)})
    real_walk = catalog.walk_folders
    walks: list[bool] = []

    def walk_then_replace(
        roots: list[str],
        problems: list[Problem],
        stat_files: bool = True,
        selections: Mapping[str, Selection] | None = None,
    ) -> Iterator[catalog.Folder]:
        walks.append(stat_files)
        yield from real_walk(roots, problems, stat_files, selections)
        if len(walks) == 2:  # the walk that reads, after the first fill's count by name
            (root / "swap.md").write_text("not an article any more\n")

    monkeypatch.setattr("newscat.refresh.walk_folders", walk_then_replace)
    index = Index.open([str(root)], None)
    index.refresh()
    assert [p.code for p in index.problems()] == ["no-front-matter"]
    monkeypatch.setattr("newscat.refresh.walk_folders", real_walk)
    (root / "swap.md").write_text(GOOD.format(n=3))
    index.refresh()
    assert [a.url for a in index.select()] == ["https://e.com/3"]


def test_file_replaced_by_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    _, found, *_ = read_article(str(fifo), "pipe")
    assert isinstance(found, Problem)
    assert (found.code, found.message) == (
        "unreadable",
        "cannot read: not a regular file (a named pipe)",
    )


def test_a_fifo_given_as_a_root_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = run(["check", "--no-cache", "-C", str(fifo), "-f", "tsv"])
    assert result.exit_code == 1
    assert "\tunreadable\tcannot read: not a regular file (a named pipe)\n" in result.stdout


@pytest.mark.parametrize("cache", [True, False])
def test_a_fifo_among_the_articles_is_a_problem_never_opened(tmp_path: Path, cache: bool) -> None:
    """Whether the first fill counts files by name (the cache) or stats them (no cache),
    a FIFO with an article's suffix is said, never opened: opening it would wait for a
    writer forever."""
    root = make_root(tmp_path, {"good.md": GOOD.format(n=1)})
    fifo = root / "sub" / "pipe.md"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    where = ["--cache-dir", str(tmp_path / "cache")] if cache else ["--no-cache"]
    for _ in range(2):  # the first fill, then a look at an index already filled
        checked = run(["check", *where, "-C", str(root), "-f", "tsv"])
        assert (checked.exit_code, checked.stderr) == (1, "1 error, 0 warnings in 1 file\n")
        assert checked.stdout == (
            "file\tline\tcolumn\tseverity\tcode\tmessage\n"
            f"{fifo}\t\t\terror\tunreadable\tcannot read: not a regular file (a named pipe)\n"
        )
        listed = run(["list", *where, "-C", str(root), "-f", "ids"])
        assert (listed.exit_code, listed.stdout) == (0, "good\n")
        again = f"--cache-dir {tmp_path / 'cache'}" if cache else "--no-cache"
        assert listed.stderr == f"1 file skipped; run `newscat check -C {root} {again}`\n"


def test_a_byline_of_many_names_is_joined_in_linear_time(tmp_path: Path) -> None:
    """200,000 authors (1.7 MB of front matter): each name once, in order. Joining them
    by searching the names so far took minutes; a real process with a time limit
    fails here instead of holding the test run."""
    names = [f"n{i}" for i in range(200_000)]
    text = f"---\ntitle: T\nauthor: [{', '.join(names + names[:10])}]\n---\nbody\n"
    root = make_root(tmp_path, {"many.md": text})
    done = subprocess.run(
        [sys.executable, "-m", "newscat", "list", "--no-cache", "-C", str(root), "-f", "jsonl"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["provider"] == ", ".join(names)


def test_a_fifo_among_the_articles_never_holds_a_real_process(tmp_path: Path) -> None:
    """In a process of its own, with a time limit: a walk that opened the FIFO would wait
    for a writer forever, and fail here instead of holding the test run."""
    root = make_root(tmp_path, {"good.md": GOOD.format(n=1)})
    os.mkfifo(root / "pipe.md")
    env = {**os.environ, "NEWSCAT_CACHE_DIR": str(tmp_path / "cache")}
    for args in (["list", "-f", "ids"], ["check", "-f", "tsv"]):
        done = subprocess.run(
            [sys.executable, "-m", "newscat", *args, "-C", str(root)],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert done.returncode == (0 if args[0] == "list" else 1), done.stderr
    assert done.stdout.splitlines(keepends=True)[-1] == (
        f"{root / 'pipe.md'}\t\t\terror\tunreadable\tcannot read: not a regular file (a named pipe)\n"
    )


def test_a_socket_among_the_articles_is_a_problem(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"good.md": GOOD.format(n=1)})
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(root / "sock.md"))
        found: list[Problem] = []
        walked = {path for folder in walk_folders([str(root)], found) for path in folder.files}
    assert walked == {str(root / "good.md")}
    assert [(p.path, p.code, p.message) for p in found] == [
        (str(root / "sock.md"), "unreadable", "cannot read: not a regular file (a socket)")
    ]


def test_a_fifo_without_an_article_suffix_is_not_said(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"good.md": GOOD.format(n=1)})
    os.mkfifo(root / "pipe")
    checked = run(["check", "--no-cache", "-C", str(root)])
    assert (checked.exit_code, checked.stdout, checked.stderr) == (0, "", "no problems in 1 file\n")


def test_unreadable_file_via_permission_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_root(tmp_path, {"secret.md": GOOD.format(n=1), "open.md": GOOD.format(n=2)})
    real_open = os.open

    def guarded_open(path: str, flags: int, *args: int, **kwargs: int) -> int:
        if str(path).endswith("secret.md"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(catalog.os, "open", guarded_open)
    result = run(["check", "--no-cache", "-C", str(root), "-f", "tsv"])
    assert result.exit_code == 1
    assert f"{root / 'secret.md'}\t\t\terror\tunreadable\tcannot read: Permission denied\n" in (
        result.stdout
    )
    listed = run(["list", "--no-cache", "-C", str(root), "-f", "ids"])
    assert (listed.exit_code, listed.stdout) == (0, "open\n")
    assert listed.stderr == f"1 file skipped; run `newscat check -C {root} --no-cache`\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_unreadable_file_chmod_000(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"secret.md": GOOD.format(n=1)})
    (root / "secret.md").chmod(0)
    try:
        result = run(["check", "--no-cache", "-C", str(root), "-f", "tsv"])
    finally:
        (root / "secret.md").chmod(0o644)
    assert result.exit_code == 1
    assert "\tunreadable\tcannot read: Permission denied\n" in result.stdout


def test_catalogue_root_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for command in ("check", "list"):
        result = run([command, "--no-cache", "-C", str(missing)])
        assert result.exit_code == 2
        assert result.stderr == f"Error: catalogue root does not exist: {missing}\n"
        assert "Traceback" not in result.output


def test_cache_database_replaced_by_garbage(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"ok.md": GOOD.format(n=1)})
    cache = tmp_path / "cache"
    first = run(["list", "-C", str(root), "--cache-dir", str(cache), "-f", "ids"])
    assert first.stdout == "ok\n"
    [database] = cache.glob("catalog-*.sqlite3")
    database.write_bytes(os.urandom(8192))
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    result = run(["check", "-C", str(root), "--cache-dir", str(cache)])
    assert result.exit_code == 0
    [warning, summary] = result.stderr.splitlines()
    assert warning.startswith(f"newscat: warning: the index at {database} is unusable (")
    assert warning.endswith("); rebuilding it")
    assert summary == "no problems in 1 file"
    again = run(["list", "-C", str(root), "--cache-dir", str(cache), "-f", "ids"])
    assert (again.stdout, again.stderr) == ("ok\n", "")
    assert sqlite3.connect(database).execute("SELECT count(*) FROM articles").fetchone() == (1,)


# --- files opened ahead of their reading ---------------------------------------------


def test_files_opened_ahead_give_what_read_article_gives_alone(tmp_path: Path) -> None:
    names = [f"{n:03}.md" for n in range(catalog.READ_AHEAD * 2 + 5)]
    root = make_root(tmp_path, {name: GOOD.format(n=n) for n, name in enumerate(names)})
    (root / names[3]).unlink()  # gone after the walk: its error comes from the open ahead
    (root / names[40]).write_bytes(b"\xff\xfe not utf-8")
    paths = [str(root / name) for name in names]
    alone = [read_article(path, name) for path, name in zip(paths, names, strict=True)]
    with closing(catalog.opened_ahead(paths)) as ahead:
        together = [
            read_article(path, name, opened=opened)
            for path, name, opened in zip(paths, names, ahead, strict=True)
        ]
    assert together == alone
    assert isinstance(alone[3].result, Problem) and alone[3].result.code == "unreadable"
    assert isinstance(alone[40].result, Problem) and alone[40].result.code == "utf-16"


def test_an_iterator_left_early_closes_the_files_it_opened(tmp_path: Path) -> None:
    root = make_root(tmp_path, {f"{n}.md": GOOD.format(n=n) for n in range(50)})
    before = len(os.listdir("/proc/self/fd"))
    ahead = catalog.opened_ahead([str(root / f"{n}.md") for n in range(50)])
    first = next(ahead)
    assert isinstance(first, int)
    os.close(first)
    assert len(os.listdir("/proc/self/fd")) > before  # the others are open, reading
    ahead.close()
    assert len(os.listdir("/proc/self/fd")) == before


def _file_system_type(path: Path) -> str:
    """The type of the file system ``path`` is on ("" when /proc/mounts does not say)."""
    best, kind = "", ""
    with open("/proc/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1].replace("\\040", " ")
            if str(path).startswith(point.rstrip("/") + "/") and len(point) >= len(best):
                best, kind = point, fields[2]
    return kind


@pytest.mark.skipif(
    not hasattr(os, "RWF_NOWAIT") or not os.path.exists("/proc/mounts"), reason="Linux only"
)
def test_in_page_cache_tells_a_file_read_from_one_the_cache_let_go(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"a.md": GOOD.format(n=1) * 500, "empty.md": ""})
    fd = os.open(root / "a.md", os.O_RDONLY)
    empty = os.open(root / "empty.md", os.O_RDONLY)
    reading, writing = os.pipe()
    try:
        os.read(fd, 1 << 20)
        assert catalog.in_page_cache(fd)
        assert catalog.in_page_cache(empty)  # nothing to wait for
        assert not catalog.in_page_cache(reading)  # no file's page: it cannot say
        if _file_system_type(tmp_path) in ("tmpfs", "ramfs", "overlay", ""):
            return  # these keep (or may keep) a file in memory whatever it is asked
        os.fsync(fd)
        for _ in range(50):  # the kernel lets go of clean pages not in use, mostly at once
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            if not catalog.in_page_cache(fd):
                break
            time.sleep(0.01)
        else:
            pytest.skip("the kernel kept the file's pages")
        os.pread(fd, 1, 0)
        assert catalog.in_page_cache(fd)
    finally:
        for each in (fd, empty, reading, writing):
            os.close(each)


def test_reading_is_asked_ahead_only_from_a_file_not_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every PROBE_EVERY files opened ahead, one is looked for in the page cache; the
    kernel is asked to read ahead from a file not found there to the next found there."""
    count = catalog.PROBE_EVERY * 4 + 3
    root = make_root(tmp_path, {f"{n:03}.md": GOOD.format(n=n) for n in range(count)})
    paths = [str(root / f"{n:03}.md") for n in range(count)]
    cold = {paths[catalog.PROBE_EVERY], paths[catalog.PROBE_EVERY * 2]}
    probed: list[str] = []
    advised: list[str] = []
    by_fd: dict[int, str] = {}
    real_open, real_advise = catalog._open_for_reading, os.posix_fadvise

    def opening(path: str | bytes) -> int:
        fd = real_open(path)
        by_fd[fd] = str(path)
        return fd

    def probe(fd: int) -> bool:
        probed.append(by_fd[fd])
        return by_fd[fd] not in cold

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append(by_fd[fd])
        real_advise(fd, offset, length, advice)

    monkeypatch.setattr(catalog, "_open_for_reading", opening)
    monkeypatch.setattr(catalog, "in_page_cache", probe)
    monkeypatch.setattr(os, "posix_fadvise", advise)
    with closing(catalog.opened_ahead(paths)) as ahead:
        found = [
            read_article(path, path, opened=opened)
            for path, opened in zip(paths, ahead, strict=True)
        ]
    assert all(isinstance(each.result, Article) for each in found)
    assert probed == paths[:: catalog.PROBE_EVERY]
    assert advised == paths[catalog.PROBE_EVERY : catalog.PROBE_EVERY * 3]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_files_are_opened_just_read_ahead_files_ahead(tmp_path: Path) -> None:
    """The file being read and the READ_AHEAD - 1 after it are open, and no more, from the
    first file to the last (fewer ahead as the end comes nearer)."""
    count = catalog.READ_AHEAD + 5
    root = make_root(tmp_path, {f"{n:03}.md": GOOD.format(n=n) for n in range(count)})
    before = len(os.listdir("/proc/self/fd"))
    with closing(catalog.opened_ahead([str(root / f"{n:03}.md") for n in range(count)])) as ahead:
        for index, opened in enumerate(ahead):
            assert isinstance(opened, int)
            open_now = len(os.listdir("/proc/self/fd")) - before
            assert open_now == min(catalog.READ_AHEAD, count - index), index
            os.close(opened)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_with_few_descriptors_allowed_every_file_is_still_read(tmp_path: Path) -> None:
    """A real process that may open only 10 more files than it has open, far fewer
    than reading ahead would take: the reading ahead stops, and no file is said
    unreadable for it."""
    root = make_root(tmp_path, {f"{n:03}.md": GOOD.format(n=n) for n in range(100)})
    code = (
        "import os, resource, sys\n"
        "from contextlib import closing\n"
        "from newscat.catalog import opened_ahead, read_article\n"
        "paths = sorted(os.path.join(sys.argv[1], name) for name in os.listdir(sys.argv[1]))\n"
        "limit = len(os.listdir('/proc/self/fd')) + 10\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))\n"
        "with closing(opened_ahead(paths)) as ahead:\n"
        "    for path, opened in zip(paths, ahead):\n"
        "        found = read_article(path, path, opened=opened).result\n"
        "        print(type(found).__name__, getattr(found, 'message', ''))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Article \n" * 100
