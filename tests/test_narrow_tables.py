"""Tables at 80 columns on a catalogue shaped like real sites: ids that are long paths.

A table's ``ref`` is what a user copies into ``newscat show``: it is never cut. One too
long for its column goes whole on a line of its own above its row, so that the titles
keep a reasonable share of the 80 columns; but only when that pays: when at most half
the rows hang, or when the titles would otherwise be starved. The column never narrows
below 16 cells.
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


def table(*args: str, columns: int = 80, command: str = "list") -> Result:
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", "TZ": "UTC"}
    return CliRunner().invoke(cli, [command, "-f", "table", *args], env=env)


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


def assert_titles_shown(root: Path, lines: list[str], found: list[tuple[str, str]]) -> None:
    """Each row's ref, typed into ``show``, names its article: the title ``show`` gives
    is the row's, whole or cut with an ellipsis."""
    for ref, line in found:
        shown = CliRunner().invoke(cli, ["show", "-C", str(root), ref, "-f", "json"])
        assert shown.exit_code == 0, (ref, shown.stderr)
        title = json.loads(shown.stdout)["title"]
        written = cell(lines, line, "title")
        assert title == written or (written.endswith("…") and title.startswith(written[:-1]))


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
    assert_titles_shown(real_shaped, lines, found)


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
    lines = table("-C", str(real_shaped), command="stories").stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert lines[0].split()[:3] == ["story", "cov", "last"]
    found = rows(lines, "last")
    assert "en/news/_posts/2026-07-16-ruby-3-3-12-released" in [ref for ref, _ in found]
    assert_titles_shown(real_shaped, lines, found)


def test_a_ref_wider_than_the_terminal_alone_folds_whole(real_shaped: Path) -> None:
    """-F ref at 30 columns: each ref whole, folded where it is wider than the screen, with
    no empty row below it."""
    result = table("-C", str(real_shaped), "-F", "ref", "-s", "date", "-n", "2", columns=30)
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    refs = [f"{lang}/news/_posts/{CVE}" for lang in ("en", "zh_tw")]
    assert lines == ["ref", *[ref[i : i + 30] for ref in refs for i in range(0, len(ref), 30)]]


# --- when hanging pays (and when it does not) --------------------------------------------

RUBY_RELEASES = ("2022-11-24-ruby-2-7-7", "2023-03-30-ruby-2-7-8", "2022-04-12-ruby-2-6-10")
RUBY_LANGUAGES = ("en", "ja", "ko", "zh_cn", "zh_tw")


def ruby_releases(root: Path, title: str = "Ruby {version} Released") -> None:
    """www.ruby-lang.org's release posts: each slug under five languages, so each ref is
    the whole path (46 cells under en/ja/ko, 49 under zh_cn/zh_tw)."""
    for day, slug in enumerate(RUBY_RELEASES, 1):
        version = slug.split("ruby-")[1].replace("-", ".")
        for lang in RUBY_LANGUAGES:
            write_article(
                root, f"www.ruby-lang.org/{lang}/news/_posts/{slug}-released.md",
                body=f"This release includes security fixes. Ruby {version} release notes.",
                title=title.format(version=version, lang=lang), author="hsbt",
                publishedDateTime=f"{slug[:10]}T0{day}:00:00Z",
            )  # fmt: skip


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fifteen ruby release posts (long refs) and two nodejs.org releases (short ones)."""
    root = tmp_path_factory.mktemp("releases")
    ruby_releases(root)
    for minor in (6, 7):
        write_article(
            root, f"nodejs.org/apps/site/pages/en/blog/release/v26.{minor}.0.md",
            body="Notable changes in this release: a new test runner.",
            title=f"Node.js 26.{minor}.0 (Current)", author="Antoine du Hamel",
            publishedDateTime=f"2026-08-0{minor - 3}T16:25:55Z",
        )  # fmt: skip
    return root


def hanging(lines: list[str], dated: str = "date") -> list[str]:
    """The refs of a table (see ``rows``) that hang: their row's own ref cell is blank."""
    return [ref for ref, line in rows(lines, dated) if not line[:1].strip()]


def widths(lines: list[str]) -> dict[str, int]:
    """Each column's width, from a table's header (padded to its last column's width)."""
    header = lines[0]
    found: dict[str, int] = {}
    for name in header.split():
        start, end = span(lines, name)
        found[name] = (end if end is not None else cell_len(header)) - start
    return found


def test_refs_do_not_hang_when_most_rows_would(releases: Path) -> None:
    """At 100 columns, hanging fifteen of seventeen refs would grow the snippet by a few
    cells at the cost of fifteen lines: the refs stay whole in their column, one line a
    row, the title and the snippet above their least widths."""
    lines = table("-C", str(releases), "-m", "release", "-n", "50", columns=100).stdout.splitlines()
    assert len(lines) == 1 + 17
    assert hanging(lines) == []
    assert widths(lines) == {"ref": 49, "date": 10, "title": 22, "snippet": 13}
    assert lines[1].startswith("en/news/_posts/2023-03-30-ruby-2-7-8-released      2023-03-30")
    assert lines[-1].startswith("v26.6.0" + " " * (49 - 7 + 2) + "2026-08-03")


def test_at_40_columns_the_ref_column_keeps_16_cells(releases: Path) -> None:
    """Too narrow for any comfort, the table hangs (the titles would be starved), but the
    ref column never narrows below 16 cells: v26.7.0 stays in its column."""
    lines = table("-C", str(releases), "-m", "release", "-n", "50", columns=40).stdout.splitlines()
    assert all(cell_len(line) <= 40 for line in lines)
    assert widths(lines)["ref"] == 16
    assert hanging(lines) == [
        f"{lang}/news/_posts/{slug}-released" for slug in RUBY_RELEASES[1::-1] + RUBY_RELEASES[2:]
        for lang in RUBY_LANGUAGES
    ]  # fmt: skip
    assert lines[-2].startswith("v26.7.0" + " " * (16 - 7 + 2) + "2026-08-04")
    assert lines[-1].startswith("v26.6.0" + " " * (16 - 7 + 2) + "2026-08-03")


@pytest.fixture(scope="module")
def mastodon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs.joinmastodon.org's pages, in two languages each: refs of 15 to 24 cells."""
    root = tmp_path_factory.mktemp("mastodon")
    pages = {
        "admin/optional/tor": "Onion services", "admin/moderation": "Moderation actions",
        "user/run-your-own": "Running your own server", "admin/migrating":
        "Migrating to a new machine", "user/network": "Using the network features",
    }  # fmt: skip
    for lang in ("en", "zh-cn"):
        for page, title in pages.items():
            write_article(
                root, f"mastodon-docs/content/{lang}/{page}.md", title=title,
                body=f"How a Mastodon server does it ({lang}): every server follows these steps.",
            )  # fmt: skip
    return root


def test_at_60_columns_refs_of_15_to_24_cells_stay_in_their_column(mastodon: Path) -> None:
    """No width leaves title and snippet comfortable at 60 columns; hanging at 16 cells
    would hang nine rows of ten, and whole in its column the ref starves nothing."""
    result = table("-C", str(mastodon), "-m", "server", "-n", "10", columns=60)
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= 60 for line in lines)
    assert len(lines) == 1 + 10
    assert lines[0].split() == ["ref", "title", "snippet"]
    assert widths(lines) == {"ref": 24, "title": 22, "snippet": 10}
    refs = {line[:24].rstrip() for line in lines[1:]}
    assert "en/user/network" in refs and "zh-cn/admin/optional/tor" in refs


@pytest.fixture(scope="module")
def hugo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gohugo.io's docs: a few methods, and a shared snippet with no title, date or
    anything else (front matter of a ``_comment`` only), its ref 31 cells."""
    root = tmp_path_factory.mktemp("hugo")
    for day, name in enumerate(("NextInSection", "PrevInSection", "Next", "Prev"), 1):
        write_article(
            root, f"hugo-docs/content/en/methods/page/{name}.md", title=name,
            publishedDateTime=f"2026-01-0{day}T00:00:00Z", topics=["methods"], quality=60,
            heat=10, provider="Hugo", url=f"https://gohugo.io/methods/page/{name.lower()}/",
        )  # fmt: skip
    write_article(
        root, "hugo-docs/content/en/_common/methods/page/nextinsection-and-previnsection.md",
        body="Hugo determines the _next_ and _previous_ page by sorting…",
        _comment="Do not remove front matter.",
    )  # fmt: skip
    return root


def test_a_hanging_ref_with_nothing_else_in_its_row_has_no_blank_line_below(hugo: Path) -> None:
    fields = "ref,title,topics,date,quality,heat,provider,url"
    lines = table("-C", str(hugo), "-F", fields, "-s", "date", columns=80).stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert lines[0].split()[:4] == ["ref", "title", "topics", "date"]  # then cut ones
    assert len(lines[0].split()) == 8 and widths(lines)["ref"] == 16
    assert len(lines) == 1 + 5
    assert [line.split()[0] for line in lines[1:]] == [
        "NextInSection", "PrevInSection", "Next", "Prev", "nextinsection-and-previnsection"
    ]  # fmt: skip
    assert lines[-1] == "nextinsection-and-previnsection"  # and no line of spaces below it


def test_a_mix_of_short_and_long_refs_hangs_the_long_ones(real_shaped: Path) -> None:
    """nodejs.org's short refs and a few long ruby ones at 80 columns: the column takes the
    longest short ref, six refs of fourteen hang, the titles get 30 cells."""
    lines = table("-C", str(real_shaped), "-n", "15").stdout.splitlines()
    assert widths(lines) == {"ref": 27, "date": 10, "title": 30, "quality": 7}
    assert hanging(lines) == [
        *[f"{lang}/news/_posts/2026-07-16-ruby-3-3-12-released" for lang in LANGUAGES[::-1]],
        *[f"{lang}/news/_posts/{CVE}" for lang in ("en", "zh_tw")],
    ]
    assert lines[1].startswith("july-2026-security-releases  2026-07-29  Wednesday, July 29")


@pytest.fixture(scope="module")
def ruby_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """www.ruby-lang.org alone, every ref long, its titles long: ``plain`` its release
    posts, ``cve`` the same and an advisory whose ref is wider than the terminal."""
    root = tmp_path_factory.mktemp("ruby")
    long = "Ruby {version} Released ({lang}): security fixes and a new bundler"
    for name in ("plain", "cve"):
        ruby_releases(root / name, long)
    write_article(
        root / "cve", f"www.ruby-lang.org/en/news/_posts/{CVE}.md", author="usa",
        title="CVE-2018-6914: Unintentional file and directory creation",
        publishedDateTime="2018-03-28T02:00:00Z",
    )  # fmt: skip
    return root


def test_when_every_ref_would_hang_the_refs_stay_in_their_column(ruby_site: Path) -> None:
    """Only 16 cells leave the title comfortable, and at 16 every ref would hang: whole in
    their column (49 cells) the refs leave the titles 17, more than their least 12."""
    lines = table("-C", str(ruby_site / "plain"), "-n", "20").stdout.splitlines()
    assert len(lines) == 1 + 15
    assert hanging(lines) == []
    assert widths(lines) == {"ref": 49, "date": 10, "title": 17}
    ref = "en/news/_posts/2023-03-30-ruby-2-7-8-released"
    assert lines[1] == f"{ref:49}  2023-03-30  Ruby 2.7.8 Relea…"


def test_when_the_titles_would_be_starved_every_ref_hangs(ruby_site: Path) -> None:
    """A ref wider than the terminal, whole in its column, would leave the titles nothing:
    the column narrows to 16 cells and every ref hangs (as with ``list -a`` on a real
    catalogue)."""
    lines = table("-C", str(ruby_site / "cve"), "-n", "20").stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert widths(lines)["ref"] == 16
    found = hanging(lines)
    assert len(found) == 16 == len(rows(lines))
    assert found[-1] == CVE  # the only one of its slug: its ref is the file's name
