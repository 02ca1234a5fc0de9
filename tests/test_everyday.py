"""Everyday commands: relative dates in words, open and edit with several REFs."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat.dates import ACCEPTED_FORMS
from tests.conftest import SEED_IDS, SEEDS, run

NOW = "2022-11-07T12:00:00Z"  # a Monday


@pytest.mark.parametrize(
    ("when", "ids"),
    [
        ("3 days ago", []),
        ("6 days ago", ["002_6ef551387f7f8ea7"]),
        ("1week", ["002_6ef551387f7f8ea7"]),
        ("1 week", ["002_6ef551387f7f8ea7"]),
        ("a week ago", ["002_6ef551387f7f8ea7"]),
        ("2 weeks", ["002_6ef551387f7f8ea7"]),
        ("last week", ["002_6ef551387f7f8ea7"]),
        ("last monday", ["002_6ef551387f7f8ea7"]),  # 2022-10-31, a week before
        ("wednesday", ["002_6ef551387f7f8ea7"]),  # 2022-11-02, the whole day
        ("last thursday", []),  # 2022-11-03
        ("48 hours ago", []),
        ("7 months ago", ["002_6ef551387f7f8ea7", "000_50e039b255de019a"]),
        ("1 year", ["002_6ef551387f7f8ea7", "000_50e039b255de019a"]),
    ],
)
def test_relative_phrases(when: str, ids: list[str]) -> None:
    result = run("list", "--now", NOW, "--since", when, "-f", "ids")
    assert (result.exit_code, result.stdout.split()) == (0, ids)


def test_until_a_weekday_includes_that_whole_day() -> None:
    result = run("list", "--now", NOW, "--since", "last wednesday", "--until", "wednesday",
                 "-f", "ids")  # fmt: skip
    assert result.stdout == "002_6ef551387f7f8ea7\n"


@pytest.mark.parametrize("when", ["blah", "last blah", "3 fortnights ago", "monkey"])
def test_an_unreadable_date_lists_the_accepted_forms(when: str) -> None:
    result = run("list", "--since", when)
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: invalid --since {when!r}: expected {ACCEPTED_FORMS}\n",
    )


def test_open_prints_every_url_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("open", "--print", "6ef5", "50e0")
    assert result.exit_code == 0
    assert result.stdout == (
        "https://www.digitalhealth.net/2022/11/"
        "nhs-report-calls-for-artificial-intelligence-training-for-all-staff/\n"
        "https://www.hee.nhs.uk/news-blogs-events/news/"
        "new-report-finds-healthcare-staff-need-support-use-ai-safely\n"
    )


def test_open_checks_every_ref_before_opening_any() -> None:
    result = run("open", "--print", "6ef5", "zzzz")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: no article matches 'zzzz'\n"


@pytest.fixture
def editor(tmp_path: Path) -> tuple[str, Path]:
    log = tmp_path / "edited.txt"
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        f"open({str(log)!r}, 'w').write('\\n'.join(sys.argv[1:]))\n"
        "sys.exit(int(__import__('os').environ.get('EDITOR_STATUS', '0')))\n",
        encoding="utf-8",
    )
    return f"{sys.executable} {script}", log


def test_edit_opens_the_files_in_visual_else_editor(
    editor: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    command, log = editor
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", command)
    result = run("edit", "50e0", "6ef5", "50e0")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert log.read_text(encoding="utf-8").split("\n") == [
        str(SEEDS / f"{SEED_IDS[0]}.txt"),
        str(SEEDS / f"{SEED_IDS[1]}.txt"),
    ]
    monkeypatch.setenv("VISUAL", command + " --wait")
    monkeypatch.setenv("EDITOR", "no-such-editor")
    assert run("edit", "6ef5").exit_code == 0
    assert log.read_text(encoding="utf-8").split("\n") == [
        "--wait",
        str(SEEDS / f"{SEED_IDS[1]}.txt"),
    ]


def test_edit_reports_a_missing_or_failing_editor(
    editor: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "no-such-editor -w")
    result = run("edit", "50e0")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: editor 'no-such-editor -w' not found; set $VISUAL or $EDITOR\n",
    )
    command, _ = editor
    monkeypatch.setenv("EDITOR", command)
    monkeypatch.setenv("EDITOR_STATUS", "3")
    result = run("edit", "50e0")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: the editor {command!r} exited with status 3\n",
    )


def test_template_one_line_per_article() -> None:
    result = run("list", "--template", "{date:%Y-%m-%d} {title} ({provider})")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "2022-11-02 NHS report calls for artificial intelligence training for all staff "
        "(Digital Health)\n"
        "2022-05-19 New report finds healthcare staff need support to use AI safely (NHS HEE)\n"
    )
    result = run("list", "--template", "{ref} {quality:>4} {topics}", "-n", "1")
    assert result.stdout == "6ef5   56 AI Ethics, AI, AI in Healthcare\n"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{title", "Error: invalid --template '{title': expected '}' before end of string\n"),
        ("plain", "Error: invalid --template 'plain': it names no field, e.g. '{title}'\n"),
        ("{}", "Error: invalid --template '{}': every {} needs a field name\n"),
    ],
)
def test_a_bad_template_is_refused_before_any_output(template: str, message: str) -> None:
    result = run("list", "--template", template)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_a_bad_format_spec_is_named() -> None:
    result = run("list", "--template", "{quality:zz}")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: invalid --template '{quality:zz}': {quality:zz}: ")


def test_a_template_names_known_fields_only() -> None:
    result = run("list", "--template", "{nope}")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: unknown field 'nope'")


# --- time zone names in dates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("May 19, 2022 9:13 AM", "2022-05-19T09:13:00Z"),  # no zone: UTC
        ("May 19, 2022 9:13 AM EST", "2022-05-19T14:13:00Z"),
        ("19 May 2022 9:13 PDT", "2022-05-19T16:13:00Z"),
        ("2022-05-19 09:13 CEST", "2022-05-19T07:13:00Z"),
        ("Thu, 19 May 2022 09:13:00 GMT", "2022-05-19T09:13:00Z"),
        ("Thu, 19 May 2022 09:13:00 +0530", "2022-05-19T03:43:00Z"),
        ("May 19, 2022 9:13 AL", None),  # a name newscat cannot place
        ("May 19, 2022 9:13 IST", None),  # India, Ireland or Israel
    ],
)
@pytest.mark.parametrize("local", ["UTC", "EST5EDT", "AL-3"])
def test_zone_names_read_the_same_on_every_machine(
    written: str, utc: str | None, local: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    import warnings

    from newscat.dates import normalise_date

    monkeypatch.setenv("TZ", local)  # a machine whose own zone is EST, or is named AL
    time.tzset()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing may reach the user as a Python warning
            assert normalise_date(written) == utc
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


@settings(max_examples=400, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
    minutes=st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    separator=st.sampled_from([" ", "T"]),
    gap=st.sampled_from(["", " "]),
    colon=st.sampled_from(["", ":"]),
    seconds=st.booleans(),
    short_hour=st.booleans(),
)
def test_a_date_whose_offset_is_written_loosely_is_the_instant_it_names(
    moment: datetime,
    minutes: int,
    separator: str,
    gap: str,
    colon: str,
    seconds: bool,
    short_hour: bool,
) -> None:
    """Jekyll's "2019-07-02 11:21:02 -0400" and its neighbours: ISO 8601 but for a space
    before the offset or the offset's colon, or an hour of one digit."""
    from newscat.dates import normalise_date

    moment = moment.replace(second=moment.second if seconds else 0, microsecond=0)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    hour = str(moment.hour) if short_hour else f"{moment.hour:02d}"
    clock = clock.replace("%H", hour)
    written = (
        moment.strftime(f"%Y-%m-%d{separator}{clock}") + f"{gap}{sign}{hours:02d}{colon}{rest:02d}"
    )
    utc = moment - timedelta(minutes=minutes)
    assert normalise_date(written) == utc.strftime("%Y-%m-%dT%H:%M:%SZ"), written


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2019-07-02 11:21:02 -0400", "2019-07-02T15:21:02Z"),
        ("2019-07-02 11:21:02 +0000", "2019-07-02T11:21:02Z"),
        ("2013-11-22 5:00:00 +0000", "2013-11-22T05:00:00Z"),
        ("2013-11-22 5:07 -0800", "2013-11-22T13:07:00Z"),
        ("2013-11-22T0:00:00-01:00", "2013-11-22T01:00:00Z"),
        ("2019-07-02 23:30 +05:30", "2019-07-02T18:00:00Z"),
        ("2019-12-31T22:00:00 -0300", "2020-01-01T01:00:00Z"),
        ("2019-02-30 11:21:02 -0400", None),  # no such day
        ("2019-07-02 25:21:02 -0400", None),  # no such hour
        ("0999-07-02 11:21:02 -0400", "0999-07-02T15:21:02Z"),  # sorts before 2019
        ("0001-01-01 00:30 +0100", None),  # before the first instant a date can hold
        ("0001-01-01T00:30+01:00", None),
        ("9999-12-31 23:30 -0100", None),  # after the last
    ],
)
def test_jekyll_dates_read_as_written(written: str, utc: str | None) -> None:
    from newscat.dates import normalise_date

    assert normalise_date(written) == utc


def test_an_unknown_zone_is_named_by_check_and_warns_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.md").write_text(
        '---\ntitle: x\ndate: "May 19, 2022 9:13 AL"\nurl: https://x.example/a\n---\n',
        encoding="utf-8",
    )
    result = run("list", "-C", str(folder), "-F", "id,date", "--no-header")
    assert (result.stdout, result.stderr) == ("a\t\n", "")
    result = run("check", "-C", str(folder))
    assert result.stdout == (
        f"{folder / 'a.md'}:3:1: warning: bad-date: "
        "date 'May 19, 2022 9:13 AL' is not a date: unknown time zone 'AL'\n"
    )


def test_an_unreadable_date_is_said_when_the_file_name_gives_one(tmp_path: Path) -> None:
    """A Jekyll post whose date cannot be read takes its file name's day, and check says
    why (jekyll's own 3.9.3 post has ``date: 2023-01-29 18:30:22 2023 -0800``)."""
    folder = tmp_path / "c"
    folder.mkdir()
    name = "2023-01-29-jekyll-3-9-3-released.md"
    (folder / name).write_text(
        "---\ntitle: x\ndate: 2023-01-29 18:30:22 2023 -0800\nurl: https://x.example/a\n---\n",
        encoding="utf-8",
    )
    result = run("list", "-C", str(folder), "-F", "date", "-f", "jsonl")
    assert (result.stdout, result.stderr) == ('{"date": "2023-01-29T00:00:00Z"}\n', "")
    result = run("check", "-C", str(folder))
    assert result.stdout == (
        f"{folder / name}:3:1: warning: bad-date: date '2023-01-29 18:30:22 2023 -0800' "
        "is not a date; the date is the file name's\n"
    )


def test_a_date_out_of_range_in_utc_leaves_the_article_read_without_one() -> None:
    from newscat.model import Article
    from newscat.parse import parse_article

    data = b"---\ntitle: t\ndate: 0001-01-01 00:30 +0100\nurl: https://x.org/a\n---\nbody\n"
    article = parse_article(data, "x.md", "x")
    assert isinstance(article, Article)
    assert article.date is None
    assert [(w.code, w.message) for w in article.warnings] == [
        ("bad-date", "date '0001-01-01 00:30 +0100' is not a date")
    ]
