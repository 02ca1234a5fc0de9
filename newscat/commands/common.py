"""Small helpers that several commands share."""

from __future__ import annotations

import contextlib
import io
import shlex
import shutil
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from newscat.catalog import text_path
from newscat.errors import NewscatError, OutputError, UsageError
from newscat.formats import write_records
from newscat.match import to_fts
from newscat.pager import PagerError, pager_command, run_pager
from newscat.text import line_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from newscat.app import App
    from newscat.fields import CataloguePaths, Context
    from newscat.formats import Shape
    from newscat.model import Article
    from newscat.query import Compiled, Filters, Query
    from newscat.store.index import Index


class RefCommand(click.Command):
    """A command that takes REFs: a usage error over an argument that starts with ``-``
    (an id like ``-draft``, read as options) says how to pass it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            names = {name for param in self.params for name in getattr(param, "opts", ())}
            names |= {
                name for param in self.params for name in getattr(param, "secondary_opts", ())
            }
            names.update(ctx.help_option_names)
            dashed = [
                arg
                for arg in given[: given.index("--") if "--" in given else len(given)]
                if arg.startswith("-") and arg != "-" and arg.split("=", 1)[0] not in names
            ]
            if not dashed:
                raise
            example = shlex.quote(line_text(text_path(dashed[0])))
            hint = f"An id that starts with '-' goes after '--': newscat {self.name} -- {example}"
            raise click.UsageError(f"{exc.format_message()}\n{hint}", ctx=exc.ctx) from None


def output_is_terminal() -> bool:
    """Whether stdout is a terminal (tables there, machine formats in a pipe)."""
    return sys.stdout.isatty()


def default_format(given: str | None, pipe: str = "tsv") -> str:
    """The format asked for, else a table on a terminal and ``pipe`` in a pipe."""
    return given or ("table" if output_is_terminal() else pipe)


Row = TypeVar("Row")
T = TypeVar("T")


def show_rows(
    app: App,
    fmt: str,
    rows: Sequence[Row],
    record: Callable[[Row], Mapping[str, Any]],
    shape: Shape,
    table: Callable[[Sequence[Row], int], Any],
    empty: str | None = None,
    crop: bool = True,
) -> None:
    """Rows as a table for people (paged; ``empty`` said on a terminal when there are
    none) or, in any other format, as records written by that format's writer."""
    if fmt != "table":
        emit(lambda out: write_records(out, fmt, (record(row) for row in rows), shape))
        return
    if rows:
        # start-up time: Rich only for the terminal
        from newscat.render import make_console

        with paged(app):
            console = make_console(app.color)
            console.print(table(rows, console.width), crop=crop)
    elif empty is not None and output_is_terminal() and not app.quiet:
        note(app, empty)


def parse_fields(text: str | None) -> tuple[str, ...] | None:
    """``-F a,b,c`` as a tuple of names, or None when not given."""
    if not text:
        return None
    return tuple(name.strip() for name in text.split(",") if name.strip())


def computed_for(
    index: Index,
    fmt: str,
    fields: Sequence[str] | None,
    match: str | None,
    records_snippet: bool = False,
) -> Context:
    """The computed fields the output shows: ``ref`` (a table's first column by default)
    and ``snippet`` (with -m: when named, or in whole json records with ``records_snippet``)."""
    # start-up time: loaded only when the command runs
    from newscat.fields import SNIPPET_MARKS, Context

    named = fields or ()
    handle = None
    if fmt == "table" or "ref" in named:
        handle = index.handles()
    snippet = None
    records = records_snippet and fields is None and fmt in ("json", "jsonl")
    if match is not None and ("snippet" in named or records):
        query = to_fts(match)

        def snippet(article: Article) -> str | None:
            return index.snippet(query, article.path, SNIPPET_MARKS)

    return Context(handle=handle, snippet=snippet)


def fail_if_empty(opts: Mapping[str, Any], count: int) -> None:
    """``-e/--fail-empty``: exit 1 when nothing matched."""
    if opts.get("fail_empty") and count == 0:
        consumer = opts.get("unseen")
        if consumer and not opts.get("peek"):
            raise NewscatError(f"nothing new for {consumer}: no article it has not seen matched")
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
    compiled, index, _ = compile_ahead(app, query, None)
    return compiled, index


def compile_ahead(
    app: App, query: Query, read: Callable[[Compiled, Index], T] | None
) -> tuple[Compiled, Index, T | None]:
    """``compile_for``, and what ``read`` gives for the query and the index, read
    while the refresh's forked copies walk a large catalogue (``Index.refresh``),
    when that stands; else None: the caller reads after the refresh."""
    # start-up time: loaded only when the command runs
    from newscat.query import compile_query, known_paths

    try:
        compiled = compile_query(query, _needs_catalogue)
    except _CatalogueNeeded:
        index = app.open()[0]
        return compile_query(query, known_paths(index)), index, None
    if read is None:
        return compiled, app.open()[0], None
    found: list[T] = []
    index, report = app.open(ahead=lambda index: found.append(read(compiled, index)))
    return compiled, index, found[0] if report.read_ahead and found else None


class _CatalogueNeeded(Exception):
    """The query names a field that is not built in: only the catalogue's paths can tell."""


def _needs_catalogue() -> CataloguePaths:
    raise _CatalogueNeeded


class _TerminalCapture(io.TextIOWrapper):
    """Holds what a command writes for the terminal, still looking like one to Rich."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", newline="")

    def isatty(self) -> bool:
        return True

    def text(self) -> str:
        self.flush()
        buffer = self.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue().decode("utf-8")


@contextlib.contextmanager
def paged(app: App) -> Iterator[None]:
    """On a terminal, what the block writes to stdout goes through a pager when it is
    taller than the screen (never with ``--no-pager``, and never in a pipe)."""
    if not app.page or not output_is_terminal():
        yield
        return
    capture = _TerminalCapture()
    saved = sys.stdout
    sys.stdout = capture
    try:
        yield
    except BaseException:
        sys.stdout = saved
        saved.write(capture.text())
        raise
    sys.stdout = saved
    show_on_terminal(app, capture.text())


def show_on_terminal(app: App, text: str) -> None:
    """Write ``text`` to the terminal, through the pager when it does not fit the screen."""
    height = shutil.get_terminal_size().lines
    setting = app.settings.get("pager")
    configured = pager_command() if setting is None else str(setting.value or "")
    command = configured if text.count("\n") >= height else ""
    if command not in ("", "cat"):
        sys.stdout.flush()
        try:
            run_pager(command, text)
            return
        except PagerError as exc:
            app.warn(f"{exc}; writing directly")
    sys.stdout.write(text)
    sys.stdout.flush()


def note(app: App, message: str) -> None:
    """A dim line for the person at the terminal (on stderr, so pipes stay clean)."""
    # start-up time: Rich only for the terminal
    from rich.text import Text

    from newscat.render import make_console

    make_console(app.color, stderr=True).print(Text(message, style="dim"))


def explain_nothing(app: App, index: Index, filters: Filters, needs: Collection[str] = ()) -> None:
    """Nothing matched: name each field the filters or the command (``needs``) read that
    no article has, and each filter value no article has, with the closest ones."""
    if app.quiet:
        return
    # start-up time: loaded only when the command runs
    from newscat.fields import describe_chain
    from newscat.suggest import missing_fields, unknown_values
    from newscat.text import inert

    missing = missing_fields(index, filters, needs)
    for name in missing:
        noun = {"date": "a date", "topics": "topics", "provider": "a provider"}.get(name, name)
        chosen = {tuple(keys[name]) for keys in index.chosen_keys().values() if name in keys}
        chain = describe_chain(name, {name: chosen.pop()} if len(chosen) == 1 else None)
        if name == "date":
            chain += ", or a YYYY-MM-DD file name"
        click.echo(f"no article has {noun}; newscat reads {chain} — see newscat.toml", err=True)
    for unknown in unknown_values(index, filters):
        if {"topic": "topics", "provider": "provider"}.get(unknown.kind) in missing:
            continue  # said above: the catalogue has none at all
        message = f"no {unknown.kind} '{inert(unknown.value)}'"
        if unknown.close:
            options = [f"'{inert(value)}'" for value in unknown.close]
            listed = (
                options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"
            )
            message += f"; did you mean {listed}?"
        else:
            message += " in the catalogue"
        click.echo(message, err=True)


def feed_title(opts: Mapping[str, Any]) -> str:
    """A feed's title: newscat, and the saved searches it comes from (``newscat @ethics``)."""
    return " ".join(("newscat", *(opts.get("searches") or ())))


class Delivery:
    """Articles on their way to a consumer (``--unseen NAME``), marked seen only once the
    output is completely written: a failed or interrupted write marks nothing."""

    def __init__(self, index: Index, consumer: str | None, peek: bool) -> None:
        if peek and consumer is None:
            raise UsageError("--peek needs --unseen NAME")
        if consumer is not None and not peek and not index.state_kept:
            raise NewscatError(
                f"cannot keep seen marks for {consumer!r}: the state database is not "
                "available (see the warning above); --peek shows without marking"
            )
        self.index = index
        self.consumer = None if peek else consumer
        self.paths: list[str] = []

    def track(self, articles: Iterable[Article]) -> Iterator[Article]:
        """The articles, each remembered as it goes out."""
        if self.consumer is None:
            yield from articles
            return
        for article in articles:
            self.paths.append(article.path)
            yield article

    def done(self) -> int:
        """Mark what went out; call only after the output is complete."""
        if self.consumer is None or not self.paths:
            return 0
        # start-up time: loaded only when the command runs
        from newscat.store.state import mark_seen, utc_now

        return mark_seen(self.index.conn, self.consumer, self.paths, utc_now())
