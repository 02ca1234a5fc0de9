"""``newscat browse``: a full-screen reader built with Textual (the optional extra ``browse``).

A list of the matching articles (one line each, read from the index a page at
a time as it scrolls) and a reading pane with the ``show`` page of the article
opened. Everything from a file reaches the screen as Rich ``Text`` after
``inert``, never as markup. The index is refreshed in a background thread; the
list then updates and the cursor stays on the article it was on.

Only the CLI imports this module, and only for ``browse``, so that Textual is
never loaded for other commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from newscat.dates import parse_instant, resolve_now
from newscat.errors import NewscatError
from newscat.fields import CataloguePaths, catalogue_paths, path_type
from newscat.launch import can_open, open_url
from newscat.listing import READER, Listing, Row, TypedFilter, next_sort, typed_filter
from newscat.query import Filters, Query, known_paths
from newscat.refresh import RefreshReport
from newscat.render import article_page, number, score_style
from newscat.store.index import Index
from newscat.store.state import mark_one_seen, utc_now
from newscat.text import inert
from newscat.where import KnownPaths

#: Seconds between background refreshes of the index.
REFRESH_SECONDS = 60.0
#: Seconds of no typing before the filter line is applied.
FILTER_DELAY = 0.2
#: The share of the screen the list keeps while an article is open (percent).
SPLIT_DEFAULT, SPLIT_STEP, SPLIT_MIN, SPLIT_MAX = 40, 10, 10, 90
#: From this many columns on, the reading pane sits beside the list instead of below it.
WIDE_COLUMNS = 140


@dataclass(frozen=True)
class Key:
    """One key of the reader: where it works, what it does, and what the help says."""

    where: str  # "list", "reader" or "anywhere"
    keys: str  # Textual key names, comma-separated
    action: str
    help: str
    shown: str = ""  # how the help names the keys
    label: str = ""  # a word for the footer, for the keys shown there


#: Every key, in the order the help lists them. The bindings are made from this table.
KEYS: tuple[Key, ...] = (
    Key("list", "j,down", "cursor(1)", "next article", "j ↓"),
    Key("list", "k,up", "cursor(-1)", "previous article", "k ↑"),
    Key("list", "pagedown,space", "page(1)", "next page", "PgDn Space"),
    Key("list", "pageup,b", "page(-1)", "previous page", "PgUp b"),
    Key("list", "g,home", "jump(0)", "first article", "g Home"),
    Key("list", "G,end", "jump(-1)", "last article", "G End"),
    Key("list", "enter,l,right", "read", "read the article", "Enter", "read"),
    Key("list", "q", "app.quit", "quit", "q", "quit"),
    Key("reader", "j,down", "scroll_down", "scroll down", "j ↓"),
    Key("reader", "k,up", "scroll_up", "scroll up", "k ↑"),
    Key("reader", "space,pagedown", "page_down", "next page", "Space PgDn"),
    Key("reader", "b,pageup", "page_up", "previous page", "b PgUp"),
    Key("reader", "g,home", "scroll_home", "top", "g Home"),
    Key("reader", "G,end", "scroll_end", "bottom", "G End"),
    Key("reader", "J", "app.step(1)", "read the next article", "J", "next"),
    Key("reader", "K", "app.step(-1)", "read the previous article", "K"),
    Key("reader", "q,escape,h,left", "app.close_article", "back to the list", "q Esc", "back"),
    Key("anywhere", "n", "next_unread", "next unread article", "n"),
    Key("anywhere", "slash", "filter", "filter as you type", "/", "filter"),
    Key("anywhere", "s", "sort", "change the sort order", "s", "sort"),
    Key("anywhere", "o", "open", "open the URL in the browser", "o", "open"),
    Key("anywhere", "y", "copy", "copy the URL", "y", "copy"),
    Key("anywhere", "at", "pick_search", "switch saved search", "@", "search"),
    Key("anywhere", "c", "collapse", "collapse or expand stories (+N: more in the story)", "c"),
    Key("anywhere", "tab", "switch", "switch between list and article", "Tab"),
    Key("anywhere", "plus", "resize(1)", "larger list pane", "+"),
    Key("anywhere", "minus", "resize(-1)", "smaller list pane", "-"),
    Key("anywhere", "r", "reload", "refresh the index now", "r"),
    Key("anywhere", "question_mark", "help", "these keys", "?", "help"),
    Key("anywhere", "ctrl+c", "quit", "quit at once", "Ctrl-C"),
)


def bindings(where: str) -> list[BindingType]:
    return [
        Binding(
            key.keys,
            key.action,
            key.label or key.help,
            show=bool(key.label),
            key_display=key.shown.split()[0] if key.label else key.shown,
        )
        for key in KEYS
        if key.where == where
    ]


class _Stopped(Exception):
    """The app is closing: a background refresh stops where it is."""


@dataclass(frozen=True)
class SavedSearch:
    """A saved search the reader can switch to: its name, its options, its filters."""

    name: str
    description: str
    filters: Filters


class Collapsed(Message):
    """A background thread has built the story-collapsed list (or failed to)."""

    def __init__(self, generation: int, listing: Listing | None, error: str | None) -> None:
        super().__init__()
        self.generation, self.listing, self.error = generation, listing, error


class Progressed(Message):
    """The background refresh has read ``done`` of ``total`` files."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total


class Refreshed(Message):
    """The background refresh has finished (``report``) or failed (``error``)."""

    def __init__(
        self, report: RefreshReport | None, known: CataloguePaths | None, error: str | None
    ) -> None:
        super().__init__()
        self.report, self.known, self.error = report, known, error


def local_day(date: str | None) -> str:
    """An ISO date-time as the local calendar day, for the list."""
    moment = parse_instant(date) if date else None
    return moment.astimezone().strftime("%Y-%m-%d") if moment else ""


def row_text(row: Row, width: int, read: bool) -> Text:
    """One line of the list: date, provider, quality and title, fitted to ``width`` cells."""
    provider_width = 16 if width >= 70 else 10
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(Text(local_day(row.date).ljust(10), style="dim"))
    line.append(" ")
    provider = Text(inert(row.provider or row.domain or ""), style="cyan")
    provider.truncate(provider_width, overflow="ellipsis", pad=True)
    line.append(provider)
    line.append(" ")
    line.append(Text(number(row.quality).rjust(3)[:3], style=score_style(row.quality)))
    line.append(" ")
    if row.more:
        line.append(Text(f"+{row.more} ", style="magenta"))
    line.append(Text(inert(row.title or "(untitled)"), style="dim" if read else "bold"))
    line.truncate(width, overflow="ellipsis", pad=True)
    return line


class ArticleList(ScrollView, can_focus=True):
    """The matching articles, one line each; only the visible rows are ever rendered."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("list")
    COMPONENT_CLASSES: ClassVar[set[str]] = {"article-list--cursor"}
    DEFAULT_CSS = """
    ArticleList { overflow-x: hidden; }
    ArticleList > .article-list--cursor { background: $accent 40%; }
    ArticleList:focus > .article-list--cursor { background: $accent; color: $text; }
    """

    class Chosen(Message):
        """The user asked to read the article under the cursor."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.listing: Listing | None = None
        self.cursor = 0
        self.read: set[str] = set()  # paths read in this session (the rows may be older)
        self.empty_text = Text("")

    @property
    def count(self) -> int:
        return self.listing.count if self.listing is not None else 0

    def current(self) -> Row | None:
        return self.listing.row(self.cursor) if self.listing is not None else None

    def show(self, listing: Listing | None, cursor: int = 0) -> None:
        """Show ``listing`` with the cursor on row ``cursor`` (kept within the list)."""
        self.listing = listing
        self.cursor = max(0, min(cursor, self.count - 1))
        self.virtual_size = Size(self.scrollable_content_region.width, self.count)
        self.refresh()
        self.call_after_refresh(self._keep_visible)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width  # less the scrollbar
        n = y + round(self.scroll_offset.y)
        row = self.listing.row(n) if self.listing is not None else None
        if row is None:
            text = self.empty_text if y == 0 and self.count == 0 else Text("")
            return Strip(text.render(self.app.console, end=""), 0).crop_extend(0, width, None)
        line = row_text(row, width, row.seen or row.path in self.read)
        if n == self.cursor:
            line.stylize(self.get_component_rich_style("article-list--cursor"))
        return Strip(line.render(self.app.console, end=""), width).crop_extend(0, width, None)

    def mark_read(self, row: Row) -> None:
        self.read.add(row.path)
        self.refresh()

    def move_to(self, n: int) -> None:
        if self.count == 0:
            return
        self.cursor = max(0, min(n, self.count - 1))
        self._keep_visible()
        self.refresh()

    def _keep_visible(self) -> None:
        height = max(1, self.size.height)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.count)
        self._keep_visible()

    def on_click(self, event: events.Click) -> None:
        self.move_to(event.y + round(self.scroll_offset.y))
        if event.chain == 2:
            self.post_message(self.Chosen())

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * max(1, self.size.height - 1))

    def action_jump(self, to: int) -> None:
        self.move_to(self.count - 1 if to < 0 else to)

    def action_read(self) -> None:
        if self.current() is not None:
            self.post_message(self.Chosen())


class Reader(VerticalScroll, can_focus=True):
    """The ``show`` page of one article, scrolled like a pager."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("reader")

    def compose(self) -> ComposeResult:
        yield Static(id="page", markup=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)


class HelpScreen(ModalScreen[None]):
    """Every key, grouped by where it works."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape,question_mark", "app.pop_screen", "close", key_display="q Esc ?")
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, notes: list[str]) -> None:
        super().__init__()
        self.notes = notes

    def compose(self) -> ComposeResult:
        text = Text()
        titles = {"list": "In the list", "reader": "Reading an article", "anywhere": "Anywhere"}
        for where, title in titles.items():
            text.append(f"{title}\n", style="bold")
            for key in KEYS:
                if key.where == where:
                    text.append(f"  {key.shown:<12}", style="bold cyan")
                    text.append(f"{key.help}\n")
            text.append("\n")
        for note in self.notes:
            text.append(note + "\n", style="dim")
        with VerticalScroll():
            yield Static(text, markup=False)


class SearchPicker(ModalScreen[str | None]):
    """The saved searches to switch to, and "everything" (no saved search)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "dismiss_picker", "close", key_display="q Esc"),
        Binding("j", "focused.cursor_down", show=False),
        Binding("k", "focused.cursor_up", show=False),
    ]
    DEFAULT_CSS = """
    SearchPicker { align: center middle; }
    SearchPicker > OptionList { width: 70; max-width: 100%; height: auto; max-height: 80%; }
    """

    def __init__(self, searches: dict[str, SavedSearch]) -> None:
        super().__init__()
        self.searches = searches
        self.names = ["", *sorted(searches)]  # "": everything

    def compose(self) -> ComposeResult:
        options = [Option(Text("everything (no saved search)", style="italic"), "0")]
        for i, name in enumerate(self.names[1:], start=1):
            label = Text("@" + inert(name), style="bold green")
            label.append("  " + inert(self.searches[name].description), style="dim")
            options.append(Option(label, str(i)))
        yield OptionList(*options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.names[int(event.option.id or 0)])

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)


class BrowseApp(App[None]):
    """The reader: a status line, the list, the reading pane, the filter line and a footer."""

    TITLE = "newscat"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings("anywhere"),
        Binding("ctrl+c", "quit", show=False, priority=True),
    ]
    CSS = """
    #status { height: 1; background: $panel; color: $text; padding: 0 1; }
    #panes { height: 1fr; layout: vertical; }
    #panes.wide { layout: horizontal; }
    ArticleList { height: 1fr; width: 1fr; }
    Reader { display: none; height: 1fr; width: 1fr; padding: 0 1; border-top: solid $accent; }
    #panes.wide Reader { border-top: none; border-left: solid $accent; }
    #filter { display: none; height: 1; border: none; padding: 0 1; }
    """

    def __init__(
        self,
        index: Index,
        query: Query,
        known: KnownPaths | None = None,
        reopen: Callable[[], Index] | None = None,
        debug: bool = False,
        searches: dict[str, SavedSearch] | None = None,
        active: list[str] | None = None,
        check: str = "newscat check",
    ) -> None:
        super().__init__()
        self.index = index
        self.check = check  # the command that checks this catalogue, for skipped files
        # The saved searches' filters are kept apart, so that @ can switch them.
        self.base_query = replace(query, filters=replace(query.filters, also=()))
        self.searches = searches or {}
        self.search_names = list(active or [])
        self.search_filters = query.filters.also
        self.collapse = True
        self.collapsing = False
        self.generation = 0
        self.stories: Listing | None = None  # the collapsed list on screen, when it is
        self.article_count = 0
        self.initial_known = known or known_paths(index)
        self.reopen = reopen
        self.debug_mode = debug
        self.now = query.filters.now
        self.typed: TypedFilter = typed_filter("")
        self.filter_text = ""
        self.sort: tuple[str, ...] = query.sort
        self.split = SPLIT_DEFAULT
        self.article_path: str | None = None  # the article in the reading pane
        self.known_paths: CataloguePaths | None = None
        self.progress = ""
        self.message = ""
        self.failure: BaseException | None = None
        self._filter_timer: Timer | None = None
        self.refreshing = False
        self.stopping = threading.Event()
        self.loaded = False
        self.terminated = False  # SIGTERM ended the app
        self.unsaved: list[str] = []  # paths read but not yet marked seen (the state was busy)

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        with Container(id="panes"):
            yield ArticleList(id="list")
            yield Reader(id="reader")
        yield Input(id="filter", placeholder="words, t:topic, p:provider, or a --where expression")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def reader(self) -> Reader:
        return self.query_one(Reader)

    @property
    def reading(self) -> bool:
        return self.reader.display

    def on_mount(self) -> None:
        if not self.is_headless:
            # SIGTERM through the event loop, so the app leaves as after q: the screen
            # restored by Textual's own exit, not cut wherever the signal landed.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._terminate)
        self.set_focus(self.articles)
        self._apply_layout()
        if self.index.location == ":memory:" or self.index.file_count() == 0:
            self.articles.empty_text = Text("indexing…", style="dim")
            self._show_status()
        else:
            self.loaded = True
            self._load(keep=False)
        # After the first rows are on the screen: the refresh competes for the CPU.
        self.call_after_refresh(self.refresh_index)
        if self.index.location != ":memory:":
            self.set_interval(REFRESH_SECONDS, self.refresh_index)

    def _terminate(self) -> None:
        self.terminated = True
        self.exit()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout()
        if self.article_path is not None:
            self.call_after_refresh(self._render_article)

    def _apply_layout(self) -> None:
        panes = self.query_one("#panes")
        wide = self.size.width >= WIDE_COLUMNS
        panes.set_class(wide, "wide")
        if self.reading:
            share = f"{self.split}%"
            self.articles.styles.width = share if wide else "1fr"
            self.articles.styles.height = "1fr" if wide else share
            self.articles.display = self.split > 0
        else:
            self.articles.styles.width = "1fr"
            self.articles.styles.height = "1fr"
            self.articles.display = True

    # --- the list -------------------------------------------------------------------------

    def _known(self) -> KnownPaths:
        """The front-matter paths for the list's query: what the last background refresh
        found, else what the command line needed (read then, before the screen)."""
        return lambda: self.known_paths if self.known_paths is not None else self.initial_known()

    def _typed_known(self) -> KnownPaths:
        """The paths a typed ``--where`` may name: only what a background refresh found,
        since reading every record on this thread would stall the screen."""
        return lambda: self.known_paths or {}

    def _load(self, keep: bool) -> None:
        """(Re)build the list from the query, the typed filter and the sort order."""
        query = Query(filters=replace(self.base_query.filters, also=self.search_filters))
        query = replace(query, sort=self.sort)
        try:
            listing = Listing(self.index, query, self.typed.filters, self._known())
        except NewscatError as exc:
            self.message = str(exc).splitlines()[0]
            self._show_status()
            return
        self.generation += 1
        self.article_count = listing.count
        self._show_listing(listing, keep)
        # Read the rows on screen now: grouping stories holds the connection a while.
        listing.row(self.articles.cursor)
        if self.collapse:
            self.collapsing = True
            threading.Thread(
                target=self._collapse_in_background,
                args=(self.generation, query, self.typed.filters, self._known()),
                name="newscat-stories",
                daemon=True,
            ).start()
        self._show_status()

    def _show_listing(self, listing: Listing, keep: bool) -> None:
        """Put ``listing`` on the screen, the cursor on the article it was on (when kept)."""
        previous = self.articles.current() if keep else None
        cursor = self.articles.cursor
        position = 0
        if previous is not None:
            found = listing.find(previous.path, cursor)
            position = min(cursor, listing.count - 1) if found is None else found
        old = self.stories
        self.stories = listing if listing.collapse else None
        if old is not None and old is not listing:
            old.close()
        self.articles.empty_text = Text("no articles match", style="dim")
        self.articles.show(listing, position)

    def _collapse_in_background(
        self, generation: int, query: Query, extra: Filters, known: KnownPaths
    ) -> None:
        """Build the story-collapsed list: one sort of every matching article, which
        takes a while on a large catalogue, so the plain list shows meanwhile."""
        # A connection of its own where the index is a file: one connection used by
        # two threads at once can abort the other's statements.
        index = self.index
        try:
            if self.reopen is not None:
                index = self.reopen()
            listing = Listing(
                index, query, extra, known, collapse=True, owned=index is not self.index
            )
        except Exception as exc:
            if index is not self.index:
                index.close()
            self.post_message(Collapsed(generation, None, f"cannot collapse stories: {exc}"))
            return
        self.post_message(Collapsed(generation, listing, None))

    def on_collapsed(self, message: Collapsed) -> None:
        if message.generation != self.generation or not self.collapse:
            if message.listing is not None:
                message.listing.close()
            return
        self.collapsing = False
        if message.listing is None:
            self.message = message.error or ""
        else:
            self._show_listing(message.listing, keep=True)
        self._show_status()

    def action_collapse(self) -> None:
        self.collapse = not self.collapse
        self.collapsing = False
        self._load(keep=True)

    def _show_status(self) -> None:
        line = Text("newscat", style="bold")
        for name in self.search_names:
            line.append(" @")
            line.append(inert(name), style="green")
        if self.loaded:
            count = self.article_count
            line.append(f" · {count:,} article{'' if count == 1 else 's'}")
            if self.stories is not None:
                stories = self.stories.count
                line.append(f" in {stories:,} stor{'y' if stories == 1 else 'ies'}")
            elif self.collapsing:
                line.append(" · grouping stories…", style="dim")
        line.append(f" · sort {','.join(self.sort)}")
        if self.typed.meaning:
            line.append(" · filter: ")
            line.append(inert(self.typed.meaning), style="yellow")
        if self.progress:
            line.append(f" · {self.progress}", style="dim")
        if self.message:
            line.append(" · ")
            line.append(inert(self.message), style="red")
        self.query_one("#status", Static).update(line)

    # --- background refresh ---------------------------------------------------------------

    def refresh_index(self) -> None:
        """Start a refresh of the index in the background, unless one is running.

        It runs on a daemon thread of its own, not a Textual worker, so that quitting
        never waits for it: a refresh cut short leaves the index as it was.
        """
        if self.refreshing:
            return
        self.refreshing = True
        threading.Thread(
            target=self._refresh_in_background,
            args=(self.known_paths is None,),
            name="newscat-refresh",
            daemon=True,
        ).start()

    def _refresh_in_background(self, need_paths: bool) -> None:
        """Refresh on a connection of this thread (or the only one, in memory); then,
        when something changed, list the front-matter paths a typed filter may name."""
        shared = self.reopen is None or self.index.location == ":memory:"
        try:
            index = self.index if shared else self._reopen()
            try:
                report = index.refresh(progress=self._post_progress)
                known = None
                if need_paths or report.added or report.changed or report.removed:
                    found = catalogue_paths(self._until_stopped(index.front_matters()))
                    known = {path: path_type(stats, path) for path, stats in found.items()}
            finally:
                if index is not self.index:
                    index.close()
        except _Stopped:
            return
        except Exception as exc:  # reported in the status line; the list stays as it was
            self.post_message(Refreshed(None, None, f"refresh failed: {exc}"))
            return
        self.post_message(Refreshed(report, known, None))

    def _until_stopped(self, records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            if self.stopping.is_set():
                raise _Stopped
            yield record

    def _post_progress(self, done: int, total: int) -> None:
        if self.stopping.is_set():
            raise _Stopped  # the refresh rolls back; the app is closing
        self.post_message(Progressed(done, total))

    def on_unmount(self) -> None:
        self.stopping.set()
        if self.unsaved:  # the last chance to keep them: wait for the state database
            with contextlib.suppress(sqlite3.Error):
                for path in self.unsaved:
                    mark_one_seen(self.index.conn, READER, path, utc_now(), wait_ms=5000)

    def _reopen(self) -> Index:
        assert self.reopen is not None
        return self.reopen()

    def on_progressed(self, message: Progressed) -> None:
        self.progress = f"indexing {message.done:,} of {message.total:,}"
        self._show_status()

    def on_refreshed(self, message: Refreshed) -> None:
        self.progress = ""
        self.refreshing = False
        self._mark_seen()  # what a refresh kept back
        if message.error is not None:
            self.message = message.error
            self._show_status()
            return
        if message.known is not None:
            self.known_paths = message.known
        report = message.report
        changed = report is not None and (report.added or report.changed or report.removed)
        if changed or not self.loaded:
            self.loaded = True
            self._load(keep=True)
        else:
            self._show_status()
        if report is not None and report.problems:
            files = "file" if report.problems == 1 else "files"
            self.notify(f"{report.problems} {files} skipped; run `{self.check}`", markup=False)

    # --- reading --------------------------------------------------------------------------

    def on_article_list_chosen(self, _message: ArticleList.Chosen) -> None:
        self.action_read()

    def action_read(self) -> None:
        row = self.articles.current()
        if row is None:
            return
        self.article_path = row.path
        self.reader.display = True
        self._apply_layout()
        self.articles.mark_read(row)
        self._mark_seen(row.path)
        self.set_focus(self.reader)
        self.call_after_refresh(self._render_article)
        self.reader.scroll_home(animate=False)

    def _mark_seen(self, path: str | None = None) -> None:
        """Keep that the article at ``path`` was read (and any kept back before), as
        seen marks of the reader's consumer; what the state database is too busy to
        take now is tried again on the next read, refresh and at the end."""
        if path is not None:
            self.unsaved.append(path)
        now = utc_now()
        while self.unsaved:
            try:
                if not mark_one_seen(self.index.conn, READER, self.unsaved[0], now):
                    return
            except sqlite3.Error as exc:
                self.unsaved.clear()
                self.notify(f"cannot keep what you read ({exc})", markup=False)
                return
            self.unsaved.pop(0)

    def action_next_unread(self) -> None:
        """Move to the next article not read before (from the top again after the last);
        while reading, read it."""
        listing = self.articles.listing
        found = None if listing is None else listing.next_unseen(self.articles.cursor)
        tried: set[int] = set()
        while found is not None and listing is not None and found not in tried:
            row = listing.row(found)
            if row is None or row.path not in self.articles.read:
                break
            tried.add(found)  # read in this session, its mark not kept yet
            found = listing.next_unseen(found)
        if found is None or found in tried:
            self.notify("no unread articles in this list", markup=False)
            return
        self.articles.move_to(found)
        if self.reading:
            self.action_read()

    def _render_article(self) -> None:
        page = self.reader.query_one("#page", Static)
        if self.article_path is None:
            page.update(Text(""))
            return
        found = list(self.index.select("a.path = ?", [self.article_path], limit=1))
        if not found:
            page.update(Text("This article is no longer in the catalogue.", style="dim"))
            return
        width = max(20, self.reader.content_size.width or self.size.width)
        page.update(article_page(found[0], width, resolve_now(self.now)))

    def action_close_article(self) -> None:
        self.reader.display = False
        self.article_path = None
        self._apply_layout()
        self.set_focus(self.articles)

    def action_step(self, step: int) -> None:
        self.articles.move_to(self.articles.cursor + step)
        self.action_read()

    def action_switch(self) -> None:
        if not self.reading:
            return
        if self.focused is self.reader and self.split > 0:
            self.set_focus(self.articles)
        else:
            self.set_focus(self.reader)

    def action_resize(self, step: int) -> None:
        self.split = max(SPLIT_MIN, min(SPLIT_MAX, self.split + step * SPLIT_STEP))
        self._apply_layout()

    # --- sort, filter ---------------------------------------------------------------------

    def action_sort(self) -> None:
        self.sort = next_sort(self.sort)
        self._load(keep=True)

    def action_filter(self) -> None:
        line = self.query_one("#filter", Input)
        line.value = self.filter_text
        line.display = True
        self.set_focus(line)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, lambda: self._set_filter(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._set_filter(event.value)
        self._close_filter()

    def on_key(self, event: events.Key) -> None:
        line = self.query_one("#filter", Input)
        if event.key == "escape" and line.has_focus:
            event.stop()
            self._close_filter()

    def _close_filter(self) -> None:
        self.query_one("#filter", Input).display = False
        self.set_focus(self.reader if self.article_path is not None else self.articles)

    def _set_filter(self, text: str) -> None:
        if text == self.filter_text:
            return
        try:
            typed = typed_filter(text, self.now, self._typed_known())
        except NewscatError as exc:
            self.message = str(exc).splitlines()[0]
            self._show_status()
            return
        self.filter_text, self.typed, self.message = text, typed, ""
        self._load(keep=True)

    # --- the URL --------------------------------------------------------------------------

    def _current_url(self) -> str | None:
        if self.article_path is not None and self.focused is self.reader:
            found = list(self.index.select("a.path = ?", [self.article_path], limit=1))
            return found[0].url if found else None
        row = self.articles.current()
        return row.url if row is not None else None

    def action_open(self) -> None:
        url = self._current_url()
        if not url:
            self.notify("This article has no URL.", severity="warning", markup=False)
            return
        if not can_open(url):
            self.notify(f"No browser to open it (press y to copy): {inert(url)}", markup=False)
            return
        try:
            with self.suspend():
                opened = open_url(url)
        except Exception:  # no terminal to hand over (a headless run): open in place
            opened = open_url(url)
        if not opened:
            self.notify("The browser did not open it.", severity="warning", markup=False)

    def action_copy(self) -> None:
        url = self._current_url()
        if not url:
            self.notify("This article has no URL.", severity="warning", markup=False)
            return
        self.copy_to_clipboard(url)
        self.notify(f"Copied {inert(url)}", markup=False)

    # --- the rest -------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.refresh_index()

    def action_pick_search(self) -> None:
        if not self.searches:
            self.notify(
                "No saved searches: define [searches.NAME] in config.toml or newscat.toml.",
                markup=False,
            )
            return
        self.push_screen(SearchPicker(self.searches), self._switch_search)

    def _switch_search(self, name: str | None) -> None:
        if name is None:  # closed without choosing
            return
        chosen = self.searches.get(name)
        self.search_names = [name] if chosen else []
        self.search_filters = (chosen.filters,) if chosen else ()
        self._load(keep=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_notes()))

    def _handle_exception(self, error: Exception) -> None:
        """Keep the traceback behind --debug: the CLI reports the failure in one line."""
        if self.debug_mode:
            super()._handle_exception(error)
            return
        if self.failure is None:
            self.failure = error
        with contextlib.suppress(Exception):
            self.exit(return_code=1)


def help_notes() -> list[str]:
    return [
        "The filter line takes words (searched like -m, the last as a prefix), "
        't:TOPIC and p:PROVIDER (quote spaces: t:"AI Ethics"), or a whole --where '
        "expression; it narrows the command line's filters.",
        "Stories: one row each, +N counting their other articles; c expands them.",
        "Articles you have read are dimmed: the marks are kept between sessions (as "
        "the consumer 'browse' of newscat seen), and n goes to the next unread one.",
    ]


def run(
    index: Index,
    query: Query,
    known: KnownPaths | None,
    reopen: Callable[[], Index] | None,
    debug: bool,
    searches: dict[str, SavedSearch] | None = None,
    active: list[str] | None = None,
    check: str = "newscat check",
) -> BaseException | None:
    """Run the reader until the user quits; the exception that stopped it, if one did."""
    app = BrowseApp(index, query, known, reopen, debug, searches, active, check)
    handler = signal.getsignal(signal.SIGTERM)
    try:
        app.run()
    finally:
        app.stopping.set()
        if handler is not None:  # the event loop's own handler is gone with it
            signal.signal(signal.SIGTERM, handler)
    if app.terminated:
        raise SystemExit(128 + signal.SIGTERM)  # as killed, once all is cleaned up
    return app.failure
