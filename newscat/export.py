"""Articles in every output format: the fields they write, templates, feeds, the
SQLite export, and safe output files.

Machine formats are UTF-8 and never truncate; dates are ISO 8601 UTC; lists
are JSON arrays in JSON and ``; ``-joined in tsv/csv; nested mappings flatten
to dotted columns. Every writer streams: it takes an iterable of articles (a
database cursor) and writes each one as it arrives. The record writers of
``newscat.formats`` write the cells; this module turns articles into records.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import sqlite3
import stat
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Protocol

from newscat import fields, formats, signals
from newscat.dates import normalise_date, parse_instant
from newscat.errors import OutputError, UsageError
from newscat.fields import Context
from newscat.formats import csv_cell, flat_text
from newscat.model import Article
from newscat.store import export as sqlite_export
from newscat.text import line_text

# --- field values ---------------------------------------------------------------------------


def snippet_text(raw: str | None) -> str | None:
    """A snippet for machine formats: the match in Markdown bold."""
    if raw is None:
        return None
    return raw.replace(fields.SNIPPET_MARKS[0], "**").replace(fields.SNIPPET_MARKS[1], "**")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- which fields exist ---------------------------------------------------------------------


class FieldSource(Protocol):
    """What the catalogue says about its front matter (``Index`` provides it)."""

    def front_matter_paths(self) -> Mapping[tuple[str, ...], fields.PathStats]:
        """Every path the front matters hold, in first-seen order, with what is there."""
        ...


_NESTED: frozenset[str] = frozenset({"mapping", "list of mappings"})


def resolve_fields(names: Sequence[str], source: FieldSource, flatten: bool = False) -> list[str]:
    """Check the requested fields against the registry and the catalogue.

    A field is a field of the registry, or a front-matter path that at least one
    article has (``front_matter.KEY`` or a bare key). With ``flatten`` (csv, tsv,
    markdown), a front-matter path that holds mappings becomes one column per
    path below it (``provider`` gives ``front_matter.provider.name``, …). Anything
    else is a usage error that lists the valid fields.
    """
    paths: Mapping[tuple[str, ...], fields.PathStats] | None = None
    out: list[str] = []
    for name in names:
        if fields.named_ref(name).field is not None:
            out.append(name)
            continue
        if paths is None:
            paths = source.front_matter_paths()
        types = {path: fields.path_type(stats, path) for path, stats in paths.items()}
        found = fields.resolve(*fields.parse_name(name), types)
        if found is None:
            raise _unknown_field(name, paths)
        # The name as given when it is exact, else the field's own (it differed in case).
        shown = name if fields.named_ref(name).path in paths else found.name
        origin = found.source
        if isinstance(origin, fields.FrontMatterPath) and flatten and found.type in _NESTED:
            out.extend(_leaves(origin.path, paths))
        else:
            out.append(shown)
    return out


def _leaves(path: tuple[str, ...], paths: Mapping[tuple[str, ...], fields.PathStats]) -> list[str]:
    """The names of the paths below ``path`` that hold no mapping, in first-seen order."""
    found = [
        fields.front_matter_name(other)
        for other, stats in paths.items()
        if len(other) > len(path)
        and other[: len(path)] == path
        and fields.path_type(stats, other) not in _NESTED
        and stats.articles
    ]
    return found or [fields.front_matter_name(path)]


def known_fields(source: FieldSource) -> list[str]:
    """Every field name a user can ask for, as ``newscat fields`` lists them."""
    return _field_names(source.front_matter_paths())


def _field_names(paths: Mapping[tuple[str, ...], fields.PathStats]) -> list[str]:
    names = [spec.name for spec in fields.FIELDS if spec.alias_of is None]
    return names + [fields.front_matter_name(path) for path in paths]


def _unknown_field(name: str, paths: Mapping[tuple[str, ...], fields.PathStats]) -> UsageError:
    valid = _field_names(paths)
    message = f"unknown field {name!r}"
    import difflib  # start-up time: only a mistyped field needs a suggestion

    close = difflib.get_close_matches(name, fields.spellings(paths), n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return UsageError(f"{message}; valid fields: {', '.join(valid)}")


def export_columns(source: FieldSource) -> list[str]:
    """The default csv/tsv columns of ``newscat export``.

    The normalised fields (less ``front_matter`` and ``body``), then every
    front-matter key that no normalised field reads by default, in first-seen
    order: scalars and lists of scalars as one column, mappings flattened to a
    column per path below them. Lists of mappings and opaque payloads are left
    out; name any of them with ``--fields`` to get it, or use json, jsonl or
    sqlite for everything.
    """
    columns = [spec.name for spec in fields.RECORD_FIELDS if spec.name not in fields.NOT_FLAT]
    paths = source.front_matter_paths()
    for path, stats in paths.items():
        if len(path) != 1 or not stats.articles:
            continue
        if path[0] in fields.READ_KEYS or path[0] in fields.OPAQUE_KEYS:
            continue
        kind = fields.path_type(stats, path)
        if kind == "list of mappings":
            continue
        columns.extend(
            _leaves(path, paths) if kind == "mapping" else [fields.front_matter_name(path)]
        )
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
    computed: Context = field(default_factory=Context)
    #: Whether ``fields`` were named by the user (a table then drops none of them).
    named: bool = False
    #: A feed's title (Atom, RSS).
    title: str = "newscat"
    #: ``--template``: one line per article.
    template: Template | None = None


Writer = Callable[[IO[str], Iterable[Article], OutputSpec], int]


def _columns(spec: OutputSpec) -> Sequence[str]:
    return fields.DEFAULT_COLUMNS if spec.fields is None else spec.fields


def _rows(articles: Iterable[Article], spec: OutputSpec) -> Iterator[dict[str, Any]]:
    columns = _columns(spec)
    getters = [(name, _getter(name, spec)) for name in columns]  # each name resolved once
    for article in articles:
        yield {name: get(article) for name, get in getters}


def _getter(name: str, spec: OutputSpec) -> Callable[[Article], Any]:
    """What ``_value`` gives for ``name``, with the name resolved once for every row."""
    ref = fields.named_ref(name)
    context = spec.computed
    if name == "snippet" or ref.field is None:
        return lambda article: _value(article, name, spec)
    get = ref.field.get
    return lambda article: get(article, context)


def _shape(spec: OutputSpec) -> formats.Shape:
    return formats.Shape(_columns(spec), header=spec.header, numeric=fields.NUMBER_FIELDS)


def write_tsv(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    return formats.write_tsv(out, _rows(articles, spec), _shape(spec))


def write_csv(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    return formats.write_csv(out, _rows(articles, spec), _shape(spec))


def write_markdown(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    return formats.write_markdown(out, _rows(articles, spec), _shape(spec))


def write_json(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    records = (_record(article, spec) for article in articles)
    return formats.write_json(out, records, _shape(spec))


def write_jsonl(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    records = (_record(article, spec) for article in articles)
    return formats.write_jsonl(out, records, _shape(spec))


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
    from newscat.render import articles_table, make_console  # Rich only for a terminal table

    rows = list(articles)  # a table needs every row to size its columns
    if rows:
        console = make_console(spec.color)
        columns = fields.TABLE_COLUMNS if spec.fields is None else spec.fields
        table = articles_table(
            rows, columns, console.width, computed=spec.computed, keep=spec.named
        )
        console.print(table)
    return len(rows)


def _record(article: Article, spec: OutputSpec) -> dict[str, Any]:
    if spec.fields is None:
        record = fields.record(article, spec.computed)
        if spec.computed.snippet is not None:
            record["snippet"] = snippet_text(spec.computed.snippet(article))
        return record
    return {name: _value(article, name, spec) for name in spec.fields}


def _value(article: Article, name: str, spec: OutputSpec) -> Any:
    value = fields.field_value(article, name, spec.computed)
    return snippet_text(value) if name == "snippet" else value


# --- templates: one line per article ----------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A ``--template``: literal text and ``{field:spec}`` placeholders, checked once."""

    text: str
    #: (literal text, field or None, format spec) in order.
    parts: tuple[tuple[str, str | None, str], ...]


def parse_template(text: str, source: FieldSource) -> Template:
    """Check a template before any output: its syntax, every field, every format spec.

    A spec with ``%`` formats a date (``{date:%Y-%m-%d}``); any other is Python's
    format mini-language (``{quality:>3}``, ``{title:.40}``).
    """
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise UsageError(f"invalid --template {text!r}: {exc}") from None
    parts: list[tuple[str, str | None, str]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            parts.append((literal, None, ""))
            continue
        if not name or name.isdigit():
            raise UsageError(f"invalid --template {text!r}: every {{}} needs a field name")
        if conversion or "{" in (spec or ""):
            raise UsageError(
                f"invalid --template {text!r}: '{{{name}...}}' takes only a format spec after ':'"
            )
        resolve_fields([name], source)
        _check_spec(text, name, spec or "")
        parts.append((literal, name, spec or ""))
    if not any(name for _, name, _ in parts):
        raise UsageError(f"invalid --template {text!r}: it names no field, e.g. '{{title}}'")
    return Template(text, tuple(parts))


def _check_spec(text: str, name: str, spec: str) -> None:
    try:
        if "%" in spec:
            datetime(2000, 1, 1).strftime(spec)
        elif spec:
            format(0 if name in fields.SCORE_FIELDS else "", spec)
    except ValueError as exc:
        raise UsageError(f"invalid --template {text!r}: {{{name}:{spec}}}: {exc}") from None


def template_line(template: Template, article: Article, computed: Context | None) -> str:
    """One article as one line of the template: values inert, line breaks as spaces."""
    out: list[str] = []
    for literal, name, spec in template.parts:
        out.append(literal)
        if name is not None:
            out.append(
                _line_cell(_formatted(fields.field_value(article, name, computed), name, spec))
            )
    return "".join(out)


def _formatted(value: Any, name: str, spec: str) -> str:
    if name == "snippet":
        value = snippet_text(value)
    if value is None:
        return ""
    if "%" in spec:
        moment = parse_instant(normalise_date(value) or "")
        return moment.strftime(spec) if moment is not None else flat_text(value)
    if isinstance(value, list):
        value = ", ".join(flat_text(item) for item in value)
    elif not isinstance(value, (int, float)) or isinstance(value, bool):
        value = flat_text(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return format(value, spec)
    except ValueError:
        return format(str(value), spec) if not any(c in spec for c in "dfeg%n") else str(value)


def _line_cell(text: str) -> str:
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return csv_cell(text)


def write_template(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    assert spec.template is not None
    count = 0
    for article in articles:
        out.write(template_line(spec.template, article, spec.computed) + "\n")
        count += 1
    return count


def write_atom(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    # start-up time: loaded only when the command runs
    from newscat.feeds import write_atom as atom

    return atom(out, articles, spec.title)


def write_rss(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
    # start-up time: loaded only when the command runs
    from newscat.feeds import write_rss as rss

    return rss(out, articles, spec.title)


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
    "atom": write_atom,
    "rss": write_rss,
}
#: Formats whose columns come from ``--fields`` (and flatten mappings into dotted columns).
TABULAR = frozenset({"table", "tsv", "csv", "markdown"})
#: Formats that write whole records unless ``--fields`` is given.
RECORDS = frozenset({"json", "jsonl"})
#: Feeds: each entry's parts are fixed (title, link, date, author, categories, summary).
FEEDS = frozenset({"atom", "rss"})
#: Formats ``-0/--null`` applies to.
NUL_SEPARATED = frozenset({"ids", "paths"})
#: Formats in which a mapping field becomes dotted columns.
FLATTENED = frozenset({"tsv", "csv", "markdown"})


def output_fields(
    fmt: str, requested: Sequence[str] | None, source: FieldSource
) -> Sequence[str] | None:
    """The columns a format writes: the requested ones checked (and flattened), or its default.

    None means whole records (json, jsonl) or no columns at all (ids, paths, feeds).
    """
    if fmt in FEEDS and requested is not None:
        raise UsageError(f"--fields does not apply to -f {fmt}")
    if requested is None:
        if fmt == "table":
            return fields.TABLE_COLUMNS
        return fields.DEFAULT_COLUMNS if fmt in TABULAR else None
    return resolve_fields(requested, source, flatten=fmt in FLATTENED)


def check_null(fmt: str, null: bool) -> None:
    """``-0/--null`` only separates ids or paths."""
    if null and fmt not in NUL_SEPARATED:
        raise UsageError(f"-0/--null works with -f ids or -f paths, not -f {fmt}")


# --- safe output files ----------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str, stream: bool = False) -> Iterator[str]:
    """A temporary path beside ``path`` that replaces it only if the block succeeds.

    On any failure the temporary file is removed and an existing ``path`` is
    left as it was; an OSError becomes an OutputError with a one-line reason.
    Through a symbolic link, the file it names is replaced and the link kept. What
    is no regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is never
    replaced: with ``stream`` (text) the block writes to it as it is, else it is
    refused.
    """
    if _descriptor(path) is not None:  # /dev/stdout and the like: an open file of the caller's
        raise OutputError(f"cannot write {path}: not a regular file")
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {path}: it is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        if not stream:
            raise OutputError(f"cannot write {path}: not a regular file")
        try:
            yield path
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
        return
    target = _followed(path) if os.path.islink(path) else os.path.abspath(path)
    directory = os.path.dirname(target)
    import tempfile  # start-up time: only an output file needs one

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


#: The names of the caller's own open files: written through the open descriptor (its
#: offset, its append mode), never reopened, truncated or replaced.
_DESCRIPTORS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR_PATH = re.compile(r"/(?:dev/fd|proc/self/fd)/(\d+)")


def _descriptor(path: str) -> int | None:
    """The descriptor ``path`` names (``/dev/stdout``, ``/dev/fd/3``), or None."""
    given = os.path.abspath(path)
    found = _DESCRIPTOR_PATH.fullmatch(given)
    return int(found.group(1)) if found else _DESCRIPTORS.get(given)


def _followed(link: str) -> str:
    """The file a symbolic link names, to be replaced in its place; OutputError where the
    kernel would not follow the link either (``fs.protected_symlinks``: a link in a
    sticky, world-writable folder, such as /tmp, that someone else owns), or where it
    leads to an open descriptor."""
    try:
        folder = os.stat(os.path.dirname(os.path.abspath(link)))
        owner = os.lstat(link).st_uid
    except OSError as exc:
        raise OutputError(f"cannot write {link}: {_reason(exc)}") from None
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if shared and owner not in (os.geteuid(), folder.st_uid):
        raise OutputError(f"cannot write {link}: a link in a shared folder that someone else owns")
    target = os.path.realpath(link)
    if target.startswith(("/proc/", "/dev/fd/")):
        raise OutputError(f"cannot write {link}: not a regular file")
    return target


@contextlib.contextmanager
def atomic_text(path: str) -> Iterator[IO[str]]:
    """A UTF-8 text file that appears at ``path`` only when fully written (see atomic_path;
    a device or a pipe is written as it is, an open descriptor through itself)."""
    descriptor = _descriptor(path)
    if descriptor is not None:
        try:
            out = os.fdopen(os.dup(descriptor), "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
        with out:
            yield out
        return
    with (
        atomic_path(path, stream=True) as temp,
        open(temp, "w", encoding="utf-8", newline="") as out,
    ):
        yield out
        out.flush()
        if stat.S_ISREG(os.fstat(out.fileno()).st_mode):
            os.fsync(out.fileno())


def _copy_mode(target: str, temp: str) -> None:
    """Keep an existing file's permissions and, where allowed, its owner and group; a new
    file gets the usual umask-based permissions."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        return
    with contextlib.suppress(OSError):  # only root may give a file away
        os.chown(temp, info.st_uid, info.st_gid)
    os.chmod(temp, info.st_mode & 0o7777)


def _remove(path: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.remove(path + suffix)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --- the SQLite export ----------------------------------------------------------------------

#: The ``articles`` columns of the SQLite export, in the order of its rows.
SQLITE_FIELDS = sqlite_export.FIELDS


def write_sqlite(
    path: str, articles: Iterable[Article], check: Callable[[int], None] | None = None
) -> int:
    """The articles as a new SQLite database at ``path`` (schema: ``newscat.store.export``).

    The database is built in a temporary file beside ``path`` and renamed into
    place when complete, so a failure leaves any existing file as it was.
    ``check`` sees the number of articles written and may raise to discard them.
    """
    now = _now()
    with atomic_path(path) as temp:
        try:
            database = sqlite_export.Export(temp)
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write {path}: {exc}") from None
        try:
            count = 0
            for article in articles:
                _insert_sqlite(database, article, now)
                count += 1
            if check is not None:
                check(count)
            database.commit()
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write {path}: {exc}") from None
        finally:
            database.close()
    return count


def _insert_sqlite(database: sqlite_export.Export, article: Article, now: datetime) -> None:
    row = []
    for spec in SQLITE_FIELDS:
        if spec.name == fields.FRONT_MATTER and article.front_matter_json:
            row.append(article.front_matter_json)
        else:
            row.append(_sql_value(spec.get(article, Context(now))))
    try:
        database.add(row, article.id, article.topics)
    except sqlite_export.SameId:
        raise OutputError(
            f"two articles have the id {article.id!r} (the second is {article.path}); "
            "export each catalogue root on its own"
        ) from None


def _sql_value(value: Any) -> Any:
    """A value SQLite can store in a column: booleans as 1/0, collections as JSON."""
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    return json.dumps(value, ensure_ascii=False)
