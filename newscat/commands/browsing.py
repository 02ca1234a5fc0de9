"""Command: browse, the full-screen reader (Textual, the optional extra ``browse``)."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import click

from newscat.errors import NewscatError
from newscat.options import (
    FilterOptions,
    SearchOptions,
    SessionOptions,
    apply_searches,
    catalog_options,
    debugging,
    filter_options,
    query_from,
    search_argument,
    search_filters,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack


class BrowseOptions(SessionOptions, FilterOptions, SearchOptions):
    """What ``browse`` is given."""

    sort: str | None


INSTALL_HINT = 'newscat browse needs Textual: pip install "newscat[browse]"'


@click.command("browse")
@search_argument
@filter_options
@click.option(
    "-s", "--sort", "sort", metavar="KEYS",
    help="Comma-separated sort keys to start with, '-' for descending ('s' changes it). "
    "Default: -date (best match first with -m).",
)  # fmt: skip
@catalog_options
def browse_command(**opts: Unpack[BrowseOptions]) -> None:
    """Read the matching articles in a full-screen terminal reader.

    A list of the articles (stories collapsed, "+N" more) and a reading pane
    with the page `show` prints. The keys are those of less and newsboat: j/k
    and the arrows move, Enter reads, / filters as you type, s changes the
    sort, o opens the URL in the browser, y copies it, @ switches saved
    search, ? lists every key, q goes back or quits. The index is refreshed
    in the background. Needs the optional extra: pip install "newscat[browse]".

    \b
    Examples:
      newscat browse
      newscat browse @ethics
      newscat browse -t "AI Ethics" --since 30d
      newscat browse -w 'quality >= 70' --sort=-heat
    """
    # start-up time: loaded only when the command runs
    from newscat.app import App
    from newscat.query import compile_query, known_paths
    from newscat.store.index import Index

    try:
        browse = importlib.import_module("newscat.browse")
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "textual":
            raise
        raise NewscatError(INSTALL_HINT) from None
    app = App.from_options(opts)
    opts = apply_searches(opts, app, (), listing=True)
    query = query_from(opts)
    searches = {
        name: browse.SavedSearch(name, search.describe(), search_filters(search, opts["now"]))
        for name, search in app.searches().items()
    }
    active = [word[1:] for word in opts["searches"]]
    index = Index.open(app.roots, app.cache_dir, app.warn, app.exclusions, app.state_file())
    try:
        # Mistakes in the filters are reported here, before the screen is taken over.
        known = known_paths(index)
        compile_query(query, known)
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise NewscatError("newscat browse needs a terminal (newscat list serves scripts)")

        def reopen() -> Index:
            return Index.open(
                app.roots, app.cache_dir, exclusions=app.exclusions, state=app.state_file()
            )

        failure = browse.run(
            index,
            query,
            known,
            reopen,
            debugging(click.get_current_context()),
            searches,
            active,
            f"newscat check{app.catalog_options()}",
        )
    finally:
        index.close()
    if failure is not None:
        raise failure


COMMANDS: list[click.Command] = [browse_command]
