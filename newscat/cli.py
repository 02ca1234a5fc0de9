"""The command line: click commands that parse options, call the core, and render.

Heavy modules (Rich, SQLite, YAML) are imported inside the commands, so that
``newscat --help`` and ``newscat --version`` start quickly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from newscat import __version__
from newscat.commands import browsing, caching, checking, configuring, exporting, stories, views
from newscat.commands.common import (
    Delivery,
    compile_ahead,
    computed_for,
    default_format,
    emit,
    explain_nothing,
    fail_if_empty,
    feed_title,
    note,
    output_is_terminal,
    paged,
    parse_fields,
    show_rows,
)
from newscat.errors import INDEX_META, NewscatError, UsageError
from newscat.formats import json_text, tsv_cell
from newscat.options import (
    FilterOptions,
    SearchOptions,
    SessionOptions,
    SortOptions,
    UnseenOptions,
    apply_searches,
    catalog_options,
    debug_option,
    debugging,
    filter_options,
    lazy_completion,
    no_pager_option,
    query_from,
    search_argument,
    sort_options,
    unseen_options,
)
from newscat.settings import DEFAULT_LIMIT as TERMINAL_LIMIT
from newscat.text import inert

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import IO

    from rich.table import Table
    from typing_extensions import Unpack

    from newscat.app import App
    from newscat.export import OutputSpec, Writer
    from newscat.fields import FieldRow
    from newscat.model import Article
    from newscat.query import Compiled, Query
    from newscat.store.index import Index

    #: A value computed per article (a collapsed row's count of the rest of its story).
    PerArticle = Callable[[Article], Any]

LIST_FORMATS = (
    "table", "tsv", "csv", "json", "jsonl", "ids", "paths", "markdown", "atom", "rss",
)  # fmt: skip


class ListOptions(SessionOptions, FilterOptions, SortOptions, UnseenOptions, SearchOptions):
    """What ``list`` is given."""

    format_: str | None
    fields: str | None
    no_header: bool
    count: bool
    null: bool
    fail_empty: bool
    collapse: bool
    template: str | None
    all_: bool


class CommandError(click.ClickException):
    """A failure shown as ``Error: message`` (exit 1)."""

    exit_code = 1


class CommandUsageError(click.ClickException):
    """A usage mistake shown as ``Error: message`` without click's usage banner (exit 2)."""

    exit_code = 2


def _command_error(message: str, exit_code: int) -> click.ClickException:
    return CommandUsageError(message) if exit_code == 2 else CommandError(message)


class NewscatGroup(click.Group):
    """Maps core errors to exit codes in one place and keeps tracebacks behind --debug."""

    def _main_shell_completion(
        self, ctx_args: Any, prog_name: str, complete_var: str | None = None
    ) -> None:
        if os.environ.get(complete_var or f"_{prog_name.upper()}_COMPLETE"):
            # only when the shell asks for completions
            from newscat.shells import install

            install()  # completion replies that keep values with spaces whole
        super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewscatError as exc:
            if debugging(ctx):
                raise
            raise _command_error(str(exc), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            _quiet_broken_pipe()
        except KeyboardInterrupt:
            if sys.stderr.isatty():  # end the line the terminal's "^C" left open
                click.echo("", err=True)
            sys.exit(130)
        except Exception as exc:
            if debugging(ctx):
                raise
            index = ctx.meta.get(INDEX_META)
            damaged = index.damaged(exc) if index is not None else None
            if damaged is not None:
                raise CommandError(damaged) from None
            raise CommandError(
                f"internal error: {type(exc).__name__}: {inert(str(exc))} "
                "(run again with --debug for details)"
            ) from None


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``newscat list | head``): stop quietly and successfully."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


@click.group(cls=NewscatGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="newscat")
@debug_option
@no_pager_option
def cli() -> None:
    """A catalogue of news articles stored as text files with YAML front matter.

    \b
    Examples:
      newscat list -t "AI Ethics" --min-quality 50
      newscat show 50e0
      newscat list -f json | jq '.[].title'
    """


@cli.command("list")
@search_argument
@filter_options
@unseen_options
@sort_options
@click.option(
    "-f", "--format", "format_", type=click.Choice(LIST_FORMATS), metavar="FORMAT",
    help=f"Output format: {', '.join(LIST_FORMATS)}. Default: table on a terminal, tsv otherwise.",
)  # fmt: skip
@click.option(
    "-F", "--fields", metavar="A,B,C", shell_complete=lazy_completion("complete_fields"),
    help="Columns to show (dotted paths allowed).",
)  # fmt: skip
@click.option("--no-header", is_flag=True, help="Leave out the header row (tsv, csv, markdown).")
@click.option("--count", is_flag=True, help="Print only the number of matching articles.")
@click.option(
    "-0",
    "--null",
    "null",
    is_flag=True,
    help="NUL-separate ids or paths (for xargs -0); alone, implies -f ids.",
)
@click.option("-e", "--fail-empty", is_flag=True, help="Exit 1 when nothing matched.")
@click.option(
    "--collapse", is_flag=True,
    help="One row per story: the first of its matching articles, with how many more matched.",
)  # fmt: skip
@click.option(
    "--template", metavar="TEXT",
    help="One line per article: '{date:%Y-%m-%d} {title} ({provider})'; any field by name.",
)  # fmt: skip
@click.option(
    "-a", "--all", "all_", is_flag=True,
    help=f"Every match: on a terminal a table shows the first {TERMINAL_LIMIT} unless -n or --all.",
)  # fmt: skip
@catalog_options
def list_command(**opts: Unpack[ListOptions]) -> None:
    """List matching articles, newest first.

    On a terminal: a table (or --template lines) of the first 50 (-n N or --all for
    more), through a pager when taller than the screen. In a pipe: tab-separated
    values (or the template's lines), all of them.

    \b
    Examples:
      newscat list -n 10
      newscat list -t "AI Ethics,AI Policy" --since 2022-01-01 -f json
      newscat list -w 'heat > 60' --sort=-quality -F id,title,quality
      newscat list @ethics -f atom > ethics.xml
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.export import WRITERS, check_null, write_template

    app = App.from_options(opts)
    opts = apply_searches(opts, app, LIST_FORMATS, listing=True)
    terminal = output_is_terminal()
    fmt = _list_format(opts, terminal)
    check_null(fmt, opts["null"])
    if opts["all_"] and opts["limit"] is not None:
        raise UsageError("-n/--limit and -a/--all cannot be used together")
    query = query_from(opts)
    # A table and a template are for people: on a terminal, the first rows, paged.
    for_people = fmt in ("table", "template")
    limit = query.limit
    shortened = limit is None and not opts["all_"] and terminal and for_people
    if shortened:
        limit = _terminal_limit(app)
    listing = _Listing(app, fmt, limit, query.offset, query.filters.match, opts)
    long = limit is None or limit > SHORT_LISTING
    plain = long and not opts["collapse"] and not opts["count"]
    compiled, index, ahead = compile_ahead(app, query, listing.ahead if plain else None)
    more = None
    if opts["collapse"]:
        compiled, more = _collapsed(index, compiled, fmt)
    delivery = Delivery(index, opts["unseen"], opts["peek"])  # --count marks nothing
    if opts["count"]:
        _count_only(app, index, compiled, query, opts)
        return
    spec, found, text = ahead or (*listing.read(compiled, index, more), None)
    template = spec.template
    articles = delivery.track(found)
    with paged(app) if for_people else contextlib.nullcontext():
        writer = write_template if template is not None else WRITERS[fmt]
        if text is not None:  # written while the walk ran
            writer = _written(text)
        count = emit(lambda out: writer(out, articles, spec))
    delivery.done()
    if count == 0:
        explain_nothing(app, index, query.filters)
    if terminal and for_people and not app.quiet:
        if count == 0:
            note(app, "No articles match.")
        elif shortened and count == limit:
            total = index.count(compiled.where, compiled.params)
            if total > query.offset + count:
                note(app, _more_to_see(query.offset, count, total))
    fail_if_empty(opts, count)


#: A listing read ahead (``_Listing.ahead``) holds at most this many articles; one
#: longer is read again after the refresh, one article at a time as it is written.
AHEAD_ROWS = 10_000
#: A listing of at most this many articles is not read ahead: its query takes a few
#: milliseconds, less than the forked copy the walk then needs (`-n 20` on the real
#: catalogue: 371 ms walked by this process and one copy, 395 ms by two copies).
SHORT_LISTING = 100
#: The formats a listing read ahead is also written ahead in (one short line an
#: article, kept in memory until the walk is done).
WRITTEN_AHEAD = ("tsv", "csv", "markdown", "ids")


class _TooLong(Exception):
    """A listing too long to hold while the refresh runs."""


class _Listing:
    """How ``list`` reads its articles: after the refresh, or ahead, while the refresh
    walks a large catalogue (``compile_ahead``)."""

    def __init__(
        self,
        app: App,
        fmt: str,
        limit: int | None,
        offset: int,
        match: str | None,
        opts: ListOptions,
    ) -> None:
        self.app, self.fmt, self.limit, self.offset = app, fmt, limit, offset
        self.match, self.opts = match, opts

    def read(
        self, compiled: Compiled, index: Index, more: PerArticle | None = None
    ) -> tuple[OutputSpec, Iterator[Article]]:
        """What is written, and the articles (a lazy cursor)."""
        spec = _list_spec(self.app, index, self.fmt, self.match, more, self.opts)
        reads = _reads(self.fmt, spec.fields, bool(self.opts["collapse"]))
        return spec, compiled.select(index, self.limit, self.offset, *reads)

    def ahead(
        self, compiled: Compiled, index: Index
    ) -> tuple[OutputSpec, Iterator[Article], str | None]:
        """``read``, the articles held in memory (``_TooLong`` past ``AHEAD_ROWS``), and
        in ``WRITTEN_AHEAD`` formats what is written of them."""
        # start-up time: loaded only when the command runs
        from newscat.export import WRITERS

        spec, articles = self.read(compiled, index)
        with contextlib.closing(articles):  # type: ignore[type-var]
            held = list(itertools.islice(articles, AHEAD_ROWS + 1))
        if len(held) > AHEAD_ROWS:
            raise _TooLong
        if self.fmt not in WRITTEN_AHEAD or spec.template is not None:
            return spec, iter(held), None
        text = io.StringIO()
        WRITERS[self.fmt](text, held, spec)
        return spec, iter(held), text.getvalue()


def _written(text: str) -> Writer:
    """A writer of what was written ahead (``_Listing.ahead``) for these articles."""

    def write(out: IO[str], articles: Iterable[Article], spec: OutputSpec) -> int:
        out.write(text)
        return sum(1 for _ in articles)  # each one goes out (seen marks)

    return write


def _reads(fmt: str, fields: Sequence[str] | None, collapse: bool) -> tuple[bool, bool, bool]:
    """What a listing reads beyond the articles' columns: their stories (grouping runs
    for them), their front matter as written, their arrival times; each only when the
    output shows it (fields None: whole records)."""
    # start-up time: loaded only when the command runs
    from newscat.export import NUL_SEPARATED
    from newscat.fields import needs_arrived, needs_front_matter, needs_stories

    shown = fmt not in NUL_SEPARATED  # ids and paths show nothing of an article
    return (
        collapse or (shown and needs_stories(fields)),
        shown and needs_front_matter(fields),
        shown and needs_arrived(fields),
    )


def _collapsed(index: Index, compiled: Compiled, fmt: str) -> tuple[Compiled, PerArticle]:
    """The query with one row per story, and each row's count of the story's other
    matching articles (as "+N more" in a table)."""
    # start-up time: loaded only when the command runs
    from newscat.stories.report import collapse, matches_per_story

    per_story = matches_per_story(index, compiled)

    def more(article: Any) -> Any:
        extra = per_story.get(article.story or article.id, 1) - 1
        if fmt == "table":
            return f"+{extra} more" if extra else ""
        return extra

    return collapse(compiled), more


def _count_only(
    app: App, index: Index, compiled: Compiled, query: Query, opts: ListOptions
) -> None:
    """``--count``: how many articles match, and nothing else (no seen marks either)."""
    count = index.count(compiled.where, compiled.params)
    emit(lambda out: out.write(f"{count}\n"))
    if count == 0:
        explain_nothing(app, index, query.filters)
    fail_if_empty(opts, count)


def _list_spec(
    app: App, index: Index, fmt: str, match: str | None, more: PerArticle | None, opts: ListOptions
) -> OutputSpec:
    """What list writes: the fields (a -m table's own columns, "more" after the title of
    a collapsed list), a template, the computed fields, and how."""
    # start-up time: loaded only when the command runs
    from newscat.export import OutputSpec, output_fields, parse_template
    from newscat.fields import MATCH_TABLE_COLUMNS

    requested = parse_fields(opts["fields"])
    template = None
    if opts["template"] is not None:
        template = parse_template(opts["template"], index)
        requested = tuple(name for _, name, _ in template.parts if name)
    fields = output_fields("json" if template else fmt, requested, index)
    if requested is None and match is not None and fmt == "table":
        fields = MATCH_TABLE_COLUMNS
    if requested is None and more is not None and fields is not None and "title" in fields:
        at = list(fields).index("title") + 1
        fields = (*fields[:at], "more", *fields[at:])
    computed = computed_for(index, fmt, fields, match, records_snippet=True)
    return OutputSpec(
        fields=fields,
        header=not opts["no_header"],
        null=opts["null"],
        color=app.color,
        computed=dataclasses.replace(computed, more=more),
        named=requested is not None,
        template=template,
        title=feed_title(opts),
    )


def _list_format(opts: ListOptions, terminal: bool) -> str:
    """The format ``list`` writes: -f, else ids with -0 alone (what xargs -0 wants), else
    a table on a terminal and tsv in a pipe; ``template`` with --template."""
    if opts["template"] is not None:
        if opts["format_"] is not None or opts["null"]:
            raise UsageError("--template writes its own lines: leave out -f/--format and -0")
        return "template"
    return opts["format_"] or ("ids" if opts["null"] else "table" if terminal else "tsv")


def _terminal_limit(app: App) -> int | None:
    """How many rows a terminal shows unless told: the user's [defaults] limit (0: all),
    else the built-in one."""
    setting = app.settings.get("limit")
    if setting is None or setting.value is None:
        return TERMINAL_LIMIT
    return int(setting.value) or None


def _more_to_see(offset: int, count: int, total: int) -> str:
    """``50 of 1,234 · -n N or --all for more`` (``51–100 of …`` after an offset)."""
    shown = f"{offset + 1:,}–{offset + count:,}" if offset else f"{count:,}"
    return f"{shown} of {total:,} · -n N or --all for more"


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Re-read every file from scratch.")
@click.option("--status", is_flag=True, help="Show where the index is and what it holds.")
@click.option(
    "--full", is_flag=True,
    help="Also group the stories and build the full-text index now, which other commands "
    "otherwise do when they first need them (for jobs that prepare a catalogue ahead).",
)  # fmt: skip
@click.option(
    "--watch", is_flag=True,
    help="Keep the index fresh from file-system events until stopped; while it runs, "
    "other commands skip their walk. Needs watchdog (pip install \"newscat[watch]\").",
)  # fmt: skip
@click.option(
    "-v", "--verbose", is_flag=True, help="Name each file added, changed or removed (by id)."
)
@click.option(
    "-f", "--format", "shape", type=click.Choice(("text", "json")), default="text",
    show_default=True, help="The report as text, or as JSON naming every change.",
)  # fmt: skip
@catalog_options
def index_command(
    rebuild: bool,
    status: bool,
    full: bool,
    watch: bool,
    verbose: bool,
    shape: str,
    **session: Unpack[SessionOptions],
) -> None:
    """Refresh the index and report what changed.

    A refresh also records when newscat first saw each new article (the field
    'arrived', kept in the state database, not in the cache).

    \b
    Examples:
      newscat index
      newscat index -v
      newscat index -f json | jq -r '.added[].id'
      newscat index --rebuild
      newscat index --full
      newscat index --status
      newscat index --watch &
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App

    app = App.from_options(session)
    if watch:
        _watch(app, rebuild, status, verbose, shape)
        return
    named = verbose or shape == "json"  # every file named, however many
    index, report = app.open(rebuild=rebuild, summary=False, watched=False, all_names=named)
    if full:
        index.ensure_stories()
        index.ensure_fulltext()
    if status:
        # start-up time: loaded only when the command runs
        from newscat.watch import watcher_pid

        state = index.status()
        pid = watcher_pid(state.database) if state.database != ":memory:" else None
        click.echo(f"database      {state.database}")
        click.echo(f"size          {state.size_bytes:,} bytes")
        click.echo(f"articles      {state.articles:,}")
        click.echo(f"files         {state.files:,}")
        click.echo(f"problems      {state.problems:,}")
        click.echo(f"last refresh  {state.last_refresh or 'never'}")
        click.echo(f"stories       {'grouped' if state.stories else 'not yet (on first need)'}")
        click.echo(f"full text     {'built' if state.fulltext else 'not yet (on first -m)'}")
        click.echo(f"watched       {f'yes, by pid {pid}' if pid is not None else 'no'}")
        return
    if shape == "json":
        payload: dict[str, Any] = {kind: [] for kind in ("added", "changed", "removed")}
        for kind, file_id, path in report.names:
            payload[kind].append({"id": file_id, "path": path})
        payload |= {
            "unchanged": report.unchanged,
            "problems": report.problems,
            "seconds": round(report.seconds, 3),
        }
        click.echo(json_text(payload, indent=2))
        return
    text = _named_lines(report) if verbose else ""
    emit(lambda out: out.write(text + _report_line(report) + "\n"))


def _named_lines(report: Any) -> str:
    """One line per file added, changed or removed: what happened and the id."""
    return "".join(f"{kind:<8} {tsv_cell(file_id)}\n" for kind, file_id, _ in report.names)


def _report_line(report: Any) -> str:
    return (
        f"{report.added} added, {report.changed} changed, {report.removed} removed, "
        f"{report.unchanged} unchanged, {report.problems} with problems "
        f"({report.seconds:.2f}s)"
    )


def _watch(app: App, rebuild: bool, status: bool, verbose: bool, shape: str) -> None:
    """``index --watch``: refresh on every change until Ctrl-C or SIGTERM."""
    # start-up time: loaded only when the command runs
    from newscat.starting import spawn as spawn_starter
    from newscat.starting import stop as stop_starter
    from newscat.store.index import Index
    from newscat.watch import Watcher, stop_on_signals

    if status or rebuild:
        raise click.UsageError("--watch does not combine with --status or --rebuild")
    if shape != "text":
        raise click.UsageError("--watch reports as text (-v names the files)")
    index = Index.open(app.roots, app.cache_dir, app.warn, app.exclusions, app.state_file())
    click.get_current_context().call_on_close(index.close)

    def report(done: Any) -> None:
        if not app.quiet and (done.added or done.changed or done.removed):
            named = _named_lines(done) if verbose else ""
            click.echo(f"{named}{time.strftime('%H:%M:%S')} {_report_line(done)}")

    def ready() -> None:
        if not app.quiet:
            roots = ", ".join(index.roots)
            click.echo(f"watching {roots} (pid {os.getpid()}); Ctrl-C stops")

    watcher = Watcher(index, report, all_names=verbose)
    stop_on_signals(watcher)
    starter = spawn_starter()
    try:
        watcher.run(ready)
    finally:
        stop_starter(starter)


@cli.command("fields")
@click.option(
    "-f", "--format", "format_", type=click.Choice(("table", "tsv", "json")), metavar="FORMAT",
    help="Output format: table, tsv or json. Default: table on a terminal, tsv otherwise.",
)  # fmt: skip
@catalog_options
def fields_command(format_: str | None, **session: Unpack[SessionOptions]) -> None:
    """List every field: its type, how many articles have it, and an example.

    The normalised fields come first (the same for every catalogue), then every
    front-matter key and dotted path the catalogue's articles really have. Every
    name listed works with -F, --where and --sort; a front-matter key that
    shares a normalised field's name is listed as front_matter.KEY.

    \b
    Examples:
      newscat fields
      newscat fields -f json | jq '.[] | select(.type == "number") | .name'
      newscat list -w 'images.width >= 1000' --sort=-images.width
    """

    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.dates import resolve_now
    from newscat.fields import field_rows
    from newscat.formats import Shape
    from newscat.store.reads import in_id_order

    app = App.from_options(session)
    index, _ = app.open()
    rows = field_rows(in_id_order(index), resolve_now(None))
    show_rows(
        app,
        default_format(format_),
        rows,
        lambda row: {name: getattr(row, name) for name in FIELD_COLUMNS},
        Shape(FIELD_COLUMNS, indent=2),
        _fields_table,
    )


#: The columns of ``newscat fields`` in a machine format.
FIELD_COLUMNS = ("name", "type", "articles", "example")


def _fields_table(rows: Sequence[FieldRow], width: int) -> Table:
    from newscat.render import fields_table  # start-up time: Rich only for a table

    return fields_table(rows, width)


for _module in (views, exporting, checking, caching, browsing, configuring, stories):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    cli(prog_name="newscat")
