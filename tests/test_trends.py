"""``newscat trends``: topics and providers ranked by their rise, window against window."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from newscat.cli import cli
from newscat.query import Filters
from newscat.store.index import Index
from newscat.trends import Trend, sparkline, trends
from tests.conftest import write_article

NOW = "2024-03-29T12:00:00Z"


def catalogue(tmp_path: Path) -> Path:
    """Windows of a week ending at NOW: 'Energy' rises, 'Elections' falls, 'Sport' is new.

    Week 0 is the last, (Mar 22 12:00, Mar 29 12:00]; week 1 the one before.
    """
    root = tmp_path / "cat"
    plan = [
        # (name, date, provider, domain, topics)
        ("e1", "2024-03-28T09:00:00Z", "Alpha", "alpha.example", ["Energy"]),
        ("e2", "2024-03-27T09:00:00Z", "Beta", "beta.example", ["energy", "Elections"]),
        ("e3", "2024-03-29T12:00:00Z", "Alpha", "alpha.example", ["Energy"]),  # ends week 0
        ("e4", "2024-03-20T09:00:00Z", "Alpha", "alpha.example", ["Energy"]),  # week 1
        ("l1", "2024-03-21T09:00:00Z", "Beta", "beta.example", ["Elections"]),  # week 1
        ("l2", "2024-03-22T12:00:00Z", "Beta", "beta.example", ["Elections"]),  # ends week 1
        ("l3", "2024-03-19T09:00:00Z", "Beta", "beta.example", ["Elections"]),  # week 1
        ("l4", "2024-01-10T09:00:00Z", "Beta", "beta.example", ["Elections"]),  # week 11
        ("s1", "2024-03-25T09:00:00Z", "gamma", "gamma.example", ["Sport"]),
        ("old", "2023-12-01T09:00:00Z", "Alpha", "alpha.example", ["Energy"]),  # too old
        ("later", "2024-03-30T09:00:00Z", "Alpha", "alpha.example", ["Energy"]),  # after now
    ]
    for name, date, provider, domain, topics in plan:
        write_article(
            root, f"{name}.md", title=f"Article {name}", publishedDateTime=date,
            provider={"name": provider, "domain": domain}, topics=topics,
        )  # fmt: skip
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["trends", "-C", str(root), "--now", NOW, *args], env={"COLUMNS": "80"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_topics_rank_by_change_with_counts_of_twelve_windows(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    assert run(root) == (
        0,
        "topic\tarticles\tprevious\tchange\tratio\tcounts\tsparkline\n"
        "Energy\t3\t1\t2\t3\t0; 0; 0; 0; 0; 0; 0; 0; 0; 0; 1; 3\t▁▁▁▁▁▁▁▁▁▁▄█\n"
        "Sport\t1\t0\t1\t\t0; 0; 0; 0; 0; 0; 0; 0; 0; 0; 0; 1\t▁▁▁▁▁▁▁▁▁▁▁█\n"
        "Elections\t1\t3\t-2\t0.33\t1; 0; 0; 0; 0; 0; 0; 0; 0; 0; 3; 1\t▄▁▁▁▁▁▁▁▁▁█▄\n",
        "",
    )


def test_providers_and_json(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    code, out, err = run(root, "--by", "provider", "-f", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {"provider": "Alpha", "domain": "alpha.example", "articles": 2, "previous": 1,
         "change": 1, "ratio": 2.0, "counts": [0] * 10 + [1, 2], "sparkline": "▁" * 10 + "▅█"},
        {"provider": "gamma", "domain": "gamma.example", "articles": 1, "previous": 0,
         "change": 1, "ratio": None, "counts": [0] * 11 + [1], "sparkline": "▁" * 11 + "█"},
        {"provider": "Beta", "domain": "beta.example", "articles": 1, "previous": 3,
         "change": -2, "ratio": 0.33, "counts": [1] + [0] * 9 + [3, 1],
         "sparkline": "▄" + "▁" * 9 + "█▄"},
    ]  # fmt: skip


def test_filters_windows_limit_and_machine_formats(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    # Every filter applies: only Beta's articles.
    assert run(root, "-p", "beta.example", "-f", "csv", "--no-header") == (
        0,
        "Energy,1,0,1,,0; 0; 0; 0; 0; 0; 0; 0; 0; 0; 0; 1,▁▁▁▁▁▁▁▁▁▁▁█\n"
        "Elections,1,3,-2,0.33,1; 0; 0; 0; 0; 0; 0; 0; 0; 0; 3; 1,▄▁▁▁▁▁▁▁▁▁█▄\n",
        "",
    )
    code, out, _ = run(root, "--window", "2w", "-f", "jsonl", "-n", "2")
    assert code == 0
    # Two-week windows: (Mar 15 12:00, Mar 29 12:00], the two weeks before, ... back to
    # Oct 13, so December's article counts now.
    # Equal rises and counts: by name.
    assert [json.loads(line) for line in out.splitlines()] == [
        {"topic": "Elections", "articles": 4, "previous": 0, "change": 4, "ratio": None,
         "counts": [0] * 6 + [1] + [0] * 4 + [4], "sparkline": "▁▁▁▁▁▁▃▁▁▁▁█"},
        {"topic": "Energy", "articles": 4, "previous": 0, "change": 4, "ratio": None,
         "counts": [0, 0, 0, 1] + [0] * 7 + [4], "sparkline": "▁▁▁▃▁▁▁▁▁▁▁█"},
    ]  # fmt: skip
    assert run(root, "--since", "2025-01-01", "-f", "tsv", "--no-header") == (0, "", "")


def test_the_table_shows_the_rise_and_sparklines(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    assert run(root, "-f", "table") == (
        0,
        "topic      last 7d  before  change  ratio  last 12 × 7d\n"
        "Energy           3       1      +2  ×3.00  ▁▁▁▁▁▁▁▁▁▁▄█\n"
        "Sport            1       0      +1    new  ▁▁▁▁▁▁▁▁▁▁▁█\n"
        "Elections        1       3      -2  ×0.33  ▄▁▁▁▁▁▁▁▁▁█▄\n",
        "",
    )


def test_a_bad_window_is_a_usage_error(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    code, out, err = run(root, "--window", "soon")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "Error: Invalid value for '--window': expected a length of time such as "
        "12h, 7d, 2w, 3mo or 1y, got 'soon'"
    )


def test_core_api_counts_windows_ending_at_now(tmp_path: Path) -> None:
    root = catalogue(tmp_path)
    index = Index.open([str(root)], None)
    index.refresh()
    now = datetime(2024, 3, 29, 12, tzinfo=timezone.utc)
    found = trends(index, Filters(), now, timedelta(days=7), "topic")
    assert found == [
        Trend("Energy", (0,) * 10 + (1, 3)),
        Trend("Sport", (0,) * 11 + (1,)),
        Trend("Elections", (1,) + (0,) * 9 + (3, 1)),
    ]
    assert (found[0].change, found[0].ratio, found[1].ratio) == (2, 3.0, None)
    # One second later the article at exactly "now" is still in the last window.
    later = trends(index, Filters(), now + timedelta(seconds=1), timedelta(days=7), "topic", 1)
    assert later == [Trend("Energy", (0,) * 10 + (1, 3))]
    # With the windows a day earlier, Mar 29 12:00 is after now and not counted.
    earlier = trends(index, Filters(topics=("energy",)), now - timedelta(days=1), timedelta(days=7))
    # The filter keeps articles: one of Energy's also has Elections.
    assert earlier == [Trend("Energy", (0,) * 10 + (1, 2)), Trend("Elections", (0,) * 11 + (1,))]
    index.close()


def test_sparkline_scales_to_the_largest_and_shows_any_article() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7, 70]) == "▁▂▂▂▂▂▂▂█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([1, 7]) == "▂█"


def test_a_catalogue_without_dates_or_topics_says_why(tmp_path: Path) -> None:
    """Trends count dated articles by topic or provider: where no article has a date
    (a site that keeps it in its paths) the empty answer says so, as ``--since`` does."""
    write_article(tmp_path, "a.md", title="Undated", author="Ada")
    write_article(tmp_path, "b.md", title="Undated too", author="Grace")
    no_date = (
        "no article has a date; newscat reads publishedDateTime, date, publishDate or "
        "pubDate, or a YYYY-MM-DD file name — see newscat.toml\n"
    )
    no_topics = "no article has topics; newscat reads topics, tags or keywords — see newscat.toml\n"
    assert run(tmp_path, "--no-cache") == (
        0,
        "topic\tarticles\tprevious\tchange\tratio\tcounts\tsparkline\n",
        no_date + no_topics,
    )
    assert run(tmp_path, "--no-cache", "--by", "provider", "--no-header") == (0, "", no_date)
    assert run(tmp_path, "--no-cache", "-q", "--no-header") == (0, "", "")
