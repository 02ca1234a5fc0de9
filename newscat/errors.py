"""The one error hierarchy of the core; the CLI maps it to exit codes in one place."""

from __future__ import annotations

#: Where a command keeps its open index (``click.Context.meta``), so that an error a
#: damaged database raises can be told apart from newscat's own.
INDEX_META = "newscat.index"


class NewscatError(Exception):
    """A failure the user must act on (exit 1)."""

    exit_code = 1


class UsageError(NewscatError):
    """The command line itself is wrong: a bad option value, expression or field (exit 2)."""

    exit_code = 2


class NotFoundError(NewscatError):
    """A REF matched no article, or several (exit 1)."""


class OutputError(NewscatError):
    """An output file could not be written (exit 1)."""
