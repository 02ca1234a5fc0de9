"""Handles: the shortest REF that names one article uniquely in its catalogue.

Like git's abbreviated hashes. An id with a hash part (the part after its last
``_``: ``000_50e039b255de019a``) gets the shortest prefix of that part, at
least ``MIN_LENGTH`` characters, that the REF rules resolve to this article
alone (``50e0``). An id without one gets its shortest unique trailing part in
whole path segments (``blog/2024-release-3``). When neither is unique (the
same id under two roots), the handle is the id itself.

The REF rules are applied in the same order as ``refs.resolve``: an exact
id, a prefix of an id, a prefix of the part after the last ``_``, a trailing
part of the id. The first rule that matches anything decides, so a handle is
valid only when that first rule matches this one article.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable

#: The shortest handle, as with git's abbreviated hashes.
MIN_LENGTH = 4
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


#: What the REF rules match for a REF: at most two ids of the first rule that matches any.
Lookup = Callable[[str], list[str]]


#: After this many handles, reading every id once costs less than more indexed look-ups.
SWITCH_AFTER = 1000


class Handles:
    """The handles of a catalogue's articles, each computed when first asked for.

    ``lookup`` answers the REF rules for one REF (the index does it with a few indexed
    queries), so a table of 50 rows costs 50 handles, not one per article in the
    catalogue. Given ``all_ids``, the handles switch to every id held in memory once
    ``SWITCH_AFTER`` have been computed (a whole catalogue in a pipe): the same answers,
    sooner.
    """

    def __init__(
        self,
        lookup: Lookup,
        all_ids: Callable[[], Iterable[str]] | None = None,
        switch_after: int = SWITCH_AFTER,
    ) -> None:
        self.lookup = lookup
        self._all_ids = all_ids
        self._switch_after = switch_after
        self._memo: dict[str, str] = {}

    @classmethod
    def of_ids(cls, ids: Iterable[str]) -> Handles:
        """Handles among these ids alone (held in memory)."""
        return cls(IdLookup(ids))

    def __call__(self, article_id: str) -> str:
        """The handle of the article with this id."""
        found = self._memo.get(article_id)
        if found is None:
            if self._all_ids is not None and len(self._memo) >= self._switch_after:
                self.lookup, self._all_ids = IdLookup(self._all_ids()), None
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
        return self.lookup(ref) == [article_id]


def after_prefix(prefix: str) -> str | None:
    """The least text greater than every text that starts with ``prefix`` (code point
    order, which is SQLite's and UTF-8's byte order), or None when there is none."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if code == 0xD800:  # surrogates are not text
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


class IdLookup:
    """The REF rules over a list of ids held in memory, in the same order as the index."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = sorted(ids)
        self.suffixes = sorted((s, id_) for id_ in self.ids if (s := id_suffix(id_)))
        self._tails: dict[str, list[str]] | None = None

    def __call__(self, ref: str) -> list[str]:
        for matched in (self._equal(ref), self._id_prefix(ref), self._suffix_prefix(ref),
                        self._tail(ref)):  # fmt: skip
            if matched:
                return matched
        return []

    def _equal(self, ref: str) -> list[str]:
        i = bisect_left(self.ids, ref)
        return [id_ for id_ in self.ids[i : i + 2] if id_ == ref]

    def _id_prefix(self, ref: str) -> list[str]:
        i = bisect_left(self.ids, ref)
        return [id_ for id_ in self.ids[i : i + 2] if id_.startswith(ref)]

    def _suffix_prefix(self, ref: str) -> list[str]:
        i = bisect_left(self.suffixes, (ref,))
        return [id_ for s, id_ in self.suffixes[i : i + 2] if s.startswith(ref)]

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
