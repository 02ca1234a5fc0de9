"""Driving the reader headlessly: start it on a catalogue, press keys, read the screen."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.cells import cell_len

from newscat.query import Filters, Query
from newscat.store.index import Index

_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>'
)


def screen_text(app: Any) -> str:
    """What the terminal shows, one line per row, from the app's own SVG screenshot."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, length, line, content in _TEXT.findall(app.export_screenshot()):
        text = html.unescape(content).replace("\xa0", " ")
        if not cell_len(text):
            continue
        cell = float(length) / cell_len(text)
        at = round(float(x) / cell)
        for char in text:
            if 0 <= at < width and int(line) < height:
                rows[int(line)][at] = char
                if cell_len(char) == 2 and at + 1 < width:
                    rows[int(line)][at + 1] = ""  # the second half of a wide character
            at += cell_len(char)
    return "\n".join("".join(row).rstrip() for row in rows)


def browse(
    roots: Sequence[Path | str],
    script: Callable[[Any, Any], Awaitable[None]],
    filters: Filters | None = None,
    sort: tuple[str, ...] = ("-date",),
    size: tuple[int, int] = (80, 24),
    cache_dir: Path | None = None,
    searches: dict[str, Any] | None = None,
    active: list[str] | None = None,
    extra_filters: tuple[Filters, ...] = (),
    state: Path | None = None,
    check: str = "newscat check",
) -> Any:
    """Run the reader on ``roots`` with ``script(app, pilot)``; returns the app afterwards."""
    from newscat.browse import BrowseApp

    names = [str(root) for root in roots]
    index = Index.open(names, cache_dir, state=state)
    reopen = None if cache_dir is None else (lambda: Index.open(names, cache_dir, state=state))
    query = Query(filters=replace(filters or Filters(), also=extra_filters), sort=sort)
    app = BrowseApp(index, query, reopen=reopen, searches=searches, active=active, check=check)

    async def main() -> None:
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(app, pilot)
            await script(app, pilot)

    try:
        asyncio.run(main())
    finally:
        index.close()
    return app


async def settle(app: Any, pilot: Any) -> None:
    """Wait until the background refresh has run and the screen has caught up."""
    await pilot.pause()
    while app.refreshing or app.collapsing:
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause()


async def press(app: Any, pilot: Any, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(app, pilot)


async def type_text(app: Any, pilot: Any, text: str) -> None:
    """Type ``text`` key by key, then wait for the filter to apply."""
    names = {" ": "space", '"': "quotation_mark", ":": "colon", ">": "greater_than_sign"}
    names |= {"=": "equals_sign", "<": "less_than_sign", "'": "apostrophe", "-": "minus"}
    await pilot.press(*[names.get(char, char) for char in text])
    await pilot.pause(0.4)
    await settle(app, pilot)
