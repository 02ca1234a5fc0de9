"""Commands: stories."""

from __future__ import annotations

import sys
from typing import Any

import click

from newscat.commands.common import explain_nothing, note, output_is_terminal, paged
from newscat.options import catalog_options, filter_options, filters_from

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
def stories_command(**opts: Any) -> None:
    """One row per story: the same news from several providers, grouped.

    Articles form a story when they share a URL (in canonical form), when one's
    related list names another, or when their titles or excerpts are
    near-duplicates published within three days. Each row has the first and
    last date, how many providers covered it, its articles, the best quality,
    the total heat, the providers and the title of its best article. Stories
    with the widest coverage come first, then the most recent. Every filter
    applies to the articles, so a story shows what matched.

    \b
    Examples:
      newscat stories --since 7d
      newscat stories --min-coverage 3 -t "AI Ethics"
      newscat stories -f json | jq '.[0].members[].provider'
    """
    from newscat.app import App
    from newscat.stories.report import STORY_FIELDS, story_rows

    app = App.from_options(opts)
    filters = filters_from(opts)
    index, _ = app.open()
    rows = story_rows(index, filters, opts["min_coverage"], opts["limit"])
    fmt = opts["format_"] or ("table" if output_is_terminal() else "tsv")
    if not rows:
        explain_nothing(app, index, filters)
    if fmt == "table":
        if rows:
            from newscat.handles import Handles
            from newscat.render import make_console, stories_table

            handles = Handles(index.ids())
            with paged(app):
                console = make_console(app.color)
                console.print(stories_table(rows, console.width, handles))
        elif output_is_terminal() and not app.quiet:
            note(app, "No stories match.")
        return
    from newscat.export import write_rows

    records = [row.record(members=fmt in ("json", "jsonl")) for row in rows]
    fields = list(records[0]) if records else list(STORY_FIELDS)
    write_rows(sys.stdout, fmt, fields, records, header=not opts["no_header"])


COMMANDS = [stories_command]
