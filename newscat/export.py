"""Writers for the machine formats, and the field values they write (SPEC §3, Output).

Machine formats are UTF-8 and never truncate; dates are ISO 8601 UTC; lists
are JSON arrays in JSON and ``; ``-joined in tsv/csv; nested mappings flatten
to dotted columns.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from newscat.model import Article

DEFAULT_FIELDS = ("id", "date", "title", "provider", "quality", "heat", "topics")

#: Fields every article has, from the normalised views (plus aliases).
NORMALISED_FIELDS = (
    "id", "path", "date", "title", "excerpt", "category", "type", "quality", "heat",
    "published", "provider", "domain", "url", "topics", "body",
)  # fmt: skip
ALIASES = {"topic": "topics"}

_MISSING = object()


def field_value(article: Article, name: str) -> Any:
    """The value of an output field: a normalised view, or a dotted path into the record."""
    name = ALIASES.get(name, name)
    if name in NORMALISED_FIELDS:
        value = getattr(article, name)
        return list(value) if isinstance(value, tuple) else value
    value = _dig(article.record, name.split("."))
    return None if value is _MISSING else value


def _dig(value: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list):
            # A path through a list collects that key from every element.
            found = [_dig(item, [part]) for item in value]
            value = [item for item in found if item is not _MISSING]
        else:
            return _MISSING
    return value


def flat_text(value: Any) -> str:
    """A value as one cell of tsv/csv: lists ``; ``-joined, mappings as JSON, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "; ".join(flat_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: Backslash, and every control character a terminal could act on (ESC, OSC, C1).
_TSV_SPECIAL = re.compile(r"[\\\x00-\x1f\x7f-\x9f]")


def tsv_cell(value: Any) -> str:
    """A tsv cell: one line, inert on a terminal, and reversible.

    Backslash, tab, newline and carriage return are escaped as ``\\\\ \\t \\n \\r``,
    any other control character (ESC, BEL, C1) as ``\\xNN``.
    """
    return _TSV_SPECIAL.sub(
        lambda m: _TSV_ESCAPES.get(m.group()) or f"\\x{ord(m.group()):02x}", flat_text(value)
    )


def write_tsv(
    out: IO[str], articles: Iterable[Article], fields: Sequence[str], header: bool = True
) -> int:
    count = 0
    if header:
        out.write("\t".join(fields) + "\n")
    for article in articles:
        out.write("\t".join(tsv_cell(field_value(article, name)) for name in fields) + "\n")
        count += 1
    return count


def write_json(out: IO[str], articles: Iterable[Article], fields: Sequence[str] | None) -> int:
    """A JSON array, one object per line-indented record, written as it is read."""
    count = 0
    out.write("[")
    for article in articles:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(_record(article, fields), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(out: IO[str], articles: Iterable[Article], fields: Sequence[str] | None) -> int:
    count = 0
    for article in articles:
        out.write(json.dumps(_record(article, fields), ensure_ascii=False) + "\n")
        count += 1
    return count


def _record(article: Article, fields: Sequence[str] | None) -> dict[str, Any]:
    if fields is None:
        return article.full_record()
    return {name: field_value(article, name) for name in fields}


# --- rows of summaries (topics, providers) ------------------------------------------------

#: Characters a terminal may act on that JSON leaves raw: C1 controls, DEL, bidi overrides.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: The same plus C0 controls other than tab, newline and carriage return, for tsv/csv cells.
_CELL_UNSAFE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def json_text(value: Any, indent: int | None = None) -> str:
    """JSON (UTF-8, not ASCII-escaped) in which no character can drive a terminal.

    ``json`` already escapes C0 controls; C1 controls and bidi overrides get the
    same ``\\uXXXX`` escapes, so the text is still the exact value.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_rows(
    out: IO[str],
    fmt: str,
    fields: Sequence[str],
    records: Sequence[dict[str, Any]],
    header: bool = True,
) -> int:
    """Records (dicts keyed by ``fields``) as tsv, csv, json or jsonl.

    Cells never carry raw control characters: they are shown as ``\\x1b``-style
    escapes in tsv/csv, and escaped by JSON itself in json/jsonl.
    """
    if fmt == "json":
        out.write("[" + ",".join("\n  " + json_text(r) for r in records))
        out.write("\n]\n" if records else "]\n")
    elif fmt == "jsonl":
        for record in records:
            out.write(json_text(record) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow(fields)
        for record in records:
            writer.writerow([_CELL_UNSAFE.sub(_escape, flat_text(record[f])) for f in fields])
    else:
        if header:
            out.write("\t".join(fields) + "\n")
        for record in records:
            cells = [_CELL_UNSAFE.sub(_escape, tsv_cell(record[f])) for f in fields]
            out.write("\t".join(cells) + "\n")
    return len(records)
