"""Commands: show, topics, providers and stats."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import click

from newscat.commands.common import (
    RefCommand,
    default_format,
    explain_nothing,
    paged,
    show_rows,
)
from newscat.dates import resolve_now
from newscat.errors import NewscatError, UsageError
from newscat.formats import json_text
from newscat.model import GROUP_SORTS, GroupSort
from newscat.options import (
    FilterOptions,
    SearchOptions,
    SessionOptions,
    apply_searches,
    catalog_options,
    filter_options,
    filters_from,
    lazy_completion,
    search_argument,
)

if TYPE_CHECKING:
    from datetime import datetime

    from rich.table import Table
    from typing_extensions import Unpack

    from newscat.app import App
    from newscat.model import Article
    from newscat.store.index import Index
    from newscat.summary import Group

#: How many other articles of its story a page lists (then how many more, and how to list them).
SHOWN_STORY_MEMBERS = 10
SUMMARY_FORMATS = ("table", "tsv", "csv", "json", "jsonl")


@click.command("show", cls=RefCommand)
@click.argument(
    "refs",
    nargs=-1,
    required=True,
    metavar="REF...",
    shell_complete=lazy_completion("complete_refs"),
)
@click.option(
    "-f", "--format", "format_", type=click.Choice(["page", "json"]), default="page",
    show_default=True, help="A readable page, or the full record as JSON.",
)  # fmt: skip
@click.option("--raw", is_flag=True, help="Print the file exactly as it is, byte for byte.")
@click.option("--now", metavar="WHEN", help="Pin 'now' for the relative date ('3 years ago').")
@catalog_options
def show_command(
    refs: tuple[str, ...],
    format_: str,
    raw: bool,
    now: str | None,
    **session: Unpack[SessionOptions],
) -> None:
    """Show each article in detail.

    The page has the title (linked), provider, date, scores as gauges, topics,
    links, images, related articles, any other front-matter keys and the body
    rendered as Markdown (one over 200,000 characters as plain text, to stay quick).
    A REF is an id, a path to the file, or a unique prefix of the id or of the
    part after its last '_'. With several REFs, one page each; with -f json, one
    object for one REF and an array for several.

    \b
    Examples:
      newscat show 50e0
      newscat show 000_50e039b255de019a 6ef5 --now 2025-01-01
      newscat show 50e0 -f json | jq .topics
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.refs import resolve

    if raw and format_ != "page":
        raise UsageError("--raw and --format cannot be used together")
    app = App.from_options(session)
    index, _ = app.open()
    articles = [resolve(index, ref) for ref in refs]
    if raw:
        _write_files(articles)
        return
    if format_ == "json":
        # start-up time: loaded only when the command runs
        from newscat.fields import Context, record

        context = Context(resolve_now(now))
        records = [record(article, context) for article in articles]
        click.echo(json_text(records[0] if len(records) == 1 else records, indent=2))
        return
    _print_pages(app, index, articles, resolve_now(now))


def _write_files(articles: Sequence[Article]) -> None:
    """Each article's file as it is, byte for byte."""
    out = sys.stdout.buffer
    for article in articles:
        try:
            with open(article.file_path(), "rb") as handle:
                data = handle.read()
        except OSError as exc:  # gone or changed since the refresh
            raise NewscatError(f"cannot read {article.path}: {exc.strerror or exc}") from None
        out.write(data)
    out.flush()


def _print_pages(app: App, index: Index, articles: Sequence[Article], moment: datetime) -> None:
    """One page per article, paged, between separators."""
    # start-up time: Rich only for the terminal
    from newscat.render import article_page, make_console, page_separator
    from newscat.stories.report import also_in_catalogue, related_in_catalogue

    handles = index.handles()
    with paged(app):
        console = make_console(app.color)
        for i, article in enumerate(articles):
            if i:
                console.print()
                console.print(page_separator())
                console.print()
            # crop=False: a long URL goes out whole, for the terminal to wrap.
            also, also_total = also_in_catalogue(index, article, SHOWN_STORY_MEMBERS)
            page = article_page(
                article,
                console.width,
                moment,
                also,
                related_in_catalogue(index, article),
                also_total,
                handles,
            )
            console.print(page, crop=False)


class GroupOptions(SessionOptions, FilterOptions, SearchOptions):
    """What ``topics`` and ``providers`` are given."""

    sort: GroupSort
    min_count: int
    limit: int | None
    format_: str | None
    no_header: bool


class StatsOptions(SessionOptions, FilterOptions, SearchOptions):
    """What ``stats`` is given."""

    format_: str


def _group_command(kind: Literal["topic", "provider"]) -> click.Command:
    """``topics`` and ``providers``: the same options, one row per topic or per provider."""

    def command(**opts: Unpack[GroupOptions]) -> None:
        # start-up time: loaded only when the command runs
        from newscat.app import App
        from newscat.formats import Shape
        from newscat.summary import group_fields, provider_groups, topic_groups

        app = App.from_options(opts)
        opts = apply_searches(opts, app, SUMMARY_FORMATS, listing=False)
        filters = filters_from(opts)
        index, _ = app.open()
        summarise = topic_groups if kind == "topic" else provider_groups
        groups = summarise(index, filters, opts["sort"], opts["min_count"], opts["limit"])
        if not groups:  # an article without a provider is a row of its own: (none)
            explain_nothing(app, index, filters, ("topics",) if kind == "topic" else ())
        show_rows(
            app,
            default_format(opts["format_"]),
            groups,
            lambda group: group.record(kind),
            Shape(group_fields(kind), header=not opts["no_header"]),
            table,
            empty=f"No {kind}s match.",
        )

    def table(groups: Sequence[Group], width: int) -> Table:
        from newscat.render import groups_table  # start-up time: Rich only for a table

        return groups_table(groups, kind, width)

    # Filters first, then this command's own options, then the catalogue options (as in list).
    decorated: Any = catalog_options(command)
    for option in reversed(_group_options(kind)):
        decorated = option(decorated)
    decorated = search_argument(filter_options(decorated))
    return click.command(f"{kind}s", help=_GROUP_HELP[kind])(decorated)


def _group_options(kind: Literal["topic", "provider"]) -> list[Callable[[Any], Any]]:
    """The options of ``topics`` and ``providers`` of their own."""
    return [
        click.option(
            "-s", "--sort", type=click.Choice(GROUP_SORTS), default="count", show_default=True,
            help="Most articles, name (A–Z), best average quality or heat, or newest article.",
        ),
        click.option(
            "--min-count", type=click.IntRange(min=1), default=1, metavar="N",
            help=f"Only {kind}s with at least N matching articles.",
        ),
        click.option("-n", "--limit", type=click.IntRange(min=0), metavar="N",
                     help=f"At most N {kind}s."),
        click.option(
            "-f", "--format", "format_", type=click.Choice(SUMMARY_FORMATS), metavar="FORMAT",
            help=f"Output format: {', '.join(SUMMARY_FORMATS)}. "
            "Default: table on a terminal, tsv otherwise.",
        ),
        click.option("--no-header", is_flag=True, help="Leave out the header row (tsv, csv)."),
    ]  # fmt: skip


_GROUP_HELP = {
    "topic": """Summarise the topics of matching articles.

    One row per topic: articles, share, average quality and heat, newest. Topics are grouped case-insensitively and shown in their most common
    spelling. The share is the fraction of the matching articles that have
    the topic (an article may have several topics).

    \b
    Examples:
      newscat topics
      newscat topics --sort quality --min-count 5 -n 20
      newscat topics -p nhs.uk --since 2022-01-01 -f json
    """,
    "provider": """Summarise the providers of matching articles.

    One row per provider: name, domain, articles, share, average quality and
    heat, newest. Providers are grouped by name, case-insensitively (by domain when an
    article names none).

    \b
    Examples:
      newscat providers
      newscat providers --sort heat -n 10
      newscat providers -t "AI Ethics" -f csv > providers.csv
    """,
}

topics_command = _group_command("topic")
providers_command = _group_command("provider")


@click.command("stats")
@search_argument
@filter_options
@click.option(
    "-f", "--format", "format_", type=click.Choice(["table", "json"]), default="table",
    show_default=True, help="Charts for reading, or JSON for scripts.",
)  # fmt: skip
@catalog_options
def stats_command(**opts: Unpack[StatsOptions]) -> None:
    """Totals and charts of the matching articles.

    The number of articles, the date range, published or not, providers,
    topics and scores; then counts by category, type and published, articles per month (per year when
    the range passes four years) and the quality distribution in buckets of 10.

    \b
    Examples:
      newscat stats
      newscat stats -t "AI Ethics" --since 2022-01-01
      newscat stats -f json | jq .quality
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.summary import stats

    app = App.from_options(opts)
    opts = apply_searches(opts, app, ("table", "json"), listing=False)
    filters = filters_from(opts)
    index, _ = app.open()
    result = stats(index, filters)
    if not result.articles:
        explain_nothing(app, index, filters)
    if opts["format_"] == "json":
        click.echo(json_text(result.record(), indent=2))
        return
    # start-up time: Rich only for the terminal
    from newscat.render import make_console, stats_view

    with paged(app):
        console = make_console(app.color)
        console.print(stats_view(result, console.width))


COMMANDS: list[click.Command] = [show_command, topics_command, providers_command, stats_command]
