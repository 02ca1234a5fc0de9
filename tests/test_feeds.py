"""Feeds: -f atom and -f rss on list and export give feeds a real parser (feedparser)
reads back whole: titles, links, ids, dates, categories, author and summary."""

from __future__ import annotations

import hashlib
import html
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import run, write_article

feedparser = pytest.importorskip("feedparser", reason="feedparser is in the test extra")

NHS = "000_50e039b255de019a"
DH = "002_6ef551387f7f8ea7"
DH_URL = (
    "https://www.digitalhealth.net/2022/11/"
    "nhs-report-calls-for-artificial-intelligence-training-for-all-staff/"
)
HEE_URL = (
    "https://www.hee.nhs.uk/news-blogs-events/news/"
    "new-report-finds-healthcare-staff-need-support-use-ai-safely"
)
FORMATS = ["atom", "rss"]


def parse(text: str) -> feedparser.FeedParserDict:
    ET.fromstring(text.encode("utf-8"))  # well-formed XML, whatever the parser forgives
    parsed = feedparser.parse(text)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def feed(*args: str) -> feedparser.FeedParserDict:
    result = run("list", *args)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return parse(result.stdout)


def summary(entry: feedparser.FeedParserDict) -> str:
    """The summary as a reader shows it: RSS descriptions are HTML, Atom's here are text."""
    detail = entry.summary_detail
    return html.unescape(entry.summary) if detail.type == "text/html" else str(entry.summary)


def moment(entry: feedparser.FeedParserDict, fmt: str) -> tuple[int, ...]:
    """An entry's time to the second: Atom's updated, RSS's pubDate."""
    parsed = entry.updated_parsed if fmt == "atom" else entry.published_parsed
    return tuple(parsed)[:6]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_feed_of_the_seeds(fmt: str) -> None:
    parsed = feed("-f", fmt)

    assert parsed.version == ("atom10" if fmt == "atom" else "rss20")
    assert parsed.feed.title == "newscat"
    assert tuple(parsed.feed.updated_parsed)[:6] == (2022, 11, 2, 8, 30, 0)  # the newest
    first, second = parsed.entries
    assert [first.title, second.title] == [
        "NHS report calls for artificial intelligence training for all staff",
        "New report finds healthcare staff need support to use AI safely",
    ]
    assert (first.link, first.id) == (DH_URL, DH_URL)
    assert (second.link, second.id) == (HEE_URL, HEE_URL)
    assert (first.author, second.author) == ("Digital Health", "NHS HEE")
    assert [tag.term for tag in first.tags] == ["AI Ethics", "AI", "AI in Healthcare"]
    assert summary(first).startswith("A report from NHS AI Lab and HEE is recommending")
    assert moment(first, fmt) == (2022, 11, 2, 8, 30, 0)
    assert moment(second, fmt) == (2022, 5, 19, 9, 13, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_catalogue_gives_the_same_feed(fmt: str) -> None:
    first = run("list", "-f", fmt).stdout
    assert run("list", "-f", fmt, "--no-cache").stdout == first


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_from_files_never_become_markup(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "hostile"
    title = '<script>alert(1)</script> & "quotes" ]]> <![CDATA[x]]>'
    excerpt = "<b>bold</b> &amp; </summary></entry><entry><title>forged</title>"
    write_article(
        folder,
        "x.md",
        title=title + "\x1b[31m",
        excerpt=excerpt,
        provider={"name": "A & B <c>"},
        topics=["<t>", "x&y"],
        webUrl="javascript:alert(1)",
        publishedDateTime="2024-01-02T03:04:05Z",
    )

    parsed = feed("-C", str(folder), "-f", fmt)

    [entry] = parsed.entries
    assert entry.title == title + "\\x1b[31m"  # no control character XML cannot hold
    assert summary(entry) == excerpt
    assert entry.author == "A & B <c>"
    assert [tag.term for tag in entry.tags] == ["<t>", "x&y"]
    assert "javascript" not in entry.get("link", "")  # only http(s) URLs become links
    assert entry.id == "urn:newscat:x"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_url_or_date_gives_a_urn_and_the_files_time(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "plain"
    path = write_article(folder, "notes/a b.md", title="Undated")
    os.utime(path, (1_700_000_000, 1_700_000_000))

    parsed = feed("-C", str(folder), "-f", fmt)

    [entry] = parsed.entries
    assert moment(entry, fmt) == (2023, 11, 14, 22, 13, 20)
    assert entry.id == "urn:newscat:notes/a%20b"
    assert "author" not in entry and "tags" not in entry


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_entry_has_an_id_of_its_own(tmp_path: Path, fmt: str) -> None:
    """Two articles of one URL (a site's topic pages), and one id under two roots: a
    reader takes entries of one id for one, so the later ones get ids of their own."""
    one, two = tmp_path / "one", tmp_path / "two"
    for name in ("a.md", "b.md"):
        write_article(one, name, title=name, webUrl="https://example.com/")
    write_article(one, "404.md", title="Lost")
    write_article(two, "404.md", title="Lost too")

    parsed = feed("-C", str(one), "-C", str(two), "-f", fmt, "--sort", "path")

    ids = [entry.id for entry in parsed.entries]
    digest = hashlib.blake2b(str(two / "404.md").encode(), digest_size=8).hexdigest()
    assert ids == ["urn:newscat:404", "https://example.com/", "urn:newscat:b",
                   f"urn:newscat:404:{digest}"]  # fmt: skip
    assert str(tmp_path) not in parsed.feed.get("id", "") + "".join(ids)
    if fmt == "rss":  # only the URL itself is the item's permalink
        result = run("list", "-C", str(one), "-C", str(two), "-f", "rss", "--sort", "path")
        guids = ET.fromstring(result.stdout).iter("guid")
        assert [guid.get("isPermaLink") for guid in guids] == ["false", "true", "false", "false"]


def test_an_empty_feed_is_still_a_feed() -> None:
    for fmt in FORMATS:
        parsed = feed("-f", fmt, "--min-quality", "1000")
        assert (parsed.entries, parsed.feed.title) == ([], "newscat")


def test_export_writes_a_feed_file_titled_by_the_search(tmp_path: Path) -> None:
    Path(os.environ["NEWSCAT_CONFIG"]).write_text(
        '[searches.ethics]\ntopic = "AI Ethics"\nmin-quality = 57\n', encoding="utf-8"
    )
    target = tmp_path / "ethics.xml"

    result = run("export", "@ethics", "-f", "atom", "-o", str(target))

    assert (result.exit_code, result.stderr) == (0, f"exported 1 article to {target}\n")
    parsed = parse(target.read_text(encoding="utf-8"))
    assert parsed.feed.title == "newscat @ethics"
    assert [entry.id for entry in parsed.entries] == [HEE_URL]


@pytest.mark.parametrize(("name", "version"), [("f.atom", "atom10"), ("f.rss", "rss20")])
def test_the_output_suffix_names_the_feed_format(tmp_path: Path, name: str, version: str) -> None:
    target = tmp_path / name
    assert run("export", "-o", str(target)).exit_code == 0
    assert parse(target.read_text(encoding="utf-8")).version == version


def test_export_to_stdout_and_with_unseen() -> None:
    first = run("export", "-f", "rss", "--unseen", "reader")
    again = run("export", "-f", "rss", "--unseen", "reader")
    assert [e.id for e in parse(first.stdout).entries] == [DH_URL, HEE_URL]
    assert parse(again.stdout).entries == []


@pytest.mark.parametrize("command", ["list", "export"])
def test_fields_do_not_apply_to_feeds(command: str) -> None:
    result = run(command, "-f", "atom", "-F", "id")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --fields does not apply to -f atom\n"
