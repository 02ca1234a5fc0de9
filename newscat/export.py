"""Writers for the output formats, the fields they write, and safe output files.

Machine formats are UTF-8 and never truncate; dates are ISO 8601 UTC; lists
are JSON arrays in JSON and ``; ``-joined in tsv/csv; nested mappings flatten
to dotted columns. Every writer streams: it takes an iterable of articles (a
database cursor) and writes each one as it arrives.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import difflib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol

from newscat import signals
from newscat.catalog import line_text
from newscat.dates import normalise_date
from newscat.errors import OutputError, UsageError
from newscat.model import Article

DEFAULT_FIELDS = ("id", "date", "title", "provider", "quality", "heat", "topics")
#: A table starts with the handle, the shortest REF that names the article.
TABLE_FIELDS = ("ref", *DEFAULT_FIELDS[1:])
#: Fields computed for output from the whole catalogue, not stored with the article.
COMPUTED_FIELDS = ("ref", "snippet")
#: A table's columns with -m: where the match is.
MATCH_TABLE_FIELDS = ("ref", "date", "title", "snippet")

#: Fields every article has, from the normalised views (plus aliases).
NORMALISED_FIELDS = (
    "id", "path", "path_bytes", "date", "title", "excerpt", "category", "type", "quality",
    "heat", "published", "provider", "domain", "url", "topics", "body", "story", "coverage",
    "canonical_url",
)  # fmt: skip
ALIASES = {"topic": "topics"}

#: Front-matter keys that the normalised fields already stand for in csv/tsv exports.
_NORMALISED_KEYS = (
    "title", "excerpt", "category", "type", "quality", "heat", "published", "provider",
    "topics", "webUrl", "publishedDateTime",
)  # fmt: skip
#: Left out of csv/tsv exports unless named: opaque, or lists of mappings (json/sqlite have them).
_EXPORT_SKIPPED_KEYS = ("secured", "images", "related")

_MISSING = object()


# --- field values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    """Fields computed for output from the whole catalogue or the query, when shown."""

    #: An article's handle from its id (``ref``); None: ``ref`` is the id.
    handle: Callable[[str], str] | None = None
    #: The passage that matched ``-m`` (``snippet``), the match between SNIPPET_MARKS.
    snippet: Callable[[Article], str | None] | None = None


#: What surrounds a match in a snippet as computed; writers turn them into their own marks.
SNIPPET_MARKS = ("\x02", "\x03")


def snippet_text(raw: str | None) -> str | None:
    """A snippet for machine formats: the match in Markdown bold."""
    if raw is None:
        return None
    return raw.replace(SNIPPET_MARKS[0], "**").replace(SNIPPET_MARKS[1], "**")


def field_value(article: Article, name: str, computed: Computed | None = None) -> Any:
    """The value of an output field: a normalised view, or a dotted path into the record.

    ``ref`` is the article's handle (its id without ``computed.handle``);
    ``snippet`` the passage that matched, as computed (None without ``computed.snippet``).
    """
    name = ALIASES.get(name, name)
    if name == "ref":
        return computed.handle(article.id) if computed and computed.handle else article.id
    if name == "snippet":
        return computed.snippet(article) if computed and computed.snippet else None
    if name in NORMALISED_FIELDS:
        value = getattr(article, name)
        return list(value) if isinstance(value, tuple) else value
    value = _dig(article.record, name.split("."))
    if value is _MISSING and name == "provider.name" and isinstance(article.provider, str):
        # ``provider`` is sometimes a plain string: the name.
        return article.provider
    return None if value is _MISSING else value


def _dig(value: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list):
            # A path through a list collects that key from every element.
            found = [_dig(item, [part]) for item in value]
            value = [item for item in found if item is not _MISSING]
            if not value:
                return _MISSING
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
#: Backslash, and every character a terminal could act on (ESC, OSC, C1, bidi overrides).
_TSV_SPECIAL = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: What a csv cell escapes: the same, less the tab and line breaks csv quotes itself.
_CSV_SPECIAL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


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
    text = _CSV_SPECIAL.sub(_escape, flat_text(value))
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


# --- which fields exist ---------------------------------------------------------------------


class FieldSource(Protocol):
    """What the catalogue says about its records (``Index`` provides it)."""

    def record_keys(self) -> dict[str, set[str]]:
        """Top-level front-matter keys in first-seen order, each with the kinds of value seen."""
        ...

    def record_values(self, key: str, limit: int | None = None) -> Iterator[Any]:
        """The values of one top-level key, as written, from the articles that have it."""
        ...


#: Kinds of value that ``record_keys`` reports (SQLite's json types, and lists of mappings).
SCALAR_KINDS = frozenset({"null", "true", "false", "integer", "real", "text"})
NESTED_LIST = "nested"  # a list holding mappings or lists


def resolve_fields(names: Sequence[str], source: FieldSource, flatten: bool = False) -> list[str]:
    """Check the requested fields against the catalogue; expand mappings when ``flatten``.

    A field is a normalised field, an alias, or a front-matter key or dotted path
    that at least one article has. With ``flatten`` (csv, tsv, markdown), a key
    whose values are mappings becomes one dotted column per leaf
    (``provider`` → ``provider.name``, ``provider.domain``). Anything else is a
    usage error that lists the valid fields.
    """
    keys: dict[str, set[str]] | None = None
    out: list[str] = []
    for name in names:
        if name in NORMALISED_FIELDS or name in ALIASES or name in COMPUTED_FIELDS:
            out.append(name)
            continue
        if keys is None:
            keys = source.record_keys()
        top, _, rest = name.partition(".")
        kinds = keys.get(top)
        if kinds is None:
            raise _unknown_field(name, keys, source)
        if not rest and not (flatten and kinds - SCALAR_KINDS - {"array"}):
            out.append(name)
            continue
        leaves: dict[str, None] = {}
        found = False
        for value in source.record_values(top):
            value = _dig(value, rest.split(".")) if rest else value
            if value is _MISSING:
                continue
            found = True
            if not flatten:
                break
            _leaf_paths(value, name, leaves)
        if not found:
            raise _unknown_field(name, keys, source)
        out.extend(leaves if flatten else [name])
    return out


def _leaf_paths(value: Any, prefix: str, out: dict[str, None]) -> None:
    """Dotted paths to the scalars (and lists of scalars) under ``value``, in order seen."""
    if isinstance(value, dict):
        if not value:
            out.setdefault(prefix)
        for key, item in value.items():
            _leaf_paths(item, f"{prefix}.{key}", out)
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for item in value:
            if isinstance(item, (dict, list)):
                _leaf_paths(item, prefix, out)
            else:
                out.setdefault(prefix)
    else:
        out.setdefault(prefix)


def known_fields(source: FieldSource, keys: dict[str, set[str]] | None = None) -> list[str]:
    """Every field name a user can ask for: normalised, aliases, keys and dotted paths."""
    keys = source.record_keys() if keys is None else keys
    names: dict[str, None] = dict.fromkeys([*NORMALISED_FIELDS, *ALIASES, *COMPUTED_FIELDS])
    for key, kinds in keys.items():
        names.setdefault(key)
        if kinds & {"object", NESTED_LIST}:
            leaves: dict[str, None] = {}
            for value in source.record_values(key, limit=1000):
                _leaf_paths(value, key, leaves)
            for leaf in leaves:
                names.setdefault(leaf)
    return list(names)


def _unknown_field(name: str, keys: dict[str, set[str]], source: FieldSource) -> UsageError:
    valid = known_fields(source, keys)
    message = f"unknown field {name!r}"
    close = difflib.get_close_matches(name, valid, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return UsageError(f"{message}; valid fields: {', '.join(valid)}")


def export_columns(source: FieldSource) -> list[str]:
    """The default csv/tsv columns of ``newscat export``.

    The normalised fields (with ``provider`` as ``provider.name`` and
    ``provider.domain``), then every other top-level key in first-seen order:
    scalars and lists of scalars as one column, mappings flattened to dotted
    columns. Left out: ``body``, ``secured``, lists of mappings (``images``,
    ``related``) and what the normalised fields already stand for (``webUrl``,
    ``publishedDateTime``); name any of them with ``--fields`` to get it.
    """
    columns = [
        "id", "path", "date", "title", "excerpt", "category", "type", "quality", "heat",
        "published", "provider.name", "provider.domain", "url", "topics",
    ]  # fmt: skip
    keys = source.record_keys()
    provider_leaves: dict[str, None] = {}
    if "object" in keys.get("provider", set()):
        for value in source.record_values("provider"):
            if isinstance(value, dict):
                _leaf_paths(value, "provider", provider_leaves)
    extra = [leaf for leaf in provider_leaves if leaf not in columns]
    position = columns.index("provider.domain") + 1
    columns[position:position] = extra
    for key, kinds in keys.items():
        if key in _NORMALISED_KEYS or key in _EXPORT_SKIPPED_KEYS or key in columns:
            continue
        if NESTED_LIST in kinds:
            continue
        if "object" in kinds:
            columns.extend(resolve_fields([key], source, flatten=True))
        else:
            columns.append(key)
    return columns


# --- writers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputSpec:
    """How to write: the columns (None: the format's default), header, separators, colour."""

    fields: Sequence[str] | None = None
    header: bool = True
    null: bool = False
    color: str = "auto"
    #: The fields computed for output (``ref``, ``snippet``).
    computed: Computed = Computed()
    #: Whether ``fields`` were named by the user (a table then drops none of them).
    named: bool = False


Writer = Callable[[IO[str], Iterable[Article], OutputSpec], int]


def _columns(spec: OutputSpec) -> Sequence[str]:
    return DEFAULT_FIELDS if spec.fields is None else spec.fields


def write_tsv(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    fields = _columns(spec)
    count = 0
    if spec.header:
        out.write("\t".join(tsv_cell(name) for name in fields) + "\n")
    for article in articles:
        out.write("\t".join(tsv_cell(_value(article, name, spec)) for name in fields) + "\n")
        count += 1
    return count


def write_csv(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    """RFC 4180 quoting, with ``\\n`` line ends (what Unix tools and Python's csv expect)."""
    fields = _columns(spec)
    writer = csv.writer(out, lineterminator="\n")
    if spec.header:
        writer.writerow(fields)
    count = 0
    for article in articles:
        writer.writerow([csv_cell(_value(article, name, spec)) for name in fields])
        count += 1
    return count


def write_markdown(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    """A GitHub-flavoured Markdown table; scores right-aligned."""
    fields = _columns(spec)
    if spec.header:
        out.write("| " + " | ".join(markdown_cell(name) for name in fields) + " |\n")
        rules = ("---:" if name in ("quality", "heat") else "---" for name in fields)
        out.write("| " + " | ".join(rules) + " |\n")
    count = 0
    for article in articles:
        cells = (markdown_cell(_value(article, name, spec)) for name in fields)
        out.write("| " + " | ".join(cells) + " |\n")
        count += 1
    return count


def write_json(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    """A JSON array, one record per line, written as it is read."""
    count = 0
    out.write("[")
    for article in articles:
        out.write(",\n  " if count else "\n  ")
        out.write(json_text(_record(article, spec)))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    count = 0
    for article in articles:
        out.write(json_text(_record(article, spec)) + "\n")
        count += 1
    return count


def write_ids(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    """One id a line (escaped as ``line_text`` does), or NUL-separated as they are."""
    count = 0
    for article in articles:
        out.write(article.id + "\0" if spec.null else line_text(article.id) + "\n")
        count += 1
    return count


def write_paths(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    """One path a line (escaped as ``line_text`` does), or NUL-separated as the file
    system has them: a name that is not UTF-8 is written as its raw bytes."""
    count = 0
    raw = getattr(out, "buffer", None) if spec.null else None
    for article in articles:
        if not spec.null:
            out.write(line_text(article.path) + "\n")
        elif article.path_bytes is not None and raw is not None:
            out.flush()
            raw.write(base64.b64decode(article.path_bytes) + b"\0")
            raw.flush()
        else:
            out.write(article.path + "\0")
        count += 1
    return count


def write_table(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    """A Rich table sized to the terminal (the one format that may truncate)."""
    from newscat.render import articles_table, make_console

    rows = list(articles)  # a table needs every row to size its columns
    if rows:
        console = make_console(spec.color)
        fields = TABLE_FIELDS if spec.fields is None else spec.fields
        table = articles_table(rows, fields, console.width, computed=spec.computed, keep=spec.named)
        console.print(table)
    return len(rows)


def _record(article: Article, spec: OutputSpec) -> dict[str, Any]:
    if spec.fields is None:
        record = article.full_record()
        if spec.computed.snippet is not None:
            record["snippet"] = snippet_text(spec.computed.snippet(article))
        return record
    return {name: _value(article, name, spec) for name in spec.fields}


def _value(article: Article, name: str, spec: OutputSpec) -> Any:
    value = field_value(article, name, spec.computed)
    return snippet_text(value) if name == "snippet" else value


#: Every text format, by name. ``list`` offers them all; ``export`` the machine ones.
WRITERS: dict[str, Writer] = {
    "table": write_table,
    "tsv": write_tsv,
    "csv": write_csv,
    "json": write_json,
    "jsonl": write_jsonl,
    "ids": write_ids,
    "paths": write_paths,
    "markdown": write_markdown,
}
#: Formats whose columns come from ``--fields`` (and flatten mappings into dotted columns).
TABULAR = frozenset({"table", "tsv", "csv", "markdown"})
#: Formats that write whole records unless ``--fields`` is given.
RECORDS = frozenset({"json", "jsonl"})
#: Formats ``-0/--null`` applies to.
NUL_SEPARATED = frozenset({"ids", "paths"})
#: Formats in which a mapping field becomes dotted columns.
FLATTENED = frozenset({"tsv", "csv", "markdown"})


def output_fields(
    fmt: str, requested: Sequence[str] | None, source: FieldSource
) -> Sequence[str] | None:
    """The columns a format writes: the requested ones checked (and flattened), or its default.

    None means whole records (json, jsonl) or no columns at all (ids, paths).
    """
    if requested is None:
        if fmt == "table":
            return TABLE_FIELDS
        return DEFAULT_FIELDS if fmt in TABULAR else None
    return resolve_fields(requested, source, flatten=fmt in FLATTENED)


def check_null(fmt: str, null: bool) -> None:
    """``-0/--null`` only separates ids or paths."""
    if null and fmt not in NUL_SEPARATED:
        raise UsageError(f"-0/--null works with -f ids or -f paths, not -f {fmt}")


# --- safe output files ----------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path beside ``path`` that replaces it only if the block succeeds.

    On any failure the temporary file is removed and an existing ``path`` is
    left as it was; an OSError becomes an OutputError with a one-line reason.
    """
    target = os.path.abspath(path)
    if os.path.isdir(target):
        raise OutputError(f"cannot write {path}: it is a directory")
    directory = os.path.dirname(target)
    held = signals.hold()  # a signal now would leave the file made but not yet ours to remove
    try:
        fd, temp = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory
        )
    except OSError as exc:
        signals.release(held)
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    try:  # from here on, any way out (a signal too) removes the temporary file
        signals.release(held)
        os.close(fd)
        yield temp
        _copy_mode(target, temp)
        os.replace(temp, target)
    except OSError as exc:
        _remove(temp)
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    except BaseException:
        _remove(temp)
        raise


@contextlib.contextmanager
def atomic_text(path: str) -> Iterator[IO[str]]:
    """A UTF-8 text file that appears at ``path`` only when fully written (see atomic_path)."""
    with atomic_path(path) as temp, open(temp, "w", encoding="utf-8", newline="") as out:
        yield out
        out.flush()
        os.fsync(out.fileno())


def _copy_mode(target: str, temp: str) -> None:
    """Keep an existing file's permissions; a new file gets the usual umask-based ones."""
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)


def _remove(path: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.remove(path + suffix)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --- the SQLite export ----------------------------------------------------------------------

SQLITE_SCHEMA_VERSION = 1

#: The schema of ``newscat export -f sqlite`` (documented in the README).
SQLITE_SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY,            -- the article id (path below its root, no extension)
    path TEXT NOT NULL,             -- the source file
    date TEXT,                      -- publishedDateTime normalised: YYYY-MM-DDTHH:MM:SSZ (UTC)
    title TEXT,
    excerpt TEXT,
    category TEXT,
    type TEXT,
    quality INTEGER,
    heat INTEGER,
    published INTEGER,              -- 1, 0 or NULL
    provider TEXT,                  -- provider name
    domain TEXT,                    -- provider domain (else the webUrl host)
    url TEXT,                       -- webUrl (else originalUrl)
    original_url TEXT,
    published_date_time TEXT,       -- publishedDateTime exactly as written
    body TEXT,
    record TEXT NOT NULL            -- the whole front matter as written, as JSON
);
CREATE INDEX articles_date ON articles(date);
CREATE INDEX articles_provider ON articles(provider);
CREATE TABLE article_topics (
    article_id TEXT NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,      -- 0-based, in file order
    topic TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_topics_topic ON article_topics(topic COLLATE NOCASE);
CREATE TABLE images (
    article_id TEXT NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT,
    width INTEGER,
    height INTEGER,
    is_cached INTEGER,              -- 1, 0 or NULL
    PRIMARY KEY (article_id, position)
);
CREATE TABLE related (
    article_id TEXT NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    title TEXT,
    excerpt TEXT,
    date TEXT,                      -- its publishedDateTime normalised to UTC
    url TEXT,                       -- webUrl
    amp_url TEXT,                   -- ampWebUrl
    cdn_amp_url TEXT,               -- cdnAmpWebUrl
    type TEXT,
    provider TEXT,                  -- provider name
    domain TEXT,                    -- provider domain
    quality INTEGER,
    record TEXT NOT NULL,           -- the whole related entry as written, as JSON
    PRIMARY KEY (article_id, position)
);
"""


def write_sqlite(
    path: str, articles: Iterable[Article], check: Callable[[int], None] | None = None
) -> int:
    """The articles as a new SQLite database at ``path`` (schema: SQLITE_SCHEMA).

    The database is built in a temporary file beside ``path`` and renamed into
    place when complete, so a failure leaves any existing file as it was.
    ``check`` sees the number of articles written and may raise to discard them.
    """
    with atomic_path(path) as temp:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("BEGIN")
            _create_schema(conn)
            count = 0
            for article in articles:
                _insert_sqlite(conn, article)
                count += 1
            if check is not None:
                check(count)
            conn.execute(f"PRAGMA user_version = {SQLITE_SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write {path}: {exc}") from None
        finally:
            conn.close()
    return count


def _create_schema(conn: sqlite3.Connection) -> None:
    # executescript would commit the open transaction; run the statements one by one.
    for statement in SQLITE_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _insert_sqlite(conn: sqlite3.Connection, article: Article) -> None:
    record = article.record
    try:
        conn.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *article.columns(),
                _scalar(record.get("originalUrl")),
                _scalar(record.get("publishedDateTime")),
                article.body or None,
                article.record_json or json.dumps(record, ensure_ascii=False),
            ),
        )
    except sqlite3.IntegrityError:
        raise OutputError(
            f"two articles have the id {article.id!r} (the second is {article.path}); "
            "export each catalogue root on its own"
        ) from None
    conn.executemany(
        "INSERT INTO article_topics VALUES (?, ?, ?)",
        [(article.id, i, topic) for i, topic in enumerate(article.topics)],
    )
    conn.executemany(
        "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                article.id,
                i,
                _scalar(image.get("url")),
                _scalar(image.get("width")),
                _scalar(image.get("height")),
                _flag(image.get("isCached")),
            )
            for i, image in enumerate(_mappings(record.get("images")))
        ],
    )
    conn.executemany(
        "INSERT INTO related VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (article.id, i, *_related_columns(item), json.dumps(item, ensure_ascii=False))
            for i, item in enumerate(_mappings(record.get("related")))
        ],
    )


def _related_columns(item: dict[str, Any]) -> tuple[Any, ...]:
    provider = item.get("provider")
    name, domain = (
        (provider.get("name"), provider.get("domain"))
        if isinstance(provider, dict)
        else (provider, None)
    )
    return (
        _scalar(item.get("title")),
        _scalar(item.get("excerpt")),
        normalise_date(item.get("publishedDateTime")),
        _scalar(item.get("webUrl")),
        _scalar(item.get("ampWebUrl")),
        _scalar(item.get("cdnAmpWebUrl")),
        _scalar(item.get("type")),
        _scalar(name),
        _scalar(domain),
        _scalar(item.get("quality")),
    )


def _mappings(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _scalar(value: Any) -> Any:
    """A value SQLite can store in a column: scalars as they are, anything else as JSON."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    return json.dumps(value, ensure_ascii=False)


def _flag(value: Any) -> int | None:
    return int(value) if isinstance(value, bool) else None


# --- rows of summaries (topics, providers) ------------------------------------------------

#: Characters a terminal may act on that JSON leaves raw: C1 controls, DEL, bidi overrides.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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
            writer.writerow([csv_cell(record[f]) for f in fields])
    else:
        if header:
            out.write("\t".join(fields) + "\n")
        for record in records:
            cells = [tsv_cell(record[f]) for f in fields]
            out.write("\t".join(cells) + "\n")
    return len(records)
