"""Option bundles shared by the commands, each defined once (sqlite-utils style).

A bundle is a decorator that adds its options to a command; the matching
``*_from`` function turns the parsed values into the core's own objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

import click

from newscat.errors import UsageError
from newscat.ignore import BadPattern, compile_pattern

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from newscat.app import App
    from newscat.config import Search
    from newscat.query import Filters, Query

F = TypeVar("F", bound=Callable[..., Any])
Opts = TypeVar("Opts", bound="Mapping[str, Any]")


# -- what the option bundles give a command, by name and type ---------------------------


class SessionOptions(TypedDict):
    """``catalog_options``: the catalogue, its cache, colour, quiet and paging."""

    catalog: tuple[str, ...]
    exclude: tuple[str, ...]
    no_ignore: bool
    no_cache: bool
    cache_dir: str | None
    color: str
    quiet: bool
    no_pager: bool


class FilterOptions(TypedDict):
    """``filter_options``: every filter."""

    topic: tuple[str, ...]
    provider: tuple[str, ...]
    category: tuple[str, ...]
    type_: tuple[str, ...]
    min_quality: float | None
    max_quality: float | None
    min_heat: float | None
    max_heat: float | None
    since: str | None
    until: str | None
    arrived_since: str | None
    published: bool | None
    match: str | None
    where: tuple[str, ...]
    now: str | None


class SortOptions(TypedDict):
    """``sort_options``: the order, and how many."""

    sort: str | None
    limit: int | None
    offset: int


class UnseenOptions(TypedDict):
    """``unseen_options``: what a consumer has not been given yet."""

    unseen: str | None
    peek: bool


class SearchOptions(TypedDict):
    """``search_argument``: the saved searches named as ``@NAME``."""

    searches: tuple[str, ...]


#: Where ``--debug`` (or ``NEWSCAT_DEBUG=1``) is recorded: the context's ``meta``,
#: which click shares between the group and the command, so the flag works
#: wherever the user types it.
DEBUG_KEY = "newscat.debug"


def lazy_completion(name: str) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    """A shell_complete callback that imports ``newscat.complete`` only when completing."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        # start-up time: completion code loads only when completing
        from newscat import complete as completions

        callback: Callable[[click.Context, click.Parameter, str], list[Any]]
        callback = getattr(completions, name)
        return callback(ctx, param, incomplete)

    return complete


def _apply(function: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):
        function = option(function)
    return function


def _record_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    switched_on = os.environ.get("NEWSCAT_DEBUG", "").strip().lower() not in _OFF
    if value or switched_on:
        ctx.meta[DEBUG_KEY] = True


_OFF = ("", "0", "false", "no", "off")


def debug_option(function: F) -> F:
    """``--debug`` (also ``NEWSCAT_DEBUG=1``): show tracebacks; accepted before or after the command."""
    return click.option(
        "--debug", is_flag=True, expose_value=False, is_eager=True,
        callback=_record_debug, help="Show tracebacks for errors (also NEWSCAT_DEBUG=1).",
    )(function)  # fmt: skip


def _record_no_pager(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from newscat.app import NO_PAGER_KEY  # start-up time: the session pulls in the index

        ctx.meta[NO_PAGER_KEY] = True


def no_pager_option(function: F) -> F:
    """``--no-pager`` before the command, as git takes it."""
    return click.option(
        "--no-pager", is_flag=True, expose_value=False, callback=_record_no_pager,
        help="Never page: write to the terminal directly (also NEWSCAT_PAGER=cat).",
    )(function)  # fmt: skip


def debugging(ctx: click.Context) -> bool:
    """Whether ``--debug`` was given to the group or the command, or set in the environment."""
    return bool(ctx.meta.get(DEBUG_KEY))


def catalog_options(function: F) -> F:
    """``-C/--catalog``, ``--no-cache``, ``--cache-dir``, ``--color``, ``-q``, ``--debug``."""
    return _apply(
        function,
        [
            click.option(
                "-C", "--catalog", "catalog", multiple=True, metavar="PATH",
                help="A catalogue root: a folder or a file (repeatable). "
                "Default: $NEWSCAT_CATALOG (split on ':'), else your config's catalog, else the seeds.",
            ),
            click.option(
                "--exclude", "exclude", multiple=True, metavar="GLOB", callback=_check_globs,
                help="Skip files and folders matching GLOB (.gitignore syntax, relative to each "
                "root; repeatable), as well as the catalogue's own exclude.",
            ),
            click.option(
                "--no-ignore", is_flag=True,
                help="Also read files that a .gitignore in the catalogue leaves out.",
            ),
            click.option("--no-cache", is_flag=True, help="Index in memory; touch no cache file."),
            click.option(
                "--cache-dir", type=click.Path(file_okay=False), metavar="DIR",
                help="Where the index lives. Default: $NEWSCAT_CACHE_DIR, else the user cache dir.",
            ),
            click.option(
                "--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                show_default=True, help="Colour output (auto honours a TTY, NO_COLOR, FORCE_COLOR).",
            ),
            click.option("-q", "--quiet", is_flag=True, help="No warnings or summaries on stderr."),
            click.option(
                "--no-pager", is_flag=True,
                help="Never page: write to the terminal directly (also NEWSCAT_PAGER=cat or empty).",
            ),
            debug_option,
        ],
    )  # fmt: skip


def _check_globs(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for glob in value:
        try:
            compile_pattern(glob)
        except BadPattern as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
    return value


def filter_options(function: F) -> F:
    """Every filter shared by list, the summaries and export."""
    return _apply(
        function,
        [
            click.option(
                "-t", "--topic", multiple=True, metavar="T", shell_complete=lazy_completion("complete_topics"),
                help="Has topic T (case-insensitive). Commas mean OR; repeat for AND.",
            ),
            click.option(
                "-p", "--provider", multiple=True, metavar="P", shell_complete=lazy_completion("complete_providers"),
                help="Provider name, domain or parent domain (repeat for OR).",
            ),
            click.option(
                "--category", multiple=True, metavar="C", shell_complete=lazy_completion("complete_categories"),
                help="Category (repeat for OR).",
            ),
            click.option(
                "--type", "type_", multiple=True, metavar="T", shell_complete=lazy_completion("complete_types"),
                help="Type (repeat for OR).",
            ),
            click.option("--min-quality", type=float, metavar="N", help="Quality at least N."),
            click.option("--max-quality", type=float, metavar="N", help="Quality at most N."),
            click.option("--min-heat", type=float, metavar="N", help="Heat at least N."),
            click.option("--max-heat", type=float, metavar="N", help="Heat at most N."),
            click.option(
                "--since", metavar="WHEN",
                help="Published at or after WHEN: 2022-05-19, 'May 2022', today, yesterday, 7d, 2w…",
            ),
            click.option(
                "--until", metavar="WHEN",
                help="Published at or before WHEN (a bare date includes that whole day).",
            ),
            click.option(
                "--arrived-since", metavar="WHEN",
                help="First seen by newscat at or after WHEN (same forms as --since).",
            ),
            click.option(
                "--published/--unpublished", default=None, help="Only published (or unpublished)."
            ),
            click.option(
                "-m", "--match", metavar="TEXT",
                help='Full-text search of title, excerpt and body (words, "phrases", OR, NOT, pre*).',
            ),
            click.option(
                "-w", "--where", multiple=True, metavar="EXPR",
                help="A query-language expression, e.g. 'heat > 60 or provider ~ nhs' (repeat for AND).",
            ),
            click.option("--now", metavar="WHEN", help="Pin 'now' for relative dates."),
        ],
    )  # fmt: skip


def sort_options(function: F) -> F:
    """``-s/--sort``, ``-n/--limit``, ``--offset``."""
    return _apply(
        function,
        [
            click.option(
                "-s", "--sort", "sort", metavar="KEYS",
                shell_complete=lazy_completion("complete_sort"),
                help="Comma-separated sort keys, '-' for descending (e.g. -quality,date). "
                "Default: -date, or rank (best match first) with -m.",
            ),
            click.option(
                "-n", "--limit", type=click.IntRange(min=0), metavar="N",
                help="At most N articles.",
            ),
            click.option(
                "--offset", type=click.IntRange(min=0), default=0, metavar="N",
                help="Skip the first N articles.",
            ),
        ],
    )  # fmt: skip


def filters_from(opts: Mapping[str, Any]) -> Filters:
    """The Filters that the filter options describe."""
    # start-up time: loaded only when the command runs
    from newscat.query import Filters

    _refuse_blank(opts)
    return Filters(
        topics=tuple(opts.get("topic") or ()),
        providers=tuple(opts.get("provider") or ()),
        categories=tuple(opts.get("category") or ()),
        types=tuple(opts.get("type_") or ()),
        min_quality=opts.get("min_quality"),
        max_quality=opts.get("max_quality"),
        min_heat=opts.get("min_heat"),
        max_heat=opts.get("max_heat"),
        since=opts.get("since"),
        until=opts.get("until"),
        arrived_since=opts.get("arrived_since"),
        unseen=opts.get("unseen"),
        published=opts.get("published"),
        match=opts.get("match"),
        where=tuple(opts.get("where") or ()),
        now=opts.get("now"),
        also=tuple(opts.get("also") or ()),
    )


#: The filters of names (option, key in the options), which a blank value would make
#: match every article (-t: each of its comma-separated topics blank) or none.
_NAMED_FILTERS = (("--topic", "topic"), ("--provider", "provider"),
                  ("--category", "category"), ("--type", "type_"))  # fmt: skip


def _refuse_blank(opts: Mapping[str, Any]) -> None:
    """A usage error for a blank -t, -p, --category or --type (``-t "$TOPIC"`` with the
    variable unset), as for a blank --match or --where."""
    for option, key in _NAMED_FILTERS:
        for value in opts.get(key) or ():
            parts = value.split(",") if key == "topic" else [value]
            if not any(part.strip() for part in parts):
                raise UsageError(f"invalid {option} {value!r}: it is empty")


def query_from(opts: Mapping[str, Any]) -> Query:
    """The Query that the filter and sort options describe."""
    # start-up time: loaded only when the command runs
    from newscat.query import Query
    from newscat.settings import DEFAULT_SORT

    filters = filters_from(opts)
    # The default order: newest first, or best match first with -m (or a search's).
    searched = filters.match is not None or any(f.match is not None for f in filters.also)
    default = "rank,-date" if searched else DEFAULT_SORT
    text = str(opts.get("sort") or default)
    sort = tuple(key.strip() for key in text.split(",") if key.strip())
    return Query(
        filters=filters,
        sort=sort or ("-date",),
        limit=opts.get("limit"),
        offset=opts.get("offset") or 0,
    )


# -- saved searches -----------------------------------------------------------------------

#: A saved search's options (long names) -> the command's parameter names.
SEARCH_PARAMS = {
    "topic": "topic", "provider": "provider", "category": "category", "type": "type_",
    "where": "where", "min-quality": "min_quality", "max-quality": "max_quality",
    "min-heat": "min_heat", "max-heat": "max_heat", "since": "since", "until": "until",
    "arrived-since": "arrived_since", "match": "match", "now": "now", "published": "published",
    "sort": "sort", "fields": "fields", "format": "format_", "limit": "limit",
}  # fmt: skip
#: Options that are not filters: the command line's value replaces a search's.
SINGLE_VALUED = ("sort", "fields", "format", "limit", "now")


def search_argument(function: F) -> F:
    """``@NAME...``: saved searches whose filters hold as well as the command line's."""
    return click.argument(
        "searches", nargs=-1, metavar="[@SEARCH]...",
        shell_complete=lazy_completion("complete_searches"),
    )(function)  # fmt: skip


def apply_searches(opts: Opts, app: App, formats: Sequence[str], listing: bool) -> Opts:
    """``opts`` with the saved searches named by ``@NAME`` and the user's defaults brought in.

    A search's filters AND with the command line's (kept apart, as ``also``, so
    that options that mean OR when repeated still AND across the two). Options
    that take one value (sort, limit, fields, format) come from the command line
    when it gives them, else from the last search that does, else from the user's
    defaults. ``formats`` lists the command's formats; ``listing`` says whether it
    lists articles (sort, limit and fields apply only then).
    """
    # start-up time: loaded only when the command runs
    from newscat.app import given_settings
    from newscat.settings import DEFAULT

    given = given_settings(opts)
    out: dict[str, Any] = dict(opts)
    searches = [find_search(app, word) for word in opts.get("searches") or ()]
    also: list[Filters] = []
    chosen: dict[str, Any] = {}
    for search in searches:
        also.append(search_filters(search, opts.get("now")))
        for key in SINGLE_VALUED:
            if key in search.options:
                chosen[key] = search.options[key]
    out["also"] = tuple(also)
    if opts.get("now") is None and "now" in chosen:
        out["now"] = chosen["now"]
    if "format" not in given and "format_" in opts:
        for value in (chosen.get("format"), app.user.defaults.format):
            if value in formats:
                out["format_"] = value
                break
    if listing:
        if "sort" not in given:  # the built-in order is left to query_from (rank with -m)
            setting = app.settings["sort"]
            default = setting.value if setting.source != DEFAULT else None
            out["sort"] = chosen.get("sort") or default
        if "limit" not in given and "limit" in chosen and not opts.get("all_"):
            out["limit"] = chosen["limit"]
        if not opts.get("fields") and "fields" in chosen:
            out["fields"] = chosen["fields"]
    # The same keys with values of the same types (as the options give them), and 'also'.
    return cast(Opts, out)


def search_filters(search: Search, now: str | None) -> Filters:
    """The filters a saved search holds (``now`` pins relative dates unless it pins its own)."""
    values = {SEARCH_PARAMS[key]: value for key, value in search.options.items()}
    values.setdefault("now", now)
    return filters_from(values)


def find_search(app: App, word: str) -> Search:
    """The saved search ``@NAME`` names; a usage error, listing the names, when none does."""
    if not word.startswith("@") or len(word) < 2:
        raise UsageError(f"expected a saved search as @NAME, got {word!r}")
    known = app.searches()
    name = word[1:]
    if name in known:
        return known[name]
    listed = ", ".join(f"@{one}" for one in sorted(known)) or "none (define [searches.NAME])"
    raise UsageError(f"unknown saved search {word!r}; known searches: {listed}")


def unseen_options(function: F) -> F:
    """``--unseen NAME`` and ``--peek``: what a consumer has not been given yet."""
    return _apply(
        function,
        [
            click.option(
                "--unseen", metavar="NAME", callback=_consumer_name,
                help="Only articles consumer NAME has not been given; marks them seen once "
                "the output is completely written.",
            ),
            click.option("--peek", is_flag=True, help="With --unseen: show, but mark nothing."),
        ],
    )  # fmt: skip


def _consumer_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # start-up time: loaded only when the command runs
    from newscat.store.state import check_consumer

    if value is None:
        return None
    try:
        return check_consumer(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
