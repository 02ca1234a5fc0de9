"""show, topics, providers and stats through the CLI, on the seeds and on a fixture catalogue.

The index is real (SQLite in a temp cache dir); expected summaries are computed
here from the fixture's own description, not read back from newscat.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from rich.cells import cell_len

from newscat.cli import cli
from newscat.render import MARKDOWN_LIMIT
from tests.conftest import SEEDS

SEED_A = "000_50e039b255de019a"
SEED_B = "002_6ef551387f7f8ea7"
TITLE_A = "New report finds healthcare staff need support to use AI safely"
TITLE_B = "NHS report calls for artificial intelligence training for all staff"
WIDTHS = (40, 80, 120)
HOSTILE = "[bold red]x[/] \x1b[31mred \x1b]8;;http://evil\x07link\x1b]8;;\x07 bel\x07l \u202erev"
#: How HOSTILE must read on screen: every control character as a visible escape.
HOSTILE_SHOWN = (
    "[bold red]x[/] \\x1b[31mred \\x1b]8;;http://evil\\x07link\\x1b]8;;\\x07 bel\\x07l \\u202erev"
)


@pytest.fixture(autouse=True)
def eighty_columns(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest's isolated environment, on an 80-column terminal."""
    monkeypatch.setenv("COLUMNS", "80")


def run(*args: str, columns: int = 80, env: dict[str, str] | None = None) -> Result:
    environ = {"COLUMNS": str(columns), **(env or {})}
    return CliRunner(env=environ).invoke(cli, list(args), catch_exceptions=False)


def write(folder: Path, name: str, body: str = "", **front: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(f"---\n{dumped}---\n{body}", encoding="utf-8")
    return path


def lines_fit(text: str, width: int) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, (width, line)


def squeeze(text: str) -> list[str]:
    """Lines with runs of spaces collapsed, for matching key lines of a table."""
    return [re.sub(r" +", " ", line).strip() for line in text.splitlines()]


def without_bars(row: str) -> str:
    return re.sub(r" +", " ", re.sub("[█▏▎▍▌▋▊▉]+", "", row)).strip()


# --- the fixture catalogue ------------------------------------------------------------------

#: The fixture, described once: what each file holds, in the terms the summaries use.
FIXTURE: list[dict[str, Any]] = [
    dict(id="2023/a_1111aaaa", date="2023-01-10T08:00:00Z", quality=80, heat=40,
         topics=["Climate", "Energy"], provider="BBC News", domain="bbc.co.uk",
         category="news", type="article", published=True),
    dict(id="2023/b_2222bbbb", date="2023-03-05T12:00:00Z", quality=45, heat=90,
         topics=["climate", "日本語ニュース"], provider="bbc news", domain="bbc.co.uk",
         category="news", type="video", published=False),
    dict(id="2023/c_3333cccc", date="2023-03-20T18:45:00Z", quality=62, heat=None,
         topics=["Energy", "Markets", "🔥 Hot"], provider="Reuters", domain="reuters.com",
         category="business", type="article", published=False),
    dict(id="d_4444dddd", date="2023-01-01T01:30:00Z", quality=100, heat=10,
         topics=["Climate"], provider="Guardian", domain="theguardian.com",
         category="news", type="article", published=None),
    dict(id="e_5555eeee", date="2022-06-15T00:00:00Z", quality=None, heat=None,
         topics=[], provider=None, domain=None, category=None, type=None, published=None),
]  # fmt: skip


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    write(root, "2023/a_1111aaaa.md", title="Floods and power", publishedDateTime="2023-01-10T08:00:00Z",
          webUrl="https://www.bbc.co.uk/news/1", quality=80, heat=40, topics=["Climate", "Energy"],
          provider={"name": "BBC News", "domain": "bbc.co.uk"}, category="news", type="article",
          published=True)  # fmt: skip
    write(root, "2023/b_2222bbbb.md", title="Heatwave video", publishedDateTime="2023-03-05T12:00:00Z",
          webUrl="https://www.bbc.co.uk/news/2", quality=45, heat=90,
          topics=["climate", "日本語ニュース"], provider={"name": "bbc news", "domain": "bbc.co.uk"},
          category="news", type="video", published=False)  # fmt: skip
    write(root, "2023/c_3333cccc.md", title="Oil markets rally", publishedDateTime="2023-03-20T18:45:00Z",
          webUrl="https://www.reuters.com/markets/3", quality=62,
          topics=["Energy", "Markets", "🔥 Hot"], provider="Reuters", category="business",
          type="article", published=False)  # fmt: skip
    write(root, "d_4444dddd.md", "# Heading\n\nSome *body* text.\n", title="A new year of climate news",
          publishedDateTime="2022-12-31T23:30:00-02:00", webUrl="https://www.theguardian.com/4",
          quality="100", heat=10, topics="Climate",
          provider={"name": "Guardian", "domain": "theguardian.com"}, category="news",
          type="article", author="Jane Doe", extra={"nested": [1, 2]})  # fmt: skip
    write(root, "e_5555eeee.md", title="Untitled note", publishedDateTime="June 15, 2022")
    return root


def mean(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


def expected_groups(key_of: Any, name_of: Any, extra: Any = None) -> list[dict[str, Any]]:
    """Summaries computed from FIXTURE: one entry per key, most articles first, then key."""
    groups: dict[Any, list[tuple[dict[str, Any], str | None]]] = {}
    for article in FIXTURE:
        for key, name in zip(key_of(article), name_of(article), strict=True):
            groups.setdefault(key, []).append((article, name))
    out = []
    for key, members in groups.items():
        articles = [a for a, _ in members]
        names = Counter(n for _, n in members if n is not None)
        best = min(names, key=lambda n: (-names[n], n)) if names else None
        record: dict[str, Any] = {"name": best}
        if extra:
            record.update(extra(articles))
        record.update(
            articles=len(articles),
            share=round(len(articles) / len(FIXTURE), 4),
            avg_quality=mean([a["quality"] for a in articles]),
            avg_heat=mean([a["heat"] for a in articles]),
            newest=max(a["date"] for a in articles),
            key=key,
        )
        out.append(record)
    out.sort(key=lambda r: (-r["articles"], r["key"] is None, r["key"] or ""))
    return out


def expected_topics() -> list[dict[str, Any]]:
    rows = expected_groups(
        lambda a: [t.casefold() for t in a["topics"]], lambda a: list(a["topics"])
    )
    return [{"topic": r.pop("name"), **{k: v for k, v in r.items() if k != "key"}} for r in rows]


def expected_providers() -> list[dict[str, Any]]:
    def domain(articles: list[dict[str, Any]]) -> dict[str, Any]:
        counts = Counter(a["domain"] for a in articles if a["domain"])
        return {"domain": min(counts, key=lambda d: (-counts[d], d)) if counts else None}

    rows = expected_groups(
        lambda a: [(a["provider"] or a["domain"] or "").casefold() or None],
        lambda a: [a["provider"]],
        domain,
    )
    return [{"provider": r.pop("name"), **{k: v for k, v in r.items() if k != "key"}} for r in rows]


# --- REF resolution ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [SEED_A, "000_5", "000", "50e039", "50e0", str(SEEDS / f"{SEED_A}.txt")],
)
def test_show_resolves_every_kind_of_ref(ref: str) -> None:
    result = run("show", ref, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == SEED_A


def test_show_resolves_a_relative_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SEEDS)
    result = run("show", f"{SEED_B}.txt", "-f", "json")
    assert json.loads(result.stdout)["id"] == SEED_B


def test_exact_id_wins_over_a_longer_id_it_prefixes(tmp_path: Path) -> None:
    write(tmp_path, "a_1.md", title="one", publishedDateTime="2023-01-01")
    write(tmp_path, "a_12.md", title="twelve", publishedDateTime="2023-01-02")
    result = run("show", "a_1", "-C", str(tmp_path), "-f", "json")
    assert json.loads(result.stdout)["title"] == "one"


def test_show_not_found_exits_1() -> None:
    result = run("show", "zzz")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: no article matches 'zzz'\n"


def test_show_file_outside_the_catalogue(tmp_path: Path) -> None:
    outside = write(tmp_path, "x_1.md", title="elsewhere", publishedDateTime="2023-01-01")
    result = run("show", str(outside))
    assert result.exit_code == 1
    assert "the file is not in the catalogue" in result.stderr


def test_show_ambiguous_prefix_lists_candidates() -> None:
    result = run("show", "00")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: '00' is ambiguous; it matches 2 articles:\n"
        f"  {SEED_B}  {TITLE_B}\n"
        f"  {SEED_A}  {TITLE_A}\n"
        "Give more of the id to choose one.\n"
    )


def test_ambiguous_suffix_prefix(tmp_path: Path) -> None:
    write(tmp_path, "x_abc1.md", title="first", publishedDateTime="2023-01-01")
    write(tmp_path, "y_abc2.md", title="second", publishedDateTime="2023-01-02")
    result = run("show", "abc", "-C", str(tmp_path))
    assert result.exit_code == 1
    assert "'abc' is ambiguous; it matches 2 articles" in result.stderr
    assert "y_abc2  second" in result.stderr and "x_abc1  first" in result.stderr
    assert json.loads(run("show", "abc2", "-C", str(tmp_path), "-f", "json").stdout)["id"] == (
        "y_abc2"
    )


def test_ambiguous_lists_at_most_ten(tmp_path: Path) -> None:
    for i in range(12):
        write(tmp_path, f"n_{i:02d}.md", title=f"t{i}", publishedDateTime=f"2023-01-{i + 1:02d}")
    result = run("show", "n_", "-C", str(tmp_path))
    assert "it matches 12 articles" in result.stderr
    assert "… and 2 more" in result.stderr


# --- show -----------------------------------------------------------------------------------


def seed_front(name: str) -> dict[str, Any]:
    text = (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
    return dict(yaml.load(text.split("---\n")[1], Loader=yaml.BaseLoader))


@pytest.mark.parametrize("width", WIDTHS)
def test_show_seed_page(width: int) -> None:
    result = run("show", "50e0", "--now", "2025-11-22", columns=width)
    assert (result.exit_code, result.stderr) == (0, "")
    out = result.stdout
    # URLs and the file's path stay whole on their own lines (the terminal wraps them);
    # every other line fits.
    whole = re.compile(r"^(?:(?:url|original|file) +)?(?:https?://|/)\S+$")
    lines_fit("\n".join(line for line in out.splitlines() if not whole.match(line)), width)
    url = seed_front(SEED_A)["webUrl"]
    assert f"url        {url}" in out.splitlines()
    assert f"file       {SEEDS / (SEED_A + '.txt')}" in out.splitlines()
    assert (
        "https://www.hee.nhs.uk/sites/default/files/logos/NHSConstitution.png" in out.splitlines()
    )
    flat = " ".join(squeeze(out))
    secured = seed_front(SEED_A)["secured"]
    assert secured not in out and secured[:20] not in out
    for expected in (
        "New report finds healthcare staff",
        "NHS HEE · hee.nhs.uk",
        f"id {SEED_A}",
        "date 2022-05-19 09:13 UTC · 3 years ago",
        "category news",
        "type article",
        "published no",
        "AI Ethics · AI · AI in Healthcare",
        f"secured encrypted, {len(secured)} bytes",
        "454×431 · cached",
        "Images (1)",
        "Related (1)",
    ):
        assert expected in flat, expected
    related = "2022-05-19 Medical Xpress 58" if width >= 80 else "2022-05-19 New reporting"
    assert related in flat
    assert re.search(r"^quality\s+58\s+█+▋?░+\s*$", out, re.MULTILINE)
    assert re.search(r"^heat\s+68\s+█+▋?░+\s*$", out, re.MULTILINE)


def test_show_seed_page_at_80_columns_line_by_line() -> None:
    out = run("show", "6ef5", "--now", "2023-11-02T08:30:00Z").stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[:3] == [TITLE_B, "Digital Health · digitalhealth.net", ""]
    assert "date       2022-11-02 08:30 UTC · 1 year ago" in lines
    assert "topics     AI Ethics · AI · AI in Healthcare" in lines
    related = lines.index("date        provider         quality  title")
    assert lines[related + 1].startswith("2022-11-03  Computer Weekly       41  All NHS staff")


@pytest.mark.parametrize("width", (80, 120))
def test_show_keeps_every_url_whole_and_an_original_url_once(tmp_path: Path, width: int) -> None:
    url = "https://example.org/2026/12/a-title-long-enough-to-pass-the-edge-of-the-terminal/"
    canonical = "https://canonical.example.org/news/2026/12/another-rather-long-address-indeed/x"
    write(tmp_path / "c", "001_0123456789abcdef.md", title="Long links", webUrl=url,
          originalUrl=url, canonicalLink=canonical, editor="Jane Doe")  # fmt: skip
    out = run("show", "0123", "-C", str(tmp_path / "c"), columns=width).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert f"url        {url}" in lines
    assert sum(url in line for line in lines) == 1  # originalUrl = webUrl: not again
    others = lines.index("Other front matter " + "─" * (width - 19))
    assert lines[others + 1].split() == ["editor", "Jane", "Doe"]
    assert lines[others + 2] == f"canonicalLink  {canonical}"


def test_show_several_refs_pages_in_order() -> None:
    out = run("show", "6ef5", "50e0").stdout
    assert out.index(TITLE_B) < out.index("━" * 20) < out.index(TITLE_A)


def test_show_json_is_the_full_record() -> None:
    record = json.loads(run("show", "50e0", "-f", "json").stdout)
    front = seed_front(SEED_A)
    assert record["path_bytes"] is None  # a UTF-8 name
    assert list(record) == [
        "id", "path", "path_bytes", "date", "title", "excerpt", "url", "provider", "domain",
        "topics", "category", "type", "quality", "heat", "published", "story", "coverage",
        "canonical_url", "arrived", "front_matter",
    ]  # fmt: skip
    assert list(record["front_matter"]) == list(front)
    assert record["path"] == str(SEEDS / f"{SEED_A}.txt")
    assert record["date"] == record["front_matter"]["publishedDateTime"] == "2022-05-19T09:13:00Z"
    assert record["front_matter"]["secured"] == front["secured"]
    assert (record["provider"], record["domain"]) == ("NHS HEE", "hee.nhs.uk")
    assert record["front_matter"]["provider"] == {"name": "NHS HEE", "domain": "hee.nhs.uk"}


def test_show_json_several_refs_is_an_array() -> None:
    records = json.loads(run("show", "50e0", "6ef5", "-f", "json").stdout)
    assert [r["id"] for r in records] == [SEED_A, SEED_B]


def test_show_raw_is_the_file_byte_for_byte() -> None:
    result = run("show", "50e0", "--raw")
    assert result.stdout_bytes == (SEEDS / f"{SEED_A}.txt").read_bytes()


def test_show_raw_and_format_conflict() -> None:
    result = run("show", "50e0", "--raw", "-f", "json")
    assert result.exit_code == 2


def test_show_fixture_page_body_extras_and_unknowns(catalog: Path) -> None:
    out = run("show", "4444", "-C", str(catalog), "--now", "2023-01-02T01:30:00Z").stdout
    flat = " ".join(squeeze(out))
    assert "date 2023-01-01 01:30 UTC · 1 day ago" in flat
    assert "published unknown" in flat
    assert "quality 100 ████████████████████" in flat
    assert (
        "Other front matter" in out
        and "author Jane Doe" in flat
        and 'extra {"nested": [1, 2]}' in flat
    )
    assert "Body" in out and "Heading" in out and "Some body text." in flat
    assert "# Heading" not in out  # rendered as Markdown, not printed as source


def test_show_page_without_scores_or_provider(catalog: Path) -> None:
    out = run("show", "e_5555eeee", "-C", str(catalog), "--now", "2023-06-15").stdout
    flat = " ".join(squeeze(out))
    assert "quality —" in flat and "heat —" in flat
    assert "date 2022-06-15 00:00 UTC · 1 year ago" in flat


def long_body(size: int) -> str:
    """A Markdown body of exactly ``size`` characters: a heading, emphasis, a link, data
    that must stay inert, then numbered lines to the end."""
    text = f"# Heading\n\nSome **bold** and [a link](https://example.com/x).\n\n{HOSTILE}\n\n"
    lines = (f"Line {n} of a very long body.\n" for n in range(size))
    while len(text) < size:
        text += next(lines)
    return text[:size]


@pytest.mark.parametrize("color", ["never", "always"])
def test_show_gives_a_huge_body_whole_as_plain_inert_text(tmp_path: Path, color: str) -> None:
    size = MARKDOWN_LIMIT + 1
    body = long_body(size)
    write(tmp_path / "c", "001_0123456789abcdef.md", body, title="Huge")
    result = run("show", "0123", "-C", str(tmp_path / "c"), "--color", color)
    assert (result.exit_code, result.stderr) == (0, "")
    said = f"{size:,} characters: shown as plain text, not rendered as Markdown"
    out = result.stdout
    if color == "always":
        assert f"\x1b[2m{said}\x1b[0m" in out
        assert "\x1b" not in OWN_ESCAPES.sub("", out)  # none from the file
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    lines = out.splitlines()
    start = lines.index(said)
    assert lines[start - 2 : start] == ["Body " + "─" * 75, ""]
    assert lines[start + 1] == ""
    lines_fit("\n".join(lines[start:]), 80)
    shown = lines[start + 2 :]
    assert shown[0] == "# Heading"  # the source, not rendered
    # Whole and in order (folded at 80 columns), each control character escaped.
    assert " ".join(" ".join(shown).split()) == " ".join(
        body.replace(HOSTILE, HOSTILE_SHOWN).split()
    )


def test_show_renders_a_body_of_the_limit_as_markdown(tmp_path: Path) -> None:
    body = long_body(MARKDOWN_LIMIT)
    write(tmp_path / "c", "001_0123456789abcdef.md", body, title="Long")
    out = run("show", "0123", "-C", str(tmp_path / "c")).stdout
    assert "# Heading" not in out and "Heading" in out  # rendered
    assert "shown as plain text" not in out
    assert body.splitlines()[-2] in " ".join(squeeze(out))  # to the end


# --- topics -----------------------------------------------------------------------------------

SEED_TOPICS_TSV = (
    "topic\tarticles\tshare\tavg_quality\tavg_heat\tnewest\n"
    "AI\t2\t1\t57\t67\t2022-11-02T08:30:00Z\n"
    "AI Ethics\t2\t1\t57\t67\t2022-11-02T08:30:00Z\n"
    "AI in Healthcare\t2\t1\t57\t67\t2022-11-02T08:30:00Z\n"
    "Facebook AI\t1\t0.5\t58\t68\t2022-05-19T09:13:00Z\n"
)


def test_topics_seeds_in_a_pipe_is_tsv() -> None:
    result = run("topics")
    assert (result.exit_code, result.stdout, result.stderr) == (0, SEED_TOPICS_TSV, "")


def test_topics_seeds_csv_and_no_header() -> None:
    assert run("topics", "-f", "csv").stdout == SEED_TOPICS_TSV.replace("\t", ",")
    assert run("topics", "--no-header").stdout == SEED_TOPICS_TSV.split("\n", 1)[1]


def test_topics_seeds_json() -> None:
    assert json.loads(run("topics", "-f", "json").stdout) == [
        {"topic": "AI", "articles": 2, "share": 1.0, "avg_quality": 57.0, "avg_heat": 67.0,
         "newest": "2022-11-02T08:30:00Z"},
        {"topic": "AI Ethics", "articles": 2, "share": 1.0, "avg_quality": 57.0,
         "avg_heat": 67.0, "newest": "2022-11-02T08:30:00Z"},
        {"topic": "AI in Healthcare", "articles": 2, "share": 1.0, "avg_quality": 57.0,
         "avg_heat": 67.0, "newest": "2022-11-02T08:30:00Z"},
        {"topic": "Facebook AI", "articles": 1, "share": 0.5, "avg_quality": 58.0,
         "avg_heat": 68.0, "newest": "2022-05-19T09:13:00Z"},
    ]  # fmt: skip


@pytest.mark.parametrize("width", WIDTHS)
def test_topics_seeds_table(width: int) -> None:
    out = run("topics", "-f", "table", columns=width).stdout
    lines_fit(out, width)
    rows = squeeze(out)
    assert rows[0].startswith("topic articles share")
    assert rows[1].startswith("AI 2 100.0%")
    assert rows[4].startswith("Facebook AI 1 50.0%")
    if width >= 80:
        assert rows[0] == "topic articles share quality heat newest"
        assert without_bars(rows[4]) == "Facebook AI 1 50.0% 58 68 2022-05-19"
        assert re.search("█+", rows[4])


def test_topics_fixture_json_matches_computed(catalog: Path) -> None:
    got = json.loads(run("topics", "-C", str(catalog), "-f", "json").stdout)
    assert got == expected_topics()
    assert got[0] == {"topic": "Climate", "articles": 3, "share": 0.6, "avg_quality": 75.0,
                      "avg_heat": 46.67, "newest": "2023-03-05T12:00:00Z"}  # fmt: skip


def test_topics_jsonl(catalog: Path) -> None:
    lines = run("topics", "-C", str(catalog), "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == expected_topics()


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("name", lambda r: r["topic"].casefold()),
        ("quality", lambda r: (-(r["avg_quality"] or -1), -r["articles"], r["topic"].casefold())),
        ("newest", lambda r: (tuple(-ord(c) for c in r["newest"]), r["topic"].casefold())),
    ],
)
def test_topics_sort(catalog: Path, sort: str, key: Any) -> None:
    got = json.loads(run("topics", "-C", str(catalog), "-f", "json", "--sort", sort).stdout)
    assert [r["topic"] for r in got] == [r["topic"] for r in sorted(expected_topics(), key=key)]


def test_topics_heat_sort_puts_missing_last(catalog: Path) -> None:
    got = json.loads(run("topics", "-C", str(catalog), "-f", "json", "--sort", "heat").stdout)
    heats = [r["avg_heat"] for r in got]
    assert heats[-2:] == [None, None]  # Markets and 🔥 Hot: their only article has no heat
    assert heats[:-2] == sorted(heats[:-2], reverse=True)


def test_topics_min_count_and_limit(catalog: Path) -> None:
    got = run("topics", "-C", str(catalog), "--min-count", "2", "--no-header").stdout
    assert [line.split("\t")[0] for line in got.splitlines()] == ["Climate", "Energy"]
    got = run("topics", "-C", str(catalog), "-n", "1", "--no-header").stdout
    assert got.startswith("Climate\t3\t0.6\t75\t46.67\t")


@pytest.mark.parametrize("width", WIDTHS)
def test_topics_table_wide_characters_align(catalog: Path, width: int) -> None:
    out = run("topics", "-C", str(catalog), "-f", "table", columns=width).stdout
    lines_fit(out, width)
    lines = out.splitlines()
    assert any("日本語ニュース" in line for line in lines)
    assert any("🔥 Hot" in line for line in lines)
    # The right-aligned "articles" column ends in the same terminal cell on every row.
    header_end = cell_len(lines[0][: lines[0].index("articles") + len("articles")])
    for line in lines[1:]:
        count = re.search(r"(?<= )\d+(?= )", line)
        assert count is not None, line
        assert cell_len(line[: count.end()]) == header_end, lines


def test_topics_uses_the_filters(catalog: Path) -> None:
    """The filters restrict what is summarised."""
    got = json.loads(
        run("topics", "-C", str(catalog), "--category", "business", "-f", "json").stdout
    )
    assert [(r["topic"], r["articles"], r["share"]) for r in got] == [
        ("Energy", 1, 1.0),
        ("Markets", 1, 1.0),
        ("🔥 Hot", 1, 1.0),
    ]


def test_summaries_take_every_filter_option(catalog: Path) -> None:
    filters = ["-t", "climate", "-p", "bbc.co.uk", "--category", "news", "--type", "article",
               "--min-quality", "0", "--max-quality", "100", "--min-heat", "0", "--max-heat",
               "100", "--since", "2000-01-01", "--until", "2100-01-01", "--published", "-m",
               "climate", "-w", "quality > 0", "--now", "2024-01-01"]  # fmt: skip
    for command in ("topics", "providers", "stats"):
        result = run(command, "-C", str(catalog), *filters)
        assert result.exit_code == 0, (command, result.output)
        assert "No such option" not in result.stderr


# --- providers --------------------------------------------------------------------------------


def test_providers_seeds_tsv() -> None:
    assert run("providers").stdout == (
        "provider\tdomain\tarticles\tshare\tavg_quality\tavg_heat\tnewest\n"
        "Digital Health\tdigitalhealth.net\t1\t0.5\t56\t66\t2022-11-02T08:30:00Z\n"
        "NHS HEE\thee.nhs.uk\t1\t0.5\t58\t68\t2022-05-19T09:13:00Z\n"
    )


def test_providers_fixture_json_matches_computed(catalog: Path) -> None:
    got = json.loads(run("providers", "-C", str(catalog), "-f", "json").stdout)
    assert got == expected_providers()
    assert got[0]["provider"] == "BBC News" and got[0]["articles"] == 2
    assert {k: got[-1][k] for k in ("provider", "domain")} == {"provider": None, "domain": None}


@pytest.mark.parametrize("width", WIDTHS)
def test_providers_table(catalog: Path, width: int) -> None:
    out = run("providers", "-C", str(catalog), "-f", "table", columns=width).stdout
    lines_fit(out, width)
    rows = squeeze(out)
    assert rows[0].startswith("provider")
    assert rows[1].startswith("BBC News")
    assert rows[-1].startswith("(none)")
    if width >= 80:
        assert rows[0] == "provider domain articles share quality heat newest"
        assert without_bars(rows[1]) == "BBC News bbc.co.uk 2 40.0% 62.5 65 2023-03-05"


# --- stats ------------------------------------------------------------------------------------


def expected_stats() -> dict[str, Any]:
    def score(name: str) -> dict[str, Any]:
        values = [a[name] for a in FIXTURE if a[name] is not None]
        return {"average": mean(values), "min": min(values), "max": max(values),
                "missing": len(FIXTURE) - len(values)}  # fmt: skip

    def counts(name: str) -> list[dict[str, Any]]:
        c = Counter(a[name] for a in FIXTURE)
        ordered = sorted(c, key=lambda k: (-c[k], k is None, k or ""))
        return [{name: k, "articles": c[k]} for k in ordered]

    months = Counter(a["date"][:7] for a in FIXTURE)
    all_months = [f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
    span = [m for m in all_months if min(months) <= m <= max(months)]
    buckets = Counter(min(int(a["quality"] // 10), 9) for a in FIXTURE if a["quality"] is not None)
    return {
        "articles": len(FIXTURE),
        "published": sum(a["published"] is True for a in FIXTURE),
        "unpublished": sum(a["published"] is False for a in FIXTURE),
        "published_unknown": sum(a["published"] is None for a in FIXTURE),
        "first": min(a["date"] for a in FIXTURE),
        "last": max(a["date"] for a in FIXTURE),
        "undated": 0,
        "providers": len(
            {(a["provider"] or a["domain"]).casefold() for a in FIXTURE if a["domain"]}
        ),
        "topics": len({t.casefold() for a in FIXTURE for t in a["topics"]}),
        "quality": score("quality"),
        "heat": score("heat"),
        "categories": counts("category"),
        "types": counts("type"),
        "months": [{"month": m, "articles": months.get(m, 0)} for m in span],
        "quality_distribution": [
            {"min": i * 10, "max": i * 10 + 9 if i < 9 else 100, "articles": buckets.get(i, 0)}
            for i in range(10)
        ],
    }


def test_stats_fixture_json_matches_computed(catalog: Path) -> None:
    got = json.loads(run("stats", "-C", str(catalog), "-f", "json").stdout)
    assert got == expected_stats()


def test_stats_seeds_json() -> None:
    got = json.loads(run("stats", "-f", "json").stdout)
    assert {k: got[k] for k in ("articles", "published", "unpublished", "first", "last")} == {
        "articles": 2,
        "published": 0,
        "unpublished": 2,
        "first": "2022-05-19T09:13:00Z",
        "last": "2022-11-02T08:30:00Z",
    }
    assert got["quality"] == {"average": 57.0, "min": 56, "max": 58, "missing": 0}
    assert got["categories"] == [{"category": "news", "articles": 2}]
    assert [m["articles"] for m in got["months"]] == [1, 0, 0, 0, 0, 0, 1]
    assert got["quality_distribution"][5] == {"min": 50, "max": 59, "articles": 2}


@pytest.mark.parametrize("width", WIDTHS)
def test_stats_seeds_page(width: int) -> None:
    out = run("stats", columns=width).stdout
    lines_fit(out, width)
    rows = squeeze(out)
    for expected in (
        "articles 2",
        "published 0 yes · 2 no",
        "dates 2022-05-19 → 2022-11-02",
        "providers 2",
        "topics 4",
        "quality avg 57 · min 56 · max 58",
        "By category ─",
        "Articles per month ─",
        "2022-06 0",
        "Quality distribution ─",
        "0–9 0",
    ):
        assert any(row.startswith(expected) for row in rows), expected
    assert any(re.fullmatch(r"news 2 █{4,50} 100%", row) for row in rows), rows
    assert any(re.fullmatch(r"2022-05 1 █{4,50}", row) for row in rows)
    assert any(re.fullmatch(r"50–59 2 █{4,50} 100%", row) for row in rows)


def test_stats_long_range_goes_per_year(tmp_path: Path) -> None:
    write(tmp_path, "a_1.md", title="old", publishedDateTime="2010-01-01", quality=5)
    write(tmp_path, "a_2.md", title="new", publishedDateTime="2020-06-01", quality=95)
    out = run("stats", "-C", str(tmp_path)).stdout
    assert "Articles per year" in out and "Articles per month" not in out
    assert any(re.fullmatch(r"2015 0", row) for row in squeeze(out))
    assert len(json.loads(run("stats", "-C", str(tmp_path), "-f", "json").stdout)["months"]) == 126


def test_stats_empty_catalogue(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert run("stats", "-C", str(tmp_path / "empty")).stdout == "No articles match.\n"
    got = json.loads(run("stats", "-C", str(tmp_path / "empty"), "-f", "json").stdout)
    assert got["articles"] == 0 and got["months"] == [] and got["quality_distribution"] == []
    assert run("topics", "-C", str(tmp_path / "empty"), "-f", "json").stdout == "[]\n"


# --- inert data in every view -----------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "hostile"
    for name in ("h_aaa111.md", "h_aaa222.md"):
        write(root, name, f"# {HOSTILE}\n\n{HOSTILE}\n", title=HOSTILE,
              publishedDateTime="2023-01-05T10:00:00Z", webUrl="https://example.com/" + name,
              quality=70, heat=20, category=HOSTILE, type=HOSTILE, published=True,
              provider={"name": HOSTILE, "domain": "example.com"}, topics=[HOSTILE, "fine"],
              images=[{"url": HOSTILE, "width": 1, "height": 2}],
              related=[{"title": HOSTILE, "provider": HOSTILE, "webUrl": "http://evil\x1b"}],
              secured="abc;def", **{HOSTILE: HOSTILE})  # fmt: skip
    return root


HOSTILE_VIEWS = [
    ("show", "aaa1"),
    ("show", "aaa1", "-f", "json"),
    ("topics", "-f", "table"),
    ("topics", "-f", "tsv"),
    ("topics", "-f", "csv"),
    ("topics", "-f", "json"),
    ("topics", "-f", "jsonl"),
    ("providers", "-f", "table"),
    ("providers", "-f", "tsv"),
    ("providers", "-f", "csv"),
    ("providers", "-f", "json"),
    ("stats",),
    ("stats", "-f", "json"),
]
#: Rich's own escapes: colours (SGR) and OSC 8 links to the article's own https URL.
OWN_ESCAPES = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^;\x1b\x07]*;(https://example\.com/\S*?)?\x1b\\")


@pytest.mark.parametrize("args", HOSTILE_VIEWS, ids=lambda a: " ".join(a))
@pytest.mark.parametrize("color", ["never", "always"])
def test_hostile_data_prints_literally(hostile: Path, args: tuple[str, ...], color: str) -> None:
    result = run(*args, "-C", str(hostile), "--color", color, columns=200)
    assert result.exit_code == 0, result.output
    out = result.stdout
    machine = "json" in args or "jsonl" in args or "tsv" in args or "csv" in args
    if color == "never" or machine:
        assert "\x1b" not in out
    remaining = OWN_ESCAPES.sub("", out)
    for char in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert char not in remaining, (char, remaining)
    assert "http://evil" not in "".join(OWN_ESCAPES.findall(out))
    if color == "never" and not machine:
        assert "[bold red]x[/]" in out
        if args[0] != "stats":
            assert HOSTILE_SHOWN in out.replace("\n", "")


def test_hostile_ambiguous_error_is_inert(hostile: Path) -> None:
    result = run("show", "aaa", "-C", str(hostile))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert f"h_aaa111  {HOSTILE_SHOWN}" in result.stderr


def test_hostile_json_keeps_the_exact_value(hostile: Path) -> None:
    record = json.loads(run("show", "aaa1", "-C", str(hostile), "-f", "json").stdout)
    assert record["title"] == HOSTILE


# --- colour and help --------------------------------------------------------------------------


def test_color_environment() -> None:
    assert "\x1b[" not in run("topics", "-f", "table").stdout
    assert "\x1b[" in run("topics", "-f", "table", env={"FORCE_COLOR": "1"}).stdout
    forced_off = run("topics", "-f", "table", "--color", "never", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in forced_off.stdout
    assert "\x1b[" not in run("stats", env={"NO_COLOR": "1"}).stdout


@pytest.mark.parametrize("command", ["show", "topics", "providers", "stats"])
def test_help_has_summary_and_examples(command: str) -> None:
    out = run(command, "--help").stdout
    assert f"Usage: newscat {command}" in out or f"Usage: cli {command}" in out
    assert "Examples:" in out
    assert f"  newscat {command}" in out
