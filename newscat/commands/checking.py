"""Commands: check."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from newscat.commands.common import default_format, emit, show_rows
from newscat.options import SessionOptions, catalog_options

if TYPE_CHECKING:
    from rich.console import RenderableType
    from typing_extensions import Unpack

    from newscat.model import Problem
    from newscat.store.index import Index

CHECK_FORMATS = ("table", "lines", "tsv", "json")


@click.command("check")
@click.option(
    "-f", "--format", "format_", type=click.Choice(CHECK_FORMATS), metavar="FORMAT",
    help="Output format: table, lines (path:line:col: severity: code: message), tsv or json. "
    "Default: table on a terminal, lines otherwise.",
)  # fmt: skip
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option(
    "--errors-only", is_flag=True, help="List errors only (warnings still count with --strict)."
)
@click.option("--rebuild", is_flag=True, help="Re-read every file instead of trusting the index.")
@catalog_options
def check_command(
    format_: str | None,
    strict: bool,
    errors_only: bool,
    rebuild: bool,
    **session: Unpack[SessionOptions],
) -> None:
    """List every problem in the catalogue, with file and line.

    Errors are files that could not be read as articles (they are skipped by
    every other command); warnings are odd values in articles that were read,
    and ids or webUrls that several files share. Exit status 1 when there are
    errors (with --strict, warnings too), 0 otherwise. The summary goes to stderr.

    \b
    Examples:
      newscat check
      newscat check -C ~/news --strict -f json | jq '.[].file'
      newscat check --errors-only --rebuild
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.formats import PROBLEM_FIELDS, Shape, problem_record, write_problem_lines

    app = App.from_options(session)
    index, _ = app.open(rebuild=rebuild, summary=False)
    fmt = default_format(format_, pipe="lines")
    # For people and editors, a file under the working folder is named from there.
    show: Callable[[str], str] = display_path if fmt in ("table", "lines") else str
    problems = collect_problems(index, show)
    files = index.file_count()
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    shown = [p for p in problems if p.severity == "error"] if errors_only else problems
    if fmt == "lines":
        emit(lambda out: write_problem_lines(out, shown, show))
    else:

        def table(problems: Sequence[Problem], width: int) -> RenderableType:
            from newscat.render import problems_table  # start-up time: Rich only for a table

            return problems_table(problems, width, show)

        show_rows(app, fmt, shown, problem_record, Shape(PROBLEM_FIELDS), table, crop=False)
    if not app.quiet:
        click.echo(summary_line(problems, files), err=True)
    if errors or (strict and warnings):
        raise click.exceptions.Exit(1)


def collect_problems(index: Index, show: Callable[[str], str] = str) -> list[Problem]:
    """Every stored problem plus the cross-file ones, by file, then line."""
    problems = index.problems() + _duplicates(index, show)
    return sorted(
        problems,
        key=lambda p: (p.path, p.line or 0, p.column or 0, p.severity != "error", p.code),
    )


#: How a warning about a shared value names it, by the warning's code.
_SAME = {"duplicate-id": "same id", "duplicate-url": "same URL"}


def _duplicates(index: Index, show: Callable[[str], str]) -> list[Problem]:
    """One warning for each file whose id, or URL in canonical form, other files share,
    naming up to three of them (through ``show``)."""
    from newscat.model import Problem  # start-up time: as the index, only when checking

    found: list[Problem] = []
    for code, value, paths in index.shared_values():
        for path in paths:
            others = [show(other) for other in paths if other != path]
            named = ", ".join(others[:3])
            if len(others) > 3:
                named += f" and {len(others) - 3} more"
            message = f"{_SAME[code]} {value!r} as {named}"
            found.append(Problem(path, code, message, severity="warning"))
    return found


def display_path(path: str) -> str:
    """A path relative to the working directory when it lies under it, else as stored."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith(os.pardir) else relative


def summary_line(problems: Sequence[Problem], files: int) -> str:
    """``3 errors, 2 warnings in 4 files`` (or ``no problems in 12 files``)."""
    if not problems:
        return f"no problems in {_plural(files, 'file')}"
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    involved = len({p.path for p in problems})
    return (
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {_plural(involved, 'file')}"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


COMMANDS: list[click.Command] = [check_command]
