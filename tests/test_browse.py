"""``newscat browse``: the reader driven headlessly by Textual's pilot (keys in, screen out),
and the core it stands on (the paged listing, the typed filter) tested without a screen."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual", reason="the optional extra newscat[browse] is not installed")

from newscat.errors import UsageError
from newscat.listing import PAGES_KEPT, Listing, next_sort, typed_filter
from newscat.query import Filters, Query
from newscat.store.index import Index
from tests.browse_support import browse, press, screen_text, settle, type_text
from tests.conftest import ROOT, SEEDS, run, write_article

HEE = "New report finds healthcare staff need support to use AI safely"
DIGITAL = "NHS report calls for artificial intelligence training for all staff"
DIGITAL_URL = (
    "https://www.digitalhealth.net/2022/11/"
    "nhs-report-calls-for-artificial-intelligence-training-for-all-staff/"
)


def lines(app: Any) -> list[str]:
    return screen_text(app).splitlines()


def many(folder: Path, count: int) -> Path:
    """``count`` small articles, one a day, quality rising with the number."""
    for i in range(count):
        write_article(
            folder,
            f"a/{i:05d}.md",
            title=f"Article number {i:05d}",
            publishedDateTime="2020-01-01T00:00:00Z" if i == 0 else _day(i),
            webUrl=f"https://example.org/{i}",
            quality=i % 100,
            provider={"name": f"Provider {i % 7}", "domain": f"p{i % 7}.example.org"},
            topics=["Even" if i % 2 == 0 else "Odd"],
        )
    return folder


def _day(i: int) -> str:
    from datetime import datetime, timedelta, timezone

    moment = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(days=i)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- on the seeds -------------------------------------------------------------------------


def test_start_shows_the_newest_first_with_date_provider_quality_and_title() -> None:
    shown: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        shown.extend(lines(app))

    browse([SEEDS], script)
    assert shown[0].strip() == "newscat · 2 articles in 2 stories · sort -date"
    assert shown[1].startswith("2022-11-02 Digital Health    56 NHS report calls for artificial")
    assert shown[2].startswith("2022-05-19 NHS HEE           58 New report finds healthcare")
    assert len(shown) == 24 and all(len(line) <= 80 for line in shown)
    footer = shown[-1]
    for word in ("read", "quit", "filter", "sort", "open", "copy", "help"):
        assert word in footer


def test_enter_reads_the_article_and_q_goes_back_then_quits() -> None:
    seen: dict[str, Any] = {}

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "j", "enter")
        seen["reading"] = screen_text(app)
        await press(app, pilot, "q")
        seen["back"] = screen_text(app)
        seen["running_after_back"] = app.is_running
        await press(app, pilot, "q")
        seen["running_after_quit"] = app.is_running

    browse([SEEDS], script)
    assert HEE in seen["reading"]
    assert "000_50e039b255de019a" in seen["reading"]  # the page's id line
    assert "NHS HEE · hee.nhs.uk" in seen["reading"]
    assert "000_50e039b255de019a" not in seen["back"]
    assert seen["running_after_back"] is True
    assert seen["running_after_quit"] is False


def test_the_reading_pane_follows_shift_j_and_shift_k() -> None:
    pages: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter")
        pages.append(screen_text(app))
        await press(app, pilot, "J")
        pages.append(screen_text(app))
        await press(app, pilot, "K")
        pages.append(screen_text(app))

    browse([SEEDS], script)
    assert "002_6ef551387f7f8ea7" in pages[0]
    assert "000_50e039b255de019a" in pages[1]
    assert "002_6ef551387f7f8ea7" in pages[2]


def test_filter_as_you_type_words_topics_and_where() -> None:
    seen: dict[str, list[str]] = {}

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "slash")
        await type_text(app, pilot, "bespo")  # a prefix of a word of one excerpt
        seen["words"] = lines(app)
        await press(app, pilot, "escape")
        await press(app, pilot, "slash")
        for _ in range(5):
            await pilot.press("backspace")
        await type_text(app, pilot, "quality >= 57")
        seen["where"] = lines(app)
        await press(app, pilot, "enter")
        await press(app, pilot, "slash")
        await pilot.press(*["backspace"] * 13)
        await type_text(app, pilot, 't:"AI in Healthcare" p:digitalhealth.net')
        seen["topic"] = lines(app)

    browse([SEEDS], script, size=(120, 24))
    assert (
        seen["words"][0].strip()
        == "newscat · 1 article in 1 story · sort -date · filter: words bespo"
    )
    assert HEE[:40] in seen["words"][1] and DIGITAL[:30] not in "\n".join(seen["words"])
    assert seen["where"][0].strip() == (
        "newscat · 1 article in 1 story · sort -date · filter: where quality >= 57"
    )
    assert HEE[:40] in seen["where"][1]
    assert "filter: topic 'AI in Healthcare' · provider 'digitalhealth.net'" in seen["topic"][0]
    assert DIGITAL[:30] in seen["topic"][1] and HEE[:30] not in "\n".join(seen["topic"])


def test_the_filter_narrows_the_command_line_filters() -> None:
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "slash")
        await type_text(app, pilot, "p:hee.nhs.uk")
        seen.extend(lines(app))

    browse([SEEDS], script, filters=Filters(providers=("digitalhealth.net",)))
    assert seen[0].startswith(" newscat · 0 articles")
    assert "no articles match" in seen[1]


def test_s_changes_the_sort_order() -> None:
    seen: list[list[str]] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "s")
        seen.append(lines(app))
        await press(app, pilot, "s")
        seen.append(lines(app))

    browse([SEEDS], script)
    assert seen[0][0].strip() == "newscat · 2 articles in 2 stories · sort date"
    assert seen[0][1].startswith("2022-05-19")
    assert seen[1][0].strip() == "newscat · 2 articles in 2 stories · sort -quality,-date"
    assert seen[1][1].startswith("2022-05-19 NHS HEE           58")


def test_y_copies_the_url_and_o_opens_it_in_the_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n', encoding="utf-8")
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    copied: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "y")
        copied.append(app.clipboard)
        await press(app, pilot, "j", "enter", "o")

    browse([SEEDS], script)
    assert copied == [DIGITAL_URL]
    assert record.read_text(encoding="utf-8") == (
        "https://www.hee.nhs.uk/news-blogs-events/news/"
        "new-report-finds-healthcare-staff-need-support-use-ai-safely\n"
    )


def test_only_http_urls_reach_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n', encoding="utf-8")
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    folder = tmp_path / "cat"
    write_article(folder, "a.md", title="Bad link", webUrl="javascript:alert(1)")
    write_article(folder, "b.md", title="Option link", webUrl="--help")

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "o", "j", "o")

    browse([folder], script)
    assert not record.exists()


def test_question_mark_lists_every_key() -> None:
    from newscat.browse import KEYS

    shown: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await pilot.resize_terminal(80, 60)
        await press(app, pilot, "question_mark")
        shown.append(screen_text(app))
        await press(app, pilot, "escape")
        shown.append(screen_text(app))

    browse([SEEDS], script, size=(80, 60))
    for key in KEYS:
        assert key.help in shown[0], key
    assert "these keys" not in shown[1]


def test_data_is_never_markup_in_the_list_the_page_or_the_status(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    write_article(
        folder,
        "hostile.md",
        title="[bold]Loud[/bold] \x1b[31mred\x1b[0m [link=https://evil.example]x[/link]",
        provider={"name": "[i]Prov[/i]", "domain": "p.example"},
        webUrl="https://example.org/a",
        topics=["[b]t[/b]"],
    )
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        seen.append(screen_text(app))
        await press(app, pilot, "enter")
        seen.append(screen_text(app))
        await press(app, pilot, "slash")
        await type_text(app, pilot, "t:[b]t[/b]")
        seen.append(screen_text(app))

    browse([folder], script, size=(120, 30))
    assert "[bold]Loud[/bold] \\x1b[31mred\\x1b[0m [link=https://evil.example]x[/link]" in seen[0]
    assert "[i]Prov[/i]" in seen[0]
    assert "[bold]Loud[/bold] \\x1b[31mred" in seen[1]
    assert "[b]t[/b]" in seen[1]
    assert "filter: topic '[b]t[/b]'" in seen[2]
    assert "\x1b" not in "".join(seen)


def test_hostile_file_names_are_listed_and_read_as_text(tmp_path: Path) -> None:
    import os

    from tests.test_names import NAMES, article

    folder = tmp_path / "cat"
    folder.mkdir()
    for n, (name, _) in enumerate(NAMES):
        with open(os.fsencode(folder) + b"/" + name + b".md", "wb") as out:
            out.write(article(n))
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        seen.append(screen_text(app))
        for _ in range(len(NAMES)):  # read each, newest (T8) first, then back to the list
            await press(app, pilot, "enter")
            seen.append(screen_text(app))
            await press(app, pilot, "q", "j")

    browse([folder], script, size=(120, 40))
    assert all(f"T{n}" in seen[0] for n in range(len(NAMES)))
    pages = "\n".join(seen[1:])
    assert all(f"T{n}" in pages for n in range(len(NAMES)))
    assert "caf\\xe9.md" in pages  # the Latin-1 name, escaped as newscat writes ids
    assert "\x1b" not in "".join(seen)


def test_n_moves_to_the_next_unread_article_and_wraps_round(tmp_path: Path) -> None:
    folder = many(tmp_path / "cat", 5)  # newest first: 00004, 00003, 00002, 00001, 00000
    at: list[tuple[int, bool]] = []
    shown: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter", "q")  # read 00004
        await press(app, pilot, "j", "j", "enter", "q")  # read 00002
        await press(app, pilot, "g", "n")
        at.append((app.articles.cursor, app.reading))  # 00003
        await press(app, pilot, "n", "n")
        at.append((app.articles.cursor, app.reading))  # 00001, then 00000
        await press(app, pilot, "n")
        at.append((app.articles.cursor, app.reading))  # round to 00003
        await press(app, pilot, "enter", "n")  # reading: n reads the next unread
        at.append((app.articles.cursor, app.reading))
        await press(app, pilot, "n", "n")  # 00000 read too: none left
        shown.append(screen_text(app))
        at.append((app.articles.cursor, app.reading))

    browse([folder], script, size=(100, 30))
    assert at == [(1, False), (4, False), (1, False), (3, True), (4, True)]
    assert "no unread articles in this list" in shown[0]


def test_what_was_read_stays_read_for_the_next_session_and_for_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = many(tmp_path / "cat", 4)
    cache, state_dir = tmp_path / "cache", tmp_path / "state"
    state = state_dir / "state.sqlite3"
    monkeypatch.setenv("NEWSCAT_CACHE_DIR", str(cache))
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(state_dir))
    assert run("index", "-q", "-C", str(folder)).exit_code == 0  # arrivals recorded

    async def read_two(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter", "q", "j", "j", "enter", "q")  # 00003 and 00001

    browse([folder], read_two, cache_dir=cache, state=state)
    unread = run("list", "-C", str(folder), "--unseen", "browse", "--peek", "-f", "ids")
    assert (unread.exit_code, unread.stdout) == (0, "a/00002\na/00000\n")
    at: list[int] = []

    async def next_session(app: Any, pilot: Any) -> None:
        rows = [app.articles.listing.row(n) for n in range(4)]
        at.append(sum(1 << n for n, row in enumerate(rows) if row.seen))
        await press(app, pilot, "n")
        at.append(app.articles.cursor)

    browse([folder], next_session, cache_dir=cache, state=state)
    assert at == [0b0101, 1]  # rows 0 and 2 read before; n goes to row 1 (00002)


def test_at_switches_saved_search_and_back_to_everything() -> None:
    from newscat.browse import SavedSearch

    searches = {
        "digital": SavedSearch("digital", "--provider digitalhealth.net", Filters(providers=("digitalhealth.net",))),
        "[b]odd[/b]": SavedSearch("[b]odd[/b]", "--min-quality 99", Filters(min_quality=99)),
    }  # fmt: skip
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "at")
        seen.append(screen_text(app))
        await press(app, pilot, "down", "down", "enter")  # @digital (the names are sorted)
        seen.append(screen_text(app))
        await press(app, pilot, "at", "enter")  # everything
        seen.append(screen_text(app))

    browse(
        [SEEDS],
        script,
        searches=searches,
        active=["[b]odd[/b]"],
        extra_filters=(Filters(min_quality=99),),
    )
    assert seen[0].startswith(" newscat @[b]odd[/b] · 0 articles")
    assert "everything (no saved search)" in seen[0]
    assert "@digital  --provider digitalhealth.net" in seen[0]
    assert "@[b]odd[/b]  --min-quality 99" in seen[0]
    assert seen[1].startswith(" newscat @digital · 1 article in 1 story")
    assert DIGITAL[:30] in seen[1] and HEE[:30] not in seen[1]
    assert seen[2].startswith(" newscat · 2 articles in 2 stories")


def test_at_without_saved_searches_says_how_to_make_one() -> None:
    shown: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "at")
        shown.append(screen_text(app))

    browse([SEEDS], script, size=(120, 30))
    assert "No saved searches" in shown[0]


# --- on a generated catalogue -------------------------------------------------------------


def test_a_long_list_scrolls_to_the_end_and_back(tmp_path: Path) -> None:
    folder = many(tmp_path / "cat", 1500)
    seen: list[list[str]] = []
    held: list[int] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "G")
        seen.append(lines(app))
        await press(app, pilot, "g")
        seen.append(lines(app))
        for _ in range(40):
            await pilot.press("pagedown")
        await pilot.pause()
        seen.append(lines(app))
        held.append(app.articles.listing.pages_held)

    browse([folder], script)
    assert seen[0][0].strip() == "newscat · 1,500 articles in 1,500 stories · sort -date"
    assert "Article number 00000" in seen[0][-2]  # the oldest, on the last line of the list
    assert "Article number 01499" in seen[1][1]
    # 40 pages of 21 rows down from the top: the cursor on row 840, the newest being 1499.
    assert any("Article number 00659" in line for line in seen[2])
    assert held[0] <= PAGES_KEPT


def test_the_generated_benchmark_catalogue(tmp_path: Path) -> None:
    folder = tmp_path / "gen"
    generator = ROOT / "tests" / "benchmarks" / "generate.py"
    subprocess.run(
        [sys.executable, str(generator), str(folder), "-n", "400"], check=True, capture_output=True
    )
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        seen.append(screen_text(app))
        await press(app, pilot, "j", "j", "enter")
        seen.append(screen_text(app))
        await press(app, pilot, "s", "s")
        seen.append(screen_text(app))

    browse([folder], script, size=(100, 30))
    stories = re.search(r"· 400 articles in (\d+) stories ·", seen[0])
    assert stories is not None and int(stories.group(1)) < 400
    # Long titles end in an ellipsis before the scrollbar, not cut off under it.
    listed = seen[0].splitlines()[1:29]
    assert any(line.endswith("…") for line in listed)
    assert all(line[98:].strip(" ▁▂▃▄▅▆▇█") == "" for line in listed)  # only the scrollbar
    assert "quality" in seen[1] and "topics" in seen[1]  # the show page's field grid
    assert "sort -quality,-date" in seen[2]


def test_stories_collapse_to_one_row_with_plus_n_and_c_expands_them(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    url = "https://example.org/the-story"
    for i, (provider, day) in enumerate([("Alpha", 3), ("Beta", 2), ("Gamma", 1)]):
        write_article(
            folder, f"s{i}.md", title=f"The story as {provider} tells it",
            webUrl=url + ("?utm_source=x" if i else ""), provider=provider,
            publishedDateTime=f"2024-01-0{day}T00:00:00Z",
        )  # fmt: skip
    write_article(folder, "other.md", title="Something else", publishedDateTime="2023-01-01")
    seen: list[list[str]] = []

    async def script(app: Any, pilot: Any) -> None:
        seen.append(lines(app))
        await press(app, pilot, "c")
        seen.append(lines(app))
        await press(app, pilot, "c")
        seen.append(lines(app))

    browse([folder], script)
    assert seen[0][0].strip() == "newscat · 4 articles in 2 stories · sort -date"
    assert seen[0][1] == "2024-01-03 Alpha                +2 The story as Alpha tells it"
    assert seen[0][2].startswith("2023-01-01") and "Something else" in seen[0][2]
    assert seen[1][0].strip() == "newscat · 4 articles · sort -date"
    assert [line[11:16] for line in seen[1][1:5]] == ["Alpha", "Beta ", "Gamma", "     "]
    assert seen[2] == seen[0]


def test_a_background_refresh_keeps_the_cursor_on_its_article(tmp_path: Path) -> None:
    folder = many(tmp_path / "cat", 30)
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        await press(app, pilot, "j", "j", "j")  # on 00026
        for i in range(5):
            write_article(folder, f"new/{i}.md", title=f"Newer {i}", publishedDateTime="2030-01-01")
        await press(app, pilot, "r")
        await settle(app, pilot)
        seen.append(screen_text(app))
        seen.append(app.articles.current().title)

    browse([folder], script, cache_dir=tmp_path / "cache")
    assert "newscat · 35 articles in 35 stories" in seen[0]
    assert seen[1] == "Article number 00026"


def test_an_empty_index_fills_in_the_background(tmp_path: Path) -> None:
    folder = many(tmp_path / "cat", 3)
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        seen.append(screen_text(app))

    browse([folder], script, cache_dir=tmp_path / "cache")
    assert "newscat · 3 articles in 3 stories" in seen[0]
    assert "Article number 00002" in seen[0]


def test_skipped_files_are_said_with_the_check_that_reads_the_same_catalogue(
    tmp_path: Path,
) -> None:
    """As every command's summary does, the hint repeats -C: a bare ``newscat check``
    would check the bundled samples, not the catalogue being read."""
    folder = many(tmp_path / "cat", 2)
    (folder / "broken.md").write_text("no front matter\n", encoding="utf-8")
    seen: list[str] = []

    async def script(app: Any, pilot: Any) -> None:
        seen.extend(notice.message for notice in app._notifications)

    browse([folder], script, check=f"newscat check -C {folder}")
    assert seen == [f"1 file skipped; run `newscat check -C {folder}`"]


def test_a_crash_ends_the_reader_and_is_kept_for_the_command_line() -> None:
    async def script(app: Any, pilot: Any) -> None:
        app.index.conn.close()  # every read now fails
        await press(app, pilot, "enter")

    app = browse([SEEDS], script)
    assert app.failure is not None
    assert app.return_code == 1


# --- the command line ---------------------------------------------------------------------


def test_without_textual_one_line_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "textual", None)
    monkeypatch.delitem(sys.modules, "newscat.browse", raising=False)
    result = run("browse")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == 'Error: newscat browse needs Textual: pip install "newscat[browse]"\n'


def test_browse_wants_a_terminal() -> None:
    result = run("browse")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: newscat browse needs a terminal (newscat list serves scripts)\n"
    )


def test_an_unknown_saved_search_is_a_usage_error(catalog: Path) -> None:
    (catalog / "newscat.toml").write_text('[searches.ethics]\ntopic = ["AI Ethics"]\n')
    result = run("browse", "-C", str(catalog), "@ethcs")
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown saved search '@ethcs'; known searches: @ethics\n"


def test_a_bad_filter_is_a_usage_error_before_the_screen_is_taken() -> None:
    result = run("browse", "-w", "qualty > 2")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: invalid --where expression: unknown field 'qualty' (column 1)"
    )


def test_the_cli_does_not_import_textual_until_browse_runs() -> None:
    code = (
        "import sys\n"
        "from newscat.cli import cli\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(cli, ['list', '-n', '1'])\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"


# --- the core: a paged listing and the typed filter ---------------------------------------


def test_listing_reads_pages_and_keeps_only_a_few(tmp_path: Path) -> None:
    folder = many(tmp_path / "cat", 2500)
    index = Index.open([str(folder)], None)
    try:
        index.refresh()
        listing = Listing(index, Query(sort=("-quality", "-date")))
        assert listing.count == 2500
        titles = [row.title for n in range(listing.count) if (row := listing.row(n))]
        assert listing.pages_held == PAGES_KEPT
        assert len(titles) == 2500 and len(set(titles)) == 2500
        assert titles[0] == "Article number 02499"  # quality 99, the newest of those
        assert listing.row(2500) is None and listing.row(-1) is None
        assert listing.find(str(folder / "a" / "00099.md"), 0) == 24
    finally:
        index.close()


def test_typed_filter_meanings() -> None:
    assert typed_filter("heat > 60").filters.where == ("heat > 60",)
    words = typed_filter("covid-19 vacc")
    assert words.filters.match == '"covid-19" "vacc"*'
    assert words.meaning == "words covid-19 vacc"
    both = typed_filter('t:"AI Ethics" topic:AI p:nhs.uk rise')
    assert both.filters.topics == ("AI Ethics", "AI")
    assert both.filters.providers == ("nhs.uk",)
    assert both.filters.match == '"rise"*'
    assert typed_filter("  ").filters == Filters()
    assert typed_filter('t:"AI Eth').filters.topics == ("AI Eth",)  # an open quote while typing
    with pytest.raises(UsageError):
        typed_filter("!!! ???")


def test_the_sort_cycle_comes_back_round() -> None:
    order = [("-date",)]
    for _ in range(5):
        order.append(next_sort(order[-1]))
    assert order[-1] == ("-date",)
    assert next_sort(("-heat", "title")) == ("-date",)


def test_a_busy_state_database_keeps_the_mark_back_instead_of_freezing(tmp_path: Path) -> None:
    import sqlite3

    from newscat.store.state import mark_one_seen, utc_now

    folder = many(tmp_path / "cat", 1)
    state = tmp_path / "state.sqlite3"
    index = Index.open([str(folder)], tmp_path / "cache", state=state)
    try:
        index.refresh()
        path = index.conn.execute("SELECT path FROM articles").fetchone()[0]
        other = sqlite3.connect(state, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the state database
        assert mark_one_seen(index.conn, "browse", path, utc_now(), wait_ms=10) is False
        other.execute("ROLLBACK")
        other.close()
        assert mark_one_seen(index.conn, "browse", path, utc_now(), wait_ms=10) is True
        marks = index.conn.execute("SELECT consumer FROM state.seen").fetchall()
        assert marks == [("browse",)]
    finally:
        index.close()
