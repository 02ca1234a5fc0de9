"""Commands: stories and trends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import click

from newscat.commands.common import default_format, explain_nothing, show_rows
from newscat.dates import parse_duration
from newscat.options import (
    FilterOptions,
    SearchOptions,
    SessionOptions,
    apply_searches,
    catalog_options,
    filter_options,
    filters_from,
    search_argument,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from typing_extensions import Unpack

    from newscat.stories.report import StoryRow
    from newscat.trends import Trend


class StoriesOptions(SessionOptions, FilterOptions):
    """What ``stories`` is given."""

    min_coverage: int
    limit: int | None
    format_: str | None
    no_header: bool


class TrendsOptions(SessionOptions, FilterOptions, SearchOptions):
    """What ``trends`` is given."""

    by: Literal["topic", "provider"]
    window: str
    limit: int | None
    format_: str | None
    no_header: bool


STORY_FORMATS = ("table", "tsv", "csv", "json", "jsonl")


@click.command("stories")
@filter_options
@click.option(
    "--min-coverage", type=click.IntRange(min=1), default=1, metavar="N",
    help="Only stories covered by at least N providers.",
)  # fmt: skip
@click.option("-n", "--limit", type=click.IntRange(min=0), metavar="N", help="At most N stories.")
@click.option(
    "-f", "--format", "format_", type=click.Choice(STORY_FORMATS), metavar="FORMAT",
    help=f"Output format: {', '.join(STORY_FORMATS)}. Default: table on a terminal, tsv "
    "otherwise. json and jsonl list each story's articles.",
)  # fmt: skip
@click.option("--no-header", is_flag=True, help="Leave out the header row (tsv, csv).")
@catalog_options
def stories_command(**opts: Unpack[StoriesOptions]) -> None:
    """One row per story: the same news from several providers, grouped.

    Articles form a story when they share a URL (in canonical form), when one's
    related list names another, or when their titles or excerpts are
    near-duplicates published within three days of the first of them. Each
    row has the first and last date, how many providers covered it, its
    articles, the best quality, the total heat, the providers and the title of
    its best article. Stories with the widest coverage come first, then the
    most recent. Every filter applies to the articles, so a story shows what
    matched.

    \b
    Examples:
      newscat stories --since 7d
      newscat stories --min-coverage 3 -t "AI Ethics"
      newscat stories -f json | jq '.[0].members[].provider'
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.formats import Shape
    from newscat.stories.report import STORY_FIELDS, story_rows

    app = App.from_options(opts)
    filters = filters_from(opts)
    index, _ = app.open()
    rows = story_rows(index, filters, opts["min_coverage"], opts["limit"])
    fmt = default_format(opts["format_"])
    if not rows:
        explain_nothing(app, index, filters)

    def table(rows: Sequence[StoryRow], width: int) -> RenderableType:
        from newscat.render import stories_table  # start-up time: Rich only for a table

        return stories_table(rows, width, index.handles())

    members = fmt in ("json", "jsonl")
    show_rows(
        app,
        fmt,
        rows,
        lambda row: row.record(members=members),
        Shape(STORY_FIELDS, header=not opts["no_header"]),
        table,
        empty="No stories match.",
    )


TREND_FORMATS = ("table", "tsv", "csv", "json", "jsonl")


def _window(ctx: click.Context, param: click.Parameter, value: str) -> str:
    span = parse_duration(value)
    if span is None or span.total_seconds() < 1:
        raise click.BadParameter(
            f"expected a length of time such as 12h, 7d, 2w, 3mo or 1y, got {value!r}"
        )
    return value


@click.command("trends")
@search_argument
@filter_options
@click.option(
    "--by",
    type=click.Choice(["topic", "provider"]),
    default="topic",
    show_default=True,
    help="Rank topics, or providers.",
)
@click.option(
    "--window",
    default="7d",
    show_default=True,
    metavar="SPAN",
    callback=_window,
    help="The length of a window: 12h, 7d, 2w, 3mo, 1y. The last one ends at now (--now).",
)
@click.option("-n", "--limit", type=click.IntRange(min=0), metavar="N", help="At most N rows.")
@click.option(
    "-f",
    "--format",
    "format_",
    type=click.Choice(TREND_FORMATS),
    metavar="FORMAT",
    help=f"Output format: {', '.join(TREND_FORMATS)}. Default: table on a terminal, tsv otherwise.",
)
@click.option("--no-header", is_flag=True, help="Leave out the header row (tsv, csv).")
@catalog_options
def trends_command(**opts: Unpack[TrendsOptions]) -> None:
    """Rising topics (or providers), window against window.

    The last window ends now (or at --now); the one before it is as long. Each
    row has the matching articles in the last window and in the one before,
    the change in count and the ratio ("new" when the window before had
    none), and a sparkline of the last 12 windows, oldest first. The greatest
    rise comes first; what is falling comes last. Every filter applies.

    \b
    Examples:
      newscat trends
      newscat trends --window 1d -n 10
      newscat trends --by provider -t "AI Ethics" --window 2w -f json
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.dates import parse_duration, resolve_now
    from newscat.formats import Shape
    from newscat.trends import trend_fields, trends

    app = App.from_options(opts)
    opts = apply_searches(opts, app, TREND_FORMATS, listing=False)
    filters = filters_from(opts)
    index, _ = app.open()
    window = parse_duration(opts["window"])
    assert window is not None  # checked by the option
    kind = opts["by"]
    rows = trends(index, filters, resolve_now(opts["now"]), window, kind, opts["limit"])
    if not rows:  # trends count dated articles by topic or provider
        explain_nothing(app, index, filters, ("date", "topics" if kind == "topic" else "provider"))

    def table(rows: Sequence[Trend], width: int) -> Table:
        from newscat.render import trends_table  # start-up time: Rich only for a table

        return trends_table(rows, kind, opts["window"], width)

    show_rows(
        app,
        default_format(opts["format_"]),
        rows,
        lambda row: row.record(kind),
        Shape(trend_fields(kind), header=not opts["no_header"]),
        table,
        empty=f"No {kind}s had articles in the last two windows.",
    )


COMMANDS = [stories_command, trends_command]
