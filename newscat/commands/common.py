"""Small helpers that several commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Any

from newscat.errors import NewscatError, OutputError


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


def emit(write: Callable[[IO[str]], int]) -> int:
    """Run a writer on stdout and flush it, so a write failure is reported here.

    A closed pipe (``newscat list | head``) propagates as BrokenPipeError, which
    the CLI turns into a quiet exit; any other OSError (a full disk behind a
    redirect) is an OutputError with a one-line reason.
    """
    try:
        count = write(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write to stdout: {exc.strerror or exc}") from None
    return count
