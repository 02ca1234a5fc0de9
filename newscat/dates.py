"""Dates: normalising what files hold, and reading what users type.

Article dates are stored as ``YYYY-MM-DDTHH:MM:SSZ`` strings in UTC, which sort
and compare correctly as text in SQLite.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from newscat.errors import UsageError

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_RELATIVE = re.compile(
    r"^\s*(\d+|an?)\s*(h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|mos|months?|y|yrs?|years?)"
    r"(?:\s+ago)?\s*$",
    re.IGNORECASE,
)
_LAST = re.compile(r"^\s*last\s+(hour|day|week|month|year)\s*$", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"^\s*(?:last\s+)?(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*$", re.IGNORECASE)
#: What --since, --until and --now accept, for the error that lists them.
ACCEPTED_FORMS = (
    "a date (2022-05-19, 2022-05-19T09:13:00Z, 'May 2022'), today, yesterday, "
    "a span back from now (12h, 7d, 2w, 3mo, 1y, '3 days ago', '1 week', 'last month') "
    "or a weekday ('last monday')"
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DEFAULT_PARTS = datetime(2000, 1, 1)
_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
#: A date and time with an offset written after a space or without its colon, as
#: Jekyll writes dates ("2019-07-02 11:21:02 -0400"), its hour perhaps of one digit
#: ("2013-11-22 5:00:00 +0000"): read as the ISO 8601 it nearly is, rather than guessed
#: at by python-dateutil (ten times slower, and some 20 ms to load in each process).
_LOOSE_OFFSET = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[T ])([0-9]{1,2})(:[0-9]{2}(?::[0-9]{2})?) ?"
    r"([+-](?:[01][0-9]|2[0-3])):?([0-5][0-9])\Z"
)


def to_iso(moment: datetime) -> str:
    """A timezone-aware (or UTC-naive) datetime as the canonical UTC string."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    # Not strftime: it writes the year 999 as "999", which sorts after "2024".
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _iso_moment(text: str) -> datetime | None:
    """``text`` read as ISO 8601 (a trailing Z too) or, only when it is not, as a date
    whose offset is written loosely (``_LOOSE_OFFSET``); None when it is neither."""
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        pass
    loose = _LOOSE_OFFSET.match(text)
    if loose is None:
        return None
    try:
        day, hour, rest, hours, minutes = loose.groups()
        return datetime.fromisoformat(f"{day}{hour:0>2}{rest}{hours}:{minutes}")
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def normalise_date(value: Any) -> str | None:
    """The canonical UTC string for a front-matter date value, or None if it cannot be read.

    ISO 8601 is read directly; anything else ("May 19, 2022 9:13 AM") goes
    through python-dateutil. A date without a zone is taken as UTC.
    """
    if isinstance(value, datetime):
        return to_iso(_aware(value))
    if isinstance(value, date):
        return to_iso(datetime.combine(value, time(), tzinfo=timezone.utc))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _CANONICAL.match(text):  # already YYYY-MM-DDTHH:MM:SSZ, as most files are
        return text if _valid_canonical(text) else None
    moment = _iso_moment(text)
    if moment is not None:
        try:
            return to_iso(_aware(moment))
        except OverflowError:  # a date whose instant in UTC is out of range
            return None
    from dateutil import parser as dateparser  # imported only for the rare non-ISO date

    try:
        # Missing parts come from 1 January, so "May 2022" is 2022-05-01.
        parsed = dateparser.parse(text, default=_DEFAULT_PARTS, tzinfos=_zone)
        return to_iso(_aware(parsed))
    except (ValueError, OverflowError):
        return None


#: Zone abbreviations that name one offset wherever news is written, in hours east of UTC.
#: Any other name ("IST" is India, Ireland and Israel) makes a date unreadable, rather
#: than hours wrong, or right only on machines whose own zone has that name.
ZONES = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1,
    "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "SGT": 8, "HKT": 8, "AWST": 8, "JST": 9,
    "KST": 9, "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6,
    "CST": -6, "CDT": -5, "EST": -5, "EDT": -4,
}  # fmt: skip


class UnknownZone(ValueError):
    """A date names a time zone that is not in ``ZONES``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name!r}")
        self.name = name


def _zone(name: str | None, offset: int | None) -> int | None:
    """python-dateutil's time zone for a parsed date: its offset in seconds, else the
    offset of a known abbreviation; UnknownZone for any other name."""
    if offset is not None:
        return offset
    if name is None:
        return None
    hours = ZONES.get(name.upper())
    if hours is None:
        raise UnknownZone(name)
    return int(hours * 3600)


def unknown_zone(text: str) -> str | None:
    """The time zone name that keeps a date from being read ("9:13 AL": "AL"), if any."""
    # start-up time: dateutil only for a date it must guess
    from dateutil import parser as dateparser

    try:
        dateparser.parse(text, default=_DEFAULT_PARTS, tzinfos=_zone)
    except UnknownZone as exc:
        return exc.name
    except (ValueError, OverflowError):
        return None
    return None


def _valid_canonical(text: str) -> bool:
    """Whether a canonical-looking date is a real one (no 2022-02-30T25:00:00Z)."""
    try:
        datetime(
            int(text[0:4]), int(text[5:7]), int(text[8:10]),
            int(text[11:13]), int(text[14:16]), int(text[17:19]),
        )  # fmt: skip
    except ValueError:
        return False
    return True


def parse_instant(text: str) -> datetime | None:
    """Read a stored canonical date back as an aware datetime."""
    try:
        return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def relative_delta(amount: int, unit: str) -> timedelta:
    """``12h 7d 2w 3mo 1y`` (or the words: ``3 days``) as a span of time (a month is
    30 days, a year 365)."""
    unit = unit.lower()
    unit = "mo" if unit.startswith("mo") else unit[0]
    days = {"h": 0, "d": 1, "w": 7, "mo": 30, "y": 365}[unit]
    if unit == "h":
        return timedelta(hours=amount)
    return timedelta(days=amount * days)


def parse_duration(text: str) -> timedelta | None:
    """``7d`` -> 7 days; None when the text is not a duration."""
    match = _RELATIVE.match(text)
    if match:
        amount = match.group(1).lower()
        return relative_delta(1 if amount in ("a", "an") else int(amount), match.group(2))
    last = _LAST.match(text)
    if last:
        return relative_delta(1, last.group(1))
    return None


def resolve_now(text: str | None) -> datetime:
    """The moment "now" means: the current time, or the one ``--now`` pins."""
    if text is None:
        return datetime.now(timezone.utc)
    start, _ = parse_when(text, datetime.now(timezone.utc), option="--now")
    return start


def parse_when(text: str, now: datetime, option: str = "date") -> tuple[datetime, bool]:
    """A user's date: ``(moment, is_whole_day)``.

    Accepts ISO dates and date-times, anything python-dateutil reads
    ("May 2022"), ``today``, ``yesterday``, ``now`` and relative spans such as
    ``7d`` (that long before ``now``). ``is_whole_day`` is true for a bare
    calendar day, so that ``--until 2022-05-19`` can include all of that day.
    Raises UsageError naming ``option`` when the text cannot be read.
    """
    word = text.strip().lower()
    today = datetime.combine(now.astimezone(timezone.utc).date(), time(), tzinfo=timezone.utc)
    if word == "now":
        return now, False
    if word == "today":
        return today, True
    if word == "yesterday":
        return today - timedelta(days=1), True
    span = parse_duration(word)
    if span is not None:
        return now - span, False
    weekday = _WEEKDAY.match(word)
    if weekday and any(day.startswith(word.split()[-1]) for day in _WEEKDAYS):
        # The latest such day before today ("last monday" on a Monday is a week ago).
        wanted = [day[:3] for day in _WEEKDAYS].index(weekday.group(1).lower())
        back = (today.weekday() - wanted - 1) % 7 + 1
        return today - timedelta(days=back), True
    stripped = text.strip()
    if _DATE_ONLY.match(stripped):
        try:
            day = date.fromisoformat(stripped)
        except ValueError as exc:
            raise UsageError(f"invalid {option} {text!r}: {exc}") from None
        return datetime.combine(day, time(), tzinfo=timezone.utc), True
    normalised = normalise_date(stripped)
    if normalised is None:
        raise UsageError(f"invalid {option} {text!r}: expected {ACCEPTED_FORMS}")
    moment = parse_instant(normalised)
    assert moment is not None
    return moment, _looks_date_only(stripped)


def _looks_date_only(text: str) -> bool:
    """True when a natural date names no time of day ("May 19, 2022", "May 2022")."""
    return not re.search(r"\d:\d|\b(am|pm)\b|T\d", text, re.IGNORECASE)


_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400),
          ("hour", 3600), ("minute", 60))  # fmt: skip


def humanize(moment: datetime, now: datetime) -> str:
    """How long before (or after) ``now`` a moment is: "3 years ago", "in 2 days", "just now"."""
    seconds = (now - moment).total_seconds()
    ahead = seconds < 0
    seconds = abs(seconds)
    for unit, size in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            span = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {span}" if ahead else f"{span} ago"
    return "just now"
