"""Shell completion values read from the index: topics, providers and article ids.

Click calls these while the user presses Tab (``_NEWSCAT_COMPLETE=bash_complete``
and friends). They read the cached index read-only and never refresh it: with
no index yet, or ``--no-cache``, or any error at all, they offer nothing,
quickly and silently.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

from newscat.text import inert, line_text

if TYPE_CHECKING:
    from newscat.fields import Field

#: Most values offered at once; a shell list longer than this helps nobody.
MAX_ITEMS = 200


def complete_topics(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``-t/--topic``: topics by how many articles have them, matching case-insensitively."""

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        # start-up time: each completion loads only what it needs
        from newscat.store.reads import topic_names

        prefix = incomplete.casefold()
        rows = topic_names(conn)
        return [
            CompletionItem(topic, help=_articles(n))
            for topic, n in rows
            if topic.casefold().startswith(prefix)
        ]

    return _safely(ctx, read)


def complete_providers(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``-p/--provider``: provider names and domains, and each name of a provider written
    as a list of several (``-p`` matches one of them too), most common first."""

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        # start-up time: each completion loads only what it needs
        from newscat.store.reads import provider_domain_counts, provider_name_counts

        prefix = incomplete.casefold()
        found: dict[str, tuple[int, CompletionItem]] = {}
        for name, domain, n in provider_domain_counts(conn):
            for value, other in ((name, domain), (domain, name)):
                if value and value.casefold().startswith(prefix) and value not in found:
                    help_text = f"{other}, {_articles(n)}" if other else _articles(n)
                    found[value] = (n, CompletionItem(value, help=help_text))
        offered = {value.casefold() for value in found}
        for name, n in provider_name_counts(conn):
            folded = name.casefold()
            if folded.startswith(prefix) and folded not in offered:
                found[name] = (
                    n,
                    CompletionItem(name, help=f"one of several names, {_articles(n)}"),
                )
        return [item for _, item in sorted(found.values(), key=lambda kept: -kept[0])]

    return _safely(ctx, read)


def complete_categories(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``--category``: the catalogue's categories, most common first."""
    # start-up time: each completion loads only what it needs
    from newscat.fields import REGISTRY

    return _safely(ctx, lambda conn: _column_values(conn, REGISTRY["category"], incomplete))


def complete_types(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``--type``: the catalogue's types, most common first."""
    # start-up time: each completion loads only what it needs
    from newscat.fields import REGISTRY

    return _safely(ctx, lambda conn: _column_values(conn, REGISTRY["type"], incomplete))


def _column_values(conn: sqlite3.Connection, spec: Field, incomplete: str) -> list[CompletionItem]:
    # start-up time: each completion loads only what it needs
    from newscat.store.reads import column_values

    prefix = incomplete.casefold()
    rows = column_values(conn, spec.stored_name)
    return [
        CompletionItem(value, help=_articles(n))
        for value, n in rows
        if str(value).casefold().startswith(prefix)
    ]


def complete_fields(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``-F/--fields a,b,c``: the field after the last comma."""
    return _listed(ctx, incomplete, signs=False)


def complete_sort(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``-s/--sort KEYS``: the key after the last comma, with or without a leading ``-``."""
    return _listed(ctx, incomplete, signs=True)


def _listed(ctx: click.Context, incomplete: str, signs: bool) -> list[Any]:
    head, comma, last = incomplete.rpartition(",")
    head += comma
    sign = last[:1] if signs and last[:1] in "-+" and last else ""
    prefix = last[len(sign) :]
    names = _field_names(ctx, sort=signs)
    return [CompletionItem(f"{head}{sign}{name}") for name in names if name.startswith(prefix)]


#: How many articles' front matter completion looks at for key names (it must be quick).
KEY_SAMPLE = 2000


def _field_names(ctx: click.Context, sort: bool) -> list[str]:
    """The fields of the registry, then the front-matter keys of the first articles in the
    index, named as ``newscat fields`` names them."""
    # start-up time: each completion loads only what it needs
    from newscat.fields import FIELDS, FRONT_MATTER, REGISTRY, front_matter_name

    names = dict.fromkeys(spec.name for spec in FIELDS)
    if sort:
        names.update(dict.fromkeys(["rank"]))

    column = REGISTRY[FRONT_MATTER].stored_name

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        # start-up time: each completion loads only what it needs
        from newscat.store.reads import front_matter_keys

        return [CompletionItem(key) for key in front_matter_keys(conn, column, KEY_SAMPLE)]

    for item in _safely(ctx, read):
        names.setdefault(front_matter_name((str(item.value),)))
    return [name for name in names if "," not in name]


def complete_refs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """REF arguments (``show``, ``open``, ``edit``), each with its title: ids that start with
    what was typed, else ids whose part after the last ``_`` does, else ids whose last
    segment does. One article completes to its id; several to the parts that extend
    what was typed (``0ed`` offers ``0ed7e…`` hashes, not whole ids that would replace
    it), so the shell narrows them as the user types on; a part several articles
    share is offered once, its description naming them."""
    # start-up time: each completion loads only what it needs
    from newscat.store.reads import ids_by_part
    from newscat.store.schema import ID_PARTS

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        for part, expression in ID_PARTS.items():
            if part != "id" and not incomplete:
                break
            rows = ids_by_part(conn, expression, incomplete, MAX_ITEMS + 1)
            if len(rows) == 1:
                return [CompletionItem(rows[0][0], help=_one_line(rows[0][2]))]
            if rows:
                # A part several articles share (blog/x and news/x) is offered once, saying
                # whose it is: an id in its place would not extend what was typed, and
                # zsh would replace the word with what the ids have in common.
                owners: dict[str, list[tuple[str, str | None]]] = {}
                for id_, value, title in rows:
                    owners.setdefault(value, []).append((id_, title))
                return [
                    CompletionItem(value, help=_one_line(found[0][1]))
                    if len(found) == 1
                    else CompletionItem(value, help=f"{len(found)} articles: "
                                        + ", ".join(id_ for id_, _ in found))
                    for value, found in owners.items()
                ]  # fmt: skip
        return []

    return _safely(ctx, read, escaped=True)


def complete_searches(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``@SEARCH``: the saved searches of the user's file and the catalogues' files."""
    try:
        # start-up time: each completion loads only what it needs
        from newscat.app import App

        searches = App.from_options(_params(ctx)).searches()
    except Exception:
        return []
    return [
        CompletionItem(f"@{name}", help=_one_line(search.describe()))
        for name, search in sorted(searches.items())
        if f"@{name}".startswith(incomplete)
    ]


def _safely(
    ctx: click.Context,
    read: Callable[[sqlite3.Connection], list[CompletionItem]],
    escaped: bool = False,
) -> list[Any]:
    """``read`` over the cached index, or [] on any error: completion must never complain.

    What is offered comes from files, and the shell shows it on the terminal: a value
    with a character a terminal acts on (or a line break) is left out, as no one types
    it, or with ``escaped`` offered as ``line_text`` writes it (a REF may be given so);
    such characters in a description are shown as escapes."""
    try:
        with _cached_index(ctx) as conn:
            if conn is None:
                return []
            offered = [_inert(item, escaped) for item in read(conn)]
            return [item for item in offered if item is not None][:MAX_ITEMS]
    except Exception:
        return []


def _inert(item: CompletionItem, escaped: bool) -> CompletionItem | None:
    value = str(item.value)
    shown = line_text(value)
    if shown != value and not escaped:
        return None
    return CompletionItem(shown, help=None if item.help is None else inert(item.help))


@contextlib.contextmanager
def _cached_index(ctx: click.Context) -> Iterator[sqlite3.Connection | None]:
    """The index database the command would use, opened read-only, or None if there is none."""
    # start-up time: each completion loads only what it needs
    from newscat.app import App
    from newscat.store.reads import read_only

    app = App.from_options(_params(ctx))
    with read_only(app.roots, app.cache_dir, app.exclusions) as conn:
        yield conn


def _params(ctx: click.Context) -> dict[str, Any]:
    """The parsed parameters of this command and the groups above it."""
    params: dict[str, Any] = {}
    current: click.Context | None = ctx
    while current is not None:
        for key, value in current.params.items():
            params.setdefault(key, value)
        current = current.parent
    return params


def _articles(n: int) -> str:
    return f"{n} article" if n == 1 else f"{n} articles"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())[:80]
