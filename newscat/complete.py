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
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
from click.shell_completion import CompletionItem

#: Most values offered at once; a shell list longer than this helps nobody.
MAX_ITEMS = 200


def complete_topics(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``-t/--topic``: topics by how many articles have them, matching case-insensitively."""

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        prefix = incomplete.casefold()
        rows = conn.execute(
            "SELECT min(topic), count(*) AS n FROM topics GROUP BY key ORDER BY n DESC, key"
        )
        return [
            CompletionItem(topic, help=_articles(n))
            for topic, n in rows
            if topic.casefold().startswith(prefix)
        ]

    return _safely(ctx, read)


def complete_providers(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``-p/--provider``: provider names and domains."""

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        prefix = incomplete.casefold()
        rows = conn.execute(
            "SELECT provider, domain, count(*) AS n FROM articles "
            "GROUP BY provider, domain ORDER BY n DESC, provider"
        )
        items: dict[str, CompletionItem] = {}
        for name, domain, n in rows:
            for value, other in ((name, domain), (domain, name)):
                if value and value.casefold().startswith(prefix) and value not in items:
                    help_text = f"{other}, {_articles(n)}" if other else _articles(n)
                    items[value] = CompletionItem(value, help=help_text)
        return list(items.values())

    return _safely(ctx, read)


def complete_refs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """REF arguments (``show``, ``open``): ids that start with what was typed, else ids
    whose part after the last ``_`` does, each with its title."""

    def read(conn: sqlite3.Connection) -> list[CompletionItem]:
        rows = conn.execute(
            "SELECT id, title FROM articles WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?",
            (len(incomplete), incomplete, MAX_ITEMS),
        ).fetchall()
        if not rows and incomplete:
            rows = [
                (id_, title)
                for id_, title in conn.execute("SELECT id, title FROM articles ORDER BY id")
                if id_.rpartition("_")[2].startswith(incomplete)
            ][:MAX_ITEMS]
        return [CompletionItem(id_, help=_one_line(title)) for id_, title in rows]

    return _safely(ctx, read)


def _safely(
    ctx: click.Context, read: Callable[[sqlite3.Connection], list[CompletionItem]]
) -> list[Any]:
    """``read`` over the cached index, or [] on any error: completion must never complain."""
    try:
        with _cached_index(ctx) as conn:
            if conn is None:
                return []
            return read(conn)[:MAX_ITEMS]
    except Exception:
        return []


@contextlib.contextmanager
def _cached_index(ctx: click.Context) -> Iterator[sqlite3.Connection | None]:
    """The index database the command would use, opened read-only, or None if there is none."""
    from newscat.catalog import resolve_roots
    from newscat.index import database_name, default_cache_dir

    params = _params(ctx)
    if params.get("no_cache"):
        yield None
        return
    roots = resolve_roots(params.get("catalog") or ())
    cache_dir = params.get("cache_dir")
    directory = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    path = directory / database_name(roots)
    if not path.is_file():
        yield None
        return
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.5)
    try:
        yield conn
    finally:
        conn.close()


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
