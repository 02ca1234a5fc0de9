"""Small helpers that several commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

from newscat.errors import NewscatError, OutputError

if TYPE_CHECKING:
    from newscat.app import App
    from newscat.index import Index
    from newscat.query import Compiled, Query


def output_is_terminal() -> bool:
    """Whether stdout is a terminal (tables there, machine formats in a pipe)."""
    return sys.stdout.isatty()


def parse_fields(text: str | None) -> tuple[str, ...] | None:
    """``-F a,b,c`` as a tuple of names, or None when not given."""
    if not text:
        return None
    return tuple(name.strip() for name in text.split(",") if name.strip())


def handles_for(
    index: Index, fmt: str, fields: Sequence[str] | None
) -> Callable[[str], str] | None:
    """The handle of each article, when the output shows ``ref`` (a table does by default)."""
    if fmt != "table" and "ref" not in (fields or ()):
        return None
    from newscat.handles import Handles

    return Handles(index.ids())


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


def compile_for(app: App, query: Query) -> tuple[Compiled, Index]:
    """Compile a query, then open (and refresh) the index.

    A mistake in the query is reported before any refresh, except when it names
    a field that is not built in: then the index is opened first, so that every
    front-matter key the catalogue holds can be checked.
    """
    from newscat.query import compile_query, known_paths

    opened: list[Index] = []

    def index() -> Index:
        if not opened:
            opened.append(app.open()[0])
        return opened[0]

    compiled = compile_query(query, lambda: known_paths(index())())
    return compiled, index()
