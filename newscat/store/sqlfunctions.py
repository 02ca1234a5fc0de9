"""Python functions registered on every index connection, for the query compiler.

SQLite's own ``lower()`` and ``NOCASE`` fold ASCII only, and it has no regular
expressions; these fill the gaps. Every one is NULL-safe and deterministic.
"""

from __future__ import annotations

import json
import re
import sqlite3
from functools import lru_cache
from typing import Any

from newscat.dates import normalise_date
from newscat.fields import values_at
from newscat.model import file_path
from newscat.split import read_body
from newscat.text import line_text

_FALSE_WORDS = frozenset({"", "false", "no", "off", "0"})


def fold(value: Any) -> str | None:
    """Case-insensitive form of a value (``casefold``, so ``STRASSE`` equals ``straße``)."""
    if value is None:
        return None
    return str(value).casefold()


@lru_cache(maxsize=256)
def _compiled(pattern: str, ignore_case: int) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def regexp(pattern: str | None, ignore_case: int, value: Any) -> int | None:
    """1 when the pattern matches anywhere in the value (``re.search``)."""
    if pattern is None or value is None:
        return None
    return int(_compiled(pattern, ignore_case).search(str(value)) is not None)


@lru_cache(maxsize=64)
def _record(text: str) -> Any:
    return json.loads(text)


def values(record: str | None, path: str | None) -> str:
    """Every value at a path (a JSON list of keys) in a front matter, as a JSON array.

    A list on the way is walked element by element, and a list at the end is
    expanded, so ``images.width`` holds every image's width. Nulls are left out.
    """
    if record is None or path is None:
        return "[]"
    return json.dumps(values_at(_record(record), json.loads(path)), ensure_ascii=False)


def number(value: Any) -> float | None:
    """A number, from a number or a numeric string; NULL otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def date(value: Any) -> str | None:
    """The canonical UTC date string of a value, or NULL."""
    return normalise_date(value) if isinstance(value, str) else None


def truthy(value: Any, json_type: str | None) -> int:
    """Whether a ``json_each`` element counts as true: not null, false, 0, empty or 'no'."""
    if json_type in ("null", "false") or value is None:
        return 0
    if json_type == "true":
        return 1
    if json_type in ("object", "array"):
        return int(value not in ("{}", "[]"))
    if isinstance(value, (int, float)):
        return int(value != 0)
    return int(str(value).strip().lower() not in _FALSE_WORDS)


def line(value: str | None) -> str | None:
    """An id or path as ``-f ids`` and ``-f paths`` print it (see ``line_text``)."""
    return None if value is None else line_text(value)


def body(path: str | None, raw: str | None) -> str | None:
    """An article's body, read from its file (the index keeps none)."""
    if path is None:
        return None
    return read_body(file_path(path, raw))


def register(conn: sqlite3.Connection) -> None:
    """Make the functions available to SQL on ``conn`` as ``nc_*``."""
    conn.create_function("nc_fold", 1, fold, deterministic=True)
    conn.create_function("nc_regexp", 3, regexp, deterministic=True)
    conn.create_function("nc_values", 2, values, deterministic=True)
    conn.create_function("nc_number", 1, number, deterministic=True)
    conn.create_function("nc_date", 1, date, deterministic=True)
    conn.create_function("nc_truthy", 2, truthy, deterministic=True)
    conn.create_function("nc_line", 1, line, deterministic=True)
    conn.create_function("nc_body", 2, body)  # not deterministic: files change
