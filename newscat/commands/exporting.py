"""Commands: export and open."""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

import click

from newscat.commands.common import (
    Delivery,
    RefCommand,
    compile_for,
    computed_for,
    emit,
    explain_nothing,
    fail_if_empty,
    feed_title,
    parse_fields,
)
from newscat.errors import NewscatError, UsageError
from newscat.launch import CommandLineError, browser_command, is_safe_url, user_command
from newscat.options import (
    FilterOptions,
    SearchOptions,
    SessionOptions,
    SortOptions,
    UnseenOptions,
    apply_searches,
    catalog_options,
    filter_options,
    lazy_completion,
    query_from,
    search_argument,
    sort_options,
    unseen_options,
)
from newscat.text import line_text, url_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from typing_extensions import Unpack

    from newscat.export import OutputSpec
    from newscat.model import Article
    from newscat.query import Query
    from newscat.store.index import Index


class ExportOptions(SessionOptions, FilterOptions, SortOptions, UnseenOptions, SearchOptions):
    """What ``export`` is given."""

    format_: str | None
    output: str | None
    fields: str | None
    no_header: bool
    fail_empty: bool


EXPORT_FORMATS = ("csv", "tsv", "json", "jsonl", "sqlite", "parquet", "atom", "rss")
#: ``-o FILE`` with one of these suffixes picks the format when ``-f`` is not given.
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".db": "sqlite",
    ".atom": "atom",
    ".xml": "atom",
    ".rss": "rss",
}


@click.command("export")
@search_argument
@filter_options
@unseen_options
@sort_options
@click.option(
    "-f", "--format", "format_", type=click.Choice(EXPORT_FORMATS), metavar="FORMAT",
    help="csv, tsv, json, jsonl, sqlite, parquet, atom or rss. Default: from the -o suffix "
    "(.atom and .xml: atom, .rss: rss), else jsonl.",
)  # fmt: skip
@click.option(
    "-o", "--output", metavar="FILE",
    help="Write to FILE (replaced only when complete) instead of stdout. Required for "
    "sqlite, and a folder for parquet.",
)  # fmt: skip
@click.option(
    "-F", "--fields", metavar="A,B,C", shell_complete=lazy_completion("complete_fields"),
    help="Columns (csv, tsv) or keys (json, jsonl); dotted paths allowed.",
)  # fmt: skip
@click.option("--no-header", is_flag=True, help="Leave out the header row (csv, tsv).")
@click.option(
    "-e", "--fail-empty", is_flag=True,
    help="Exit 1 when nothing matched (an existing FILE is left as it was).",
)  # fmt: skip
@catalog_options
def export_command(**opts: Unpack[ExportOptions]) -> None:
    """Export matching articles to csv, tsv, json, jsonl, sqlite, parquet or a feed.

    json and jsonl hold every front-matter key as written plus id, path, date
    and body. csv and tsv hold one row per article with lists '; '-joined and
    mappings flattened to dotted columns (provider.name); the opaque 'secured'
    payload, images and related are left out unless --fields names them. The
    sqlite database has the tables articles and article_topics. parquet writes
    a folder of Parquet files partitioned by year and month of the date
    (year=2024/month=05, year=unknown/month=unknown), with the normalised
    columns and front_matter as JSON; it needs pyarrow
    (pip install "newscat[parquet]"). atom and rss write an Atom 1.0 or RSS
    2.0 feed for any feed reader: title, link (url), date (else the file's
    modification time), author (provider), categories (topics), summary
    (excerpt) and an id that stays the same (the url, else urn:newscat:ID).

    \b
    Examples:
      newscat export -o articles.jsonl
      newscat export -f csv --sort=-quality -n 10
      newscat export --since 7d -o this-week.csv
      newscat export -o news.sqlite && sqlite3 news.sqlite 'select count(*) from articles'
      newscat export -f parquet -o news-dataset
      newscat export @ethics -o ethics.xml
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.export import WRITERS

    output = opts["output"] if opts["output"] not in (None, "-") else None
    app = App.from_options(opts)
    if opts["format_"] is None:
        opts["format_"] = _suffix_format(output)
    opts = apply_searches(opts, app, EXPORT_FORMATS, listing=True)
    fmt = opts["format_"] or "jsonl"
    _check_target(fmt, output, opts)
    query = query_from(opts)
    compiled, index = compile_for(app, query)  # a bad query fails before any output is opened
    spec = _output_spec(index, fmt, query, opts)
    delivery = Delivery(index, opts["unseen"], opts["peek"])
    if opts["unseen"] and fmt == "parquet":
        raise UsageError("--unseen does not apply to -f parquet")
    articles = delivery.track(compiled.select(index, query.limit, query.offset))
    if output is None:
        count = emit(lambda out: WRITERS[fmt](out, articles, spec))
        delivery.done()
        if count == 0:
            explain_nothing(app, index, query.filters)
        fail_if_empty(opts, count)
        return
    if fmt == "parquet":
        # start-up time: loaded only when the command runs
        from newscat.parquet import write_dataset

        by_month = compiled.select_by_month(index, query.limit, query.offset)
        count = write_dataset(output, by_month, check=lambda n: fail_if_empty(opts, n))
    else:
        count = _write_file(output, fmt, articles, spec, opts)
    delivery.done()  # the file is in place
    if count == 0:
        explain_nothing(app, index, query.filters)
    if not app.quiet:
        noun = "article" if count == 1 else "articles"
        click.echo(f"exported {count} {noun} to {output}", err=True)


def _output_spec(index: Index, fmt: str, query: Query, opts: ExportOptions) -> OutputSpec:
    """What the writer writes: the columns (every export column for csv and tsv unless
    --fields names them), the header, the computed fields, a feed's title."""
    # start-up time: loaded only when the command runs
    from newscat.export import OutputSpec, export_columns, output_fields

    requested = parse_fields(opts["fields"])
    fields = (
        export_columns(index)
        if requested is None and fmt in ("csv", "tsv")
        else output_fields(fmt, requested, index)
    )
    return OutputSpec(
        fields=fields,
        header=not opts["no_header"],
        computed=computed_for(index, fmt, fields, query.filters.match),
        title=feed_title(opts),
    )


def _write_file(
    output: str, fmt: str, articles: Iterable[Article], spec: OutputSpec, opts: ExportOptions
) -> int:
    """The articles in a file of their own (SQLite, or a text format), put in place whole."""
    # start-up time: loaded only when the command runs
    from newscat.export import WRITERS, atomic_text, write_sqlite

    if fmt == "sqlite":
        return write_sqlite(output, articles, check=lambda n: fail_if_empty(opts, n))
    with atomic_text(output) as out:
        count = WRITERS[fmt](out, articles, spec)
        fail_if_empty(opts, count)
    return count


def _check_target(fmt: str, output: str | None, opts: ExportOptions) -> None:
    """Mistakes about where the export goes, said before any work: sqlite and parquet
    need -o and take no --fields; parquet needs pyarrow and a folder it may write."""
    if fmt in ("sqlite", "parquet") and output is None:
        raise UsageError(f"-f {fmt} needs -o {'DIR' if fmt == 'parquet' else 'FILE'}")
    if fmt in ("sqlite", "parquet") and opts["fields"]:
        raise UsageError(f"--fields does not apply to -f {fmt}")
    if fmt == "parquet" and output is not None:
        # start-up time: loaded only when the command runs
        from newscat.parquet import check_target, require_pyarrow

        require_pyarrow()
        check_target(output)


def _suffix_format(output: str | None) -> str | None:
    """The format an output file's suffix names, if any."""
    if output is not None:
        return SUFFIX_FORMATS.get(os.path.splitext(output)[1].lower())
    return None


@click.command("open", cls=RefCommand)
@click.argument("refs", nargs=-1, required=True, metavar="REF...",
                shell_complete=lazy_completion("complete_refs"))  # fmt: skip
@click.option("--print", "print_only", is_flag=True, help="Print the URLs instead of opening them.")
@catalog_options
def open_command(
    refs: tuple[str, ...], print_only: bool, **session: Unpack[SessionOptions]
) -> None:
    """Open each article's webUrl in the browser.

    A REF is an id, a path, a unique id prefix, a unique prefix of the part
    after the id's last '_', or a unique trailing part of the id (a handle
    from a table's ref column). The browser is the command your config file
    names ([defaults] browser), else $BROWSER's, else the system's. With no
    browser to open (no DISPLAY or BROWSER), or with --print, the URLs are
    printed instead, one a line.

    \b
    Examples:
      newscat open 50e039
      newscat open 50e0 6ef5
      newscat open --print 000_50e039b255de019a
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.refs import resolve

    app = App.from_options(session)
    index, _ = app.open()
    articles = [resolve(index, ref) for ref in refs]  # every REF checked first
    missing = [article.id for article in articles if not article.url]
    if missing:
        raise NewscatError(f"no webUrl: {', '.join(map(line_text, missing))}")
    # The browser your config file names, else $BROWSER; never a catalogue's choice.
    browser = app.settings["browser"].value
    environ = {**os.environ, "BROWSER": browser} if browser else dict(os.environ)
    printed: list[str] = []
    for article in articles:
        url = article.url or ""
        if print_only or not _launch(url, environ):
            printed.append(url)
    if printed:
        emit(lambda out: out.write("".join(url_text(url) + "\n" for url in printed)))


@click.command("edit", cls=RefCommand)
@click.argument("refs", nargs=-1, required=True, metavar="REF...",
                shell_complete=lazy_completion("complete_refs"))  # fmt: skip
@catalog_options
def edit_command(refs: tuple[str, ...], **session: Unpack[SessionOptions]) -> None:
    """Open the articles' files in your editor ($VISUAL, else $EDITOR, else vi).

    Every REF is resolved first (as for show), then the editor gets all the
    files at once. newscat sees the changes the next time it runs.

    \b
    Examples:
      newscat edit 50e0
      EDITOR=nano newscat edit 50e0 6ef5
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.refs import resolve

    app = App.from_options(session)
    index, _ = app.open()
    paths = list(dict.fromkeys(resolve(index, ref).path for ref in refs))
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = user_command(editor, "editor")
    except CommandLineError as exc:
        if exc.unreadable:
            raise UsageError(str(exc)) from None
        raise NewscatError(f"{exc}; set $VISUAL or $EDITOR") from None
    import subprocess  # start-up time: only when an editor runs

    status = subprocess.call([*argv, *paths])
    if status != 0:
        raise NewscatError(f"the editor {editor!r} exited with status {status}")


def _launch(url: str, environ: dict[str, str]) -> bool:
    """Open ``url`` with the configured browser command when one is found, else the
    system's; True when the browser took it."""
    command = browser_command(url, environ) if is_safe_url(url) else None
    if command is not None:
        import subprocess  # start-up time: only when a browser is opened

        try:
            return subprocess.run(command, check=False).returncode == 0
        except OSError:
            return False
    return _can_launch(url, environ) and click.launch(url) == 0


def _can_launch(url: str, environ: dict[str, str]) -> bool:
    """Only http(s) URLs are handed to the system, and only when it has a browser to show
    them. Elsewhere than macOS and Windows that takes ``xdg-open``: without it, click hands
    the URL to Python's ``webbrowser`` and says it was opened whatever happened."""
    if not is_safe_url(url):
        return False
    if sys.platform in ("darwin", "win32", "cygwin"):
        return True
    if shutil.which("xdg-open") is None:
        return False
    return any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))


COMMANDS: list[click.Command] = [export_command, open_command, edit_command]
