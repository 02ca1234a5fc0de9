"""Bytes in, an Article or a Problem out. No I/O, and no exception escapes.

The reading rules: UTF-8 with or without BOM, LF or CRLF, YAML front matter
between a line ``---`` and a line ``---`` or ``...`` (or TOML between ``+++``
lines), safe YAML only, every value kept as written (dates stay text; keys that
are not strings, ``.nan``, ``.inf`` and ``!!binary`` keep their text; a
``!!set`` is a sorted list), and the normalised fields derived from it.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from newscat import plainyaml, split
from newscat.dates import normalise_date, unknown_zone
from newscat.fields import (
    DEFAULT_KEYS,
    FIELDS,
    MISSING_AT,
    MISSING_WARNINGS,
    PROVIDER_DOMAIN_KEY,
    PROVIDER_NAME_KEY,
    FieldKeys,
    FieldType,
    listed_names,
    missing_message,
)
from newscat.model import Article, Problem, attributes_in_order

#: How many nodes a document may expand to through aliases before it is an "alias bomb".
MAX_EXPANDED_NODES = 200_000
#: The most characters of text the scalars may hold once aliases are expanded: one long
#: value repeated by aliases is as much a bomb as many values (a 1 MB file made 1 GB).
MAX_EXPANDED_TEXT = 10_000_000
#: How deeply collections may nest (checked exactly on the composed document).
#: Real articles nest four or five levels; the JSON encoder and the rest of the
#: pipeline recurse, so a bound well below Python's recursion limit keeps them safe.
MAX_DEPTH = 100
#: A coarse bound checked on the text before YAML sees it. It overestimates (brackets
#: inside strings count), so it sits well above MAX_DEPTH; and it sits below every
#: loader's own limit (libyaml refuses 1,000 levels since 0.2.6, the pure-Python
#: composer recurses), so the same file gets the same problem with either loader.
_SCAN_DEPTH = 2 * MAX_DEPTH
#: A Jekyll post's file name starts with its date.
_NAME_DATE = re.compile(r"(\d{4}-\d\d-\d\d)(?!\d)")
#: Whether paths use ``/`` alone, where a file's name is what follows the last one.
_SLASHES_ONLY = os.sep == "/" and os.altsep is None
#: A dated path or permalink (Zola's ``path = "2025/06/26/Rust-1.88.0"``, Jekyll's
#: ``/2024-01-02-title/``): the date in its segments, read when the value is no date itself.
_PATH_DATE = re.compile(r"(?:^|/)(\d{4})([/-])(\d\d)\2(\d\d)(?=/|-|$)")
#: Leading indentation and block indicators ("  - - ? "): an upper bound on a line's block depth.
_BLOCK_INDENT = re.compile(r"^[ \t]*(?:[-?:](?=[ \t]|$)[ \t]*)*", re.MULTILINE)
# A quick test that no line starts with a run of indentation and block indicators
# long enough to nest deeply; only when one does is the line-by-line scan run.
_LONG_BLOCK_PREFIX = re.compile(rf"^[ \t?:-]{{{_SCAN_DEPTH}}}", re.MULTILINE)


def _front_json() -> Callable[[dict[str, Any], int], Sequence[str]]:
    """The pieces of json.dumps(value, ensure_ascii=False, allow_nan=False) of a front
    matter, given ``(value, 0)``, which the caller joins (so that no Python call stands
    between the parser and C), without making an encoder for every file:
    ``JSONEncoder.encode`` makes json's C encoder anew for each call (half of its time);
    this one is made once, where json has it. Made without the check for circular
    values: a front matter never holds one (YAML's aliases that loop are refused
    before; the other readers build trees)."""
    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
    make: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)
    sample = {"é": [1, 2.5, None, True, "\u2028"]}
    try:
        if make is None:  # a Python built without json's C speed-ups
            raise ValueError("no C encoder")
        chunks = make(
            None, encoder.default, json.encoder.encode_basestring, None,
            encoder.key_separator, encoder.item_separator, False, False, False,
        )  # fmt: skip
        if "".join(chunks(sample, 0)) != encoder.encode(sample):
            raise ValueError("another encoder")
    except Exception:  # no C speed-ups, or another Python's: json's own way, whole
        return lambda value, _: (encoder.encode(value),)
    return chunks  # type: ignore[no-any-return]


#: ``"".join(_FRONT_JSON(value, 0))`` is a front matter's JSON (``_front_json``).
_FRONT_JSON = _front_json()
_TIMESTAMP_TAG = plainyaml.TIMESTAMP
_HTTP_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
#: A URL's host (compiled once: ``re.match`` of a pattern's text looks it up in two
#: Python calls, for nearly every file).
_URL_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/@]*@)?([^/:?#]+)")
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Resolving:
    """Safe loading that keeps timestamps as the strings they were written as.

    ``resolve`` is a leaner copy of PyYAML's (no path resolvers, which newscat
    never registers); the composer calls it for every node.
    """

    yaml_implicit_resolvers = plainyaml.RESOLVERS

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:  # a plain scalar: its tag depends on how it looks
                return plainyaml.plain_tag(value)
            return plainyaml.STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    # Lossless construction: what JSON cannot hold exactly keeps its text as written.
    front_text: str = ""
    collisions: list[tuple[yaml.Node, yaml.Node]]

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose keys are their text as written; two keys with the same text
        are remembered as a collision (merged keys may be overridden silently). A
        ``!!map`` or ``!!set`` tag on a scalar or a list is an error of the file."""
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a scalar"
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.tag.replace('tag:yaml.org,2002:', '!!')} on {kind}: "
                "expected a mapping", node.start_mark,
            )  # fmt: skip
        own = {id(key) for key, _ in node.value}
        self.flatten_mapping(node)  # type: ignore[attr-defined]
        own &= {id(key) for key, _ in node.value}
        out: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_text(key_node, self.front_text)
            earlier = first.get(key)
            if earlier is not None and id(earlier) in own and id(key_node) in own:
                self.collisions.append((earlier, key_node))
            first[key] = key_node
            out[key] = self.construct_object(value_node, deep=deep)  # type: ignore[attr-defined]
        return out


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A scalar kept as the text it was written as (timestamps, ``!!binary``)."""
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _float_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A float, or its text when JSON cannot hold it (``.nan``, ``.inf``)."""
    number = loader.construct_yaml_float(node)  # type: ignore[arg-type]
    return number if math.isfinite(number) else node.value


def _int_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A whole number, or its text when Python will not write it out in decimal (past
    its limit of digits, 4,300 by default): JSON and the terminal could not show it."""
    try:
        number = loader.construct_yaml_int(node)  # type: ignore[arg-type]
        str(number)
    except ValueError:
        return node.value
    return number


def _sorted_set(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A ``!!set`` as the sorted list of its members' text."""
    return sorted(loader.construct_mapping(node))  # type: ignore[arg-type]


_LOSSLESS = {
    _TIMESTAMP_TAG: _as_text,
    "tag:yaml.org,2002:binary": _as_text,
    "tag:yaml.org,2002:float": _float_or_text,
    "tag:yaml.org,2002:int": _int_or_text,
    "tag:yaml.org,2002:set": _sorted_set,
}


def key_text(node: yaml.Node, front: str) -> str:
    """A mapping key as text: a scalar as written (``0x10``, ``1``, ``~``). A key that is
    a list or a mapping has no text a record could use (PyYAML refuses it too)."""
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    raise yaml.constructor.ConstructorError(
        None, None, "a key that is a list or a mapping is not allowed", node.start_mark
    )


class PurePythonLoader(_Resolving, yaml.SafeLoader):
    """PyYAML's own pure-Python safe loader, as users without libyaml get it."""


for _tag, _constructor in _LOSSLESS.items():
    PurePythonLoader.add_constructor(_tag, _constructor)

#: The loader newscat uses: libyaml's safe loader where PyYAML was built with it.
Loader: Any = PurePythonLoader  # a SafeLoader, or libyaml's CSafeLoader with the same API
if hasattr(yaml, "CSafeLoader"):

    class _LibyamlLoader(_Resolving, yaml.CSafeLoader):
        """The same safe loading through libyaml."""

    for _tag, _constructor in _LOSSLESS.items():
        _LibyamlLoader.add_constructor(_tag, _constructor)
    Loader = _LibyamlLoader


def parse_article(
    data: bytes,
    path: str,
    article_id: str,
    keys: Mapping[str, Sequence[str]] | None = None,
    derivable: bool = True,
    body: bool = True,
) -> Article | Problem:
    """Parse one file's bytes. ``path`` and ``article_id`` are carried into the result;
    ``keys`` says which front-matter keys each normalised field is read from (a
    ``FieldKeys``; any other mapping is read as it is at the call). Without
    ``derivable``, the article leaves out the warnings the index derives from what it
    stores (``MISSING_WARNINGS``: no date, no url), which nearly every real file has.
    Without ``body``, the article's body is left empty (a worker that sends none back)."""
    try:
        # None first: isinstance(None, FieldKeys) asks the Mapping ABC in Python, for
        # every file of a catalogue without keys of its own.
        if keys is None:
            keys = DEFAULT_KEYS
        elif not isinstance(keys, FieldKeys):
            keys = FieldKeys(keys)
        return _parse(data, path, article_id, keys, derivable=derivable, body=body)
    except RecursionError:
        return _deep_problem(path, None)
    except Exception as exc:
        return Problem(path, "internal", f"could not be read: {type(exc).__name__}: {exc}")


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: The first bytes of those marks.
_UTF16_FIRST = (0xFF, 0xFE)
#: How many bytes at its start tell whether a file is UTF-16 text without a byte-order mark.
_UTF16_HEAD = 64


def _utf16(data: bytes) -> bool:
    """Whether the bytes look like UTF-16 text: a byte-order mark, or NUL in every
    other byte of a start that is otherwise text."""
    if data.startswith(_UTF16_BOMS) and not data.startswith(b"\xff\xfe\x00\x00"):
        return True
    head = data[:_UTF16_HEAD]
    if len(head) < 8:
        return False
    for zeros, text in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if not zeros.strip(b"\0") and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
            return True
    return False


def _parse(
    data: bytes,
    path: str,
    article_id: str,
    keys: FieldKeys,
    by_layout: bool = True,
    derivable: bool = True,
    body: bool = True,
) -> Article | Problem:
    if not data or data.isspace():  # (strip() would copy the whole file)
        return Problem(path, "no-front-matter", "empty file", 1, 1)
    nul = data.find(b"\0")
    # Only a byte-order mark or a NUL near the start can make it UTF-16 (the usual file
    # has neither, and is not looked at twice). A mark's first byte is enough to look:
    # _utf16 says no to the rest, and data[0] costs less than startswith's arguments.
    if (0 <= nul < _UTF16_HEAD or data[0] in _UTF16_FIRST) and _utf16(data):
        return Problem(
            path, "utf-16", "UTF-16 text; newscat reads UTF-8 (convert it: iconv -f UTF-16 -t UTF-8)",
            1, 1,
        )  # fmt: skip
    if nul >= 0:
        line, column = _byte_position(data, nul)
        return Problem(path, "binary", f"binary file (NUL byte at byte {nul})", line, column)
    try:
        text = split.decode(data)
    except UnicodeDecodeError as exc:
        at = exc.start + (3 if data.startswith(split.UTF8_BOM) else 0)  # (decode skips a mark)
        line, column = _byte_position(data, at)
        return Problem(path, "not-utf8", f"not valid UTF-8 at byte {at}", line, column)
    opening = split.opens(text)
    if opening is None:
        return Problem(
            path, "no-front-matter", "no front matter: the first line is not '---' or '+++'", 1, 1
        )
    parts = split.cut(text, opening, body)
    if parts is None:
        return Problem(
            path, "unclosed-front-matter", "front matter opened on line 1 is never closed", 1, 1
        )
    front, toml = parts.front, parts.toml

    collisions: list[tuple[yaml.Node, yaml.Node]] = []
    node: yaml.Node | Mapping[str, int] | None = None
    if toml:
        loaded_toml = _load_toml(front, path)
        if isinstance(loaded_toml, Problem):
            return loaded_toml
        value: Any = loaded_toml
    elif (plain := plainyaml.load(front)) is not None:
        value, node = plain  # the usual flat front matter, read without composing YAML
    else:
        deep = _too_deep(front)
        if deep is not None:
            return _deep_problem(path, deep)
        loaded = _load_yaml(front, path, collisions)
        if isinstance(loaded, Problem):
            return loaded
        value, node = loaded
    if value is None:
        value = {}
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else f"a single {_kind(value)}"
        return Problem(path, "not-a-mapping", f"front matter is {kind}, not a mapping", 2, 1)
    try:
        front_json = "".join(_FRONT_JSON(value, 0))
    except (TypeError, ValueError):
        value = _json_safe(value)
        front_json = json.dumps(value, ensure_ascii=False)
    # (no comprehension run for none: flat front matter, nearly every file's, has none)
    warnings = [_collision(path, *pair) for pair in collisions] if collisions else []
    return _article(
        value, front_json, parts.body, path, article_id, node, keys, warnings, by_layout, derivable
    )


def _collision(path: str, first: yaml.Node, second: yaml.Node) -> Problem:
    def written(node: yaml.Node) -> str:
        text = str(node.value) if isinstance(node, yaml.ScalarNode) else "(a collection)"
        style = getattr(node, "style", None)
        return f"{style}{text}{style}" if style in ("'", '"') else text

    line1, line2 = first.start_mark.line + 2, second.start_mark.line + 2
    key = str(second.value) if isinstance(second, yaml.ScalarNode) else ""
    message = (
        f"the keys {written(first)} (line {line1}) and {written(second)} (line {line2}) "
        f"are the same key {key!r} in the record; the second is kept"
    )
    return Problem(path, "key-collision", message, line2, second.start_mark.column + 1, "warning")


_TOML_DATETIME = re.compile(
    r"(?<![\w.:-])\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[Zz]|[+-]\d\d:\d\d)?)?"
    r"|(?<![\w.:-])\d\d:\d\d:\d\d(?:\.\d+)?"
)


#: A basic TOML string without escapes or control characters (a tab too): its text is
#: what is between its quotes.
_TOML_STRING = r'"[^"\\\x00-\x1f\x7f]*"'
#: A line of the simplest TOML front matter, nearly all there is: a bare key and such a
#: string, an array of them (one over several lines is joined first: ``_one_line_array``),
#: true or false; or a table's header ``[name]``. Anything else (numbers, dates, escapes,
#: comments, tabs, inline tables, dotted or quoted keys) is left to tomllib.
_TOML_LINE = re.compile(
    rf" *(?:([A-Za-z0-9_-]+) *= *({_TOML_STRING}|true|false"
    rf"|\[(?: *{_TOML_STRING} *,)*(?: *{_TOML_STRING})? *\])|\[([A-Za-z0-9_-]+)\]) *"
)
_TOML_ITEM = re.compile(r'"([^"]*)"')
#: An array's first line when its items are on the lines after it (``aliases = [``), a
#: line of such items, and the array's last line.
_TOML_ARRAY_OPENS = re.compile(r" *[A-Za-z0-9_-]+ *= *\[ *")
_TOML_ITEMS = re.compile(rf" *(?:{_TOML_STRING} *, *)*(?:{_TOML_STRING} *)?")
_TOML_ARRAY_ENDS = re.compile(r" *\] *")


def _simple_toml(front: str) -> dict[str, Any] | None:
    """The TOML front matter of ``_TOML_LINE``'s lines (and blank ones) as ``_load_toml``
    reads it with tomllib, a pure-Python parser many times slower; None for any other,
    or a key or table named twice (tomllib says what is wrong)."""
    out: dict[str, Any] = {}
    table = out
    lines = iter(front.split("\n"))
    for line in lines:
        if not line.strip(" "):
            continue
        if _TOML_ARRAY_OPENS.fullmatch(line):
            joined = _one_line_array(line, lines)
            if joined is None:
                return None
            line = joined
        match = _TOML_LINE.fullmatch(line)
        if match is None:
            return None
        key, value, header = match.groups()
        if header is not None:
            if header in out:
                return None
            table = out[header] = {}
        elif key in table:
            return None
        elif value[0] == '"':
            table[key] = value[1:-1]
        elif value[0] == "[":
            table[key] = _TOML_ITEM.findall(value)
        else:
            table[key] = value == "true"
    return out


def _one_line_array(first: str, lines: Iterator[str]) -> str | None:
    """An array whose items are on the lines after ``first`` (taken from ``lines``) as
    one line: its lines joined by spaces, which TOML reads there as it reads line feeds;
    None when a line is neither a line of items (each whole on it) nor the array's end."""
    parts = [first]
    for line in lines:
        if _TOML_ARRAY_ENDS.fullmatch(line):
            parts.append("]")
            return " ".join(parts)
        if not _TOML_ITEMS.fullmatch(line):
            return None
        parts.append(line)
    return None


def _load_toml(front: str, path: str) -> dict[str, Any] | Problem:
    """TOML front matter; dates and times keep the text they were written as, and
    ``nan``/``inf`` their text. The simplest is read by ``_simple_toml``."""
    simple = _simple_toml(front)
    return simple if simple is not None else _toml_by_tomllib(front, path)


def _toml_by_tomllib(front: str, path: str) -> dict[str, Any] | Problem:
    """``_load_toml`` by tomllib."""
    # start-up time: TOML front matter is rare; its parser loads only for it
    import datetime as dt

    if sys.version_info >= (3, 11):  # TOML front matter only
        from tomllib import TOMLDecodeError, loads
    else:  # pragma: no cover - Python 3.10 only
        from tomli import TOMLDecodeError, loads

    def float_or_text(text: str) -> Any:
        number = float(text)
        return number if math.isfinite(number) else text

    try:
        table = loads(front, parse_float=float_or_text)
    except TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
        line = column = None
        if found:
            message = message[: found.start()]
            line, column = int(found.group(1)) + 1, int(found.group(2))
        return Problem(path, "toml-syntax", f"TOML: {message}", line, column)
    written: dict[Any, str] = {}
    for match in _TOML_DATETIME.finditer(front):
        try:
            parsed = loads(f"x = {match.group()}")["x"]
        except TOMLDecodeError:
            continue
        written.setdefault((type(parsed), parsed), match.group())

    def keep(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: keep(item) for key, item in value.items()}
        if isinstance(value, list):
            return [keep(item) for item in value]
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            return written.get((type(value), value), value.isoformat())
        return value

    return dict(keep(table))


def _byte_position(data: bytes, at: int) -> tuple[int, int]:
    """The 1-based line and column (in bytes) of offset ``at``."""
    return data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


_DEEP_MESSAGE = f"front matter nests more than {MAX_DEPTH} levels deep"


def _deep_problem(path: str, line: int | None) -> Problem:
    return Problem(path, "too-deep", _DEEP_MESSAGE, line)


def _too_deep(front: str) -> int | None:
    """The line on which nesting passes MAX_DEPTH, when a cheap pre-scan finds it deep.

    Only text that may nest past _SCAN_DEPTH is refused here (before any loader
    recurses); the line is where the same scan first passes MAX_DEPTH. The
    exact MAX_DEPTH check for everything else runs on the composed nodes.
    """
    if front.count("[") + front.count("{") > _SCAN_DEPTH and _flow_depth(front, _SCAN_DEPTH):
        return _flow_depth(front, MAX_DEPTH)
    if _LONG_BLOCK_PREFIX.search(front) and _block_depth(front, _SCAN_DEPTH):
        return _block_depth(front, MAX_DEPTH)
    return None


def _flow_depth(front: str, bound: int) -> int | None:
    """The line on which bracket nesting passes ``bound``, or None."""
    depth = 0
    for match in re.finditer(r"[\[\]{}]", front):
        depth += 1 if match.group() in "[{" else -1
        if depth > bound:
            return front.count("\n", 0, match.start()) + 2
    return None


def _block_depth(front: str, bound: int) -> int | None:
    """The line on which block nesting by indentation passes ``bound``, or None.

    A stack of the columns that open a level; every indicator in a line's
    leading run ("  - - ? ") opens one, so this is an upper bound.
    """
    stack: list[int] = []
    for number, line in enumerate(front.split("\n")):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _BLOCK_INDENT.match(line)
        prefix = match.group() if match else ""
        indent = len(line) - len(line.lstrip(" \t"))
        opened = [indent] + [i for i in range(indent + 1, len(prefix)) if prefix[i] in "-?:"]
        while stack and stack[-1] >= indent:
            stack.pop()
        stack.extend(opened)
        if len(stack) > bound:
            return number + 2
    return None


def _load_yaml(
    front: str, path: str, collisions: list[tuple[yaml.Node, yaml.Node]]
) -> tuple[Any, yaml.Node | None] | Problem:
    """Load the front matter; every YAML error, from either loader, becomes a Problem here.

    Keys that collide once written as text are appended to ``collisions``.
    """
    loader: Any = None
    try:
        loader = Loader(front)  # the pure-Python reader already checks characters here
        loader.front_text = front
        loader.collisions = collisions
        return _compose_and_build(loader, front, path)
    except yaml.YAMLError as exc:
        return _yaml_problem(front, path, exc)
    except RecursionError:
        return Problem(path, "too-deep", "front matter nests too deeply", 2)
    finally:
        if loader is not None:
            loader.dispose()


def _compose_and_build(
    loader: yaml.SafeLoader, front: str, path: str
) -> tuple[Any, yaml.Node | None] | Problem:
    node = loader.get_single_node()
    if node is None:
        return None, None
    if "&" not in front and "<<" not in front:  # no shared nodes: build directly
        try:
            return _build(node, loader, 0), node
        except _TooDeep as exc:
            return _node_problem(path, "too-deep", _DEEP_MESSAGE, exc.node)
        except Exception:  # the standard path below reports it properly
            loader.constructed_objects = {}
            loader.recursive_objects = {}
            del loader.collisions[:]  # type: ignore[attr-defined]
    shape = _shape(node)
    if shape.cycle:
        return _node_problem(
            path, "alias-bomb", "an alias refers to a value that contains it", shape.at
        )
    if shape.size > MAX_EXPANDED_NODES:
        message = f"aliases expand the front matter past {MAX_EXPANDED_NODES:,} values"
        return _node_problem(path, "alias-bomb", message, shape.at)
    if shape.text > MAX_EXPANDED_TEXT:
        message = f"aliases expand the front matter past {MAX_EXPANDED_TEXT:,} characters"
        return _node_problem(path, "alias-bomb", message, shape.at)
    if shape.depth > MAX_DEPTH:
        return _node_problem(path, "too-deep", _DEEP_MESSAGE, shape.at)
    return loader.construct_document(node), node


def _yaml_problem(front: str, path: str, exc: yaml.YAMLError) -> Problem:
    """One YAML error as a Problem with a file position, whichever loader raised it."""
    if isinstance(exc, yaml.reader.ReaderError):
        # Raised before any token: by the pure-Python reader for the whole text, or
        # by libyaml's; both give the offending character and where it is.
        at = exc.position if 0 <= exc.position <= len(front) else 0
        row = front.count("\n", 0, at) + 2
        col = at - (front.rfind("\n", 0, at) + 1) + 1
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else f"U+{ord(str(char)[:1] or ' '):04X}"
        message = f"YAML: the character {shown} is not allowed"
        return Problem(path, "yaml-syntax", message, row, col)
    if isinstance(exc, yaml.constructor.ConstructorError):
        line, column = _position(exc)
        problem = exc.problem or "cannot construct value"
        tag = re.search(r"tag '([^']*)'", problem)
        if tag is None:
            return Problem(path, "yaml-syntax", f"YAML: {problem}", line, column)
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        message = f"YAML: the tag {name!r} is not allowed (tags are refused, never run)"
        return Problem(path, "yaml-tag", message, line, column)
    if isinstance(exc, yaml.MarkedYAMLError):
        line, column = _position(exc)
        message = exc.problem or str(exc)
        if exc.context:
            start = exc.context_mark
            if (
                start is not None
                and exc.problem_mark is not None
                and start.line != exc.problem_mark.line
            ):
                # The problem is found far from its cause (an unclosed quote or bracket).
                message = (
                    f"{exc.context} (opened on line {start.line + 2}, column {start.column + 1})"
                    f": {message}"
                )
            else:
                message = f"{exc.context}: {message}"
        if _tab_at(front, exc):
            message += " (a tab; YAML indents with spaces only)"
        return Problem(path, "yaml-syntax", f"YAML: {message}", line, column)
    return Problem(path, "yaml-syntax", f"YAML: {exc}", 2)


class _TooDeep(Exception):
    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self.node = node


def _build(node: yaml.Node, loader: yaml.SafeLoader, depth: int) -> Any:
    """Construct plain data straight from the node graph (what SafeLoader would give).

    Strings, whole numbers, booleans, nulls, lists and mappings, which are nearly
    all of an article, are built here without PyYAML's per-node generator
    machinery; anything else goes to the loader's own constructors. Only for
    documents without anchors or merge keys, so no node is shared. Raises
    _TooDeep past MAX_DEPTH levels.
    """
    kind = type(node)
    tag = node.tag
    if kind is yaml.ScalarNode:
        value = plainyaml.common_value(tag, node.value)
        if value is not plainyaml.UNCOMMON:
            return value
    elif depth >= MAX_DEPTH:
        raise _TooDeep(node)
    elif kind is yaml.SequenceNode and tag == _SEQ:
        return [_build(child, loader, depth + 1) for child in node.value]
    elif kind is yaml.MappingNode and tag == _MAP:
        out: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_text(key_node, loader.front_text)  # type: ignore[attr-defined]
            if key in first:
                loader.collisions.append((first[key], key_node))  # type: ignore[attr-defined]
            first[key] = key_node
            out[key] = _build(value_node, loader, depth + 1)
        return out
    return loader.construct_object(node, deep=True)


def _tab_at(front: str, exc: yaml.MarkedYAMLError) -> bool:
    mark = exc.problem_mark
    if mark is None:
        return False
    lines = front.split("\n")
    if mark.line >= len(lines):
        return False
    line = lines[mark.line]
    return mark.column < len(line) and line[mark.column] == "\t"


def _position(exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    """The 1-based file position of a YAML error (the front matter starts on line 2)."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None, None
    return mark.line + 2, mark.column + 1


@dataclass
class _Shape:
    """The size of a YAML document's nodes, as ``_shape`` measures them."""

    size: int = 0  # nodes once every alias is expanded (stops counting past the bound)
    text: int = 0  # characters of their scalars, the same way
    depth: int = 0  # deepest nesting of collections
    cycle: bool = False  # an alias points back to a value that contains it
    at: yaml.Node | None = None  # where a bound was passed


def _shape(root: yaml.Node) -> _Shape:
    """Size and depth of the document with aliases expanded, without expanding them.

    Iterative and memoised per node, so neither a deep nor a bomb-shaped graph
    costs more than one visit per node; an alias to an ancestor is reported as a cycle.
    """
    sizes: dict[int, int] = {}
    texts: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_EXPANDED_NODES + 1)
            texts[key] = min(sum(texts[id(c)] for c in children), MAX_EXPANDED_TEXT + 1)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > MAX_EXPANDED_NODES or texts[key] > MAX_EXPANDED_TEXT:
                return _Shape(sizes[key], texts[key], depths[key], at=node)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return _Shape(cycle=True, at=node)
        if not children:
            sizes[key], depths[key] = 1, 0
            texts[key] = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
            continue
        if len(open_nodes) >= MAX_DEPTH:
            return _Shape(depth=len(open_nodes) + 1, at=node)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return _Shape(sizes[id(root)], texts[id(root)], depths[id(root)])


def _node_problem(path: str, code: str, message: str, node: yaml.Node | None) -> Problem:
    if node is None:
        return Problem(path, code, message, 2)
    return Problem(path, code, message, node.start_mark.line + 2, node.start_mark.column + 1)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _json_safe(value: Any) -> Any:
    """What JSON cannot hold, as text (loading leaves little: an ``!!omap``'s pairs)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --- normalised views -------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if type(value) is str:  # the usual value: itself, as str() gives it, without two checks
        return value
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _score(value: Any) -> tuple[int | float | None, str | None]:
    """A score as a number, and a complaint when it is not a whole number."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"is {value!r}, not a number"
    if isinstance(value, int):
        return value, None
    number: float
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            return int(value.strip()), None
        except ValueError:
            try:
                number = float(value.strip())
            except ValueError:
                return None, f"{value!r} is not a number"
    else:
        return None, "is not a number"
    if not math.isfinite(number):
        return None, f"{value!r} is not a number"
    if number.is_integer():
        return int(number), None
    return number, f"{value!r} is not a whole number"


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes", "on", "1"):
            return True
        if word in ("false", "no", "off", "0"):
            return False
    return None


def _topics(value: Any) -> tuple[str, ...]:
    items: Iterable[Any]
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else [value]
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        text = _text(item)
        if text is None:
            continue
        text = text.strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return tuple(out)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    match = _URL_HOST.match(url)
    if not match:
        return None
    host = match.group(1).lower()
    return host[4:] if host.startswith("www.") else host


def _at(front_matter: Mapping[str, Any], key: str) -> Any:
    """The value of a key, else of the dotted path it spells into mappings
    (``extra.team`` in a Zola post's ``[extra]`` table); None when there is none."""
    found: Any = front_matter.get(key)
    if found is not None or "." not in key or key in front_matter:
        return found
    found = front_matter
    for part in key.split("."):
        if not isinstance(found, Mapping) or part not in found:
            return None
        found = found[part]
    return found


def _first(front_matter: Mapping[str, Any], keys: Iterable[str]) -> tuple[str | None, Any]:
    """The first key of a chain that the front matter holds (not null), and its value."""
    for key in keys:
        found = front_matter.get(key)  # the usual case, without a call
        if found is None and "." in key:
            found = _at(front_matter, key)
        if found is not None and key[:1] != "!":  # (no startswith: its arguments parsed)
            return key, found
    return None, None


def _read_provider(
    front_matter: Mapping[str, Any], chain: Iterable[str]
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The provider's name and domain from the first key of the chain that holds one: a
    name, a mapping with ``name`` and ``domain``, or a list of names or of such mappings
    (several authors: their names joined). A list that names none (``author: []``)
    counts as no value. Then the names of a list of two or more, else none."""
    for key in chain:
        found = front_matter.get(key)  # the usual case, without a call
        if found is None and "." in key:
            found = _at(front_matter, key)
        if found is None or key[:1] == "!":
            continue
        if isinstance(found, dict):
            name = _text(found.get(PROVIDER_NAME_KEY))
            return name, _text(found.get(PROVIDER_DOMAIN_KEY)), ()
        if not isinstance(found, list):
            return _text(found), None, ()
        names, domain = listed_names(found)
        if names or domain is not None:
            return ", ".join(names) or None, domain, names if len(names) > 1 else ()
    return None, None, ()


Complaints = list[tuple[str, str, str]]  # (key, code, message)


def _read_text(
    front_matter: Mapping[str, Any], chain: Iterable[str], complaints: Complaints
) -> str | None:
    return _text(_first(front_matter, chain)[1])


def _read_score(
    front_matter: Mapping[str, Any], chain: Iterable[str], complaints: Complaints
) -> int | float | None:
    key, raw = _first(front_matter, chain)
    value, complaint = _score(raw)
    if complaint and key is not None:
        complaints.append((key, "bad-score", f"{key} {complaint}"))
    return value


def _read_flag(
    front_matter: Mapping[str, Any], chain: Iterable[str], complaints: Complaints
) -> bool | None:
    """The first key that holds a readable flag; ``!key`` reads its negation."""
    for key in chain:
        raw = _at(front_matter, key.removeprefix("!"))
        flag = _flag(raw) if raw is not None else None
        if flag is not None:
            return (not flag) if key.startswith("!") else flag
    return None


def _read_list(
    front_matter: Mapping[str, Any], chain: Iterable[str], complaints: Complaints
) -> tuple[str, ...]:
    """The first key that holds a non-empty list (a single string is a list of one)."""
    for key in chain:
        items = _topics(_at(front_matter, key))
        if items:
            return items
    return ()


_Reader = Callable[[Mapping[str, Any], Iterable[str], Complaints], Any]
#: How a field is read from its keys, by its type.
_READERS: dict[FieldType, _Reader] = {
    "text": _read_text,
    "number": _read_score,
    "bool": _read_flag,
    "list of text": _read_list,
}
#: Fields read by rules of their own in ``_article``: a missing title or url is a warning,
#: a date falls back to the file name, a provider may be a mapping that gives the domain.
_OWN_RULES = frozenset({"title", "date", "url", "provider"})
#: Every other field read from the front matter, with its reader.
_PLAIN_FIELDS = tuple(
    (spec.name, _READERS[spec.type]) for spec in FIELDS if spec.keys and spec.name not in _OWN_RULES
)


@dataclass(frozen=True)
class _Chains:
    """Which keys each field is read from: the chains of the fields with rules of their
    own, and every other field with its reader and chain. In a layout (see ``_layout``)
    the chains hold only the keys that may give a value, and a field none of whose keys
    can is in ``absent`` with the value its reader gives for no key. ``attributes`` are
    an Article's, in order (``attributes_in_order``), with those values set: what the
    parser copies and fills for each file."""

    title: tuple[str, ...]
    date: tuple[str, ...]
    url: tuple[str, ...]
    provider: tuple[str, ...]
    plain: tuple[tuple[str, _Reader, tuple[str, ...]], ...]
    absent: tuple[tuple[str, Any], ...] = ()
    attributes: dict[str, Any] = field(default_factory=attributes_in_order, compare=False)


@dataclass(frozen=True)
class _Plan:
    """What reading the fields takes from a ``FieldKeys``, worked out once for it: the
    chains, what the warning of a missing date or url says, and the layouts made so far
    (the chains cut to the top-level keys of a front matter, by those keys in order)."""

    chains: _Chains
    no_date: str
    no_url: str
    layouts: dict[tuple[str, ...], _Chains] = field(default_factory=dict, compare=False)


#: Plans by their keys (frozen, so a plan kept is never stale), each beside the keys it
#: was last asked for, which the dictionary holds: equal keys share a plan, and asked for
#: again (as for every file of a batch) they are found by identity, with no comparison.
_PLANS: dict[FieldKeys, tuple[FieldKeys, _Plan]] = {}
_PLANS_MAX = 64
#: The keys last asked for, with their plan: the next file's keys are nearly always the
#: same object, found without a look-up in ``_PLANS`` (which hashes them by
#: ``FieldKeys.__hash__``, a Python call). A list of one pair (none at first), replaced
#: as a whole: a thread reads the pair whole, never one pair's keys with another's plan.
_LAST_PLAN: list[tuple[FieldKeys, _Plan]] = []


def _plan(keys: FieldKeys) -> _Plan:
    """The plan for ``keys``: a catalogue parses every file with the same keys."""
    for last, plan in _LAST_PLAN:
        if last is keys:
            return plan
    plan = _kept_plan(keys)
    _LAST_PLAN[:] = [(keys, plan)]
    return plan


def _kept_plan(keys: FieldKeys) -> _Plan:
    """The plan for ``keys`` kept in ``_PLANS``, or made now and kept."""
    kept = _PLANS.get(keys)
    if kept is not None:
        if kept[0] is not keys:  # equal keys, another copy: a worker's next batch
            del _PLANS[keys]
            _PLANS[keys] = (keys, kept[1])
        return kept[1]
    chains = _Chains(
        title=keys.get("title", ()),
        date=keys.get("date", ()),
        url=keys.get("url", ()),
        provider=keys.get("provider", ()),
        plain=tuple((name, read, keys.get(name, ())) for name, read in _PLAIN_FIELDS),
    )
    plan = _Plan(
        chains=chains,
        no_date=missing_message("date", keys),
        no_url=missing_message("url", keys),
    )
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    _PLANS[keys] = (keys, plan)
    return plan


#: How many layouts a plan keeps; real catalogues' posts share a few sets of keys (eleven
#: public sites' 29,254 files have 834 orders of them), and a catalogue is walked folder
#: by folder, so a full cache is cleared and refilled.
_LAYOUTS_MAX = 256


def _layout(plan: _Plan, front_matter: Mapping[str, Any]) -> _Chains:
    """The plan's chains cut to the keys that may give a value in a front matter with
    the top-level keys of this one, in this order: worked out once for those keys."""
    names = tuple(front_matter)
    layout = plan.layouts.get(names)
    if layout is None:
        if len(plan.layouts) >= _LAYOUTS_MAX:
            plan.layouts.clear()
        layout = plan.layouts[names] = _cut(plan.chains, frozenset(names))
    return layout


def _cut(chains: _Chains, present: frozenset[str]) -> _Chains:
    """``chains`` without the keys that cannot give a value when only the top-level keys
    ``present`` are there. A key can when it is present, or the key it negates
    (``!draft``), or the mapping its dotted path starts in (``extra`` of ``extra.team``),
    whichever way a reader takes it; a key that cannot is one every reader passes over."""

    def cut(chain: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(key for key in chain if not present.isdisjoint(_roots(key)))

    plain = []
    absent = []
    for name, read, chain in chains.plain:
        kept = cut(chain)
        if kept:
            plain.append((name, read, kept))
        else:
            absent.append((name, read({}, (), [])))
    return _Chains(
        title=cut(chains.title),
        date=cut(chains.date),
        url=cut(chains.url),
        provider=cut(chains.provider),
        plain=tuple(plain),
        absent=tuple(absent),
        attributes=attributes_in_order(absent),
    )


def _roots(key: str) -> set[str]:
    """The top-level keys one of which a front matter must hold for ``key`` to give a
    value: itself, the key it negates, and the first part of either's dotted path."""
    bare = key.removeprefix("!")
    return {key, bare, key.split(".", 1)[0], bare.split(".", 1)[0]}


def _article(
    front_matter: dict[str, Any],
    front_json: str,
    body: str,
    path: str,
    article_id: str,
    node: yaml.Node | Mapping[str, int] | None,
    keys: FieldKeys,
    collisions: list[Problem],
    by_layout: bool = True,
    derivable: bool = True,
) -> Article:
    """The article; its fields read through the layout of the front matter's keys, or
    (``by_layout`` false, to check the layouts against) through the plan's whole chains."""
    complaints: Complaints = []
    plan = _plan(keys)
    chains = _layout(plan, front_matter) if by_layout else plan.chains
    found = _first(front_matter, chains.title)[1]
    title = found if type(found) is str else _text(found)  # (no call for the usual title)
    if title is None or not title.strip():
        complaints.append(("title", "missing-title", "no title"))
    date = _read_date(front_matter, chains.date, plan.no_date, path, complaints)
    url = _read_url(front_matter, chains.url, plan.no_url, complaints)
    # (no call for no provider's key, nor for no url: most files have neither)
    provider, domain, names = (
        _read_provider(front_matter, chains.provider) if chains.provider else (None, None, ())
    )
    domain = domain.strip().lower() if domain else (_host(url) if url else None)
    # The article's attributes in their order, the absent fields' set: each value is put
    # in its place once (no dictionary of keyword arguments, nor a copy of it).
    attributes = chains.attributes.copy()
    for name, read, chain in chains.plain:
        attributes[name] = read(front_matter, chain, complaints)
    warnings = collisions  # theirs first (the caller's list); no generator for the rest
    for key, code, message in complaints:
        if derivable or code not in MISSING_WARNINGS:
            warnings.append(Problem.warning(path, code, message, _key_line(node, key), 1))
    attributes["id"] = article_id
    attributes["path"] = path
    attributes["front_matter"] = front_matter
    attributes["body"] = body
    attributes["date"] = date
    attributes["title"] = title
    attributes["provider"] = provider
    attributes["provider_names"] = names
    attributes["domain"] = domain
    attributes["url"] = url
    attributes["warnings"] = tuple(warnings)
    attributes["front_matter_json"] = front_json
    return Article.of_attributes(attributes)


def _read_url(
    front_matter: Mapping[str, Any], chain: tuple[str, ...], no_url: str, complaints: Complaints
) -> str | None:
    """The first key of the url's chain that holds one; a complaint when none does, or
    when it is no http(s) URL."""
    if not chain:  # no key of the url's in this front matter (most files): no calls
        complaints.append(("", "missing-url", no_url))
        return None
    key, value = _first(front_matter, chain)
    url = _text(value)
    if url is None:
        complaints.append(("", "missing-url", no_url))
    elif key is not None and not _HTTP_URL.match(url):
        complaints.append((key, "bad-url", f"{key} {url!r} is not an http(s) URL"))
    return url


def _read_date(
    front_matter: Mapping[str, Any],
    chain: tuple[str, ...],
    no_date: str,
    path: str,
    complaints: Complaints,
) -> str | None:
    """The first key of the date's chain that holds a date (or a dated path), else the
    date the file's name starts with; a complaint when a key held no date, or none did."""
    date = None
    unreadable: tuple[str, Any] | None = None
    for key in chain:
        raw = _at(front_matter, key)
        if raw is None:
            continue
        date = normalise_date(raw)
        if date is None and isinstance(raw, str):
            dated = _PATH_DATE.search(raw)
            date = normalise_date("-".join(dated.group(1, 3, 4))) if dated else None
        if date is not None:
            return date
        unreadable = unreadable or (key, raw)
    # Most real files are dated by their name alone: os.path.basename is two Python calls.
    name = path[path.rfind("/") + 1 :] if _SLASHES_ONLY else os.path.basename(path)
    named = _NAME_DATE.match(name)
    date = normalise_date(named.group(1)) if named else None
    if unreadable is not None:  # said, whatever stands in
        key, raw = unreadable
        zone = unknown_zone(raw) if isinstance(raw, str) else None
        why = f": unknown time zone {zone!r}" if zone else ""
        instead = "; the date is the file name's" if date is not None else ""
        complaints.append((key, "bad-date", f"{key} {raw!r} is not a date{why}{instead}"))
    elif date is None:
        complaints.append(("", "missing-date", no_date))
    return date


def _key_line(node: yaml.Node | Mapping[str, int] | None, key: str) -> int | None:
    """The file line of a top-level key, or of the front matter's start when it is missing.
    ``node`` is the composed document, or the line (counted from the front matter's
    first) of each key. No key ("", a field no key gave) is the front matter's start,
    where the index places the warnings it derives (not the line of an empty key)."""
    if not key:
        return MISSING_AT[0]
    if isinstance(node, Mapping):
        return node.get(key, 0) + 2
    if not isinstance(node, yaml.MappingNode):
        return 2
    for key_node, _ in node.value:
        if getattr(key_node, "value", None) == key:
            return int(key_node.start_mark.line) + 2
    return 2
