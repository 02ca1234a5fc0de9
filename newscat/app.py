"""A command's session: the catalogue options turned into an open, refreshed index.

Commands call ``App.from_options(opts).open()`` and get an Index that reflects
the files on disk, with warnings and the skipped-files summary on stderr.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newscat.catalog import resolve_roots
from newscat.index import Index, RefreshReport, default_cache_dir

if TYPE_CHECKING:
    from newscat.config import Defaults


@dataclass
class App:
    roots: list[str]
    cache_dir: Path | None  # None: in memory
    color: str = "auto"
    quiet: bool = False
    #: Whether output taller than the terminal may go through a pager.
    page: bool = True
    _defaults: Defaults | None = field(default=None, repr=False)

    @classmethod
    def from_options(cls, opts: dict[str, Any]) -> App:
        roots = resolve_roots(opts.get("catalog") or ())
        cache_dir: Path | None
        if opts.get("no_cache"):
            cache_dir = None
        elif opts.get("cache_dir"):
            cache_dir = Path(opts["cache_dir"]).expanduser()
        else:
            cache_dir = default_cache_dir()
        return cls(
            roots=roots,
            cache_dir=cache_dir,
            color=opts.get("color") or "auto",
            quiet=bool(opts.get("quiet")),
            page=not opts.get("no_pager"),
        )

    def user_defaults(self) -> Defaults:
        """The ``[defaults]`` of the user's config file (read once, when first asked)."""
        if self._defaults is None:
            from newscat.config import load_user_config

            self._defaults = load_user_config().defaults
        return self._defaults

    def configured_pager(self) -> str | None:
        """The pager the user's config file names, if any."""
        return self.user_defaults().pager

    def warn(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"newscat: warning: {message}", err=True)

    def open(self, rebuild: bool = False, summary: bool = True) -> tuple[Index, RefreshReport]:
        """Open the index, refresh it, and say on stderr how many files were skipped."""
        index = Index.open(self.roots, self.cache_dir, self.warn)
        context = click.get_current_context(silent=True)
        if context is not None:  # close the database when the command ends
            context.call_on_close(index.close)
        progress = _ProgressBar(enabled=not self.quiet and sys.stderr.isatty(), color=self.color)
        try:
            report = index.refresh(progress=progress.update, rebuild=rebuild)
        finally:
            progress.stop()
        if summary and report.problems and not self.quiet:
            files = "file" if report.problems == 1 else "files"
            click.echo(f"{report.problems} {files} skipped; run `newscat check`", err=True)
        return index, report


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
