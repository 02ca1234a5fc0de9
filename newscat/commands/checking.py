"""Commands: check."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

import click

from newscat.commands.common import output_is_terminal, paged
from newscat.options import catalog_options

if TYPE_CHECKING:
    from newscat.index import Index
    from newscat.model import Problem

CHECK_FORMATS = ("table", "lines", "tsv", "json")
CHECK_FIELDS = ("file", "line", "column", "severity", "code", "message")

#: Characters that JSON allows raw in strings but a terminal would act on (C1
#: controls such as CSI, line separators, bidi overrides); escaped as \\uXXXX.


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
def check_command(**opts: Any) -> None:
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
    from newscat.app import App

    app = App.from_options(opts)
    index, _ = app.open(rebuild=opts["rebuild"], summary=False)
    fmt = opts["format_"] or ("table" if output_is_terminal() else "lines")
    show: Callable[[str], str] = display_path if fmt == "table" else str
    problems = collect_problems(index, show)
    files = index.file_count()
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    shown = [p for p in problems if p.severity == "error"] if opts["errors_only"] else problems

    if fmt == "json":
        write_problems_json(sys.stdout, shown)
    elif fmt == "tsv":
        write_problems_tsv(sys.stdout, shown)
    elif fmt == "lines":
        write_problem_lines(sys.stdout, shown)
    elif shown:
        from newscat.render import make_console

        with paged(app):
            console = make_console(app.color)
            console.print(problems_table(shown, console.width, show), crop=False)
    if not app.quiet:
        click.echo(summary_line(problems, files), err=True)
    if errors or (opts["strict"] and warnings):
        raise click.exceptions.Exit(1)


def collect_problems(index: Index, show: Callable[[str], str] = str) -> list[Problem]:
    """Every stored problem plus the cross-file ones, by file, then line."""
    problems = index.problems() + index.duplicates(show)
    return sorted(
        problems,
        key=lambda p: (p.path, p.line or 0, p.column or 0, p.severity != "error", p.code),
    )


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


def problem_record(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.path,
        "line": problem.line,
        "column": problem.column,
        "severity": problem.severity,
        "code": problem.code,
        "message": problem.message,
    }


def write_problems_json(out: IO[str], problems: Sequence[Problem]) -> None:
    """A JSON array of objects keyed by CHECK_FIELDS, with nothing a terminal would act on."""
    from newscat.export import json_text

    items = [json_text(problem_record(p)) for p in problems]
    out.write("[\n  " + ",\n  ".join(items) + "\n]\n" if items else "[]\n")


def write_problems_tsv(out: IO[str], problems: Sequence[Problem]) -> None:
    from newscat.export import tsv_cell

    out.write("\t".join(CHECK_FIELDS) + "\n")
    for problem in problems:
        record = problem_record(problem)
        out.write("\t".join(tsv_cell(record[name]) for name in CHECK_FIELDS) + "\n")


def write_problem_lines(out: IO[str], problems: Sequence[Problem]) -> None:
    """``path:line:col: severity: code: message``, one line each: the form editors, grep
    and CI annotations read (line and column left out where unknown)."""
    from newscat.export import tsv_cell

    for problem in problems:
        where = tsv_cell(problem.path)
        if problem.line is not None:
            where += f":{problem.line}"
            if problem.column is not None:
                where += f":{problem.column}"
        out.write(f"{where}: {problem.severity}: {problem.code}: {tsv_cell(problem.message)}\n")


def problems_table(problems: Sequence[Problem], width: int, show: Callable[[str], str]) -> Any:
    """Problems grouped by file, as linters show them: the path whole on its own line (the
    terminal wraps it), then ``line:col  severity  code  message`` with the message
    wrapped in its own column, so that the whole fits ``width``."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from newscat.text import inert

    places = [
        f"{p.line}:{p.column}" if p.line is not None and p.column is not None
        else str(p.line) if p.line is not None else ""
        for p in problems
    ]  # fmt: skip
    codes = [inert(p.code) for p in problems]
    place_width = max(cell_len(x) for x in places)
    code_width = min(max(cell_len(x) for x in codes), 24)
    parts: list[Any] = []
    current: str | None = None
    table: Table | None = None
    for problem, place, code in zip(problems, places, codes, strict=True):
        if problem.path != current:
            current = problem.path
            if parts:
                parts.append(Text(""))
            parts.append(Text(inert(show(problem.path)), style="bold", no_wrap=True,
                              overflow="ignore"))  # fmt: skip
            table = Table.grid(padding=(0, 2), pad_edge=False)
            table.add_column(width=place_width, justify="right", no_wrap=True)
            table.add_column(width=len("warning"), no_wrap=True)
            table.add_column(width=code_width, no_wrap=True, overflow="ellipsis")
            table.add_column(overflow="fold", ratio=1)
            parts.append(Padding(table, (0, 0, 0, 2)))  # indented under the path
        assert table is not None
        style = "red" if problem.severity == "error" else "yellow"
        table.add_row(
            Text(place, style="dim"),
            Text(problem.severity, style=style),
            Text(code, style=style),
            Text(inert(problem.message)),
        )
    return Group(*parts)


COMMANDS: list[click.Command] = [check_command]
