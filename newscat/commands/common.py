"""Small helpers that several commands share."""

from __future__ import annotations

import sys
from typing import Any

from newscat.errors import NewscatError


def output_is_terminal() -> bool:
    """Whether stdout is a terminal (tables there, machine formats in a pipe)."""
    return sys.stdout.isatty()


def parse_fields(text: str | None) -> tuple[str, ...] | None:
    """``-F a,b,c`` as a tuple of names, or None when not given."""
    if not text:
        return None
    return tuple(name.strip() for name in text.split(",") if name.strip())


def fail_if_empty(opts: dict[str, Any], count: int) -> None:
    """``-e/--fail-empty``: exit 1 when nothing matched."""
    if opts.get("fail_empty") and count == 0:
        raise NewscatError("no articles matched")
