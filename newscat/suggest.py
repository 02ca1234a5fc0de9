"""Filter values that occur in no article, with the closest values that do.

When nothing matched, a topic, provider, category or type that no article in
the catalogue has is the likely reason (a typo: ``-t "AI Ethic"``). This
module finds such values and the catalogue's closest spellings; the CLI says so.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from newscat.fields import REGISTRY

if TYPE_CHECKING:
    from newscat.query import Filters
    from newscat.store.index import Index

Kind = Literal["topic", "provider", "category", "type"]
#: How many close values a hint offers.
MAX_CLOSE = 3


@dataclass(frozen=True)
class Unknown:
    """A filter value no article has, and the catalogue's closest values."""

    kind: Kind
    value: str
    close: tuple[str, ...]


def unknown_values(index: Index, filters: Filters) -> list[Unknown]:
    """Each ``-t``/``-p``/``--category``/``--type`` value that no article in the catalogue has."""
    found: list[Unknown] = []
    topics = [t.strip() for value in filters.topics for t in value.split(",") if t.strip()]
    checks: list[tuple[Kind, list[str]]] = [
        ("topic", topics),
        ("provider", [p.strip() for p in filters.providers if p.strip()]),
        ("category", list(filters.categories)),
        ("type", list(filters.types)),
    ]
    for kind, values in checks:
        known: list[str] | None = None
        for value in dict.fromkeys(values):
            if _occurs(index, kind, value):
                continue
            if known is None:
                known = _values(index, kind)
            found.append(Unknown(kind, value, _closest(value, known)))
    return found


def _occurs(index: Index, kind: Kind, value: str) -> bool:
    folded = value.casefold()
    params: list[str | int]
    if kind == "topic":
        sql, params = "SELECT 1 FROM topics WHERE key = ? LIMIT 1", [folded]
    elif kind == "provider":
        domain = value.lower().strip(".")
        sql = (
            "SELECT 1 FROM articles AS a WHERE nc_fold(a.provider) = ? OR a.domain = ? "
            "OR substr(a.domain, -?) = ? LIMIT 1"
        )
        params = [folded, domain, len(domain) + 1, "." + domain]
    else:
        column = REGISTRY[kind].stored_name
        sql = f"SELECT 1 FROM articles AS a WHERE nc_fold(a.{column}) = ? LIMIT 1"
        params = [folded]
    return index.conn.execute(sql, params).fetchone() is not None


def _values(index: Index, kind: Kind) -> list[str]:
    """The catalogue's distinct values of a kind, most common first."""
    if kind == "topic":
        sql = "SELECT min(topic) FROM topics GROUP BY key ORDER BY count(*) DESC, key"
    elif kind == "provider":
        sql = (
            "SELECT v FROM (SELECT provider AS v FROM articles UNION ALL "
            "SELECT domain FROM articles) WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v"
        )
    else:
        column = REGISTRY[kind].stored_name
        sql = (
            f"SELECT {column} FROM articles WHERE {column} IS NOT NULL "
            f"GROUP BY {column} ORDER BY count(*) DESC, {column}"
        )
    return [str(row[0]) for row in index.conn.execute(sql)]


def _closest(value: str, known: list[str]) -> tuple[str, ...]:
    """The known values closest to ``value``, compared without case."""
    by_fold: dict[str, str] = {}
    for item in known:
        by_fold.setdefault(item.casefold(), item)
    close = difflib.get_close_matches(value.casefold(), list(by_fold), n=MAX_CLOSE, cutoff=0.6)
    if not close:  # a word of a longer value: "Ethics" for "AI Ethics"
        word = value.casefold()
        close = [fold for fold in by_fold if len(word) >= 3 and word in fold][:MAX_CLOSE]
    return tuple(by_fold[fold] for fold in close)


#: Filters that need a field, and the SQL that tells whether any article has it.
_NEEDS: tuple[tuple[str, str], ...] = (
    ("date", "SELECT 1 FROM articles WHERE date IS NOT NULL LIMIT 1"),
    ("topics", "SELECT 1 FROM topics LIMIT 1"),
    ("provider", "SELECT 1 FROM articles WHERE provider IS NOT NULL OR domain IS NOT NULL LIMIT 1"),
)
_DATE_WORDS = re.compile(r"(?<![\w.`])(?:date|age)(?![\w.`])", re.IGNORECASE)


def missing_fields(index: Index, filters: Filters) -> list[str]:
    """The normalised fields the filters need that no article in the catalogue has
    (``date`` for --since on a catalogue whose dates newscat cannot find)."""
    wanted = {
        "date": filters.since is not None
        or filters.until is not None
        or any(_DATE_WORDS.search(text) for text in filters.where),
        "topics": bool(filters.topics),
        "provider": bool(filters.providers),
    }
    if index.conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
        return []
    return [
        name for name, sql in _NEEDS if wanted[name] and index.conn.execute(sql).fetchone() is None
    ]
