"""A fast reader for the plain front matter most articles have, giving exactly what
safe YAML loading gives, or None to leave the file to the full YAML loader.

Nearly every real front matter is a flat list of ``key: value`` lines: plain or
simply quoted scalars, one-line ``[a, b]`` lists and ``- item`` lists. Reading
those line by line is several times cheaper than composing YAML nodes. Anything
else (nesting, anchors, tags, block scalars, escapes, continuation lines,
repeated keys, characters YAML treats specially) returns None, and the caller
loads the text with YAML as before; so does any line this reader cannot place.
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


#: ``key: value`` at the start of a line; a key of words, digits, spaces and ``_./-``.
_KEY = re.compile(r"([A-Za-z0-9_](?:[A-Za-z0-9_. /-]*[A-Za-z0-9_./-])?):(?: +(.*?))? *")
_ITEM = re.compile(r"( *)- +(.*?) *")
#: What this reader leaves to YAML anywhere in the text: characters YAML refuses or
#: reads as line breaks (NEL, LS, PS, a lone CR), and tabs.
_SPECIAL = re.compile("[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DOUBLE = re.compile(r'"([^"\\]*)"')
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
#: A plain scalar with these is a mapping, a comment or an error: left to YAML.
_NOT_PLAIN = re.compile(r": |:$| #")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_NOT_IN_FLOW = re.compile(r"[\[\]{}\"'#:]")
_CONSTRUCTOR = SafeConstructor()


class _Unsure(Exception):
    """A value this reader does not read exactly as YAML does."""


def scalar(text: str) -> Any:
    """A one-line scalar as safe YAML loading gives it (``text`` is stripped, not empty)."""
    first = text[0]
    if first == '"':
        match = _DOUBLE.fullmatch(text)
        if match is None:
            raise _Unsure
        return match.group(1)
    if first == "'":
        match = _SINGLE.fullmatch(text)
        if match is None:
            raise _Unsure
        return match.group(1).replace("''", "'")
    if first in _INDICATORS or _NOT_PLAIN.search(text):
        raise _Unsure
    tag = plain_tag(text)
    if tag == STR:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        return BOOLS[text.lower()]
    if tag == INT and text.isascii() and text.isdigit() and (text[0] != "0" or text == "0"):
        return int(text)
    if tag == FLOAT:
        number = _CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, text))
        return number if math.isfinite(number) else text
    raise _Unsure  # other forms of numbers, merge keys, "=": left to YAML


def _flow_list(text: str) -> list[Any]:
    """``[a, b, c]`` on one line, of plain or quoted scalars without commas."""
    if text[-1] != "]" or _NOT_IN_FLOW.search(text, 1, len(text) - 1):
        raise _Unsure
    items = [item.strip() for item in text[1:-1].split(",")]
    if items and not items[-1]:
        items.pop()  # YAML allows a trailing comma
    if not all(items):
        raise _Unsure
    return [scalar(item) for item in items]


def load(front: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The front matter as safe YAML loading gives it (keys as written), with the line
    of each key (0 for the front matter's first line); None when YAML must read it."""
    if _SPECIAL.search(front):
        return None
    lines = front.split("\n")
    count = len(lines)
    out: dict[str, Any] = {}
    where: dict[str, int] = {}
    at = 0
    try:
        while at < count:
            line = lines[at]
            if not line or line[0] == "#" or line.isspace():
                at += 1
                continue
            match = _KEY.fullmatch(line)
            if match is None:
                return None
            key, text = match.group(1, 2)
            if key in out:
                return None  # a repeated key: YAML's loader reports it
            where[key] = at
            at += 1
            if text:
                out[key] = _flow_list(text) if text[0] == "[" else scalar(text)
                if at < count and lines[at][:1] == " " and not _blank(lines[at]):
                    return None  # it goes on: a multi-line scalar, or an error
                continue
            items: list[Any] = []
            indent: int | None = None
            while at < count:
                line = lines[at]
                if _blank(line):
                    at += 1
                    continue
                item = _ITEM.fullmatch(line)
                if item is None:
                    if line[0] == " ":
                        return None  # a nested mapping, or more than this reader reads
                    break
                if indent is None:
                    indent = len(item.group(1))
                elif len(item.group(1)) != indent:
                    return None
                if not item.group(2):
                    return None
                items.append(scalar(item.group(2)))
                at += 1
            out[key] = items if indent is not None else None
    except _Unsure:
        return None
    return out, where


def _blank(line: str) -> bool:
    """Empty, spaces, or a comment."""
    stripped = line.lstrip(" ")
    return not stripped or stripped[0] == "#"
