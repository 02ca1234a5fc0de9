"""Commands: cache (the index files in the cache dir)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newscat.commands.common import default_format, emit
from newscat.text import human_size

if TYPE_CHECKING:
    from newscat.store.cache import CacheEntry

CACHE_FORMATS = ("table", "tsv", "json")


@click.command("cache")
@click.option(
    "--prune", is_flag=True, help="Remove the indexes whose catalogue roots no longer exist."
)
@click.option(
    "-f", "--format", "format_", type=click.Choice(CACHE_FORMATS), metavar="FORMAT",
    help="Output format: table, tsv or json. Default: table on a terminal, tsv otherwise.",
)  # fmt: skip
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), metavar="DIR",
    help="Where the indexes live. Default: $NEWSCAT_CACHE_DIR, else the user cache dir.",
)  # fmt: skip
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
    show_default=True, help="Colour output (auto honours a TTY, NO_COLOR, FORCE_COLOR).",
)  # fmt: skip
def cache_command(prune: bool, format_: str | None, cache_dir: str | None, color: str) -> None:
    """List the index files in the cache dir: size, roots, last use.

    There is one index per set of catalogue roots. An index whose roots (one of
    them or all) no longer exist can never be used again; --prune removes those.

    \b
    Examples:
      newscat cache
      newscat cache --prune
      newscat cache -f json | jq '.[] | select(.state == "ok") | .size'
    """
    # start-up time: loaded only when the command runs
    from newscat.formats import Shape, write_records
    from newscat.store import cache
    from newscat.store.index import default_cache_dir

    directory = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    found = cache.entries(directory)
    if prune:
        removed = cache.prune(found)
        for entry in removed:
            gone = ", ".join(entry.missing)
            click.echo(f"removed {entry.path.name} ({human_size(entry.size_bytes)}; gone: {gone})")
        freed = sum(entry.size_bytes for entry in removed)
        kept = len(found) - len(removed)
        click.echo(
            f"{_plural(len(removed), 'index', 'indexes')} removed, {human_size(freed)} freed, "
            f"{kept} kept",
            err=True,
        )
        return
    fmt = default_format(format_)
    if fmt == "table":
        from newscat.render import cache_table, make_console  # start-up time: Rich

        make_console(color).print(cache_table(found))
    else:
        shape = Shape(CACHE_COLUMNS, indent=2)
        emit(lambda out: write_records(out, fmt, (_record(entry) for entry in found), shape))
    if not found:
        click.echo(f"no index in {directory}", err=True)


#: The columns of ``newscat cache -f tsv`` (json adds each index's missing roots).
CACHE_COLUMNS = ("index", "size", "last_used", "state", "roots")


def _record(entry: CacheEntry) -> dict[str, Any]:
    return {
        "index": str(entry.path),
        "size": entry.size_bytes,
        "last_used": _utc(entry.last_used),
        "state": entry.state,
        "roots": list(entry.roots) if entry.roots is not None else None,
        "missing": list(entry.missing),
    }


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


COMMANDS: list[click.Command] = [cache_command]
