"""Tables at 80 columns on a catalogue shaped like real sites: ids that are long paths.

A table's ``ref`` is what a user copies into ``newscat show``: it is never cut. One too
long for its column goes whole on a line of its own above its row, so that the titles
keep a reasonable share of the 80 columns.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

from newscat.cli import cli
from newscat.fields import FLEX_WIDTHS
from tests.conftest import SEEDS, write_article

LANGUAGES = ("en", "ja", "ko", "zh_cn")
#: A handle longer than the terminal is wide (a real one from www.ruby-lang.org).
CVE = "2018-03-28-unintentional-file-and-directory-creation-with-directory-traversal-cve-2018-6914"


@pytest.fixture(scope="module")
def real_shaped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sites as their repositories hold them: ruby-lang's news in several languages
    (the same slug under each), nodejs.org's release notes, and a few hashed ids."""
    root = tmp_path_factory.mktemp("real")
    for day, lang in enumerate(LANGUAGES, 1):
        write_article(
            root, f"www.ruby-lang.org/{lang}/news/_posts/2026-07-16-ruby-3-3-12-released.md",
            title=f"Ruby 3.3.12 Released ({lang}): security fixes and a new bundler",
            publishedDateTime=f"2026-07-{10 + day}T05:08:11Z", author="hsbt",
        )  # fmt: skip
    for lang in ("en", "zh_tw"):
        write_article(
            root, f"www.ruby-lang.org/{lang}/news/_posts/{CVE}.md",
            title=f"CVE-2018-6914: Unintentional file and directory creation ({lang})",
            publishedDateTime="2018-03-28T02:00:00Z", author="usa",
        )  # fmt: skip
    for minor in range(4):
        write_article(
            root, f"nodejs.org/apps/site/pages/en/blog/release/v26.{minor}.0.md",
            title=f"Node.js 26.{minor}.0 (Current) with a long list of notable changes",
            publishedDateTime=f"2026-06-0{1 + minor}T16:25:55Z", author="Antoine du Hamel",
        )  # fmt: skip
    write_article(
        root, "nodejs.org/apps/site/pages/en/blog/vulnerability/july-2026-security-releases.md",
        title="Wednesday, July 29, 2026 Security Releases", author="The Node.js Project",
        publishedDateTime="2026-07-29T00:00:00Z",
    )  # fmt: skip
    for i in range(3):
        write_article(
            root, f"feed/{i:03d}_{i}5e039b255de019a.md", title=f"A hashed article number {i}",
            publishedDateTime=f"2026-05-0{1 + i}T09:13:00Z", author="NHS HEE", quality=56,
        )  # fmt: skip
    return root


def table(*args: str, columns: int = 80) -> Result:
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", "TZ": "UTC"}
    return CliRunner().invoke(cli, ["list", "-f", "table", *args], env=env)


def rows(lines: list[str], dated: str = "date") -> list[tuple[str, str]]:
    """(ref, the row's line) of each article of a table whose rows all have a date (in the
    column ``dated``, the second): a row with a blank ref cell takes the lines above it
    that are not rows (its hanging ref). A hanging ref may hold a date where the column
    is (``en/news/_posts/2026-07-16-…``): a row's date has the gap before it."""
    start = lines[0].index(dated)
    found: list[tuple[str, str]] = []
    above: list[str] = []
    for line in lines[1:]:
        if not re.fullmatch(r"  \d{4}-\d\d-\d\d", line[start - 2 : start + 10]):
            above.append(line)
            continue
        ref = line[: lines[0].index(lines[0].split()[1]) - 2].rstrip()
        assert bool(ref) != bool(above), (ref, above)  # in its column or above it, not both
        found.append((ref or "".join(above), line))
        above = []
    assert not above
    return found


def span(lines: list[str], name: str) -> tuple[int, int | None]:
    """Where a column starts and ends (None: the last column) in a table's lines."""
    header = lines[0]
    start = header.index(name)
    after = re.search(r"\S", header[start + len(name) :])
    return start, start + len(name) + after.start() - 2 if after else None


def cell(lines: list[str], line: str, name: str) -> str:
    """The text of a column in a row (ASCII rows: characters are cells)."""
    start, end = span(lines, name)
    return line[start:end].rstrip()


def test_long_path_refs_hang_whole_and_titles_keep_their_share(real_shaped: Path) -> None:
    result = table("-C", str(real_shaped))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert lines[0].split()[:3] == ["ref", "date", "title"]
    start, end = span(lines, "title")
    assert (end or 80) - start >= FLEX_WIDTHS["title"][0]  # its comfortable width, at least
    found = rows(lines)
    assert len(found) == 4 + 2 + 4 + 1 + 3
    refs = [ref for ref, _ in found]
    assert "en/news/_posts/2026-07-16-ruby-3-3-12-released" in refs  # whole, above its row
    assert "v26.3.0" in refs and "05e0" in refs  # short ones stay in their column
    long = next(ref for ref in refs if ref.startswith("zh_tw/"))
    assert long == f"zh_tw/news/_posts/{CVE}"  # wider than the screen: folded, every character
    for ref, line in found:
        shown = CliRunner().invoke(cli, ["show", "-C", str(real_shaped), ref, "-f", "json"])
        assert shown.exit_code == 0, (ref, shown.stderr)
        title = json.loads(shown.stdout)["title"]
        written = cell(lines, line, "title")
        assert title == written or (written.endswith("…") and title.startswith(written[:-1]))


def test_short_refs_stay_in_their_column() -> None:
    """Handles of a few characters never hang: one line a row, as always."""
    lines = table("-C", str(SEEDS)).stdout.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("6ef5  2022-11-02  NHS report calls")
    assert lines[2].startswith("50e0  2022-05-19  New report finds")


def test_a_match_table_gives_title_and_snippet_their_share(real_shaped: Path) -> None:
    lines = table("-C", str(real_shaped), "-m", "released OR security").stdout.splitlines()
    assert lines[0].split() == ["ref", "date", "title", "snippet"]
    assert all(cell_len(line) <= 80 for line in lines)
    for name in ("title", "snippet"):
        start, end = span(lines, name)
        assert (end or 80) - start >= FLEX_WIDTHS[name][0]
    for ref, _ in rows(lines):
        assert CliRunner().invoke(cli, ["show", "-C", str(real_shaped), ref]).exit_code == 0


def test_at_a_real_terminal_of_80_columns(real_shaped: Path, tmp_path: Path) -> None:
    """Through a pty of 80x24 (the table as a terminal gets it, no -f): the same layout."""
    from tests.test_terminal import in_pty, plain

    env = {"NEWSCAT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1", "TZ": "UTC",
           "NEWSCAT_PAGER": "cat"}  # fmt: skip
    lines = plain(in_pty(["list", "-C", str(real_shaped)], env)).splitlines()
    assert lines == table("-C", str(real_shaped)).stdout.splitlines()


def test_the_stories_table_names_each_story_by_a_whole_handle(real_shaped: Path) -> None:
    """A story is named by its first article's handle: whole, hanging when it is long."""
    env = {"COLUMNS": "80", "NO_COLOR": "1", "TZ": "UTC"}
    result = CliRunner().invoke(cli, ["stories", "-C", str(real_shaped), "-f", "table"], env=env)
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert lines[0].split()[:3] == ["story", "cov", "last"]
    found = rows(lines, "last")
    assert "en/news/_posts/2026-07-16-ruby-3-3-12-released" in [ref for ref, _ in found]
    for ref, line in found:
        shown = CliRunner().invoke(cli, ["show", "-C", str(real_shaped), ref, "-f", "json"])
        assert shown.exit_code == 0, (ref, shown.stderr)
        title = json.loads(shown.stdout)["title"]
        written = cell(lines, line, "title")
        assert title == written or (written.endswith("…") and title.startswith(written[:-1]))


def test_a_ref_wider_than_the_terminal_alone_folds_whole(real_shaped: Path) -> None:
    """-F ref at 30 columns: each ref whole, folded where it is wider than the screen, with
    no empty row below it."""
    result = table("-C", str(real_shaped), "-F", "ref", "-s", "date", "-n", "2", columns=30)
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    refs = [f"{lang}/news/_posts/{CVE}" for lang in ("en", "zh_tw")]
    assert lines == ["ref", *[ref[i : i + 30] for ref in refs for i in range(0, len(ref), 30)]]
