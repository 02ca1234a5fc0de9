"""Saved searches (@NAME), settings with their sources, and catalogue files that cannot run anything."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from newscat.render import aligned_text, wrapped_options
from tests.conftest import SEEDS, run, write_article
from tests.test_terminal import in_pty

NHS = "000_50e039b255de019a"  # NHS HEE, quality 58, heat 68, 2022-05-19
DH = "002_6ef551387f7f8ea7"  # Digital Health, quality 56, heat 66, 2022-11-02
HEE_URL = (
    "https://www.hee.nhs.uk/news-blogs-events/news/"
    "new-report-finds-healthcare-staff-need-support-use-ai-safely"
)

USER = """
[defaults]
sort = "-quality"

[searches.ethics]
topic = ["AI Ethics"]
min-quality = 50
where = "heat > 60"
sort = "date"

[searches.nhs]
provider = "nhs.uk"
format = "jsonl"
fields = "id,quality"

[searches.top]
limit = 1
sort = "-heat"
"""


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = Path(os.environ["NEWSCAT_CONFIG"])
    path.write_text(USER, encoding="utf-8")
    return path


def ids(*args: str) -> list[str]:
    result = run("list", "-f", "ids", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()


def test_a_saved_search_filters_and_sorts(user_file: Path) -> None:
    assert ids("@ethics") == [NHS, DH]  # the search's sort: date ascending
    assert ids("@ethics", "--sort=-date") == [DH, NHS]  # the command line's replaces it


def test_the_user_default_sort_applies_without_a_search(user_file: Path) -> None:
    assert ids() == [NHS, DH]  # -quality from [defaults]
    assert ids("--sort", "date") == [NHS, DH]
    assert ids("--sort=-date") == [DH, NHS]


def test_filters_add_up_with_the_command_line(user_file: Path) -> None:
    # -p repeated means OR, but a search's -p and the command line's must both hold.
    assert ids("-p", "nhs.uk", "-p", "Digital Health") == [NHS, DH]
    assert ids("@nhs", "-p", "Digital Health") == []
    assert ids("@nhs", "-p", "NHS HEE") == [NHS]
    assert ids("@ethics", "--max-quality", "57") == [DH]
    assert ids("@ethics", "@nhs") == [NHS]


def test_single_value_options_from_the_search_and_their_replacement(user_file: Path) -> None:
    result = run("list", "@nhs")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f'{{"id": "{NHS}", "quality": 58}}\n'
    result = run("list", "@nhs", "-f", "tsv", "-F", "id")
    assert result.stdout == f"id\n{NHS}\n"
    assert ids("@top") == [NHS]
    assert ids("@top", "-n", "5") == [NHS, DH]


def test_export_and_the_summaries_take_a_search(user_file: Path) -> None:
    result = run("export", "@nhs", "-f", "csv")
    assert result.stdout == f"id,quality\n{NHS},58\n"
    result = run("topics", "@nhs", "-f", "tsv", "--no-header")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [
        "AI",
        "AI Ethics",
        "AI in Healthcare",
        "Facebook AI",
    ]
    result = run("providers", "@nhs", "-f", "json")
    assert [row["provider"] for row in json.loads(result.stdout)] == ["NHS HEE"]
    result = run("stats", "@ethics", "--max-quality", "57", "-f", "json")
    assert json.loads(result.stdout)["articles"] == 1


def test_an_unknown_search_is_a_usage_error_listing_the_names(user_file: Path) -> None:
    result = run("list", "@ethic")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: unknown saved search '@ethic'; known searches: @ethics, @nhs, @top\n"
    )
    result = run("list", "ethics")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: expected a saved search as @NAME, got 'ethics'\n",
    )


def test_no_searches_at_all() -> None:
    result = run("list", "@x")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: unknown saved search '@x'; known searches: none (define [searches.NAME])\n"
    )


def test_catalogue_searches_and_the_users_win(catalog: Path, user_file: Path) -> None:
    (catalog / "newscat.toml").write_text(
        '[searches.ethics]\nprovider = "Digital Health"\n\n[searches.dh]\nprovider = "digitalhealth.net"\n',
        encoding="utf-8",
    )
    assert ids("-C", str(catalog), "@dh") == [DH]
    assert ids("-C", str(catalog), "@ethics") == [NHS, DH]  # the user's @ethics
    result = run("searches", "-C", str(catalog), "-f", "json")
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["dh"] == {
        "name": "dh",
        "articles": 1,
        "options": "--provider digitalhealth.net",
        "source": str(catalog / "newscat.toml"),
    }
    assert rows["ethics"]["source"] == str(user_file)


def test_searches_lists_names_counts_and_options(user_file: Path) -> None:
    result = run("searches", "-f", "tsv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "name\tarticles\toptions\tsource\n"
        f"@ethics\t2\t--topic 'AI Ethics' --min-quality 50 --where 'heat > 60' --sort date\t{user_file}\n"
        f"@nhs\t1\t--provider nhs.uk --format jsonl --fields id,quality\t{user_file}\n"
        f"@top\t2\t--limit 1 --sort -heat\t{user_file}\n"
    )


def test_a_search_that_cannot_run_is_named(user_file: Path) -> None:
    user_file.write_text('[searches.bad]\nwhere = "qualty > 3"\n', encoding="utf-8")
    result = run("searches", "-f", "tsv")
    assert result.exit_code == 0
    assert (
        result.stdout
        == f"name\tarticles\toptions\tsource\n@bad\t-\t--where 'qualty > 3'\t{user_file}\n"
    )
    assert result.stderr.startswith(
        f"newscat: warning: search @bad ({user_file}) cannot run: invalid --where expression: "
        "unknown field 'qualty'"
    )
    result = run("list", "@bad")
    assert result.exit_code == 2
    assert "unknown field 'qualty'" in result.stderr


# -- settings and their sources ------------------------------------------------------------


def settings(*args: str) -> dict[str, tuple[str, str]]:
    result = run("config", "-f", "tsv", *args)
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    return {name: (value, source) for name, value, source in rows}


def test_config_shows_defaults_with_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAGER", "NEWSCAT_PAGER", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    found = settings()
    assert found["catalog"] == (str(SEEDS), "default")
    assert found["sort"] == ("-date", "default")
    assert found["limit"] == ("50", "default")
    assert found["color"] == ("auto", "default")
    assert found["pager"] == ("less -FRX", "default")
    assert found["state-dir"] == (os.environ["NEWSCAT_STATE_DIR"], "$NEWSCAT_STATE_DIR")
    assert found["cache-dir"] == (os.environ["NEWSCAT_CACHE_DIR"], "$NEWSCAT_CACHE_DIR")


def test_precedence_flags_environment_file_defaults(
    tmp_path: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = Path(os.environ["NEWSCAT_CONFIG"])
    other = tmp_path / "other"
    other.mkdir()
    user.write_text(
        f'[defaults]\ncatalog = ["{catalog}"]\ncolor = "always"\npager = "most"\nlimit = 20\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PAGER", "more")
    monkeypatch.delenv("NEWSCAT_PAGER", raising=False)
    found = settings()
    assert found["catalog"] == (str(catalog), str(user))
    assert found["color"] == ("always", str(user))
    assert found["pager"] == ("most", str(user))  # the file outranks the generic $PAGER
    assert found["limit"] == ("20", str(user))
    monkeypatch.setenv("NEWSCAT_CATALOG", str(other))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("NEWSCAT_PAGER", "less")
    found = settings()
    assert found["catalog"] == (str(other), "$NEWSCAT_CATALOG")
    assert found["color"] == ("auto", "$NO_COLOR")  # the variable decides, not the file
    assert found["pager"] == ("less", "$NEWSCAT_PAGER")
    found = settings("-C", str(SEEDS), "--color", "always", "--no-cache")
    assert found["catalog"] == (str(SEEDS), "command line")
    assert found["color"] == ("always", "command line")
    assert found["cache-dir"] == ("(in memory)", "command line")


def test_the_users_catalog_is_the_default_catalogue(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    write_article(folder, "a.md", title="Only one", publishedDateTime="2024-01-01T00:00:00Z")
    Path(os.environ["NEWSCAT_CONFIG"]).write_text(
        '[defaults]\ncatalog = "news"\n', encoding="utf-8"
    )
    # A relative path in the file is relative to the file.
    assert ids() == ["a"]
    assert ids("-C", str(SEEDS)) == [DH, NHS]


def test_config_path_and_table(catalog: Path, user_file: Path) -> None:
    result = run("config", "--path", "-C", str(catalog))
    assert result.stdout == f"{user_file}\n"
    (catalog / "newscat.toml").write_text('exclude = "drafts/**"\n', encoding="utf-8")
    result = run("config", "--path", "-C", str(catalog))
    assert result.stdout == f"{user_file}\n{catalog / 'newscat.toml'}\n"
    result = run("config", "-f", "table", "-C", str(catalog))
    assert result.stdout.splitlines()[0].split() == ["setting", "value", "source"]
    sort_row = next(line for line in result.stdout.splitlines() if line.startswith("sort "))
    assert sort_row.split() == ["sort", "-quality", "user", "file"]  # the path is said below
    assert result.stdout.endswith(
        f"\nuser file  {user_file}\ncatalogue  {catalog / 'newscat.toml'}\n  exclude drafts/**\n"
    )
    payload = json.loads(run("config", "-f", "json").stdout)
    assert payload["settings"]["sort"] == {"value": "-quality", "source": str(user_file)}
    assert payload["files"]["user"] == {"path": str(user_file), "exists": True}


def test_a_bad_user_file_is_one_error_line(user_file: Path) -> None:
    user_file.write_text("[defaults]\nsort = \n", encoding="utf-8")
    for command in (["list"], ["config"], ["searches"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: {user_file}:2:8: invalid TOML: ")
        assert len(result.stderr.splitlines()) == 1


def test_a_value_from_a_file_cannot_steer_the_terminal(user_file: Path) -> None:
    user_file.write_text('[defaults]\npager = "less\\u001b[31m"\n', encoding="utf-8")
    result = run("config", "-f", "table")
    assert "\x1b" not in result.stdout
    assert "less\\x1b[31m" in result.stdout


# -- a catalogue's file never runs anything ------------------------------------------------

HOSTILE = [
    '[defaults]\npager = "touch {marker}"\nbrowser = "touch {marker}"\n',
    'pager = "touch {marker}"\n',
    'exclude = ["{marker}"]\n',
    '[searches.x]\noutput = "{marker}"\n',
    '[fields]\ndate = "x"\n[searches.x]\nwhere = "title = \'\'); DROP TABLE articles; --"\n'
    'format = "csv"\n[searches.y]\nmatch = "x"\n[pager]\ncommand = "touch {marker}"\n',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_catalogue_file_runs_nothing(
    text: str, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    path = catalog / "newscat.toml"
    path.write_text(text.format(marker=marker), encoding="utf-8")
    monkeypatch.setenv("DISPLAY", ":0")  # a browser would be launched if one were named
    for command in (
        ["list", "@x"],
        ["searches"],
        ["config"],
        ["export", "@x", "-f", "csv"],
    ):
        result = run(*command, "-C", str(catalog))
        assert result.exit_code in (1, 2), (command, result.stdout)
        assert result.stderr.startswith(f"Error: {path}:")
        assert len(result.stderr.splitlines()) == 1
    assert not marker.exists()
    assert ids("-C", str(catalog), "--sort=-date") == [DH, NHS]  # the catalogue itself still reads


def test_a_catalogue_file_cannot_name_the_browser(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    path = catalog / "newscat.toml"
    path.write_text(f'[defaults]\nbrowser = "touch {marker}"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)

    result = run("open", "50e0", "-C", str(catalog))

    assert (result.exit_code, result.stdout) == (0, HEE_URL + "\n")  # no browser: printed
    assert result.stderr.startswith(f"newscat: warning: {path}:1: 'defaults' is not allowed")
    assert not marker.exists()


@pytest.fixture
def searches_table(user_file: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, int], str]:
    """The table of the searches a user file holds, at ``columns`` (via $COLUMNS): exit 0,
    nothing on stderr."""

    def table(searches: str, columns: int) -> str:
        user_file.write_text(searches, encoding="utf-8")
        monkeypatch.setenv("COLUMNS", str(columns))
        result = run("searches", "-f", "table")
        assert (result.exit_code, result.stderr) == (0, "")
        return result.stdout

    return table


LONG = """
[searches.security-and-releases-of-2024]
match = "security OR vulnerability OR CVE OR \\"denial of service\\" OR \\"remote code execution\\""
where = "provider ~ nhs and heat > 60 and quality >= 50 and title ~ report and date > 2022-01-01"
since = "2022-01-01"
sort = "-date"

[searches.ethics]
topic = ["AI Ethics"]
min-quality = 50
"""


def test_the_searches_table_fits_80_columns_and_wraps_long_options(
    searches_table: Callable[[str, int], str],
) -> None:
    """Long queries wrap under the options column, an option with its value where they fit:
    every line within 80 columns, nothing cut."""
    lines = searches_table(LONG, 80).splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split() == ["search", "articles", "options"]
    indent = lines[0].index("options")
    assert lines[1].split() == ["@ethics", "2", "--topic", "'AI", "Ethics'", "--min-quality", "50"]
    name = "@security-and-releases-of-2024"
    assert lines[2].startswith(name + "  0 ")
    assert all(line[:indent].isspace() and line[indent] != " " for line in lines[3:])
    wrapped = " ".join(line[indent:] for line in lines[2:])
    tsv = run("searches", "-f", "tsv").stdout.splitlines()
    assert wrapped == tsv[2].split("\t")[2]  # every word of the options, in order
    assert lines[2].endswith("  --match 'security OR vulnerability OR")
    assert lines[-1] == " " * indent + "--since 2022-01-01 --sort -date"  # kept together
    wide = searches_table(LONG, 300).splitlines()
    assert len(wide) == 3  # wide enough: one line each


NARROW = """
[searches.security-and-releases-of-2024-in-japan]
match = "セキュリティ 脆弱性 リリース 日本語の長い検索語句を含むテキスト"
since = "2022-01-01"

[searches.quoted]
where = "title ~ 'foo --bar'"
match = "foo --baz"
sort = "-date"
"""


def test_at_40_columns_options_go_below_their_row_and_a_long_name_hangs(
    searches_table: Callable[[str, int], str],
) -> None:
    """The name and count leave the options under 24 cells: they go below the row, indented
    by 4; a name too long for its column hangs above its row; wide characters count two."""
    shown = searches_table(NARROW, 40)
    assert shown == (
        "search                          articles\n"
        "    options\n"
        "@quoted                         0\n"
        "    --where 'title ~ '\"'\"'foo\n"
        "    --bar'\"'\"'' --match 'foo --baz'\n"
        "    --sort -date\n"
        "@security-and-releases-of-2024-in-japan\n"
        "                                0\n"
        "    --match 'セキュリティ 脆弱性\n"
        "    リリース\n"
        "    日本語の長い検索語句を含むテキスト'\n"
        "    --since 2022-01-01\n"
    )
    assert max(cell_len(line) for line in shown.splitlines()) == 40


def test_at_60_columns_an_option_with_a_quoted_dash_dash_stays_whole(
    searches_table: Callable[[str, int], str],
) -> None:
    """``--bar`` and ``--baz`` are inside quotes: no break before them."""
    assert searches_table(NARROW, 60) == (
        "search                                   articles\n"
        "    options\n"
        "@quoted                                  0\n"
        "    --where 'title ~ '\"'\"'foo --bar'\"'\"''\n"
        "    --match 'foo --baz' --sort -date\n"
        "@security-and-releases-of-2024-in-japan  0\n"
        "    --match 'セキュリティ 脆弱性 リリース\n"
        "    日本語の長い検索語句を含むテキスト' --since 2022-01-01\n"
    )
    lines = searches_table(NARROW, 80).splitlines()  # room enough beside the others: wrapped there
    assert lines[0] == "search                                   articles  options"
    assert (
        lines[1] == "@quoted                                  0         --where 'title ~ '\"'\"'foo"
    )
    assert all(cell_len(line) <= 80 for line in lines)


def test_the_table_fits_a_real_terminal_of_40_columns(user_file: Path) -> None:
    """The width comes from the terminal itself, not only from $COLUMNS."""
    user_file.write_text(NARROW, encoding="utf-8")
    shown = in_pty(["searches"], {"NEWSCAT_CONFIG": str(user_file)}, columns=40, unset=("COLUMNS",))
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown).replace("\r", "").splitlines()
    assert "    --where 'title ~ '\"'\"'foo" in lines
    assert "    日本語の長い検索語句を含むテキスト'" in lines
    assert max(cell_len(line) for line in lines) == 40


def test_options_break_only_before_an_option_outside_quotes() -> None:
    assert wrapped_options("--sort -date --match 'foo --baz'", 25) == [
        "--sort -date",
        "--match 'foo --baz'",
    ]
    assert wrapped_options('--where "a --b" --x', 15) == ['--where "a --b"', "--x"]
    assert wrapped_options("--no-x --limit 1", 20) == ["--no-x --limit 1"]
    assert wrapped_options("", 20) == [""]


def test_a_word_wider_than_the_line_is_cut_between_characters_never_inside_one() -> None:
    assert wrapped_options("--match 日本語日本語日本語", 7) == [
        "--match",
        "日本語",
        "日本語",
        "日本語",
    ]
    assert wrapped_options("--m abcdefghij", 4) == ["--m", "abcd", "efgh", "ij"]


_WORDS = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")) | st.sampled_from("日本 '\"-"),
    max_size=30,
)
_OPTIONS = st.lists(
    st.tuples(st.from_regex(r"[a-z][a-z-]{0,14}", fullmatch=True), st.none() | _WORDS),
    max_size=8,
).map(
    lambda pairs: " ".join(f"--{k}" if v is None else f"--{k} {shlex.quote(v)}" for k, v in pairs)
)


@hypothesis.settings(max_examples=500, deadline=None)
@given(text=_OPTIONS | _WORDS, width=st.integers(20, 120))
def test_wrapped_options_fit_and_lose_nothing(text: str, width: int) -> None:
    lines = wrapped_options(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # every character, in order
    if all(cell_len(word) <= width for word in text.split(" ")):  # no word cut
        assert " ".join(lines) == text


@hypothesis.settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.from_regex(r"@[a-z0-9-]{1,45}", fullmatch=True), min_size=1, max_size=4),
    texts=st.lists(_OPTIONS, min_size=4, max_size=4),
    width=st.integers(20, 120),
)
def test_every_line_of_the_searches_table_fits(
    names: list[str], texts: list[str], width: int
) -> None:
    rows = [
        ["search", "articles", "options"],
        *([n, "12", t] for n, t in zip(names, texts[: len(names)], strict=True)),
    ]
    lines = aligned_text(rows, width).splitlines()
    assert all(cell_len(line) <= width for line in lines)
    shown = "".join("".join(line.split()) for line in lines)
    assert shown == "".join("".join(cell.split()) for row in rows for cell in row)  # in order
