"""Reads of the store that take no query: a command's index opened read-only (for
completion, which must never refresh or write), and every article in id order."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from newscat.ignore import Exclusions
from newscat.index import Index, database_name
from newscat.model import Article


@contextlib.contextmanager
def read_only(
    roots: Sequence[str], cache_dir: Path | None, exclusions: Exclusions
) -> Iterator[sqlite3.Connection | None]:
    """The index a command over ``roots`` would use, opened read-only as it is (not
    refreshed), or None when there is none (in memory, or not built yet)."""
    path = None if cache_dir is None else cache_dir / database_name(roots, exclusions)
    if path is None or not path.is_file():
        yield None
        return
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.5)
    try:
        yield conn
    finally:
        conn.close()


def in_id_order(index: Index) -> Iterator[Article]:
    """Every article by id, then path: an order that does not change with dates."""
    return index.select(order="a.id, a.path")
