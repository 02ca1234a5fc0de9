"""Stories: articles about the same news, grouped, from their words, URLs and links.

First, near-duplicates form clusters. Articles are placed in date order; an
article joins the cluster of an earlier one when their titles, or their titles
with excerpts, are near-duplicates (enough content words in common, and a large
enough share of them: Jaccard similarity of the word sets; excerpts leave out the
words common to the articles of the window before, as "AI" is in an AI feed, and
count only when the titles share two words) and it was published
within a time window (three days by default) of that cluster's first article.
So a cluster never spans more than the window: similar headlines week after
week (a weekly column, a templated feed) do not chain into one endless story.
Titles whose numbers share none are never near-duplicates, nor are titles (or
URLs) that name versions none of which is the same ("Node.js 17.0.0" and
"Node.js 17.0.1", "Ruby 2.7.0-preview1" and "Ruby 2.7.0": release notes that
look alike are different news); and an article that names versions joins no
cluster where one names only others, even through an article that names none.

Then clusters join into stories when they hold the same canonical URL (the
same page, spelled differently) or one's ``related`` list names another's URL,
whatever their dates.

A story's id is the id of its earliest article, so it stays stable as later
coverage joins; its coverage is the number of distinct providers in it.

Everything here is pure: items in, assignments out. ``Clusterer`` places
articles one at a time, which is what a refresh uses to re-place the few
around a change, so both ways agree; ``near_duplicate`` and ``linked`` test one
pair.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from newscat.fields import ORIGINAL_URL_KEY, RELATED_URL_KEYS
from newscat.stories.urls import canonical_url

#: Articles further apart than this are never near-duplicates.
DEFAULT_WINDOW = timedelta(days=3)
#: Titles alone: at least this many content words in common, and this Jaccard similarity.
TITLE_MIN_SHARED, TITLE_MIN_JACCARD = 4, 0.35
#: Title and excerpt together: the same, with more words and a lower share; and the
#: titles must still share this many words, so that excerpts written from a common
#: vocabulary (a field's jargon) never join headlines about different things.
TEXT_MIN_SHARED, TEXT_MIN_JACCARD, TEXT_MIN_TITLE_SHARED = 7, 0.26, 2
#: A word in more than this share of the articles published in the window before an
#: article (and in at least ``COMMON_MIN`` of them) is that window's common vocabulary
#: ("AI" in an AI feed): it does not count when excerpts are compared.
COMMON_SHARE, COMMON_MIN = 0.2, 5

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "says",
        "said",
        "say",
        "new",
        "news",
        "latest",
        "live",
        "update",
        "updates",
        "report",
        "reports",
        "via",
        "amid",
        "s",
        "t",
    ]
)

_WORD = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
#: A version: numbers joined by dots ("17.0.1", "v3.1", "1.0.2g"; a decimal figure such as
#: "2.25" too), then any pre-release or patch marks ("2.7.0-preview1", "2.7.0 preview 1",
#: "2.0.0-p645", "4.0.0.pre.alpha1") and a build number ("1.9.0-1").
_VERSION = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)+(?:[a-z](?![a-z]))?)"
    r"((?:[-. ]?(?:preview|alpha|beta|rc)[-. ]?\d*(?![a-z])"
    r"|[-.]?(?:pre|dev)\.?\d*(?![a-z])|[-.]?p\d+(?![a-z]))*)"
    r"(-\d+(?:\.\d+)*)?"
)
_MARK_SEPARATORS = re.compile(r"[-. ]")
#: A CVE id ("CVE-2019-16255"), spelled as a version ("cve.2019.16255"): security
#: advisories of one day that look alike are different news unless they name one flaw.
_CVE = re.compile(r"(?<![\w-])cve-(\d{4})-(\d{4,})(?!\d)")
_DOTTED = re.compile(r"\d\.\d")
#: In a URL, a version's numbers are short: "1.10234567" is an article's number.
_LONG_NUMBER = re.compile(r"\d{5}")
_APOSTROPHE = re.compile(r"['’‘`](?:s|d|ll|re|ve|m|t)?\b", re.IGNORECASE)
#: Where a site appends its name to a headline: "Title | BBC News", "Title - Reuters".
_SUFFIX_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")
_SUFFIX_MAX_WORDS = 5


@dataclass(frozen=True)
class StoryItem:
    """What grouping needs to know about one article.

    ``key`` is the caller's handle for it (the index uses the row id); ``url``
    and ``related`` are canonical URLs; the word sets come from ``words``.
    """

    key: int
    id: str
    date: str | None = None  # ISO 8601 UTC, as the index stores it
    provider: str | None = None  # who published it, for coverage (casefolded)
    url: str | None = None
    related: tuple[str, ...] = ()
    title_words: frozenset[str] = frozenset()
    text_words: frozenset[str] = frozenset()

    @functools.cached_property
    def moment(self) -> datetime | None:
        return instant(self.date)

    @functools.cached_property
    def numbers(self) -> frozenset[str]:
        """The numbers in the title: headlines whose numbers differ report different news."""
        return frozenset(word for word in self.title_words if word.isdigit())

    @functools.cached_property
    def versions(self) -> frozenset[str]:
        """The versions the title names (its only words with a dot: "17.0.1",
        "2.7.0preview1", a CVE id as "cve.2019.16255") and those the last segment of its
        URL names: release notes of different versions are different news."""
        named = frozenset(word for word in self.title_words if "." in word)
        return named | url_versions(self.url) if self.url else named


@dataclass(frozen=True)
class Assignment:
    """The story an article belongs to: its id and how many providers cover it."""

    story: str
    coverage: int
    size: int


def story_item(
    key: int,
    article_id: str,
    *,
    date: str | None,
    title: str | None,
    excerpt: str | None,
    provider: str | None,
    domain: str | None,
    url: str | None,
    related: Any = None,
) -> StoryItem:
    """A StoryItem from an article's normalised fields and its ``related`` value as written."""
    canonical = canonical_url(url)
    folded = _fold(strip_site_suffix(title or "", provider, domain))
    title_words = _content_words(folded) | _versions(folded)
    return StoryItem(
        key=key,
        id=article_id,
        date=date,
        provider=provider_key(provider, domain, canonical),
        url=canonical,
        related=related_urls(related),
        title_words=title_words,
        text_words=title_words | words(excerpt or ""),
    )


def provider_key(provider: str | None, domain: str | None, url: str | None) -> str | None:
    """Who published an article, as coverage counts it: name, else domain, else URL host."""
    for value in (provider, domain):
        if isinstance(value, str) and value.strip():
            return " ".join(value.casefold().split())
    if url:
        return url.removeprefix("https://").split("/", 1)[0]
    return None


def related_urls(related: Any) -> tuple[str, ...]:
    """The canonical URLs a ``related`` value names (a list of mappings, or of URLs)."""
    entries = related if isinstance(related, list) else [related]
    found: dict[str, None] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            canonical = canonical_url(entry)
            if canonical is not None:
                found[canonical] = None
            continue
        for key in RELATED_URL_KEYS:
            canonical = canonical_url(entry.get(key))
            if canonical is not None:
                found[canonical] = None
                break
        canonical = canonical_url(entry.get(ORIGINAL_URL_KEY))
        if canonical is not None:
            found[canonical] = None
    return tuple(found)


def strip_site_suffix(title: str, provider: str | None = None, domain: str | None = None) -> str:
    """A headline without the site name some providers append ("... | BBC News").

    After " | " any short tail goes; after a dash, only one that names the
    provider (its name or its domain), because a dash also joins real headlines.
    """
    names = {_squash(value) for value in (provider, domain) if value}
    if domain:
        names.add(_squash(domain.split(".")[0]))
    for _ in range(3):  # "Title - Section | Site"
        cut = False
        for separator in _SUFFIX_SEPARATORS:
            head, found, tail = title.rpartition(separator)
            if not found or not head.strip() or len(tail.split()) > _SUFFIX_MAX_WORDS:
                continue
            squashed = _squash(tail)
            if separator.strip() == "|" or squashed in names or _names_site(squashed, names):
                title, cut = head, True
                break
        if not cut:
            break
    return title


def _squash(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())


def _names_site(squashed: str, names: set[str]) -> bool:
    """ "BBC News" names the site bbc.co.uk; "The Guardian" names theguardian.com."""
    return any(name and (squashed.startswith(name) or name.startswith(squashed)) for name in names)


def words(text: str) -> frozenset[str]:
    """The content words of a text: case and accents folded, stop words dropped, plurals
    and common endings cut, so that rewordings of one headline share their words."""
    return _content_words(_fold(text))


def versions(text: str) -> frozenset[str]:
    """The version numbers a text names ("Node.js v17.0.1" names "17.0.1"), folded as
    ``words`` folds: "Ruby 2.7.0-preview1" and "Ruby 2.7.0" name different versions."""
    return _versions(_fold(text))


def _fold(text: str) -> str:
    folded = text.casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in folded if not unicodedata.combining(char))
    return folded


def _content_words(folded: str) -> frozenset[str]:
    folded = _APOSTROPHE.sub(" ", folded)
    out = set()
    for word in _WORD.findall(folded):
        if word in STOPWORDS:
            continue
        out.add(stem(word))
    return frozenset(out)


def _versions(folded: str) -> frozenset[str]:
    found: set[str] = set()
    if "." in folded:  # most titles: no pattern to run
        found.update(
            _short_core(core) + _MARK_SEPARATORS.sub("", marks) + build
            for core, marks, build in _VERSION.findall(folded)
        )
    if "cve-" in folded:  # an advisory's id names one flaw, as a version names a release
        found.update(f"cve.{year}.{number}" for year, number in _CVE.findall(folded))
    return frozenset(found)


def _short_core(core: str) -> str:
    """A version's numbers without the trailing zeros past the second ("3.3.0" is
    "3.3", "17.0.0" is "17.0"), so that two spellings of one release are one version."""
    parts = core.split(".")
    while len(parts) > 2 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def url_versions(url: str | None) -> frozenset[str]:
    """The versions the last segment of a URL's path names, as ``versions`` spells them
    (".../blog/release/v17.0.1" names "17.0.1"); numbers of more than four digits are
    not versions there."""
    if not url or not _DOTTED.search(url):  # most URLs: nothing more to read
        return frozenset()
    segment = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return frozenset(
        found
        for found in _versions(segment.casefold())
        if found.startswith("cve.") or not _LONG_NUMBER.search(found)
    )


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix cut: enough to match "fires"/"fired"/"firing", never a dictionary."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes", "zes")):
                continue
            word = word[: -len(suffix)] + keep
            break
    # "announce" and "announced" both end as "announc"; "charge" and "charging" as "charg".
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def near_duplicate(a: StoryItem, b: StoryItem, window: timedelta = DEFAULT_WINDOW) -> bool:
    """Published within ``window`` of each other, with near-duplicate titles or texts
    (the pair alone: no words are set aside as common)."""
    first, second = a.moment, b.moment
    if first is None or second is None or abs(first - second) > window:
        return False
    return similar(a, b)


def similar(a: StoryItem, b: StoryItem, common: frozenset[str] = frozenset()) -> bool:
    """Near-duplicate titles, or titles and excerpts, leaving the words of ``common``
    out of the excerpt comparison."""
    if a.numbers and b.numbers and not a.numbers & b.numbers:
        return False  # "rates to 2.25%" and "rates to 3%", "Monday 6 March" and "Tuesday 7 March"
    if a.versions and b.versions and not a.versions & b.versions:
        return False  # "Node.js 17.0.0" and "Node.js 17.0.1": their numbers overlap, not their versions
    shared = len(a.title_words & b.title_words)
    if shared >= TITLE_MIN_SHARED and jaccard(a.title_words, b.title_words) >= TITLE_MIN_JACCARD:
        return True
    if shared < TEXT_MIN_TITLE_SHARED:
        return False
    text_a, text_b = (
        (a.text_words - common, b.text_words - common) if common else (a.text_words, b.text_words)
    )
    shared = len(text_a & text_b)
    return shared >= TEXT_MIN_SHARED and jaccard(text_a, text_b) >= TEXT_MIN_JACCARD


def linked(a: StoryItem, b: StoryItem) -> bool:
    """The same page, or one names the other in ``related``."""
    if a.url is not None and (a.url == b.url or a.url in b.related):
        return True
    return b.url is not None and b.url in a.related


# --- clusters: near-duplicates, bounded by their first article ----------------------------


@dataclass(frozen=True)
class Placed:
    """The near-duplicate cluster an article joined: its first article's id and date."""

    cluster: str
    start: str | None


#: Sweep the postings after this many articles have left the window.
_SWEEP_EVERY = 4096


class _Entry:
    """The members of one cluster indexed under one word."""

    __slots__ = ("cluster", "members", "start")

    def __init__(self, start: datetime, cluster: str) -> None:
        self.start = start
        self.cluster = cluster
        self.members: list[int] = []


class Clusterer:
    """Places articles, in date order, into clusters of near-duplicates.

    An article joins the cluster of an earlier near-duplicate only when it was
    published within the window of that cluster's first article; when several
    clusters qualify, the one that started first. Otherwise it starts a cluster
    of its own. A cluster therefore never spans more than the window, however
    many similar articles follow one another: similar headlines a week apart
    are two stories, not one chain. Excerpts are compared without the words
    common in the window before the article (``COMMON_SHARE``). An article that
    names versions joins no cluster with a member that names only other versions.

    Articles must be given in ``order`` (date, then id). ``seed`` hands over an
    article already placed (the context before a change); ``place`` decides.
    Candidates come from prefix filtering on the titles, which both rules need
    to share two words of: words are ranked rarest first among ``vocabulary``
    (any fixed ranking finds every qualifying pair; rarity keeps the lists
    short), and two titles that share two words share one among all but the
    last word of each.
    """

    def __init__(
        self,
        vocabulary: Iterable[StoryItem],
        window: timedelta = DEFAULT_WINDOW,
        frequency: Counter[str] | None = None,
    ):
        """``frequency`` is how many titles of the vocabulary have each word, when the
        caller counted them (then ``vocabulary`` is not read)."""
        self.window = window
        if frequency is None:
            frequency = Counter()
            for item in vocabulary:
                frequency.update(item.title_words)
        self._frequency = frequency
        # Per title word, the clusters with members indexed under it, about oldest first.
        self._postings: dict[str, deque[_Entry]] = {}
        self._entries: dict[tuple[str, str], _Entry] = {}
        # The articles added, by their number, while a cluster they are in may take more
        # (dropped a window after that: memory stays that of about two windows).
        self._items: dict[int, StoryItem] = {}
        self._placed: dict[int, Placed] = {}
        self._added: deque[tuple[datetime, int]] = deque()
        self._count = 0
        self._since_sweep = 0
        # The window before the next article: its excerpts' words, and how many have each.
        self._recent: deque[tuple[datetime, frozenset[str]]] = deque()
        self._counts: Counter[str] = Counter()
        # The versions named by the members of each cluster that has such members, while
        # it may take more; ``_versioned`` holds those clusters by their start (about
        # oldest first: a cluster is dropped once the ones before it have been).
        self._versions: dict[str, list[frozenset[str]]] = {}
        self._versioned: deque[tuple[datetime, str]] = deque()

    def seed(self, item: StoryItem, placed: Placed) -> None:
        """Remember an article placed before (it comes before every one to place)."""
        self._add(item, placed, self._prefix(item))

    def place(self, item: StoryItem) -> Placed:
        """The cluster of the next article in order."""
        moment = item.moment
        if moment is None:
            return Placed(item.id, None)
        oldest = moment - self.window
        recent, counts = self._recent, self._counts
        while recent and recent[0][0] < oldest:
            counts.subtract(recent.popleft()[1])
        self._forget(oldest)
        floor = max(COMMON_MIN, math.floor(COMMON_SHARE * len(recent)) + 1)
        common = frozenset(word for word in item.text_words if counts[word] >= floor)
        prefix = self._prefix(item)
        choices: dict[str, tuple[datetime, set[int]]] = {}
        for word in prefix:
            posting = self._postings.get(word)
            if not posting:
                continue
            # A cluster that started before the window can take no one from now on.
            while posting and posting[0].start < oldest:
                del self._entries[(word, posting.popleft().cluster)]
            for entry in posting:
                if entry.start >= oldest:
                    choices.setdefault(entry.cluster, (entry.start, set()))[1].update(entry.members)
        placed = Placed(item.id, item.date)
        items, named = self._items, item.versions
        for cluster in sorted(choices, key=lambda c: (choices[c][0], c)):
            members = [j for j in choices[cluster][1] if j in items]
            if named and not self._admits(cluster, named):
                continue
            if any(similar(item, items[j], common) for j in members):
                placed = self._placed[members[0]]
                break
        self._add(item, placed, prefix)
        return placed

    def _add(self, item: StoryItem, placed: Placed, prefix: list[str]) -> None:
        moment, start = item.moment, instant(placed.start)
        if moment is None or start is None:
            return
        index = self._count
        self._count += 1
        self._items[index] = item
        self._placed[index] = placed
        self._added.append((moment, index))
        self._recent.append((moment, item.text_words))
        self._counts.update(item.text_words)
        if item.versions:
            if placed.cluster not in self._versions:
                self._versioned.append((start, placed.cluster))
            self._versions.setdefault(placed.cluster, []).append(item.versions)
        for word in prefix:
            entry = self._entries.get((word, placed.cluster))
            if entry is None:
                entry = self._entries[(word, placed.cluster)] = _Entry(start, placed.cluster)
                self._postings.setdefault(word, deque()).append(entry)
            entry.members.append(index)

    def _forget(self, oldest: datetime) -> None:
        """Drop what no article from now on can be compared with: clusters that started
        before ``oldest`` and articles published a window before that. Once per
        ``_SWEEP_EVERY`` articles dropped, every posting is swept (a word may not come
        up again for years)."""
        versioned = self._versioned
        while versioned and versioned[0][0] < oldest:
            del self._versions[versioned.popleft()[1]]
        added = self._added
        horizon = oldest - self.window
        while added and added[0][0] < horizon:
            index = added.popleft()[1]
            del self._items[index]
            del self._placed[index]
            self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        for word in list(self._postings):
            posting = self._postings[word]
            while posting and posting[0].start < oldest:
                del self._entries[(word, posting.popleft().cluster)]
            if not posting:
                del self._postings[word]

    def _admits(self, cluster: str, versions: frozenset[str]) -> bool:
        """Whether an article that names ``versions`` may join ``cluster``: every member
        that names versions names one of them (a post about "Node.js 12 LTS", near both
        "12.13.0" and "10.17.0", does not join two releases)."""
        return all(named & versions for named in self._versions.get(cluster, ()))

    def _prefix(self, item: StoryItem) -> list[str]:
        words = item.title_words
        if len(words) < TEXT_MIN_TITLE_SHARED:
            return []
        frequency = self._frequency
        ranked = sorted(words, key=lambda word: (frequency[word], word))
        return ranked[: len(words) - TEXT_MIN_TITLE_SHARED + 1]


def order(item: StoryItem) -> tuple[bool, str, str]:
    """The order articles are placed in and a story's first article is chosen by:
    date, then id; undated articles last."""
    return (item.date is None, item.date or "", item.id)


def clusters(items: Iterable[StoryItem], window: timedelta = DEFAULT_WINDOW) -> dict[int, Placed]:
    """Every item's near-duplicate cluster, keyed by ``StoryItem.key``."""
    pool = sorted(items, key=order)
    clusterer = Clusterer(pool, window)
    return {item.key: clusterer.place(item) for item in pool}


# --- stories: clusters joined by URLs and links ------------------------------------------------


def group(items: Iterable[StoryItem], window: timedelta = DEFAULT_WINDOW) -> dict[int, Assignment]:
    """Every item's story, keyed by ``StoryItem.key``."""
    pool = list(items)
    return join(pool, clusters(pool, window))


def join(pool: Sequence[StoryItem], placed: Mapping[int, Placed]) -> dict[int, Assignment]:
    """Stories from clusters: clusters that share a canonical URL or a ``related`` link
    are one story (whatever their dates: the same page is the same news)."""
    parent = list(range(len(pool)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        root_i, root_j = find(i), find(j)
        if root_i != root_j:
            parent[max(root_i, root_j)] = min(root_i, root_j)

    by_cluster: dict[str, int] = {}
    by_url: dict[str, int] = {}
    for i, item in enumerate(pool):
        union(i, by_cluster.setdefault(placed[item.key].cluster, i))
        if item.url is not None:
            union(i, by_url.setdefault(item.url, i))
    for i, item in enumerate(pool):
        for url in item.related:
            j = by_url.get(url)
            if j is not None:
                union(i, j)
    members: dict[int, list[int]] = {}
    for i in range(len(pool)):
        members.setdefault(find(i), []).append(i)
    out: dict[int, Assignment] = {}
    for indices in members.values():
        assignment = assign([pool[i] for i in indices])
        for i in indices:
            out[pool[i].key] = assignment
    return out


def assign(members: Sequence[StoryItem]) -> Assignment:
    """The story of a group: its earliest article's id, and its distinct providers."""
    earliest = min(members, key=order)
    providers = {item.provider for item in members if item.provider is not None}
    return Assignment(earliest.id, max(1, len(providers)), len(members))


def instant(value: str | None) -> datetime | None:
    """A stored date as an aware datetime; None when there is none or it does not parse."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
