"""Handles: the shortest REF that names one article uniquely in its catalogue.

Like git's abbreviated hashes. An id with a hash part (the part after its last
``_``: ``000_50e039b255de019a``) gets the shortest prefix of that part, at
least ``MIN_LENGTH`` characters, that the REF rules resolve to this article
alone (``50e0``). An id without one gets its shortest unique trailing part in
whole path segments (``blog/2024-release-3``). When neither is unique (the
same id under two roots), the handle is the id itself.

The REF rules are applied in the same order as ``catalog.resolve``: an exact
id, a prefix of an id, a prefix of the part after the last ``_``, a trailing
part of the id. The first rule that matches anything decides, so a handle is
valid only when that first rule matches this one article.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable

#: The shortest handle, as with git's abbreviated hashes.
MIN_LENGTH = 4
_END = "\U0010ffff"
_HASH = re.compile(r"[0-9a-f]{8,}")


def hash_part(article_id: str) -> str:
    """The hash after the last ``_`` of an id's last segment (8 or more hex digits), or ``""``."""
    last = article_id.rpartition("/")[2]
    part = last.rpartition("_")[2] if "_" in last else ""
    return part if _HASH.fullmatch(part) else ""


def id_suffix(article_id: str) -> str:
    """The part of an id after its last ``_`` (what the fourth REF rule matches), or ``""``."""
    return article_id.rpartition("_")[2] if "_" in article_id else ""


def trailing_parts(article_id: str) -> list[str]:
    """The trailing parts of an id in whole segments, shortest first, the id itself last."""
    segments = article_id.split("/")
    return ["/".join(segments[i:]) for i in range(len(segments) - 1, -1, -1)]


class Handles:
    """The handles of a catalogue's articles, computed from all of its ids."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = sorted(ids)
        self.suffixes = sorted((s, id_) for id_ in self.ids if (s := id_suffix(id_)))
        self._tails: dict[str, list[str]] | None = None
        self._memo: dict[str, str] = {}

    def __call__(self, article_id: str) -> str:
        """The handle of the article with this id."""
        found = self._memo.get(article_id)
        if found is None:
            found = self._memo[article_id] = self._compute(article_id)
        return found

    def _compute(self, article_id: str) -> str:
        part = hash_part(article_id)
        if part:
            for length in range(MIN_LENGTH, len(part) + 1):
                if self.names(part[:length], article_id):
                    return part[:length]
        for tail in trailing_parts(article_id):
            if len(tail) >= MIN_LENGTH and self.names(tail, article_id):
                return tail
        return article_id

    def names(self, ref: str, article_id: str) -> bool:
        """Whether the REF rules resolve ``ref`` to this one article."""
        for matched in (self._equal(ref), self._id_prefix(ref), self._suffix_prefix(ref),
                        self._tail(ref)):  # fmt: skip
            if matched:
                return matched == [article_id]
        return False

    def _equal(self, ref: str) -> list[str]:
        i = bisect_left(self.ids, ref)
        return [id_ for id_ in self.ids[i : i + 2] if id_ == ref]

    def _id_prefix(self, ref: str) -> list[str]:
        i = bisect_left(self.ids, ref)
        j = bisect_left(self.ids, ref + _END, lo=i)
        return self.ids[i : min(j, i + 2)]

    def _suffix_prefix(self, ref: str) -> list[str]:
        i = bisect_left(self.suffixes, (ref,))
        j = bisect_left(self.suffixes, (ref + _END,), lo=i)
        return [id_ for _, id_ in self.suffixes[i : min(j, i + 2)]]

    def _tail(self, ref: str) -> list[str]:
        if self._tails is None:
            tails: dict[str, list[str]] = {}
            for id_ in self.ids:
                for tail in trailing_parts(id_)[:-1]:  # the id itself is the first rule
                    owners = tails.setdefault(tail, [])
                    if len(owners) < 2:
                        owners.append(id_)
            self._tails = tails
        return self._tails.get(ref, [])
