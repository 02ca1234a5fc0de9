"""Every machine format, written in one place: records as tsv, csv, Markdown, json or jsonl.

A record is a mapping of column names to values. Each writer streams: it takes
an iterable of records (a generator over a database cursor) and writes each one
as it arrives. Lists are ``; ``-joined in tsv/csv and JSON arrays in JSON;
nothing a terminal could act on reaches the output raw: tsv/csv/Markdown cells
escape control characters as ``\\x1b``-style text, JSON as ``\\u001b``.

A new machine format is one writer here and one entry in ``WRITERS``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from newscat.model import Problem

# --- cells ----------------------------------------------------------------------------------


def flat_text(value: Any) -> str:
    """A value as one cell of tsv/csv: lists ``; ``-joined, mappings as JSON, null empty."""
    if type(value) is str:  # most cells: nothing to flatten
        return value
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
#: Backslash, and every character a terminal could act on (ESC, OSC, C1, bidi overrides).
_TSV_SPECIAL = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: What a csv cell escapes: the same, less the tab and line breaks csv quotes itself.
_CSV_SPECIAL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
#: Characters a terminal may act on that JSON leaves raw: C1 controls, DEL, bidi overrides.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def tsv_cell(value: Any) -> str:
    """A tsv cell: one line, inert on a terminal, and reversible.

    Backslash, tab, newline and carriage return are escaped as ``\\\\ \\t \\n \\r``,
    any other control character (ESC, BEL, C1, bidi) as ``\\xNN`` or ``\\uNNNN``.
    """
    return _TSV_SPECIAL.sub(lambda m: _TSV_ESCAPES.get(m.group()) or _escape(m), flat_text(value))


def csv_cell(value: Any) -> str:
    """A csv cell: flattened, with every character a terminal could act on escaped."""
    return _CSV_SPECIAL.sub(_escape, flat_text(value))


def markdown_cell(value: Any) -> str:
    """A cell of a Markdown table: pipes escaped, line breaks as ``<br>``, and every other
    character a terminal could act on escaped as csv does."""
    text = csv_cell(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def json_text(value: Any, indent: int | None = None) -> str:
    """JSON (UTF-8, not ASCII-escaped) in which no character can drive a terminal.

    ``json`` already escapes C0 controls; C1 controls and bidi overrides get the
    same ``\\uXXXX`` escapes, so the text is still the exact value.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- writers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How records are laid out: their columns (tsv, csv, Markdown; JSON writes each
    record whole), a header row or not, and JSON's indentation."""

    columns: Sequence[str]
    header: bool = True
    #: Columns right-aligned in a Markdown table (numbers).
    numeric: Collection[str] = ()
    #: JSON only: None writes one record a line, a number pretty-prints the whole array.
    indent: int | None = None


Records = Iterable[Mapping[str, Any]]
Writer = Callable[[IO[str], Records, Shape], int]


def _cells(
    record: Mapping[str, Any],
    columns: Sequence[str],
    special: re.Pattern[str],
    cell: Callable[[Any], str],
) -> list[str]:
    """A record's cells, flattened; escaped by ``cell`` only in the rare row where
    ``special`` finds something to escape (one search for the row, not one a cell)."""
    cells = [flat_text(record[name]) for name in columns]
    if special.search("".join(cells)):
        return [cell(text) for text in cells]
    return cells


def write_tsv(out: IO[str], records: Records, shape: Shape) -> int:
    """Tab-separated values: one line a record, every cell escaped by ``tsv_cell``."""
    if shape.header:
        out.write("\t".join(tsv_cell(name) for name in shape.columns) + "\n")
    count = 0
    for record in records:
        out.write("\t".join(_cells(record, shape.columns, _TSV_SPECIAL, tsv_cell)) + "\n")
        count += 1
    return count


def write_csv(out: IO[str], records: Records, shape: Shape) -> int:
    """RFC 4180 quoting, with ``\\n`` line ends (what Unix tools and Python's csv expect)."""
    writer = csv.writer(out, lineterminator="\n")
    if shape.header:
        writer.writerow(shape.columns)
    count = 0
    for record in records:
        writer.writerow(_cells(record, shape.columns, _CSV_SPECIAL, csv_cell))
        count += 1
    return count


def write_markdown(out: IO[str], records: Records, shape: Shape) -> int:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned."""
    if shape.header:
        out.write("| " + " | ".join(markdown_cell(name) for name in shape.columns) + " |\n")
        rules = ("---:" if name in shape.numeric else "---" for name in shape.columns)
        out.write("| " + " | ".join(rules) + " |\n")
    count = 0
    for record in records:
        cells = (markdown_cell(record[name]) for name in shape.columns)
        out.write("| " + " | ".join(cells) + " |\n")
        count += 1
    return count


def write_json(out: IO[str], records: Records, shape: Shape) -> int:
    """A JSON array: one record a line, written as it is read (or, with an indent,
    pretty-printed whole)."""
    if shape.indent is not None:
        items = [dict(record) for record in records]
        out.write(json_text(items, indent=shape.indent) + "\n")
        return len(items)
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n  " if count else "\n  ")
        out.write(json_text(record))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(out: IO[str], records: Records, shape: Shape) -> int:
    """JSON Lines: one record a line."""
    count = 0
    for record in records:
        out.write(json_text(record) + "\n")
        count += 1
    return count


#: Every machine format for records, by name.
WRITERS: dict[str, Writer] = {
    "tsv": write_tsv,
    "csv": write_csv,
    "markdown": write_markdown,
    "json": write_json,
    "jsonl": write_jsonl,
}


def write_records(out: IO[str], fmt: str, records: Records, shape: Shape) -> int:
    """Records in the machine format ``fmt``; how many were written."""
    return WRITERS[fmt](out, records, shape)


# --- problems -------------------------------------------------------------------------------

#: The columns of a problem's record.
PROBLEM_FIELDS = ("file", "line", "column", "severity", "code", "message")


def problem_record(problem: Problem) -> dict[str, Any]:
    """A problem as a record keyed by PROBLEM_FIELDS."""
    return {
        "file": problem.path,
        "line": problem.line,
        "column": problem.column,
        "severity": problem.severity,
        "code": problem.code,
        "message": problem.message,
    }


def write_problem_lines(
    out: IO[str], problems: Iterable[Problem], show: Callable[[str], str] = str
) -> int:
    """``path:line:col: severity: code: message``, one line each: the form editors, grep
    and CI annotations read (line and column left out where unknown; each path as
    ``show`` gives it)."""
    count = 0
    for problem in problems:
        where = tsv_cell(show(problem.path))
        if problem.line is not None:
            where += f":{problem.line}"
            if problem.column is not None:
                where += f":{problem.column}"
        out.write(f"{where}: {problem.severity}: {problem.code}: {tsv_cell(problem.message)}\n")
        count += 1
    return count
