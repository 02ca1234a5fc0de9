"""The check command: formats, exit codes, cross-file warnings, summary, --strict, --rebuild."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from newscat.cli import cli
from tests.conftest import index_warnings_are_the_parsers

SEEDS = str(Path(__file__).resolve().parent.parent / "seeds")
GOOD = "---\ntitle: Fine\npublishedDateTime: 2022-05-19T09:13:00Z\nwebUrl: https://e.com/{n}\n---\n"


def run(args: list[str], width: int = 100) -> Result:
    return CliRunner().invoke(cli, args, env={"COLUMNS": str(width), "NO_COLOR": "1"})


def make_root(base: Path, files: dict[str, str | bytes], name: str = "cat") -> Path:
    root = base / name
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    return root


def test_seeds_have_no_problems() -> None:
    result = run(["check", "--no-cache", "-C", SEEDS, "-f", "table"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no problems in 2 files\n")


def test_seeds_as_json_and_tsv() -> None:
    assert run(["check", "--no-cache", "-C", SEEDS, "-f", "json"]).stdout == "[]\n"
    tsv = run(["check", "--no-cache", "-C", SEEDS, "-f", "tsv"]).stdout
    assert tsv == "file\tline\tcolumn\tseverity\tcode\tmessage\n"


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return make_root(
        tmp_path,
        {
            "good.md": GOOD.format(n=1),
            "broken.md": "---\ntitle: ok\nexcerpt: a: b\n---\n",
            "odd.md": "---\ntitle: odd\nquality: high\nwebUrl: https://e.com/2\n---\n",
        },
    )


def test_json_lists_every_problem_with_all_keys(mixed: Path) -> None:
    result = run(["check", "--no-cache", "-C", str(mixed), "-f", "json"])
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert records == [
        {
            "file": str(mixed / "broken.md"),
            "line": 3,
            "column": 11,
            "severity": "error",
            "code": "yaml-syntax",
            "message": records[0]["message"],
        },
        {
            "file": str(mixed / "odd.md"),
            "line": 2,
            "column": 1,
            "severity": "warning",
            "code": "missing-date",
            "message": "no date (read from publishedDateTime, date, publishDate or pubDate)",
        },
        {
            "file": str(mixed / "odd.md"),
            "line": 3,
            "column": 1,
            "severity": "warning",
            "code": "bad-score",
            "message": "quality 'high' is not a number",
        },
    ]
    assert records[0]["message"].startswith("YAML: ")  # then the YAML library's own words
    assert result.stderr == "1 error, 2 warnings in 2 files\n"


def test_lines_are_the_default_in_a_pipe(mixed: Path) -> None:
    """``path:line:col: severity: code: message``, the form editors and CI annotate."""
    result = run(["check", "--no-cache", "-C", str(mixed)])
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{mixed / 'broken.md'}:3:11: error: yaml-syntax: YAML: ")
    assert lines[1:] == [
        f"{mixed / 'odd.md'}:2:1: warning: missing-date: no date (read from "
        "publishedDateTime, date, publishDate or pubDate)",
        f"{mixed / 'odd.md'}:3:1: warning: bad-score: quality 'high' is not a number",
    ]


def test_lines_name_a_file_under_the_working_folder_as_the_table_does(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``newscat check -C news | ...`` gives ``news/odd.md:3:1: ...``, as linters do and
    the README shows; a file elsewhere keeps its whole path (as above)."""
    monkeypatch.chdir(mixed.parent)
    result = run(["check", "--no-cache", "-C", "cat"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cat/broken.md:3:11: error: yaml-syntax: YAML: ")
    assert lines[1:] == [
        "cat/odd.md:2:1: warning: missing-date: no date (read from "
        "publishedDateTime, date, publishDate or pubDate)",
        "cat/odd.md:3:1: warning: bad-score: quality 'high' is not a number",
    ]


def test_tsv_on_request(mixed: Path) -> None:
    result = run(["check", "--no-cache", "-C", str(mixed), "-f", "tsv"])
    lines = result.stdout.splitlines()
    assert lines[0] == "file\tline\tcolumn\tseverity\tcode\tmessage"
    assert (
        lines[2]
        == f"{mixed / 'odd.md'}\t2\t1\twarning\tmissing-date\tno date (read from publishedDateTime, date, publishDate or pubDate)"
    )
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (
            80,
            [
                "cat/broken.md",
                "  3:11  error    yaml-syntax   YAML: mapping values are not allowed in this",
                "                               context",
                "",
                "cat/odd.md",
                "   2:1  warning  missing-date  no date (read from publishedDateTime, date,",
                "                               publishDate or pubDate)",
                "   3:1  warning  bad-score     quality 'high' is not a number",
            ],
        ),
        (
            120,
            [
                "cat/broken.md",
                "  3:11  error    yaml-syntax   YAML: mapping values are not allowed in this context",
                "",
                "cat/odd.md",
                "   2:1  warning  missing-date  no date (read from publishedDateTime, date, "
                "publishDate or pubDate)",
                "   3:1  warning  bad-score     quality 'high' is not a number",
            ],
        ),
    ],
)
def test_table_groups_by_file_and_fits_the_terminal(
    mixed: Path, monkeypatch: pytest.MonkeyPatch, width: int, expected: list[str]
) -> None:
    monkeypatch.chdir(mixed.parent)
    result = run(["check", "--no-cache", "-C", "cat", "-f", "table"], width=width)
    assert result.exit_code == 1
    assert [line.rstrip() for line in result.stdout.splitlines()] == expected


def test_table_keeps_a_long_path_whole_on_its_own_line(tmp_path: Path) -> None:
    deep = "a-rather-long-folder-name/" * 6 + "broken.md"
    root = make_root(tmp_path, {deep: "no front matter\n"})
    result = run(["check", "--no-cache", "-C", str(root), "-f", "table"], width=80)
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines == [
        str(root / deep),
        "  1:1  error    no-front-matter  no front matter: the first line is not '---' or",
        "                                 '+++'",
    ]


def test_errors_only(mixed: Path) -> None:
    result = run(["check", "--no-cache", "-C", str(mixed), "-f", "json", "--errors-only"])
    assert [r["code"] for r in json.loads(result.stdout)] == ["yaml-syntax"]
    assert result.stderr == "1 error, 2 warnings in 2 files\n"


def test_warnings_alone_exit_0_unless_strict(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"odd.md": "---\ntitle: t\n---\n"})
    result = run(["check", "--no-cache", "-C", str(root)])
    assert (result.exit_code, result.stderr) == (0, "0 errors, 2 warnings in 1 file\n")
    assert run(["check", "--no-cache", "-C", str(root), "--strict"]).exit_code == 1


def test_quiet_drops_the_summary(mixed: Path) -> None:
    result = run(["check", "--no-cache", "-C", str(mixed), "-q"])
    assert (result.exit_code, result.stderr) == (1, "")


def test_duplicate_id_under_two_roots(tmp_path: Path) -> None:
    one = make_root(tmp_path, {"2022/a.md": GOOD.format(n=1)}, "one")
    two = make_root(tmp_path, {"2022/a.md": GOOD.format(n=2)}, "two")
    result = run(["check", "--no-cache", "-C", str(one), "-C", str(two), "-f", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "file": str(one / "2022/a.md"),
            "line": None,
            "column": None,
            "severity": "warning",
            "code": "duplicate-id",
            "message": f"same id '2022/a' as {two / '2022/a.md'}",
        },
        {
            "file": str(two / "2022/a.md"),
            "line": None,
            "column": None,
            "severity": "warning",
            "code": "duplicate-id",
            "message": f"same id '2022/a' as {one / '2022/a.md'}",
        },
    ]


def test_duplicate_id_from_two_extensions(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"a.md": GOOD.format(n=1), "a.txt": GOOD.format(n=2)})
    records = json.loads(run(["check", "--no-cache", "-C", str(root), "-f", "json"]).stdout)
    assert [(Path(r["file"]).name, r["code"]) for r in records] == [
        ("a.md", "duplicate-id"),
        ("a.txt", "duplicate-id"),
    ]


def test_duplicate_web_url_names_the_other_files(tmp_path: Path) -> None:
    root = make_root(tmp_path, {f"{n}.md": GOOD.format(n="same") for n in range(5)})
    records = json.loads(run(["check", "--no-cache", "-C", str(root), "-f", "json"]).stdout)
    assert len(records) == 5
    assert {r["code"] for r in records} == {"duplicate-url"}
    assert records[0]["message"] == (
        f"same URL 'https://e.com/same' as {root / '1.md'}, {root / '2.md'}, "
        f"{root / '3.md'} and 1 more"
    )


def test_duplicate_urls_are_found_in_canonical_form(tmp_path: Path) -> None:
    spellings = [
        "https://www.example.com/news/story/",
        "http://example.com/news/story?utm_source=feed",
        "https://example-com.cdn.ampproject.org/c/s/example.com/news/story.amp",
        "https://example.com/news/other",
    ]
    root = make_root(
        tmp_path,
        {f"{n}.md": GOOD.replace("https://e.com/{n}", url) for n, url in enumerate(spellings)},
    )
    result = run(["check", "--no-cache", "-C", str(root), "-f", "json"])
    records = json.loads(result.stdout)
    assert [(Path(r["file"]).name, r["code"]) for r in records] == [
        ("0.md", "duplicate-url"),
        ("1.md", "duplicate-url"),
        ("2.md", "duplicate-url"),
    ]
    assert records[1]["message"] == (
        f"same URL 'https://example.com/news/story' as {root / '0.md'}, {root / '2.md'}"
    )


def test_check_reads_the_stored_problems_and_rebuild_rereads(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"bad.md": "no front matter\n"})
    cache = str(tmp_path / "cache")
    first = run(["check", "-C", str(root), "--cache-dir", cache, "-f", "tsv"])
    assert first.exit_code == 1
    second = run(["check", "-C", str(root), "--cache-dir", cache, "-f", "tsv"])
    assert (second.exit_code, second.stdout) == (1, first.stdout)
    rebuilt = run(["check", "-C", str(root), "--cache-dir", cache, "-f", "tsv", "--rebuild"])
    assert (rebuilt.exit_code, rebuilt.stdout) == (1, first.stdout)
    (root / "bad.md").write_text(GOOD.format(n=1))
    os.utime(root / "bad.md", ns=(1, 1))
    fixed = run(["check", "-C", str(root), "--cache-dir", cache])
    assert (fixed.exit_code, fixed.stderr) == (0, "no problems in 1 file\n")


def test_list_summarises_skipped_files_and_check_details_them(mixed: Path) -> None:
    listed = run(["list", "--no-cache", "-C", str(mixed), "-f", "ids"])
    assert (listed.exit_code, listed.stdout) == (0, "good\nodd\n")
    assert listed.stderr == f"1 file skipped; run `newscat check -C {mixed} --no-cache`\n"


def test_the_hint_names_the_catalogue_as_the_command_line_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``newscat check`` as hinted checks the same catalogue: ``-C`` for each root the
    command line named (quoted for the shell), nothing more for one the environment did."""
    roots = [make_root(tmp_path / "a b", {"bad.md": "no front matter\n"}), tmp_path / "it's"]
    roots[1].mkdir()
    listed = run(["list", "--no-cache", "-C", str(roots[0]), "-C", str(roots[1]), "-f", "ids"])
    assert listed.stderr == (
        f"1 file skipped; run `newscat check -C '{roots[0]}' -C '{tmp_path}/it'\"'\"'s' --no-cache`\n"
    )
    monkeypatch.setenv("NEWSCAT_CATALOG", str(roots[0]))
    listed = run(["list", "--no-cache", "-f", "ids"])
    assert listed.stderr == "1 file skipped; run `newscat check --no-cache`\n"


def test_the_hint_repeats_the_exclusions_and_the_cache_so_check_reads_the_same_index(
    tmp_path: Path,
) -> None:
    """The hinted command, run as written, finds the files the listing skipped in the
    index the listing wrote (with other exclusions it would be another index)."""
    root = make_root(
        tmp_path / "cat",
        {"bad.md": "no front matter\n", "drafts/worse.md": "none here either\n"},
    )
    (root / ".gitignore").write_text("ignored/\n")
    (root / "ignored").mkdir()
    (root / "ignored" / "odd.md").write_text("---\n: [\n---\n")
    cache = tmp_path / "my cache"
    given = ["-C", str(root), "--exclude", "drafts/", "--no-ignore", "--cache-dir", str(cache)]
    listed = run(["list", *given, "-f", "ids"])
    hinted = f"-C {root} --exclude drafts/ --no-ignore --cache-dir '{cache}'"
    assert listed.stderr == f"2 files skipped; run `newscat check {hinted}`\n"
    indexes = sorted(cache.iterdir())
    checked = run(["check", *shlex.split(hinted), "-f", "tsv"])
    assert checked.exit_code == 1
    assert sorted(line.split("\t")[0] for line in checked.stdout.splitlines()[1:]) == [
        str(root / "bad.md"),
        str(root / "ignored" / "odd.md"),
    ]
    assert sorted(cache.iterdir()) == indexes  # no second index was built


def test_help_has_a_summary_and_examples() -> None:
    result = run(["check", "--help"])
    assert result.exit_code == 0
    assert "List every problem in the catalogue, with file and line." in result.stdout
    assert "newscat check --errors-only --rebuild" in result.stdout
    assert re.search(r"^  check +List every problem", run(["--help"]).stdout, re.MULTILINE)


def test_missing_fields_are_worded_with_the_catalogues_own_keys(tmp_path: Path) -> None:
    """The index derives "missing" warnings from the stored row: the wording follows the
    catalogue's [fields] as of the last refresh, and a key that is there but unreadable
    gives its own warning instead."""
    site = make_root(
        tmp_path,
        {
            "newscat.toml": '[fields]\nurl = ["link"]\ndate = ["when", "date"]\n',
            "a.md": "---\ntitle: A\n---\n",
            "b.md": "---\ntitle: B\nwhen: someday\nlink: https://e.com/b\n---\n",
            "c.md": "---\ntitle: C\nwhen: 2024-01-02\nlink: https://e.com/c\n---\n",
        },
    )
    cache = str(tmp_path / "cache")
    result = run(["check", "-C", str(site), "--cache-dir", cache, "-f", "lines"])
    assert (result.exit_code, result.stdout) == (
        0,
        f"{site / 'a.md'}:2:1: warning: missing-date: no date (read from when or date)\n"
        f"{site / 'a.md'}:2:1: warning: missing-url: no url (read from link)\n"
        f"{site / 'b.md'}:3:1: warning: bad-date: when 'someday' is not a date\n",
    )
    (site / "newscat.toml").write_text('[fields]\nurl = ["href", "link"]\n', encoding="utf-8")
    result = run(["check", "-C", str(site), "--cache-dir", cache, "-f", "lines"])
    assert (result.exit_code, result.stdout) == (
        0,
        f"{site / 'a.md'}:2:1: warning: missing-date: no date (read from "
        "publishedDateTime, date, publishDate or pubDate)\n"
        f"{site / 'a.md'}:2:1: warning: missing-url: no url (read from href or link)\n"
        f"{site / 'b.md'}:2:1: warning: missing-date: no date (read from "
        "publishedDateTime, date, publishDate or pubDate)\n"
        f"{site / 'c.md'}:2:1: warning: missing-date: no date (read from "
        "publishedDateTime, date, publishDate or pubDate)\n",
    )


def test_the_index_gives_every_warning_the_parser_gives(tmp_path: Path) -> None:
    """Through the core API, on the committed corpus: what the index reports for each
    article (stored or derived) is exactly the parser's warnings."""
    corpus = Path(__file__).resolve().parent / "corpus" / "valid"
    counts = index_warnings_are_the_parsers(corpus, tmp_path / "cache")
    assert min(counts.get(code, 0) for code in ("missing-date", "missing-url", "bad-date")) >= 1, (
        counts
    )


def test_a_missing_field_is_placed_on_the_first_line_even_beside_an_empty_key(
    tmp_path: Path,
) -> None:
    site = make_root(tmp_path, {"a.md": '---\ntitle: A\n"": x\n---\n'})
    result = run(["check", "-C", str(site), "--cache-dir", str(tmp_path / "c"), "-f", "tsv"])
    assert [line.split("\t")[1:5] for line in result.stdout.splitlines()[1:]] == [
        ["2", "1", "warning", "missing-date"],
        ["2", "1", "warning", "missing-url"],
    ]
    counts = index_warnings_are_the_parsers(site, tmp_path / "cache")
    assert counts == {"missing-date": 1, "missing-url": 1}


def test_keys_changed_during_another_refresh_are_never_stored_apart_from_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Process 2 reads newscat.toml, the user edits it, process 1 refreshes with the new
    keys while process 2 waits for the lock: process 2 reads every file again with the
    keys it stores, so what check says matches what the rows hold; the next refresh
    reads the catalogue with the keys the file now says."""
    from newscat import refresh
    from newscat.store.index import Index

    site = make_root(
        tmp_path,
        {
            "newscat.toml": '[fields]\nurl = ["link"]\n',
            "a.md": "---\ntitle: A\nhref: https://e.com/a\n---\n",
            "b.md": "---\ntitle: B\nlink: https://e.com/b\n---\n",
        },
    )
    cache = tmp_path / "cache"
    first = Index.open([str(site)], cache)
    first.refresh()
    (site / "c.md").write_text("---\ntitle: C\n---\n", encoding="utf-8")
    second = Index.open([str(site)], cache)
    source = refresh.Source(second.roots, second.exclusions, second.max_size, second.warn)
    waiting = refresh._Refresh(second.conn, source)  # it read the keys: link
    (site / "newscat.toml").write_text('[fields]\nurl = ["href"]\n', encoding="utf-8")
    locked = waiting._locked

    def after_the_other(*args: Any, **kwargs: Any) -> Any:
        first.refresh()  # the other process, with the new keys, took the lock first
        return locked(*args, **kwargs)

    monkeypatch.setattr(waiting, "_locked", after_the_other)
    waiting.run(None, False, False)

    def urls(index: Index) -> dict[str, Any]:
        rows = index.conn.execute("SELECT path, url FROM articles").fetchall()
        said = {p.path: p.message for p in index.problems() if p.code == "missing-url"}
        return {Path(path).name: url or said[path] for path, url in rows}

    assert urls(second) == {
        "a.md": "no url (read from link)",
        "b.md": "https://e.com/b",
        "c.md": "no url (read from link)",
    }
    second.refresh()
    assert urls(second) == {
        "a.md": "https://e.com/a",
        "b.md": "no url (read from href)",
        "c.md": "no url (read from href)",
    }
    first.close()
    second.close()
