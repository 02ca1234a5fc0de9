"""A Hive-partitioned Parquet dataset of articles, for DuckDB, Spark, Trino and friends.

``DIR/year=2024/month=05/part-0.parquet`` holds the articles dated May 2024 (UTC);
articles without a date go under ``year=unknown/month=unknown``. Every file has the
same columns: the normalised fields, and ``front_matter``, the front matter exactly
as written, as JSON text. Articles must arrive grouped by month (sorted by date), so
that one file is open at a time and memory holds one row group, whatever the size.

pyarrow is an optional dependency (``pip install "newscat[parquet]"``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from newscat.errors import OutputError, UsageError
from newscat.fields import RECORD_FIELDS, Context, FieldType
from newscat.model import Article

#: Written into every dataset, so that a later export may replace it.
MARKER = "_newscat_dataset.json"
UNKNOWN = "unknown"
#: A row group is written when it holds this many rows or this many bytes of text.
ROW_GROUP_ROWS = 20_000
ROW_GROUP_BYTES = 32 * 1024 * 1024

#: The Arrow type of each kind of field (lists of text as lists, mappings as JSON text).
ARROW_TYPES: dict[FieldType, str] = {
    "text": "string",
    "date": "timestamp",
    "number": "double",
    "bool": "bool",
    "list of text": "list<string>",
    "mapping": "string",
}
#: The columns, in order, with their Arrow types by name: the full record's fields.
COLUMNS = tuple((spec.name, ARROW_TYPES[spec.type]) for spec in RECORD_FIELDS)

INSTALL_HINT = 'pip install "newscat[parquet]"'


def require_pyarrow() -> None:
    """Fail with a one-line instruction when pyarrow is not installed."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise OutputError(f"-f parquet needs pyarrow: {INSTALL_HINT}") from None


def partition(date: str | None) -> tuple[str, str]:
    """``("2024", "05")`` for a date in May 2024; ``("unknown", "unknown")`` for none."""
    if not date or len(date) < 7:
        return UNKNOWN, UNKNOWN
    return date[:4], date[5:7]


def check_target(path: str) -> None:
    """Refuse a target that is a file, or a folder with something other than a dataset in it
    (a re-export replaces the whole folder: nothing else of it may be lost)."""
    if os.path.isfile(path):
        raise UsageError(f"-f parquet writes a folder, and {path} is a file")
    if not os.path.isdir(path) or not os.listdir(path):
        return
    if not os.path.exists(os.path.join(path, MARKER)):
        raise UsageError(
            f"{path} is not empty and holds no newscat dataset; give a new or empty folder"
        )
    other = _not_of_the_dataset(path)
    if other is not None:
        raise UsageError(
            f"{path} holds a newscat dataset and {other}, which a new export would remove; "
            "move it, or give a new or empty folder"
        )


#: The folders of a dataset, by depth: a year's, then a month's in it.
_PARTITIONS = ("year=", "month=")


def _not_of_the_dataset(path: str) -> str | None:
    """The first thing in a dataset's folder that an export did not write, or None; a
    folder that cannot be read counts, as what it holds cannot be told."""
    unreadable: list[str] = []
    for folder, folders, files in os.walk(
        path, onerror=lambda exc: unreadable.append(exc.filename)
    ):
        if unreadable:
            return str(unreadable[0])
        depth = 0 if folder == path else os.path.relpath(folder, path).count(os.sep) + 1
        for name in sorted(folders):
            if depth >= len(_PARTITIONS) or not name.startswith(_PARTITIONS[depth]):
                return os.path.join(folder, name)
        for name in sorted(files):
            kept = (depth == 0 and name == MARKER) or (depth == 2 and name.endswith(".parquet"))
            if not kept:
                return os.path.join(folder, name)
    return str(unreadable[0]) if unreadable else None


def write_dataset(
    path: str, articles: Iterable[Article], check: Callable[[int], None] | None = None
) -> int:
    """Write the articles (grouped by month) as a dataset in folder ``path``; returns the count.

    The dataset is built in a temporary folder beside ``path`` and moved into place
    when complete, replacing an earlier dataset there; on any failure, ``path`` is
    left as it was. ``check`` sees the number of articles written and may raise to
    discard them.
    """
    check_target(path)
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    try:
        temp = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        count = _write(temp, articles)
        if check is not None:
            check(count)
        with open(os.path.join(temp, MARKER), "w", encoding="utf-8") as fh:
            json.dump({"format": "newscat parquet dataset", "version": 1, "articles": count}, fh)
        _replace(temp, target, parent)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return count


def _replace(temp: str, target: str, parent: str) -> None:
    """Move the finished dataset into place; an earlier one there goes only once it has."""
    if not os.path.exists(target):
        os.rename(temp, target)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".old", dir=parent)
    os.rename(target, os.path.join(old, "dataset"))
    try:
        os.rename(temp, target)
    except OSError:
        os.rename(os.path.join(old, "dataset"), target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _schema() -> Any:
    # an optional dependency: pip install "newscat[parquet]"
    import pyarrow as pa

    kinds = {
        "string": pa.string(),
        "timestamp": pa.timestamp("s", tz="UTC"),
        "list<string>": pa.list_(pa.string()),
        "double": pa.float64(),
        "bool": pa.bool_(),
    }
    return pa.schema([(name, kinds[kind]) for name, kind in COLUMNS])


def _write(folder: str, articles: Iterable[Article]) -> int:
    # an optional dependency: pip install "newscat[parquet]"
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    count = 0
    current: tuple[str, str] | None = None
    writer: Any = None
    done: set[tuple[str, str]] = set()
    columns: dict[str, list[Any]] = {name: [] for name, _ in COLUMNS}
    pending_rows = pending_bytes = 0

    def flush() -> None:
        nonlocal pending_rows, pending_bytes
        if writer is not None and pending_rows:
            writer.write_table(pa.table(columns, schema=schema))
        for values in columns.values():
            values.clear()
        pending_rows = pending_bytes = 0

    try:
        for article in articles:
            key = partition(article.date)
            if key != current:
                flush()
                if writer is not None:
                    writer.close()
                if key in done:  # not grouped by month: a caller's mistake, never silent
                    raise ValueError(f"articles of {key[0]}-{key[1]} arrived twice")
                done.add(key)
                current = key
                part = os.path.join(folder, f"year={key[0]}", f"month={key[1]}")
                os.makedirs(part)
                writer = pq.ParquetWriter(
                    os.path.join(part, "part-0.parquet"), schema, compression="zstd"
                )
            for name, value in _row(article):
                columns[name].append(value)
                if name == "body" and value:
                    pending_bytes += len(value)
            pending_bytes += len(article.front_matter_json)
            pending_rows += 1
            count += 1
            if pending_rows >= ROW_GROUP_ROWS or pending_bytes >= ROW_GROUP_BYTES:
                flush()
        flush()
    finally:
        if writer is not None:
            writer.close()
    return count


def _row(article: Article) -> Iterator[tuple[str, Any]]:
    context = Context()
    for spec in RECORD_FIELDS:
        value = spec.get(article, context)
        if spec.type == "mapping":
            value = article.front_matter_json or json.dumps(value, ensure_ascii=False)
        elif spec.type == "date":
            value = _instant(value)
        elif spec.type == "number":
            value = _number(value)
        elif spec.type == "text":
            value = _text(value)
        yield spec.name, value


def _instant(date: str | None) -> datetime | None:
    if not date:
        return None
    with contextlib.suppress(ValueError):
        return datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: int | float | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:  # a whole number beyond any double: not a score anyone meant
        return None
