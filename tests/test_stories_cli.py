"""``newscat stories`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newscat.cli import cli
from tests.test_story_index import RATES, write


def catalogue(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "a", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    write(root, "b", RATES + " - Beta", "2024-03-01T12:00:00Z", "Beta", "https://beta.example/r",
          related=["https://alpha.example/rates/"])  # fmt: skip
    write(root, "c", RATES, "2024-03-02T12:00:00Z", "Beta", "https://beta.example/r2")
    write(root, "d", "Football club signs new striker", "2024-03-03T11:00:00Z", "Gamma",
          "https://gamma.example/football")  # fmt: skip
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["stories", "-C", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_one_row_per_story_by_coverage_then_recency(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    assert run(root) == (
        0,
        "story\tfirst\tlast\tcoverage\tarticles\tbest_quality\ttotal_heat\tproviders\ttitle\n"
        f"a\t2024-03-01T10:00:00Z\t2024-03-02T12:00:00Z\t2\t3\t\t\tAlpha; Beta\t{RATES}\n"
        "d\t2024-03-03T11:00:00Z\t2024-03-03T11:00:00Z\t1\t1\t\t\tGamma\t"
        "Football club signs new striker\n",
        "",
    )


def test_filters_narrow_the_stories_and_json_lists_members(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    code, out, _ = run(root, "-p", "Beta", "-f", "json")
    assert code == 0
    [story] = json.loads(out)
    assert (story["story"], story["coverage"], story["articles"]) == ("a", 1, 2)
    assert [m["id"] for m in story["members"]] == ["b", "c"]
    assert story["members"][0]["url"] == "https://beta.example/r"
    code, out, _ = run(root, "--min-coverage", "2", "-f", "jsonl")
    assert [json.loads(line)["story"] for line in out.splitlines()] == ["a"]
    assert run(root, "--min-coverage", "3", "--no-header") == (0, "", "")


def test_the_table_names_each_story_by_a_handle(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    result = CliRunner().invoke(
        cli, ["stories", "-C", str(root), "-f", "table", "-n", "1"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0
    first = result.stdout.splitlines()[1]
    assert first.split()[:3] == ["a", "2", "3"]
    assert "Alpha; Beta" in first


def test_show_names_the_rest_of_the_story_and_related_items_in_the_catalogue(
    tmp_path: Path,
) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "a", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    write(root, "b", RATES + " - Beta", "2024-03-01T12:00:00Z", "Beta", "https://beta.example/r",
          related=["https://alpha.example/rates/", "https://elsewhere.example/x"])  # fmt: skip
    write(
        root, "c", "Something else entirely", "2024-03-09T12:00:00Z", "Gamma", "https://g.example/c"
    )
    result = CliRunner().invoke(
        cli, ["show", "b", "-C", str(root), "--now", "2024-03-10"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert "story      a · 2 providers · 2 articles" in lines
    start = lines.index("Also in this catalogue (1) " + "─" * 53)
    assert lines[start + 1 : start + 3] == [
        "date        provider  ref  title",
        "2024-03-01  Alpha     a    Central bank raises interest rates to record high as…",
    ]
    start = lines.index("Related (2) " + "─" * 68)
    assert lines[start + 1 : start + 4] == [
        "date  provider  quality  title  in catalogue",
        "                         x      a",
        "                         x",
    ]
    alone = CliRunner().invoke(cli, ["show", "c", "-C", str(root)], env={"COLUMNS": "80"})
    assert "Also in this catalogue" not in alone.stdout
    assert "story " not in alone.stdout


def test_a_related_entry_in_the_catalogue_is_named_by_its_handle(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    (root / "2024").mkdir()
    write(root, "2024/000_1485ef0817e09c04", RATES, "2024-03-01T10:00:00Z", "Alpha",
          "https://alpha.example/rates")  # fmt: skip
    write(root, "2024/001_99aa000000000000", "Football club signs new striker",
          "2024-03-09T10:00:00Z", "Beta", "https://beta.example/f",
          related=["https://alpha.example/rates"])  # fmt: skip
    result = CliRunner().invoke(cli, ["show", "99aa", "-C", str(root)], env={"COLUMNS": "80"})
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    start = lines.index("Related (1) " + "─" * 68)
    assert lines[start + 1 : start + 3] == [
        "date  provider  quality  title  in catalogue",
        "                         x      1485",
    ]
    shown = CliRunner().invoke(cli, ["show", "1485", "-C", str(root), "-f", "json"])
    assert json.loads(shown.stdout)["title"] == RATES


@pytest.mark.parametrize("columns", [40, 60, 80])
def test_a_related_entrys_long_handle_is_folded_never_cut(tmp_path: Path, columns: int) -> None:
    """A handle too long for its column goes on over the next lines, every character
    kept, so that it can still be given to ``show``."""
    root = tmp_path / "cat"
    (root / "en" / "news" / "_posts").mkdir(parents=True)
    post = "en/news/_posts/2024-03-09-a-follow-up-story-about-the-rates"
    write(root, post, "Rates follow-up", "2024-03-09T10:00:00Z", "Alpha",
          "https://alpha.example/later")  # fmt: skip
    write(root, "a", RATES, "2024-03-01T10:00:00Z", "Beta", "https://beta.example/f",
          related=["https://alpha.example/later"])  # fmt: skip
    result = CliRunner().invoke(
        cli, ["show", "a", "-C", str(root), "--no-cache"], env={"COLUMNS": str(columns)}
    )
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Related (1) "))
    at = lines[start + 1].index("in catalogue")
    folded = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        assert len(line) <= columns
        folded.append(line[at:].strip())
    handle = "".join(folded)
    assert handle == "2024-03-09-a-follow-up-story-about-the-rates"
    shown = CliRunner().invoke(cli, ["show", handle, "-C", str(root), "--no-cache", "-f", "json"])
    assert json.loads(shown.stdout)["id"] == post


@pytest.mark.parametrize("columns", [80, 120])
def test_show_lists_the_first_ten_of_a_big_story_by_handle_then_how_to_list_them_all(
    tmp_path: Path, columns: int
) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    for n in range(14):
        write(root, f"{n:03d}_{n:04x}aa{n:010x}", RATES, f"2024-03-01T{n:02d}:00:00Z",
              f"Provider {n}", f"https://p{n}.example/rates")  # fmt: skip
    env = {"COLUMNS": str(columns), "TZ": "UTC"}
    result = CliRunner().invoke(cli, ["show", "0000", "-C", str(root)], env=env)
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert "story      000_0000aa0000000000 · 14 providers · 14 articles" in lines
    start = next(i for i, line in enumerate(lines) if line.startswith("Also in this catalogue"))
    assert lines[start].startswith("Also in this catalogue (13) ─")
    assert lines[start + 1].split() == ["date", "provider", "ref", "title"]
    refs = [line.split()[3] for line in lines[start + 2 : start + 12]]
    assert refs == [f"{n:04x}" for n in range(1, 11)]
    assert lines[start + 12] == ("… and 3 more: newscat list -w 'story = \"000_0000aa0000000000\"'")
    for ref in refs:  # each handle is a REF
        shown = CliRunner().invoke(cli, ["show", ref, "-C", str(root), "-f", "json"])
        assert json.loads(shown.stdout)["id"].split("_")[1].startswith(ref)
    listed = CliRunner().invoke(
        cli, ["list", "-C", str(root), "-w", 'story = "000_0000aa0000000000"', "--count"]
    )
    assert listed.stdout == "14\n"


def test_list_collapse_shows_one_row_per_story_with_how_many_more(tmp_path: Path) -> None:
    root = catalogue(tmp_path)

    def listing(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["list", "-C", str(root), "--collapse", *args])
        return result.exit_code, result.stdout

    assert listing("-F", "id,more") == (0, "id\tmore\nd\t0\nc\t2\n")
    assert listing("--sort", "date", "-F", "id,more") == (0, "id\tmore\na\t2\nd\t0\n")
    assert listing("-p", "Alpha", "-F", "id,more") == (0, "id\tmore\na\t0\n")
    assert listing("--count") == (0, "2\n")
    code, out = listing("-f", "table", "-F", "ref,title,more")
    assert code == 0
    assert [line.split()[-2:] for line in out.splitlines()[2:]] == [["+2", "more"]]
    assert out.splitlines()[0].split() == ["ref", "title", "more"]
