"""Comparing newscat's front matter with PyYAML's reading of the same text.

newscat keeps what JSON cannot hold exactly as the text it was written as, and
timestamps as text; the comparison applies exactly those conversions and no
others: a non-string key is text that reads back as PyYAML's key, ``.nan`` and
``.inf`` are text that reads back as the same float, ``!!binary`` is its base64
text, a ``!!set`` is the sorted list of its members, and pairs are lists.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import yaml


class TextTimestamps(yaml.SafeLoader):
    """PyYAML's safe loader with timestamps kept as text (what newscat promises)."""


TextTimestamps.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def pyyaml(text: str) -> Any:
    """PyYAML's value of a document, timestamps as text."""
    return yaml.load(text, TextTimestamps)


def _reads_back(text: Any, value: Any) -> bool:
    """Whether ``text`` is how ``value`` was written (it reads back as ``value``)."""
    if not isinstance(text, str):
        return False
    try:
        again = pyyaml(text)
    except yaml.YAMLError:
        return False
    return same(again, value)


def same(ours: Any, theirs: Any) -> bool:
    """Whether newscat's value equals PyYAML's after exactly the documented conversions."""
    if isinstance(theirs, float) and not math.isfinite(theirs):
        if not isinstance(ours, str):
            return False
        again = pyyaml(ours)
        return isinstance(again, float) and (
            (math.isnan(again) and math.isnan(theirs)) or again == theirs
        )
    if isinstance(theirs, bytes):
        return isinstance(ours, str) and base64.b64decode(ours) == theirs
    if isinstance(theirs, (set, frozenset)):
        return isinstance(ours, list) and ours == sorted(str(item) for item in theirs)
    if isinstance(theirs, (list, tuple)):
        return (
            isinstance(ours, list)
            and len(ours) == len(theirs)
            and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    if isinstance(theirs, dict):
        if not isinstance(ours, dict) or len(ours) != len(theirs):
            return False
        for key, value in theirs.items():
            if isinstance(key, str):
                if key not in ours or not same(ours[key], value):
                    return False
                continue
            matches = [k for k in ours if k not in theirs and _reads_back(k, key)]
            if not any(same(ours[k], value) for k in matches):
                return False
        return True
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return type(ours) is type(theirs) and ours == theirs
    return bool(ours == theirs)
