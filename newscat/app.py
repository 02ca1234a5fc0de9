"""A command's session: the catalogue options turned into an open, refreshed index.

Commands call ``App.from_options(opts).open()`` and get an Index that reflects
the files on disk, with warnings and the skipped-files summary on stderr.
"""

from __future__ import annotations

import itertools
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from newscat.catalog import is_candidate, resolve_roots
from newscat.config import CATALOG_FILE, Search, UserConfig, load_catalog_config, load_user_config
from newscat.errors import INDEX_META
from newscat.ignore import Exclusions
from newscat.refresh import RefreshReport
from newscat.settings import COMMAND_LINE, DEFAULT, Setting, available_searches, effective
from newscat.split import file_opens
from newscat.store.index import Index
from newscat.store.state import STATE_FILE
from newscat.text import line_text

#: Where ``--no-pager`` given before the command (``newscat --no-pager list``, as with
#: ``git --no-pager log``) is recorded: the context's ``meta``, which click shares
#: between the group and the command.
NO_PAGER_KEY = "newscat.no_pager"


def paging_off(ctx: click.Context | None) -> bool:
    """Whether ``--no-pager`` was given before the command."""
    return ctx is not None and bool(ctx.meta.get(NO_PAGER_KEY))


@dataclass
class App:
    """What every command starts from: the catalogue's roots, its cache, the options."""

    roots: list[str]
    cache_dir: Path | None  # None: in memory
    color: str = "auto"
    quiet: bool = False
    #: Whether output taller than the terminal may go through a pager.
    page: bool = True
    #: The user's config file as read, and every effective setting with its source.
    user: UserConfig = field(default_factory=lambda: UserConfig(path=""))
    settings: Mapping[str, Setting] = field(default_factory=dict)
    #: Whether the command searches the full text (``-m``), which needs its index built.
    fulltext: bool = False
    #: The command line's ``--exclude`` globs and ``--no-ignore``.
    exclusions: Exclusions = field(default_factory=Exclusions)

    @classmethod
    def from_options(cls, opts: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> App:
        """The session the catalogue options describe, with the user's config applied
        where the command line is silent (flags, then environment, then the file)."""
        env = os.environ if environ is None else environ
        user = load_user_config()
        settings = effective(user, given_settings(opts), env)
        roots = resolve_roots(settings["catalog"].value, environ={})
        cache_dir: Path | None = None
        if not opts.get("no_cache"):
            cache_dir = Path(settings["cache-dir"].value).expanduser()
        return cls(
            roots=roots,
            cache_dir=cache_dir,
            color=settings["color"].value,
            quiet=bool(opts.get("quiet")),
            page=not (opts.get("no_pager") or paging_off(click.get_current_context(silent=True))),
            user=user,
            settings=settings,
            fulltext=bool(opts.get("match")),
            exclusions=exclusions_from(opts),
        )

    def state_file(self) -> Path:
        """The state database: arrival times and seen marks, kept apart from the cache."""
        return Path(self.settings["state-dir"].value).expanduser() / STATE_FILE

    def searches(self) -> dict[str, Search]:
        """Every saved search: the catalogues' own, then the user's (which win)."""
        catalogues = [load_catalog_config(root).searches for root in self.roots]
        return available_searches(self.user, catalogues)

    def warn(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"newscat: warning: {message}", err=True)

    def open(
        self,
        rebuild: bool = False,
        summary: bool = True,
        watched: bool = True,
        all_names: bool = False,
        ahead: Callable[[Index], None] | None = None,
    ) -> tuple[Index, RefreshReport]:
        """Open the index, refresh it, and say on stderr how many files were skipped
        (``all_names``: the report names every file, not only the first thousands).
        ``ahead`` reads the index while the refresh walks a large catalogue
        (``Index.refresh``); the report's ``read_ahead`` says whether that stands.

        While a healthy watcher (``index --watch``) holds the index, and it has caught up
        with every change made before this call, the refresh is skipped (``watched``).
        """
        index = Index.open(
            self.roots, self.cache_dir, self.warn, self.exclusions, self.state_file()
        )
        context = click.get_current_context(silent=True)
        if context is not None:  # close the database when the command ends
            context.call_on_close(index.close)
            context.meta[INDEX_META] = index  # for what a damaged database makes of an error
        progress = _ProgressBar(enabled=not self.quiet and sys.stderr.isatty(), color=self.color)
        # Without a bar to size, a first fill does not count the catalogue before it starts.
        update = progress.update if progress.enabled else None
        try:
            if watched and not rebuild and _watcher_caught_up(index):
                report = index.unchanged()
            else:
                report = index.refresh(update, rebuild, all_names, ahead)
            if self.fulltext:
                index.ensure_fulltext(progress=update)
        finally:
            progress.stop()
        if summary and not self.quiet and sys.stderr.isatty() and self._here_unread():
            self.warn("showing the bundled samples; -C . reads the articles here")
        if summary and report.problems and not self.quiet:
            files = "file" if report.problems == 1 else "files"
            check = f"newscat check{self.catalog_options()}"
            click.echo(f"{report.problems} {files} skipped; run `{check}`", err=True)
        return index, report

    def _here_unread(self) -> bool:
        """Whether the catalogue is the bundled samples only by default while the current
        folder looks like a catalogue (``_catalogue_here``): a user who changed into their
        catalogue and forgot ``-C``."""
        setting = self.settings.get("catalog")
        if setting is None or setting.source != DEFAULT:
            return False
        try:
            here = os.getcwd()
            if any(os.path.samefile(here, root) for root in self.roots):
                return False
            return _catalogue_here(here)
        except OSError:
            return False

    def catalog_options(self) -> str:
        """The options that name this catalogue, its cache and its exclusions again, as
        far as the command line gave them (otherwise the same defaults find them), so
        that the command they go into reads the same files into the same index;
        shell-quoted and inert."""
        words: list[str] = []
        setting = self.settings.get("catalog")
        if setting is not None and setting.source == COMMAND_LINE:
            words += [f"-C {_quoted(root)}" for root in self.roots]
        words += [f"--exclude {_quoted(glob)}" for glob in self.exclusions.exclude]
        if not self.exclusions.gitignore:
            words.append("--no-ignore")
        cache = self.settings.get("cache-dir")
        if self.cache_dir is None:  # only --no-cache keeps the index in memory
            words.append("--no-cache")
        elif cache is not None and cache.source == COMMAND_LINE:
            words.append(f"--cache-dir {_quoted(str(self.cache_dir))}")
        return "".join(f" {word}" for word in words)


#: How many of a folder's names ``_catalogue_here`` looks at, and how many of its
#: article-named files it opens at most (on every command at a terminal, so few).
NAMES_LOOKED_AT = 1000
FILES_OPENED = 3


def _catalogue_here(folder: str) -> bool:
    """Whether ``folder`` holds a ``newscat.toml`` among its first thousand names, or
    one of its first few article-named files (by name) opens with front matter."""
    with os.scandir(folder) as entries:
        names = list(itertools.islice(entries, NAMES_LOOKED_AT))
    if any(entry.name == CATALOG_FILE and entry.is_file() for entry in names):
        return True
    articles = sorted(
        (entry for entry in names if is_candidate(entry.name) and entry.is_file()),
        key=lambda entry: entry.name,
    )
    return any(_catalogue_file(entry) for entry in articles[:FILES_OPENED])


def _catalogue_file(entry: os.DirEntry[str]) -> bool:
    """Whether the file ``entry`` opens with front matter (YAML after ``---``, or TOML
    after ``+++`` as Hugo and Zola sites write it), as the parser reads it; not when it
    cannot be read."""
    try:
        with open(entry.path, "rb") as file:
            return file_opens(file)
    except OSError:
        return False


def _quoted(text: str) -> str:
    return shlex.quote(line_text(text))


def exclusions_from(opts: Mapping[str, Any]) -> Exclusions:
    """The ``--exclude`` globs and ``--no-ignore`` a command line gave."""
    return Exclusions(tuple(opts.get("exclude") or ()), not opts.get("no_ignore"))


#: Command-line options that are settings: option name -> setting name.
_SETTING_OPTIONS = {
    "catalog": "catalog",
    "color": "color",
    "cache_dir": "cache-dir",
    "no_cache": "no-cache",
    "format_": "format",
    "sort": "sort",
    "limit": "limit",
}


def given_settings(opts: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the command line gave explicitly (a value click filled in from an
    option's default is not given), by setting name."""
    context = click.get_current_context(silent=True)
    given: dict[str, Any] = {}
    for option, name in _SETTING_OPTIONS.items():
        value = opts.get(option)
        if value is None or value == () or value is False:
            continue
        if context is not None and option in context.params:
            source = context.get_parameter_source(option)
            if source is not None and source.name in ("DEFAULT", "DEFAULT_MAP"):
                continue
        given[name] = value
    return given


def _watcher_caught_up(index: Index) -> bool:
    if index.location == ":memory:" or not os.path.exists(index.location + ".watch"):
        return False  # the usual case, answered without importing anything
    from newscat.watch import synced

    return synced(index.location, index.roots)


class _ProgressBar:
    """A Rich progress bar on stderr, shown only once a refresh has taken over a second."""

    def __init__(self, enabled: bool, color: str) -> None:
        self.enabled = enabled
        self.color = color
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < 1.0:
                return
            # start-up time: Rich's progress bar only once a refresh has run a second
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            from newscat.render import make_console

            self.bar = Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=make_console(self.color, stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("indexing", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
