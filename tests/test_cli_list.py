"""`newscat list` through the CLI: every format, paging, counts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SEEDS, run, write_article

TSV = (
    "id\tdate\ttitle\tprovider\tquality\theat\ttopics\n"
    "002_6ef551387f7f8ea7\t2022-11-02T08:30:00Z\t"
    "NHS report calls for artificial intelligence training for all staff\t"
    "Digital Health\t56\t66\tAI Ethics; AI; AI in Healthcare\n"
    "000_50e039b255de019a\t2022-05-19T09:13:00Z\t"
    "New report finds healthcare staff need support to use AI safely\t"
    "NHS HEE\t58\t68\tAI Ethics; AI; AI in Healthcare; Facebook AI\n"
)


def test_list_in_a_pipe_is_tsv_newest_first() -> None:
    result = run("list")
    assert (result.exit_code, result.stdout, result.stderr) == (0, TSV, "")


def test_list_tsv_no_header_and_limit() -> None:
    result = run("list", "-f", "tsv", "--no-header", "-n", "1")
    assert result.stdout == TSV.splitlines(keepends=True)[1]


def test_list_offset() -> None:
    result = run("list", "--offset", "1", "--no-header")
    assert result.stdout == TSV.splitlines(keepends=True)[2]


def test_list_jsonl_one_record_per_line() -> None:
    result = run("list", "-f", "jsonl")
    lines = result.stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [
        "002_6ef551387f7f8ea7",
        "000_50e039b255de019a",
    ]
    record = json.loads(lines[1])
    assert (record["provider"], record["domain"]) == ("NHS HEE", "hee.nhs.uk")
    assert record["front_matter"]["provider"] == {"name": "NHS HEE", "domain": "hee.nhs.uk"}


def test_list_json_with_fields() -> None:
    result = run("list", "-f", "json", "-F", "id,quality,provider.domain,topics")
    assert json.loads(result.stdout) == [
        {
            "id": "002_6ef551387f7f8ea7",
            "quality": 56,
            "provider.domain": "digitalhealth.net",
            "topics": ["AI Ethics", "AI", "AI in Healthcare"],
        },
        {
            "id": "000_50e039b255de019a",
            "quality": 58,
            "provider.domain": "hee.nhs.uk",
            "topics": ["AI Ethics", "AI", "AI in Healthcare", "Facebook AI"],
        },
    ]


def test_list_count() -> None:
    result = run("list", "--count")
    assert (result.exit_code, result.stdout) == (0, "2\n")


def test_list_ids_and_paths() -> None:
    assert run("list", "-f", "ids").stdout == "002_6ef551387f7f8ea7\n000_50e039b255de019a\n"
    paths = run("list", "-f", "paths", "-0").stdout
    assert paths == (
        f"{SEEDS / '002_6ef551387f7f8ea7.txt'}\0{SEEDS / '000_50e039b255de019a.txt'}\0"
    )


def test_list_table_shows_every_default_column_at_120() -> None:
    result = run("list", "-f", "table")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ref", "date", "title", "provider", "quality", "heat", "topics"]
    assert lines[1].startswith("6ef5  2022-11-02  NHS report calls")
    assert "Digital Health" in lines[1] and " 56 " in lines[1] and " 66 " in lines[1]
    assert "\x1b" not in result.stdout
    assert all(len(line) <= 120 for line in lines)


def test_list_table_keeps_date_and_title_at_40(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    result = run("list", "-f", "table")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ref", "date", "title"]
    assert lines[2].startswith("50e0  2022-05-19  New report")
    assert lines[2].endswith("…")
    assert all(len(line) <= 40 for line in lines)


BLOG_POSTS = {
    "content/2024-State-Of-The-Survey-results/index.md": (
        "Announcing the 2024 edition of our long-running survey of the Rust community"
    ),
    "content/Other-post/index.md": "Another post",
    "content/Call-for-proposals.md": "A call for proposals",
}


@pytest.mark.parametrize("columns", [80, 120])
def test_columns_empty_in_every_row_all_go_before_a_title_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """A blog: no dates, scores, providers or topics. Its titles get the room."""
    monkeypatch.setenv("COLUMNS", str(columns))
    folder = tmp_path / "blog"
    for name, title in BLOG_POSTS.items():
        write_article(folder, name, title=title)
    result = run("list", "-C", str(folder), "-f", "table", "-s", "id")
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    long_title = BLOG_POSTS["content/2024-State-Of-The-Survey-results/index.md"]
    ref = "2024-State-Of-The-Survey-results/index"
    assert lines[0].split() == ["ref", "title"]
    assert lines[1].startswith(f"{ref}  ")
    if columns == 120:
        assert lines[1] == f"{ref}  {long_title}"
    else:  # the title has every cell the ref leaves
        assert lines[1] == f"{ref}  {long_title[: 80 - len(ref) - 3]}…"
    assert lines[2].split() == ["Call-for-proposals", "A", "call", "for", "proposals"]
    named = run("list", "-C", str(folder), "-f", "table", "-F", "ref,title,heat")
    assert named.stdout.splitlines()[0].split() == ["ref", "title", "heat"]  # named: kept


def test_named_columns_on_a_narrow_terminal_keep_ids_and_dates_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven columns named at 80: a cut id would be no REF, and whole in its column it
    would starve the title and topics, so it goes whole on a line of its own above its row;
    its column keeps ``HANG_OVER`` (16) cells, never fewer."""
    monkeypatch.setenv("COLUMNS", "80")
    folder = tmp_path / "deep"
    write_article(folder, "2026/12/435_96171be4375def6e.md", title="A" * 60,
                  publishedDateTime="2026-12-31T10:00:00Z", quality=51, heat=87,
                  provider="Medical Xpress", topics=["Machine Learning", "AI"])  # fmt: skip
    fields = "id,title,provider,quality,heat,topics,date"
    lines = run("list", "-C", str(folder), "-f", "table", "-F", fields).stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split() == fields.split(",")
    assert lines[1] == "2026/12/435_96171be4375def6e"
    assert lines[2].startswith(" " * (16 + 2) + "A" * 11 + "…  Medical Xp…  ")
    assert lines[2].split()[-1] == "2026-12-31"
    shown = run("show", "-C", str(folder), lines[1], "-f", "json")
    assert shown.exit_code == 0


def test_empty_catalogue_lists_nothing_and_succeeds(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("list", "-C", str(tmp_path / "empty"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, TSV.splitlines()[0] + "\n", "")


def test_fail_empty_exits_1(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("list", "-C", str(tmp_path / "empty"), "--fail-empty", "--no-header")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: no articles matched\n"


def test_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    result = run("list", "-C", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert result.stderr == f"Error: catalogue root does not exist: {tmp_path / 'nowhere'}\n"


def test_catalog_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_article(tmp_path / "a", "one.md", title="One", publishedDateTime="2024-01-01T00:00:00Z")
    write_article(tmp_path / "b", "two.md", title="Two", publishedDateTime="2024-01-02T00:00:00Z")
    monkeypatch.setenv("NEWSCAT_CATALOG", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert run("list", "-f", "ids").stdout == "two\none\n"


def test_single_file_root(tmp_path: Path) -> None:
    path = write_article(tmp_path, "x/solo.markdown", title="Solo")
    assert run("list", "-f", "ids", "-C", str(path)).stdout == "solo\n"


def test_mixed_folder_lists_good_files_and_summarises_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_article(folder, "good.md", title="Good", publishedDateTime="2024-01-01T00:00:00Z")
    bad = {
        "empty.md": b"",
        "binary.md": b"\x00\x01\x02",
        "latin1.md": b"---\ntitle: caf\xe9\n---\n",
        "nofm.md": b"just text\n",
        "unclosed.md": b"---\ntitle: x\n",
        "syntax.md": b"---\ntitle: [unclosed\n---\n",
        "tab.md": b"---\ntopics:\n\t- a\n---\n",
        "list.md": b"---\n- a\n- b\n---\n",
        "scalar.md": b"---\njust a string\n---\n",
        "tag.md": b"---\nx: !!python/object/apply:os.system ['true']\n---\n",
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    result = run("list", "-C", str(folder), "-f", "ids")
    assert (result.exit_code, result.stdout) == (0, "good\n")
    assert result.stderr == f"{len(bad)} files skipped; run `newscat check -C {folder}`\n"
    assert "Traceback" not in result.stdout + result.stderr


def test_quiet_hides_the_summary(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(b"no front matter")
    result = run("list", "-C", str(tmp_path), "-q")
    assert (result.exit_code, result.stderr) == (0, "")


def test_hidden_files_and_other_suffixes_are_not_read(tmp_path: Path) -> None:
    write_article(tmp_path, "a.md", title="A")
    write_article(tmp_path, "b.txt", title="B")
    write_article(tmp_path, "c.markdown", title="C")
    write_article(tmp_path, "d.yaml", title="D")
    write_article(tmp_path, ".hidden.md", title="H")
    write_article(tmp_path, ".git/e.md", title="E")
    write_article(tmp_path, "sub/deeper/f.MD", title="F")
    result = run("list", "-C", str(tmp_path), "-f", "ids", "-s", "id")
    assert result.stdout == "a\nb\nc\nsub/deeper/f\n"


def test_version_and_python_m() -> None:
    import subprocess
    import sys

    from newscat import __version__

    assert run("--version").stdout == f"newscat, version {__version__}\n"
    done = subprocess.run(
        [sys.executable, "-m", "newscat", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"newscat, version {__version__}\n"
