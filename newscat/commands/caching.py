"""Commands: cache (the index files in the cache dir)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newscat.commands.common import output_is_terminal

if TYPE_CHECKING:
    from newscat.cache import CacheEntry

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
def cache_command(**opts: Any) -> None:
    """List the index files in the cache dir: size, roots, last use.

    There is one index per set of catalogue roots. An index whose roots (one of
    them or all) no longer exist can never be used again; --prune removes those.

    \b
    Examples:
      newscat cache
      newscat cache --prune
      newscat cache -f json | jq '.[] | select(.state == "ok") | .size'
    """
    from newscat import cache
    from newscat.index import default_cache_dir

    cache_dir = Path(opts["cache_dir"]).expanduser() if opts["cache_dir"] else default_cache_dir()
    found = cache.entries(cache_dir)
    if opts["prune"]:
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
    fmt = opts["format_"] or ("table" if output_is_terminal() else "tsv")
    if fmt == "json":
        from newscat.export import json_text

        click.echo(json_text([_json_row(entry) for entry in found], indent=2))
    elif fmt == "tsv":
        from newscat.export import tsv_cell

        click.echo("index\tsize\tlast_used\tstate\troots")
        for entry in found:
            roots = "; ".join(entry.roots or ())
            click.echo(
                f"{tsv_cell(str(entry.path))}\t{entry.size_bytes}\t{_utc(entry.last_used)}\t"
                f"{entry.state}\t{tsv_cell(roots)}"
            )
    else:
        _table(found, opts["color"])
    if not found:
        click.echo(f"no index in {cache_dir}", err=True)


def _table(found: list[CacheEntry], color: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from newscat.render import make_console
    from newscat.text import inert

    console = make_console(color)
    table = Table("roots", "size", "last use", "state", box=None, pad_edge=False)
    for entry in found:
        roots = "\n".join(inert(root) for root in entry.roots or (entry.path.name,))
        table.add_row(
            Text(roots),
            Text(human_size(entry.size_bytes), justify="right"),
            Text(time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used)), no_wrap=True),
            Text(entry.state, style="" if entry.state == "ok" else "yellow", no_wrap=True),
        )
    console.print(table)


def _json_row(entry: CacheEntry) -> dict[str, Any]:
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


def human_size(size: int) -> str:
    """``512 B``, ``1.5 kB``, ``12.3 MB``, ``4.1 GB`` (powers of 1000, as ``du --si``)."""
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


COMMANDS: list[click.Command] = [cache_command]
