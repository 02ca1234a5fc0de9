"""Filter values that occur in no article, with the closest values that do.

When nothing matched, a topic, provider, category or type that no article in
the catalogue has is the likely reason (a typo: ``-t "AI Ethic"``). This
module finds such values and the catalogue's closest spellings; the CLI says so.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from newscat.fields import REGISTRY
from newscat.store import reads

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
    if kind == "topic":
        return reads.topic_occurs(index, folded)
    if kind == "provider":
        return reads.provider_occurs(index, folded, value.lower().strip("."))
    return reads.value_occurs(index, REGISTRY[kind].stored_name, folded)


def _values(index: Index, kind: Kind) -> list[str]:
    """The catalogue's distinct values of a kind, most common first."""
    if kind == "topic":
        return [topic for topic, _ in reads.topic_names(index.conn)]
    if kind == "provider":
        return reads.provider_names(index)
    return [str(value) for value, _ in reads.column_values(index.conn, REGISTRY[kind].stored_name)]


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


#: Filters that need a field, and how to tell whether any article has it.
_NEEDS: tuple[tuple[str, Callable[[Index], bool]], ...] = (
    ("date", reads.has_dates),
    ("topics", reads.has_topics),
    ("provider", reads.has_providers),
)
_DATE_WORDS = re.compile(r"(?<![\w.`])(?:date|age)(?![\w.`])", re.IGNORECASE)


def missing_fields(index: Index, filters: Filters, needs: Collection[str] = ()) -> list[str]:
    """The normalised fields the filters, or the command (``needs``: trends count dated
    articles by topic), need that no article in the catalogue has (``date`` for --since
    on a catalogue whose dates newscat cannot find)."""
    wanted = {
        "date": filters.since is not None
        or filters.until is not None
        or any(_DATE_WORDS.search(text) for text in filters.where),
        "topics": bool(filters.topics),
        "provider": bool(filters.providers),
    }
    wanted.update((name, True) for name in needs)
    if not reads.has_articles(index):
        return []
    return [name for name, has in _NEEDS if wanted[name] and not has(index)]
