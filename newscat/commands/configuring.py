"""Commands: config (effective settings) and searches (saved searches with their counts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from newscat.commands.common import default_format, emit
from newscat.errors import NewscatError
from newscat.formats import Shape, json_text, tsv_cell, write_records
from newscat.options import SessionOptions, catalog_options

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from newscat.store.state import Consumer


def _cell(value: Any) -> str:
    """A value as one inert line: control characters escaped, so a file cannot steer the terminal."""
    return tsv_cell("" if value is None else value)


def _aligned(rows: list[list[str]], wrap: bool = False) -> str:
    """Rows in aligned columns; with ``wrap``, the last column wraps to fit the terminal."""
    from newscat.render import aligned_text, make_console  # start-up time: Rich only for a table

    return aligned_text(rows, make_console().width if wrap else None)


@click.command("config")
@click.option("--path", "paths", is_flag=True, help="Print the paths of the config files only.")
@click.option(
    "-f", "--format", "shape", type=click.Choice(("table", "tsv", "json")), metavar="FORMAT",
    help="table, tsv or json. Default: table on a terminal, tsv otherwise.",
)  # fmt: skip
@catalog_options
def config_command(paths: bool, shape: str | None, **session: Unpack[SessionOptions]) -> None:
    """Show the effective settings and where each one came from.

    Precedence, highest first: the command line, the environment, your config
    file ($NEWSCAT_CONFIG, else config.toml in the platform's config dir),
    built-in defaults. $PAGER and $BROWSER rank below your file. A catalogue's
    own newscat.toml holds only [fields], exclude and [searches], never a
    setting. With --path: your config file (whether it exists yet or not), then
    each catalogue's newscat.toml that exists.

    \b
    Examples:
      newscat config
      newscat config --path
      "$EDITOR" "$(newscat config --path | head -1)"
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.config import load_catalog_config

    app = App.from_options(session)
    catalogues = [load_catalog_config(root) for root in app.roots]
    if paths:
        files = [app.user.path] + [c.path for c in catalogues if c.path is not None]
        emit(lambda out: out.write("".join(f"{_cell(path)}\n" for path in files)))
        return
    settings = list(app.settings.values())
    fmt = default_format(shape)
    if fmt == "json":
        payload = {
            "settings": {s.name: {"value": s.value, "source": s.source} for s in settings},
            "files": {
                "user": {"path": app.user.path, "exists": app.user.exists},
                "catalogues": [
                    {
                        "root": c.root,
                        "path": c.path,
                        "fields": {name: list(keys) for name, keys in c.fields.items()},
                        "exclude": list(c.exclude),
                    }
                    for c in catalogues
                ],
            },
        }
        click.echo(json_text(payload, indent=2))
        return
    if fmt == "tsv":
        records = ({"name": s.name, "value": s.shown(), "source": s.source} for s in settings)
        emit(lambda out: write_records(out, "tsv", records, Shape(("name", "value", "source"))))
        return
    # The file's path is long and said once below: the table names it "user file".
    named = [[s.name, _cell(s.shown()), _source_label(s.source, app)] for s in settings]
    text = _aligned([["setting", "value", "source"], *named])
    state = "" if app.user.exists else " (not found)"
    text += f"\nuser file  {_cell(app.user.path)}{state}\n"
    for catalogue in catalogues:
        if catalogue.path is not None:
            text += f"catalogue  {_cell(catalogue.path)}\n"
            for name, keys in catalogue.fields.items():
                text += f"  {name} from {_cell(', '.join(keys))}\n"
            if catalogue.exclude:
                text += f"  exclude {_cell(', '.join(catalogue.exclude))}\n"
    emit(lambda out: out.write(text))


def _source_label(source: str, app: Any) -> str:
    return "user file" if source == app.user.path else _cell(source)


@click.command("searches")
@click.option(
    "-f", "--format", "shape", type=click.Choice(("table", "tsv", "json")), metavar="FORMAT",
    help="table, tsv or json. Default: table on a terminal, tsv otherwise.",
)  # fmt: skip
@catalog_options
def searches_command(shape: str | None, **session: Unpack[SessionOptions]) -> None:
    """List the saved searches with their counts.

    Each row says how many articles the search matches now.

    Saved searches live in [searches.NAME] tables of your config file and of a
    catalogue's newscat.toml (yours win on a clash). Each holds command-line
    options by their long names; use one as @NAME with list, export, topics,
    providers and stats.

    \b
    Examples:
      newscat searches
      newscat list @ethics
      newscat export @ethics --since 7d -f csv -o ethics.csv
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.options import SEARCH_PARAMS, filters_from
    from newscat.query import compile_filters, known_paths

    app = App.from_options(session)
    searches = app.searches()
    index = app.open()[0] if searches else None
    records: list[dict[str, Any]] = []
    for name, search in sorted(searches.items()):
        count: int | None = None
        if index is not None:
            values = {SEARCH_PARAMS[key]: value for key, value in search.options.items()}
            try:
                where, params = compile_filters(filters_from(values), known_paths(index))
                count = index.count(where, params)
            except NewscatError as exc:
                first = str(exc).splitlines()[0]
                app.warn(f"search @{name} ({search.source}) cannot run: {first}")
        records.append(
            {
                "name": name,
                "articles": count,
                "options": search.describe(),
                "source": search.source,
            }
        )
    fmt = default_format(shape)
    rows = [
        [f"@{r['name']}", "-" if r["articles"] is None else str(r["articles"]), r["options"]]
        for r in records
    ]
    if fmt != "table":
        if fmt == "tsv":  # for people too: @NAME, and '-' for a count that could not be made
            columns = ("name", "articles", "options", "source")
            records = [
                dict(zip(columns, [*row, r["source"]], strict=True))
                for row, r in zip(rows, records, strict=True)
            ]
        layout = Shape(("name", "articles", "options", "source"), indent=2)
        emit(lambda out: write_records(out, fmt, records, layout))
        return
    if not rows:
        click.echo(f"no saved searches; define [searches.NAME] in {_cell(app.user.path)}", err=True)
        return
    cells = [[_cell(c) for c in r] for r in rows]
    emit(lambda out: out.write(_aligned([["search", "articles", "options"], *cells], wrap=True)))


@click.command("seen")
@click.argument("consumer", required=False, metavar="[NAME]")
@click.option("--reset", is_flag=True, help="Forget every mark of consumer NAME.")
@click.option(
    "--since", metavar="WHEN",
    help="Forget only the marks made at or after WHEN (2024-05-01, yesterday, 12h, 7d…).",
)  # fmt: skip
@click.option("--now", metavar="WHEN", help="Pin 'now' for a relative --since.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@click.option(
    "-f", "--format", "shape", type=click.Choice(("table", "tsv")), metavar="FORMAT",
    help="table or tsv. Default: table on a terminal, tsv otherwise.",
)  # fmt: skip
def seen_command(
    consumer: str | None,
    reset: bool,
    since: str | None,
    now: str | None,
    quiet: bool,
    shape: str | None,
) -> None:
    """Show or forget what consumers have been given.

    A consumer is a name given to --unseen (list, export): each has its own marks
    (article, when marked), kept in the state database, and never touches
    another's. With no NAME: every consumer, how many articles it has seen, its
    first and last mark. --reset forgets all of NAME's marks; --since WHEN
    forgets those made at or after WHEN (to send a lost digest again).

    \b
    Examples:
      newscat export --unseen digest -f csv -o new.csv
      newscat seen
      newscat seen digest --since yesterday
      newscat seen digest --reset
      newscat seen -f tsv
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.dates import parse_when, resolve_now, to_iso
    from newscat.errors import UsageError
    from newscat.store.state import (
        StateUnavailable,
        check_consumer,
        consumers,
        opened,
        reset_seen,
    )

    name = consumer
    forgetting = reset or since is not None
    if forgetting and name is None:
        raise UsageError("--reset and --since need a consumer NAME")
    if name is not None:
        try:
            check_consumer(name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    after = None
    if since is not None:
        after = to_iso(parse_when(since, resolve_now(now), option="--since")[0])
    app = App.from_options({"quiet": quiet})
    # A state database that cannot be used is an error here, not one in memory as
    # elsewhere: no marks shown would be a wrong answer, none forgotten a lost request.
    try:
        with opened(app.state_file(), app.warn, create=forgetting) as conn:
            if name is not None and forgetting:
                forgot = reset_seen(conn, name, after)
            else:
                rows = [c for c in consumers(conn) if name in (None, c.name)]
    except StateUnavailable as exc:
        doing = "change" if forgetting else "show"
        raise NewscatError(f"cannot {doing} the seen marks: {exc}") from None
    if not forgetting:
        _show_consumers(rows, name, default_format(shape))
    elif not app.quiet:
        marks = "mark" if forgot == 1 else "marks"
        made = f" made since {after}" if after else ""
        click.echo(f"forgot {forgot} {marks} of {name}{made}", err=True)


def _show_consumers(rows: list[Consumer], name: str | None, fmt: str) -> None:
    """The consumers' marks: a table on a terminal, else tsv records (a consumer NAME
    asked for gets its row even without marks)."""
    if fmt == "table":
        if not rows:
            who = f"{name} has no" if name is not None else "no consumer has"
            click.echo(f"{who} seen marks yet; --unseen NAME (list, export) makes them", err=True)
            return
        header = ["consumer", "seen", "first mark", "last mark"]
        cells = [[c.name, f"{c.seen:,}", _local(c.first), _local(c.last)] for c in rows]
        emit(lambda out: out.write(_aligned([header, *cells])))
        return

    records = [{"consumer": c.name, "seen": c.seen, "first": c.first, "last": c.last} for c in rows]
    if name is not None and not records:  # one consumer: its row, even when it has no marks
        records = [{"consumer": name, "seen": 0, "first": None, "last": None}]
    # The header goes with the list of every consumer (not when there are none).
    layout = Shape(("consumer", "seen", "first", "last"), header=name is None and bool(rows))
    emit(lambda out: write_records(out, "tsv", records, layout))


def _local(iso: str) -> str:
    # start-up time: Rich only for the terminal
    from newscat.render import local_minute

    return local_minute(iso)


COMMANDS: list[click.Command] = [config_command, searches_command, seen_command]
