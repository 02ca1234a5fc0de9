"""The one registry of fields: every field newscat names is defined here, once.

A field has a name, a type, where SQL reads it (a column of ``articles AS a``,
the topics table, or a path into the front matter), how Python reads it from
an Article, its column in the SQLite export, whether ``show`` lists it, the
front-matter keys it is read from by default, and its help text. ``--where``,
``--sort``, ``-F``, ``newscat fields``, ``show``, every export format and
completion read this module; nothing else names a field.

A name a user gives is, in order: a field of the registry (``date``), a path
into the front matter spelled ``front_matter.KEY.SUB`` (backticks quote odd
keys), or a bare front-matter path (``tags``, ``provider.domain``) whose first
key is not the name of a field.

To add a field, add one ``Field`` to ``FIELDS`` (and, when it is stored in the
index, its column to the index schema).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from newscat.dates import parse_instant
from newscat.model import Article
from newscat.store.state import ARRIVED_SQL

FieldType = Literal[
    "text", "number", "date", "bool", "duration", "list of text", "mapping",
    "list of mappings", "any",
]  # fmt: skip

#: The name under which the full record holds the front matter as written.
FRONT_MATTER = "front_matter"
#: When newscat first saw an article: kept in the state database, not in the index.
ARRIVED = "arrived"


@dataclass(frozen=True)
class Column:
    """A column of ``articles AS a`` in the index."""

    sql: str


@dataclass(frozen=True)
class Topics:
    """The ``topics`` table (one row per topic, with a casefolded key)."""


@dataclass(frozen=True)
class FrontMatterPath:
    """Values at a path in the front matter as written (lists walked, any element matches)."""

    path: tuple[str, ...]


Source = Column | Topics | FrontMatterPath


@dataclass(frozen=True)
class Context:
    """What a value may depend on beyond the article: the time (None: when asked), the
    catalogue's handles (the shortest REF of each id; without them ``ref`` is the id), and
    the passage that matched ``-m`` (``snippet``, the match between marks)."""

    now: datetime | None = None
    handle: Callable[[str], str] | None = None
    snippet: Callable[[Article], str | None] | None = None
    #: With ``list --collapse``: how many more of the row's story matched.
    more: Callable[[Article], Any] | None = None

    @property
    def moment(self) -> datetime:
        return self.now or datetime.now(timezone.utc)


Getter = Callable[[Article, Context], Any]

#: The index keeps no bodies: SQL reads one from its file (a function each index
#: connection registers) only where a filter or a sort names ``body``.
BODY_SQL = "nc_body(a.path, a.path_bytes)"


@dataclass(frozen=True)
class Field:
    """One field: what it is called, what it holds, and where each reader finds it."""

    name: str
    type: FieldType
    #: None for a field computed for output only (-F), which filters and sorting refuse.
    source: Source | None
    get: Getter
    help: str = ""
    #: Front-matter keys the value is read from, first readable wins (a catalogue's
    #: newscat.toml may replace the chain). ``!key`` reads the negation of a flag.
    keys: tuple[str, ...] = ()
    #: Part of the full record (json, jsonl, show -f json) at the top level.
    record: bool = True
    #: Its column in the SQLite export's ``articles`` table (None: not a column there).
    export_sql: str | None = None
    #: Its place on the ``show`` page's list of fields (0: not listed there).
    shown: int = 0
    #: Another name for the field ``alias_of`` (``topic`` for ``topics``).
    alias_of: str | None = None
    #: Its column in the index's ``articles`` table, as SQL declares it (None: not stored
    #: there). A list or a mapping is stored as JSON text, a bool as 1/0.
    stored: str | None = None
    #: That column's name, when it is not the field's.
    column: str = ""
    #: When its column gives way in a terminal table too wide for the screen: 1 first,
    #: then 2, and so on (0: it stays).
    drop: int = 0
    #: A flexible table column: (comfortable width, least width). It shrinks to the first
    #: before any column is dropped, and to the second only when nothing is left to drop.
    flex: tuple[int, int] | None = None
    #: The widest its table column grows (None: as wide as its widest value).
    cap: int | None = None
    #: Its value means nothing cut (a REF, a path or URL a user types back, a date): a table
    #: cuts it only when every other column is down to three cells.
    whole: bool = False
    #: As a terminal table's first column, a value too long for the column goes whole on a
    #: line of its own above its row, rather than crowd out the others (a REF a user copies).
    hangs: bool = False
    #: The ``show`` page gives it a line of its own below the others, never folded.
    own_line: bool = False
    #: ``-m`` searches it: a column of the full-text index, which ``name:term`` names.
    searched: bool = False

    @property
    def stored_name(self) -> str:
        """The name of its column in the index."""
        return self.column or self.name


#: The stories' table (its schema is the stories store's): a statement that names it
#: needs the stories grouped.
STORIES_TABLE = "story_items"


def _story_sql(column: str) -> str:
    """How SQL reads a column of an article's row in the stories' table."""
    return f"(SELECT s.{column} FROM {STORIES_TABLE} AS s WHERE s.article = a.rowid)"


def _attr(name: str) -> Getter:
    def get(article: Article, context: Context) -> Any:
        value = getattr(article, name)
        return list(value) if isinstance(value, tuple) else value

    return get


def _age(article: Article, context: Context) -> str | None:
    moment = parse_instant(article.date) if article.date else None
    return None if moment is None else f"{(context.moment - moment).days}d"


def _front_matter(article: Article, context: Context) -> Any:
    return article.front_matter


def _body(article: Article, context: Context) -> str | None:
    return article.text() or None


def _handle(article: Article, context: Context) -> str:
    return context.handle(article.id) if context.handle else article.id


def _snippet(article: Article, context: Context) -> str | None:
    return context.snippet(article) if context.snippet else None


def _more(article: Article, context: Context) -> Any:
    return context.more(article) if context.more else None


def _field(
    name: str,
    type_: FieldType,
    source: Source | None = None,
    help: str = "",
    **more: Any,
) -> Field:
    return Field(
        name, type_, source or Column(f"a.{name}"), more.pop("get", None) or _attr(name), help,
        **more,
    )  # fmt: skip


#: Every field, in the order of the full record and of ``newscat fields``.
FIELDS: tuple[Field, ...] = (
    _field("id", "text", help="the file's path under its root, without extension",
           export_sql="TEXT PRIMARY KEY", stored="TEXT NOT NULL", drop=5, whole=True, hangs=True),
    _field("path", "text", help="the file", export_sql="TEXT NOT NULL", shown=9,
           stored="TEXT NOT NULL UNIQUE", drop=4, flex=(24, 10), whole=True, own_line=True),
    _field("path_bytes", "text", help="the file's raw name, base64, if not UTF-8",
           export_sql="TEXT", stored="TEXT"),
    _field("date", "date", help="when published, UTC (front matter, else a YYYY-MM-DD file name)",
           keys=("publishedDateTime", "date", "publishDate", "pubDate"), export_sql="TEXT",
           shown=1, stored="TEXT", whole=True),
    _field("title", "text", keys=("title",), export_sql="TEXT", stored="TEXT", flex=(22, 12),
           searched=True),
    _field("excerpt", "text", keys=("excerpt", "description", "summary"), export_sql="TEXT",
           stored="TEXT", drop=2, flex=(24, 10), searched=True),
    _field("url", "text", help="the article's web address",
           keys=("webUrl", "url", "link"), export_sql="TEXT", shown=8, stored="TEXT", drop=3,
           flex=(24, 10), whole=True, own_line=True),
    _field("provider", "text", help="who published it (a name; several joined with ', ')",
           keys=("provider", "source", "publisher", "author", "authors"), export_sql="TEXT",
           stored="TEXT", drop=8, cap=18),
    _field("domain", "text", help="the provider's domain, else the url's host",
           export_sql="TEXT", stored="TEXT", cap=22),
    _field("topics", "list of text", Topics(), keys=("topics", "tags", "keywords"),
           shown=7, stored="TEXT NOT NULL DEFAULT '[]'", drop=6, flex=(12, 8)),
    _field("category", "text", keys=("category",), export_sql="TEXT", shown=2, stored="TEXT",
           cap=12),
    _field("type", "text", keys=("type",), export_sql="TEXT", shown=3, stored="TEXT", cap=10),
    _field("quality", "number", help="a score", keys=("quality",), export_sql="NUMERIC",
           shown=5, stored="NUMERIC", drop=9),
    _field("heat", "number", help="a score", keys=("heat",), export_sql="NUMERIC", shown=6,
           stored="NUMERIC", drop=7),
    _field("published", "bool", keys=("published", "!draft"),
           help="true, false or null (read from published, else not draft)",
           export_sql="INTEGER", shown=4, stored="INTEGER"),
    _field("story", "text", Column(_story_sql("story")), help="id of the story's earliest article",
           export_sql="TEXT"),
    _field("coverage", "number", Column(_story_sql("coverage")), help="providers covering the story",
           export_sql="INTEGER"),
    _field("canonical_url", "text", Column(_story_sql("canonical_url")), help="url in canonical form",
           export_sql="TEXT"),
    _field(ARRIVED, "date", Column(ARRIVED_SQL), help="when newscat first saw the article",
           export_sql="TEXT"),
    _field(FRONT_MATTER, "mapping", FrontMatterPath(()), get=_front_matter,
           help="every front-matter key and value as written", export_sql="TEXT NOT NULL",
           stored="TEXT NOT NULL", column="record"),
    _field("body", "text", Column(BODY_SQL), help="the Markdown after the front matter",
           get=_body, export_sql="TEXT", drop=1, flex=(24, 10), searched=True),
    _field("age", "duration", Column("a.date"), help="time since date: age < 2w", get=_age,
           record=False),
    _field("topic", "list of text", Topics(), help="= topics", record=False, alias_of="topics"),
    _field("ref", "text", Column("a.id"), get=_handle, record=False, whole=True, hangs=True,
           help="the shortest REF naming the article (a table's first column); filters and "
           "sorting use the id"),
    Field("snippet", "text", None, _snippet, record=False, flex=(24, 10),
          help="with -m, the passage that matched (-F only)"),
    Field("more", "number", None, _more, record=False,
          help="with list --collapse, how many more articles of the story matched (-F only)"),
)  # fmt: skip

REGISTRY: dict[str, Field] = {spec.name: spec for spec in FIELDS}
#: How SQL reads the front matter as written (JSON text) from ``articles AS a``.
FRONT_MATTER_SQL = f"a.{REGISTRY[FRONT_MATTER].stored_name}"
#: The fields read from the stories (grouping runs when a command first needs one).
STORY_FIELDS = tuple(
    spec.name
    for spec in FIELDS
    if isinstance(spec.source, Column) and STORIES_TABLE in spec.source.sql
)


def needs_stories(names: Sequence[str] | None) -> bool:
    """Whether output of these fields (None: the full record) reads the stories."""
    return names is None or any(name in STORY_FIELDS for name in names)


def needs_arrived(names: Sequence[str] | None) -> bool:
    """Whether output of these fields (None: the full record) shows the arrival time,
    which each row looks up in the state database."""
    return names is None or any(
        name in REGISTRY and REGISTRY[name].source == Column(ARRIVED_SQL) for name in names
    )


def needs_front_matter(names: Sequence[str] | None) -> bool:
    """Whether output of these fields (None: the full record) reads the front matter as
    written: the field itself, or a path into it (any name the registry does not hold)."""
    return names is None or any(name == FRONT_MATTER or name not in REGISTRY for name in names)


#: The top-level keys of the full record, in order.
RECORD_FIELDS: tuple[Field, ...] = tuple(spec for spec in FIELDS if spec.record)
#: The fields the ``show`` page lists, in order.
PAGE_FIELDS: tuple[Field, ...] = tuple(
    sorted((spec for spec in FIELDS if spec.shown), key=lambda spec: spec.shown)
)
#: The fields the index stores as columns of its ``articles`` table, in order.
STORED_FIELDS: tuple[Field, ...] = tuple(spec for spec in FIELDS if spec.stored)
#: The columns of the SQLite export and of a Parquet dataset, in order.
EXPORT_FIELDS: tuple[Field, ...] = tuple(spec for spec in FIELDS if spec.export_sql)
#: The columns of the full-text index, in order: what ``-m`` searches.
SEARCHED_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FIELDS if spec.searched)
#: Table columns that give way when the terminal is narrow, first dropped first.
DROP_ORDER: tuple[str, ...] = tuple(
    spec.name for spec in sorted((spec for spec in FIELDS if spec.drop), key=lambda s: s.drop)
)
#: Flexible table columns: (comfortable width, least width).
FLEX_WIDTHS: dict[str, tuple[int, int]] = {spec.name: spec.flex for spec in FIELDS if spec.flex}
#: The widest some table columns grow.
CAP_WIDTHS: dict[str, int] = {spec.name: spec.cap for spec in FIELDS if spec.cap}
#: Table columns cut last: their values mean nothing cut.
WHOLE_FIELDS = frozenset(spec.name for spec in FIELDS if spec.whole)
#: Table columns whose long values go on a line of their own, when they come first.
HANGING_FIELDS = frozenset(spec.name for spec in FIELDS if spec.hangs)
#: Fields the ``show`` page gives a line of their own.
OWN_LINE_FIELDS = frozenset(spec.name for spec in FIELDS if spec.own_line)
#: Fields whose values are numbers (right-aligned in tables).
NUMBER_FIELDS = frozenset(spec.name for spec in FIELDS if spec.type == "number")
#: The scores (0 to 100, higher is better), coloured by value in tables.
SCORE_FIELDS = frozenset({"quality", "heat"})
#: Record fields a csv or tsv export leaves out unless named: the front matter (its keys
#: get columns of their own) and the body.
NOT_FLAT = frozenset({FRONT_MATTER, "body"})
#: The columns of a table when no -F is given.
DEFAULT_COLUMNS = ("id", "date", "title", "provider", "quality", "heat", "topics")
#: A terminal table starts with the handle instead of the id.
TABLE_COLUMNS = ("ref", *DEFAULT_COLUMNS[1:])
#: A terminal table's columns with -m: where the match is.
MATCH_TABLE_COLUMNS = ("ref", "date", "title", "snippet")
#: Fields whose front-matter keys a catalogue's newscat.toml may choose.
CONFIGURABLE = tuple(spec.name for spec in FIELDS if spec.keys)


class FieldKeys(Mapping[str, tuple[str, ...]]):
    """Which front-matter keys each field is read from: field name -> chain of keys.
    Frozen and hashable, so that what is worked out from keys (the parser's reading
    plan) is kept by their value: equal keys, such as the copy of a catalogue's keys
    a worker process is sent with every batch, share it."""

    __slots__ = ("_chains", "_hash")

    def __init__(self, chains: Mapping[str, Sequence[str]]) -> None:
        self._chains = {name: tuple(chain) for name, chain in chains.items()}
        self._hash = hash(frozenset(self._chains.items()))

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self._chains[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._chains)

    def __len__(self) -> int:
        return len(self._chains)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldKeys):
            return self._hash == other._hash and self._chains == other._chains
        return super().__eq__(other)

    def __reduce__(self) -> tuple[type[FieldKeys], tuple[dict[str, tuple[str, ...]]]]:
        # Pickled without its hash: a string's hash differs from process to process.
        return FieldKeys, (self._chains,)

    def __repr__(self) -> str:
        return f"FieldKeys({self._chains!r})"


#: Which front-matter keys each field is read from, unless a catalogue says otherwise.
DEFAULT_KEYS = FieldKeys({spec.name: spec.keys for spec in FIELDS if spec.keys})
#: Front-matter keys that hold an opaque payload (never decoded): left out of csv and tsv
#: unless named, and shown by size only.
OPAQUE_KEYS = frozenset({"secured"})
#: Front-matter keys the ``show`` page gives sections of their own: a list of images
#: (each with ``url``, ``width``, ``height``), and related articles (each a nested
#: article summary, read with the same keys as an article's own fields).
IMAGES_KEY = "images"
RELATED_KEY = "related"
#: The front-matter key of the address an article was first published at, which ``show``
#: gives beside its url when the two differ.
ORIGINAL_URL_KEY = "originalUrl"
#: The keys of a provider written as a mapping: its name and its domain.
PROVIDER_NAME_KEY, PROVIDER_DOMAIN_KEY = "name", "domain"
SECTION_KEYS = frozenset({IMAGES_KEY, RELATED_KEY, ORIGINAL_URL_KEY}) | OPAQUE_KEYS
#: The keys of a ``related`` entry that hold the related article's address: the url's own
#: keys first; the AMP spellings after them name the same page, so they are read only when
#: none of the others holds a URL. (``ORIGINAL_URL_KEY`` names another page.)
RELATED_URL_KEYS = (*DEFAULT_KEYS["url"], "ampWebUrl", "cdnAmpWebUrl")


def joined_names(items: Sequence[Any]) -> tuple[str | None, str | None]:
    """A provider written as a list (several authors): its names joined with ", ", each
    once, and the first domain its mappings give. None where there is none."""
    names, domain = listed_names(items)
    return ", ".join(names) or None, domain


def listed_names(items: Sequence[Any]) -> tuple[tuple[str, ...], str | None]:
    """A provider written as a list (several authors): its names, each once, in order,
    and the first domain its mappings give (None when none does). An item is a name or
    a mapping with ``name`` (and ``domain``); what is not text is left out."""
    names: dict[str, None] = {}  # in order, each once (a set's lookup: lists run long)
    domain: str | None = None
    for item in items:
        if isinstance(item, Mapping):
            found = item.get(PROVIDER_DOMAIN_KEY)
            if domain is None and isinstance(found, str) and found.strip():
                domain = found
            item = item.get(PROVIDER_NAME_KEY)
        name = item.strip() if isinstance(item, str) else ""
        if name:
            names[name] = None
    return tuple(names), domain


def summary_value(entry: Mapping[str, Any], name: str) -> Any:
    """A field of a nested article summary (an entry of ``related``): the first key of the
    field's default chain that the entry holds; the provider's name when it is a mapping,
    its names joined when it is a list."""
    for key in DEFAULT_KEYS.get(name, ()):
        if key.startswith("!") or entry.get(key) is None:
            continue
        found = entry[key]
        if isinstance(found, Mapping):
            return found.get(PROVIDER_NAME_KEY) or found.get(PROVIDER_DOMAIN_KEY)
        if name == "provider" and isinstance(found, list):
            joined, domain = joined_names(found)
            if joined is None and domain is None:
                continue
            return joined or domain
        return found
    return None


#: Front-matter keys some normalised field reads by default (shown apart from the others).
READ_KEYS: frozenset[str] = frozenset(
    key.removeprefix("!") for chain in DEFAULT_KEYS.values() for key in chain
)


def used_keys(front_matter: Mapping[str, Any]) -> frozenset[str]:
    """The front-matter keys an article's normalised fields were read from by default:
    of each field's chain, the first key that holds a value (an empty list holds none)."""
    used: set[str] = set()
    for chain in DEFAULT_KEYS.values():
        for key in chain:
            name = key.removeprefix("!")
            if front_matter.get(name) not in (None, []):
                used.add(name)
                break
    return frozenset(used)


def field_keys(overrides: Mapping[str, Sequence[str]] | None = None) -> FieldKeys:
    """The key chain of every configurable field: the defaults, with ``overrides`` replacing
    a field's whole chain (a catalogue's ``[fields]``)."""
    return FieldKeys({**DEFAULT_KEYS, **(overrides or {})})


#: Warnings the index derives from an article's row instead of storing them (on a real
#: site nearly every article has one or both; stored, they were a quarter of the index):
#: code -> (the field whose value is then missing, the code of the warning said instead
#: when a key was there but unreadable, if any).
MISSING_WARNINGS: dict[str, tuple[str, str | None]] = {
    "missing-date": ("date", "bad-date"),
    "missing-url": ("url", None),
}
#: The line and column a missing field's warning points at: the front matter's first line.
MISSING_AT = (2, 1)


def missing_message(name: str, keys: Mapping[str, Sequence[str]] | None = None) -> str:
    """What a field's warning says when no key of its chain gave a value."""
    return f"no {name} (read from {describe_chain(name, keys)})"


def describe_chain(name: str, keys: Mapping[str, Sequence[str]] | None = None) -> str:
    """A field's key chain as prose: ``publishedDateTime, date, publishDate or pubDate``."""
    chain = [key.replace("!", "not ", 1) for key in (keys or DEFAULT_KEYS).get(name, ())]
    if len(chain) < 2:
        return "".join(chain)
    return ", ".join(chain[:-1]) + " or " + chain[-1]


# --- records and values ---------------------------------------------------------------------


def record(article: Article, context: Context | None = None) -> dict[str, Any]:
    """The full record: the normalised fields, ``front_matter`` as written, then ``body``
    when the file has one."""
    context = context or Context()
    out: dict[str, Any] = {}
    for spec in RECORD_FIELDS:
        value = spec.get(article, context)
        if spec.name == "body" and value is None:
            continue
        out[spec.name] = value
    return out


MISSING: Any = object()


def dig(value: Any, parts: Sequence[str]) -> Any:
    """The value at a path of keys, or MISSING. A path through a list collects that key
    from every element that has it (``images.url`` is every image's url)."""
    for i, part in enumerate(parts):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list):
            found = [dig(item, parts[i:]) for item in value]
            found = [item for item in found if item is not MISSING]
            return found if found else MISSING
        else:
            return MISSING
    return value


def values_at(value: Any, parts: Sequence[str]) -> list[Any]:
    """Every non-null value at a path, lists expanded: what ``--where`` compares."""
    found: list[Any] = []

    def flatten(item: Any) -> None:
        if isinstance(item, list):
            for element in item:
                flatten(element)
        elif item is not None and item is not MISSING:
            found.append(item)

    flatten(dig(value, parts))
    return found


@dataclass(frozen=True)
class Ref:
    """A name as a user wrote it, resolved: a registry field, or a front-matter path."""

    field: Field | None
    path: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The name ``newscat fields`` lists it under."""
        return self.field.name if self.field is not None else front_matter_name(self.path)


def parse_name(name: str) -> tuple[tuple[str, ...], bool]:
    """A field name's segments (dots separate, backticks quote) and whether any was quoted."""
    segments: list[str] = []
    quoted = False
    pos = 0
    while True:
        if name.startswith("`", pos):
            quoted = True
            end = name.find("`", pos + 1)
            while end != -1 and name.startswith("``", end):
                end = name.find("`", end + 2)
            if end == -1:
                return (*segments, name[pos:]), quoted
            segments.append(name[pos + 1 : end].replace("``", "`"))
            pos = end + 1
        else:
            dot = name.find(".", pos)
            segments.append(name[pos:] if dot == -1 else name[pos:dot])
            pos = len(name) if dot == -1 else dot
        if pos < len(name) and name[pos] == ".":
            pos += 1
            continue
        return tuple(segments), quoted


def lookup(segments: Sequence[str], quoted: bool = False) -> Ref:
    """What a name refers to, before asking the catalogue whether it has it: a field of the
    registry, else the front-matter path it spells."""
    dotted = ".".join(segments)
    if not quoted and dotted in REGISTRY:
        spec = REGISTRY[dotted]
        return Ref(REGISTRY[spec.alias_of] if spec.alias_of else spec)
    if len(segments) > 1 and segments[0] == FRONT_MATTER:
        return Ref(None, tuple(segments[1:]))
    return Ref(None, tuple(segments))


_PLAIN_SEGMENT = re.compile(r"[^\s.()\"',`=!<>~]+")
#: Words of the ``--where`` language, which a key must be quoted to be read as.
KEYWORDS = frozenset({"and", "or", "not", "in", "between", "is", "empty"})


def quote_segment(part: str) -> str:
    """A path segment as names spell it: backticked when it is not a plain word."""
    if part and _PLAIN_SEGMENT.fullmatch(part) and part.lower() not in KEYWORDS:
        return part
    return "`" + part.replace("`", "``") + "`"


def front_matter_name(path: Sequence[str]) -> str:
    """How a front-matter path is named: bare when its first key is not a field's name,
    else under ``front_matter.``."""
    name = ".".join(quote_segment(part) for part in path)
    if not path or path[0] in REGISTRY or path[0] == FRONT_MATTER:
        return f"{FRONT_MATTER}.{name}" if path else FRONT_MATTER
    return name


def value(article: Article, ref: Ref, context: Context) -> Any:
    """The value of a resolved name for output (-F): a field's, or what the path holds."""
    if ref.field is not None:
        return ref.field.get(article, context)
    found = dig(article.front_matter, ref.path)
    return None if found is MISSING else found


# --- what a catalogue holds -----------------------------------------------------------------

#: Types a front-matter path can have, inferred from the values found there.
CataloguePaths = Mapping[tuple[str, ...], FieldType]

_DATE_TEXT = re.compile(r"\d{4}-\d\d-\d\d(?:[Tt ][0-9:.]+ *(?:[Zz]|[+-]\d\d(?::?\d\d)?)?)?\Z")


@dataclass
class PathStats:
    """What one front-matter path holds across a catalogue."""

    kinds: set[str]
    articles: int = 0
    example: Any = None


def catalogue_paths(
    records: Iterable[Mapping[str, Any]], depth: int = 4
) -> dict[tuple[str, ...], PathStats]:
    """Every path in the front matters, in first-seen order, with the kinds of value seen,
    how many articles have a value there, and the first non-null value."""
    found: dict[tuple[str, ...], PathStats] = {}

    def visit(path: tuple[str, ...], item: Any, in_list: bool, seen: set[tuple[str, ...]]) -> None:
        stats = found.get(path)
        if stats is None:
            stats = found[path] = PathStats(set())
        if item is None:
            return
        if path not in seen:
            seen.add(path)
            stats.articles += 1
        if isinstance(item, list):
            stats.kinds.add("list")
            if item and stats.example is None:
                stats.example = item
            for element in item:
                if element is None:
                    continue
                stats.kinds.add("item:" + _kind(element))
                if isinstance(element, dict) and len(path) < depth:
                    for key, sub in element.items():
                        visit((*path, str(key)), sub, True, seen)
            return
        stats.kinds.add(_kind(item) + ("*" if in_list else ""))
        if stats.example is None:
            stats.example = item
        if isinstance(item, dict) and len(path) < depth:
            for key, sub in item.items():
                visit((*path, str(key)), sub, in_list, seen)

    for front_matter in records:
        seen: set[tuple[str, ...]] = set()
        for key, item in front_matter.items():
            visit((str(key),), item, False, seen)
    return found


def path_type(stats: PathStats, path: Sequence[str] = ()) -> FieldType:
    """The type a path's values suggest: one kind, else ``any``. A key that ``date`` is
    read from is a date when its values are text, however they are written."""
    found = stats.kinds
    if len(path) == 1 and path[0] in DEFAULT_KEYS["date"] and found <= {"text", "date"}:
        return "date" if found else "text"
    plain = {kind.removeprefix("item:").rstrip("*") for kind in found} - {"list"}
    if "mapping" in plain:
        return "list of mappings" if "list" in found or any("*" in k for k in found) else "mapping"
    if "list" in found and plain <= {"text", "date"}:
        return "list of text"
    if len(plain) == 1:
        only = plain.pop()
        return "text" if only == "list" else only  # type: ignore[return-value]
    if plain == {"text", "date"}:
        return "text"
    return "text" if not plain else "any"


def _kind(item: Any) -> str:
    if isinstance(item, bool):
        return "bool"
    if isinstance(item, (int, float)):
        return "number"
    if isinstance(item, dict):
        return "mapping"
    if isinstance(item, list):
        return "list"
    if isinstance(item, str) and _DATE_TEXT.match(item.strip()):
        return "date"
    return "text"


def path_field(path: Sequence[str], type_: FieldType) -> Field:
    """A front-matter path as a field of the given type."""
    parts = tuple(path)

    def get(article: Article, context: Context) -> Any:
        found = dig(article.front_matter, parts)
        return None if found is MISSING else found

    return Field(front_matter_name(parts), type_, FrontMatterPath(parts), get, record=False)


@dataclass(frozen=True)
class FieldRow:
    """One row of ``newscat fields``."""

    name: str
    type: FieldType
    articles: int  # how many articles have a value
    example: Any
    help: str = ""


def field_rows(articles: Iterable[Article], now: datetime) -> list[FieldRow]:
    """The normalised fields, then every front-matter path the catalogue holds, each with
    its type, how many articles have a value there, and a first example."""
    listed = [spec for spec in FIELDS if spec.alias_of is None]
    counts = dict.fromkeys((spec.name for spec in listed), 0)
    examples: dict[str, Any] = {}
    context = Context(now)

    def front_matters() -> Iterable[Mapping[str, Any]]:
        for article in articles:
            for spec in listed:
                found = spec.get(article, context)
                if found is None or found == [] or found == "" or found == {}:
                    continue
                counts[spec.name] += 1
                if spec.name != FRONT_MATTER:  # the whole of it is no example
                    examples.setdefault(spec.name, found)
            yield article.front_matter

    paths = catalogue_paths(front_matters())
    rows = [
        FieldRow(spec.name, spec.type, counts[spec.name], examples.get(spec.name), spec.help)
        for spec in listed
    ]
    for path, stats in paths.items():
        rows.append(FieldRow(front_matter_name(path), path_type(stats, path), stats.articles,
                             stats.example))  # fmt: skip
    return rows


def resolve(segments: Sequence[str], quoted: bool, paths: CataloguePaths) -> Field | None:
    """The field a name refers to, given the front-matter paths a catalogue holds (with
    their types): the registry, else a path some article has, else the one field whose
    name differs only in case. None when there is none."""
    ref = lookup(segments, quoted)
    if ref.field is not None:
        return ref.field
    if ref.path in paths:
        return path_field(ref.path, paths[ref.path])
    dotted = ".".join(segments).casefold()
    names = [spec.name for spec in FIELDS] + [front_matter_name(path) for path in paths]
    folded = {name for name in names if name.casefold() == dotted}
    if len(folded) == 1:
        found = resolve(*parse_name(folded.pop()), paths)
        if found is not None:
            return found
    return None


def spellings(paths: Iterable[tuple[str, ...]]) -> list[str]:
    """Every name a field can be given by, for did-you-mean hints."""
    names = [spec.name for spec in FIELDS]
    for path in paths:
        names += [front_matter_name(path), ".".join(path)]
    return list(dict.fromkeys(names))


#: What surrounds a match in a snippet as computed; writers turn them into their own marks.
SNIPPET_MARKS = ("\x02", "\x03")


def field_value(article: Article, name: str, computed: Context | None = None) -> Any:
    """The value of an output field by name: a field of the registry, or a front-matter path.

    ``computed`` gives "now", the articles' handles (``ref`` is the id without them) and
    the passages that matched ``-m`` (``snippet``, None without them).
    """
    return value(article, named_ref(name), computed or Context())


@functools.lru_cache(maxsize=512)
def named_ref(name: str) -> Ref:
    """What an output field name (``date``, ``front_matter.date``, ``provider.name``) refers to."""
    return lookup(*parse_name(name))
