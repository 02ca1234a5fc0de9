"""A fast reader for the plain front matter most articles have, giving exactly what
safe YAML loading gives, or None to leave the file to the full YAML loader.

Nearly every real front matter is block mappings and lists by indentation
(``key: value``, ``- item``, ``provider:`` with its keys below, a list of
mappings) of plain or simply quoted scalars and one-line ``[a, b]`` lists.
Reading those line by line is several times cheaper than composing YAML nodes;
the commonest of all, only top-level ``key: value`` lines, is cheaper still read
by one regex over the whole text (``_flat``).
Anything else (anchors, tags, block scalars, flow mappings, escapes,
continuation lines, repeated keys, characters YAML treats specially) returns
None, and the caller loads the text with YAML as before; so does any line this
reader cannot place.
Plain scalars are typed by PyYAML's own resolver table, so ``yes`` is true and
``2024-01-02`` stays its text, as with the full loader.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}

#: PyYAML's implicit resolvers, by first character, less timestamps: a timestamp is
#: kept as the text it was written as, which is what a string gives.
RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {
    first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

#: Tags of plain scalars already resolved: the same words ("news", "true", "58", a
#: provider's domain) recur in every article, and a lookup beats the resolver regexes.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 50_000


def plain_tag(value: str) -> str:
    """The tag YAML gives a plain (unquoted) scalar written ``value``."""
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        tag = STR
        for candidate, regexp in RESOLVERS.get(value[:1], ()):
            if regexp.match(value):
                tag = candidate
                break
        if len(_PLAIN_TAGS) < _PLAIN_TAGS_MAX:
            _PLAIN_TAGS[value] = tag
    return tag


#: A key this reader reads: words, digits, spaces and ``_./-`` (no colon: the first
#: colon of a line ends its key), not starting with ``.``, ``-``, ``/`` or a space,
#: nor ending with a space.
_KEY_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_. /-]*[A-Za-z0-9_./-])?")
#: What this reader leaves to YAML anywhere in the text: characters YAML refuses
#: (controls, surrogates, U+FFFE and U+FFFF) or reads as line breaks (CR, NEL, LS, PS),
#: and tabs. Named as these few, not as all it reads but them, the class compiles in a
#: tenth of the time (7 ms each time newscat loads the parser: all of Unicode's planes).
_SPECIAL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
#: A plain scalar with these is a mapping, a comment or an error: left to YAML.
_NOT_PLAIN = re.compile(r": |:$| #")


def _not_plain(text: str) -> bool:
    """Whether ``_NOT_PLAIN`` finds something in one line's text (no line feed, which
    ``:$`` would also match before): a regex tries each of its three at every character,
    and plain titles and links are long."""
    return ": " in text or " #" in text or text[-1:] == ":"


_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_NOT_IN_FLOW = re.compile(r"[\[\]{}\"'#:]")
#: The inside of a double-quoted scalar whose only escapes are \" \\ and \/ (titles
#: that quote a word): read here; any other escape is left to YAML.
_SIMPLE_ESCAPES = re.compile(r'(?:[^"\\]|\\["\\/])*')
_ESCAPED = re.compile(r'\\(["\\/])')
_CONSTRUCTOR = SafeConstructor()


class _Unsure(Exception):
    """A value this reader does not read exactly as YAML does."""


#: What ``common_value`` gives for a scalar of any other tag.
UNCOMMON: Any = object()


def common_value(tag: str, text: str) -> Any:
    """A scalar of the tags nearly every article is made of (strings, nulls, booleans,
    plain whole numbers) as safe loading builds it; ``UNCOMMON`` for any other, which
    the caller leaves to YAML's own constructors."""
    if tag == STR:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        return BOOLS[text.lower()]
    if tag == INT and text.isascii() and text.isdigit() and (text[0] != "0" or text == "0"):
        try:
            return int(text)
        except ValueError:  # past Python's limit of digits: kept as written, as YAML does here
            return text
    return UNCOMMON


#: Short scalars already read, by their text: the same words and quoted names recur in
#: every article (titles, links and dates rarely do, and are not kept: that would only
#: take memory). Every value is immutable; ``_UNSURE`` marks a text left to YAML.
_SCALARS: dict[str, Any] = {}
_SCALARS_MAX = 20_000
_SCALAR_KEPT_LENGTH = 40
_UNSURE: Any = object()
_MISSING: Any = object()


def scalar(text: str) -> Any:
    """A one-line scalar as safe YAML loading gives it (``text`` is stripped, not empty)."""
    value = _SCALARS.get(text, _MISSING)
    if value is _MISSING:
        return _new_scalar(text)
    if value is _UNSURE:
        raise _Unsure
    return value


def _new_scalar(text: str) -> Any:
    """``scalar`` of a text not among ``_SCALARS``, kept there when it is short."""
    try:
        value = _scalar(text)
    except _Unsure:
        value = _UNSURE
    if len(text) <= _SCALAR_KEPT_LENGTH and len(_SCALARS) < _SCALARS_MAX:
        _SCALARS[text] = value
    if value is _UNSURE:
        raise _Unsure
    return value


def _scalar(text: str) -> Any:
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"':
            raise _Unsure
        if '"' in inner or "\\" in inner:
            if not _SIMPLE_ESCAPES.fullmatch(inner):
                raise _Unsure  # another escape, or more after the closing quote
            return _ESCAPED.sub(r"\1", inner)
        return inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'":
            raise _Unsure
        if "'" in inner:  # only doubled, as the quotes it stands for
            if "'" in inner.replace("''", ""):
                raise _Unsure  # more after the closing quote
            inner = inner.replace("''", "'")
        return inner
    if first in _INDICATORS or _not_plain(text):
        raise _Unsure
    # No resolver's form starts with this character (most titles, names and links):
    # the text is a string, without ``plain_tag``'s call and look-up, and without
    # keeping there a text most often seen once.
    if first not in RESOLVERS:
        return text
    tag = plain_tag(text)
    if tag == STR:  # the usual plain scalar (a title, a name): itself, without a call
        return text
    value = common_value(tag, text)
    if value is not UNCOMMON:
        return value
    if tag == FLOAT:
        number = _CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, text))
        return number if math.isfinite(number) else text
    raise _Unsure  # other forms of numbers, merge keys, "=": left to YAML


def _flow_list(text: str) -> list[Any]:
    """``[a, b, c]`` on one line, of plain or quoted scalars without commas."""
    if text[-1] != "]" or _NOT_IN_FLOW.search(text, 1, len(text) - 1):
        raise _Unsure
    items = [item.strip(" ") for item in text[1:-1].split(",")]  # only spaces: "x\xa0" stays
    if items and not items[-1]:
        items.pop()  # YAML allows a trailing comma
    if not all(items):
        raise _Unsure
    return [scalar(item) for item in items]


def load(front: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The front matter as safe YAML loading gives it (keys as written), with the line
    of each top-level key (0 for the front matter's first line); None when YAML must
    read it. Only top-level ``key: value`` lines, the commonest front matter, are read
    by ``_flat``; any other by ``_blocks``: the two give the same for such lines."""
    if not _plain_characters(front):
        return None
    try:
        flat = _flat(front) if front[-1:] == "\n" else None
        return flat if flat is not None else _blocks(front)
    except _Unsure:
        return None


def _blocks(front: str) -> tuple[dict[str, Any], dict[str, int]]:
    """What ``load`` gives, read line by line by ``_Reader``; raises _Unsure when YAML
    must read it."""
    reader = _Reader(front.split("\n"))
    value = reader.mapping(0, 0)
    if reader.at < len(reader.numbers):
        raise _Unsure  # a line no mapping took: YAML says what is wrong with it
    return value, reader.where


def _flat(front: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The commonest front matter, only top-level ``key: value`` or ``key:`` lines
    (no blank line, comment, indentation or ``- ``), as ``_Reader`` reads it: each
    value through the same scalar rules, a key without a value null, a repeated key
    left to YAML; None at the first line of another shape (the line reader reads it).
    ``front`` ends with a line feed. A line split at its first colon here is cheaper
    than the reader's per-line lists, and than a regex (each match costs as much as
    the line's Python here)."""
    out: dict[str, Any] = {}
    where: dict[str, int] = {}  # (numbered here: a comprehension before costs more)
    known = _SCALARS.get
    lines = front.split("\n")
    lines.pop()  # (the empty text after the last line feed)
    for number, line in enumerate(lines):
        key, colon, text = line.partition(":")
        if not colon or (text and text[0] != " ") or not (_KEYS.get(key) or _key_name(key)):
            return None  # not a top-level key's line ("key:value" is one plain scalar)
        text = text.strip(" ")
        if len(text) > _SCALAR_KEPT_LENGTH and text[0] != "[":
            # A long scalar (a title, a link) is never kept: read at once, not hashed
            # for a look-up that finds nothing.
            value = _scalar(text)
        elif (value := known(text, _MISSING)) is _MISSING:  # "" and "[..." are never kept
            value = (_flow_list(text) if text[0] == "[" else _new_scalar(text)) if text else None
        elif value is _UNSURE:
            raise _Unsure
        out[key] = value
        where[key] = number
    if len(out) < len(lines):
        raise _Unsure  # a repeated key: YAML reports it
    return out, where


#: A ``bytes.translate`` table that makes NUL of the ASCII characters ``_SPECIAL`` finds
#: (controls, a tab too, but the line feed) and keeps every other byte.
_CONTROLS_TO_NUL = bytes(0 if c != 0x0A and (c < 0x20 or c == 0x7F) else c for c in range(256))


def _plain_characters(front: str) -> bool:
    """Whether ``front`` holds none of the characters this reader leaves to YAML (text
    all in ASCII is checked by ``bytes.translate``, several times faster than the regex,
    and a look for NUL in what it gives: a third cheaper than deleting those characters
    and comparing lengths, which writes a copy byte by byte)."""
    if front.isascii():
        return 0 not in front.encode("ascii").translate(_CONTROLS_TO_NUL)
    return _SPECIAL.search(front) is None


#: How deeply this reader nests block collections before leaving the text to YAML.
_MAX_DEPTH = 40


class _Reader:
    """Block mappings and sequences by indentation, over the front matter's lines less
    the empty ones and the comments; ``at`` is the next of them to read."""

    def __init__(self, lines: list[str]) -> None:
        self.at = 0
        self.where: dict[str, int] = {}
        #: Per line that holds something: its number, indentation, text after the
        #: indentation, and whether that starts a sequence entry. A last entry with
        #: indentation -1 ends every block.
        texts = [line.lstrip(" ") for line in lines]
        kept = [number for number, text in enumerate(texts) if text and text[0] != "#"]
        if len(kept) < len(texts):
            texts = [texts[number] for number in kept]
        self.numbers = kept
        self.indents = [
            len(lines[number]) - len(text) for number, text in zip(kept, texts, strict=True)
        ]
        self.texts = texts
        self.dashes = list(map(_dash, texts))
        self.indents.append(-1)
        texts.append("")
        self.dashes.append(False)

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        """The mapping whose keys start at column ``indent`` (the reader is on its first line)."""
        out: dict[str, Any] = {}
        indents, texts, dashes = self.indents, self.texts, self.dashes
        while True:
            at = self.at
            column = indents[at]
            if column != indent or dashes[at]:
                if column > indent:
                    raise _Unsure
                return out  # the parent's, or a sequence entry no mapping can hold
            # ``_split_key`` and ``scalar_line`` written out: this runs once a line
            line = texts[at]
            colon = line.find(":")
            key = line[:colon]
            if colon <= 0 or key in out or (not _KEYS.get(key, False) and not _key_name(key)):
                raise _Unsure  # not a key's line, or a repeated key (YAML reports it)
            text = line[colon + 1 :]
            if text and text[0] != " ":
                raise _Unsure  # "key:value" is one plain scalar
            if depth == 0:
                self.where[key] = self.numbers[at]
            at += 1
            self.at = at
            text = text.strip(" ")
            if not text:
                out[key] = self.block(column, depth)
            elif indents[at] > column:
                raise _Unsure  # a multi-line scalar, or an error
            else:
                value = _SCALARS.get(text, _MISSING)
                if value is _MISSING or value is _UNSURE or text[0] == "[":
                    value = _flow_list(text) if text[0] == "[" else scalar(text)
                out[key] = value

    def block(self, column: int, depth: int) -> Any:
        """The value of a key at ``column`` written below it (None when nothing is)."""
        if depth >= _MAX_DEPTH:
            raise _Unsure
        below = self.indents[self.at]
        if self.dashes[self.at] and below >= column:
            return self.sequence(below, depth + 1)
        if below > column:
            return self.mapping(below, depth + 1)
        return None

    def scalar_line(self, text: str, column: int) -> Any:
        """A value written on its line; a more indented line after it would continue it."""
        value = _flow_list(text) if text[0] == "[" else scalar(text)
        if self.indents[self.at] > column:
            raise _Unsure  # a multi-line scalar, or an error
        return value

    def sequence(self, indent: int, depth: int) -> list[Any]:
        """The ``- `` entries at column ``indent`` (the reader is on the first)."""
        out: list[Any] = []
        indents, texts, dashes = self.indents, self.texts, self.dashes
        while True:
            at = self.at
            column = indents[at]
            if column != indent or not dashes[at]:
                if column > indent:
                    raise _Unsure
                return out
            entry = texts[at][1:].lstrip(" ")
            if not entry or _dash(entry):
                raise _Unsure  # an entry below the dash, or a list in a list
            if _split_key(entry) is not None:  # a mapping that starts on the dash's line
                indents[at] = column + len(texts[at]) - len(entry)
                texts[at] = entry
                dashes[at] = False
                out.append(self.mapping(indents[at], depth + 1))
            else:
                self.at = at + 1
                out.append(self.scalar_line(entry.rstrip(" "), indent))


def _dash(text: str) -> bool:
    """Whether a line's text (after its indentation) starts a sequence entry."""
    return text[:1] == "-" and text[1:2] in _DASH_ENDS


_DASH_ENDS = ("", " ")
#: Keys already checked against ``_KEY_NAME``, and what the check said.
_KEYS: dict[str, bool] = {}
_KEYS_MAX = 10_000
_KEY_KEPT_LENGTH = 64


def _key_name(key: str) -> bool:
    """Whether ``key`` (the text before a line's first colon) is a key this reader reads."""
    known = _KEYS.get(key)
    if known is None:
        known = _KEY_NAME.fullmatch(key) is not None
        if len(key) <= _KEY_KEPT_LENGTH and len(_KEYS) < _KEYS_MAX:
            _KEYS[key] = known
    return known


def _split_key(text: str) -> tuple[str, str] | None:
    """A ``key: value`` line's key and value (stripped; empty when written below), or
    None when the line does not start with a key this reader reads."""
    colon = text.find(":")
    if colon > 0:
        rest = text[colon + 1 :]
        if (not rest or rest[0] == " ") and _key_name(key := text[:colon]):
            return key, rest.strip(" ")
    return None
