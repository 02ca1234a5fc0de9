"""Paging: output taller than the screen goes through a pager, as with git and gh.

The pager is ``$NEWSCAT_PAGER``, else the user's configured pager, else
``$PAGER``, else ``less -FRX`` (git's order: the tool's own variable, then its
configuration, then the general one). An empty value or ``cat`` means no pager.
``LESS=FRX`` is set for the pager when the environment has no ``LESS``, so a
plain ``less`` also quits on a short page and keeps colours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from newscat.launch import CommandLineError, user_command

DEFAULT_PAGER = "less -FRX"


def pager_command(configured: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The pager command line to use ("" for none)."""
    env = os.environ if environ is None else environ
    for value in (env.get("NEWSCAT_PAGER"), configured, env.get("PAGER")):
        if value is not None:
            return value.strip()
    return DEFAULT_PAGER


class PagerError(Exception):
    """The pager could not be started; the text was not shown."""


def run_pager(command: str, text: str) -> None:
    """Show ``text`` through ``command`` and wait until the user leaves it.

    The pager reads the keyboard from the terminal itself; an interrupt (Ctrl-C)
    belongs to it while it runs. A pager that quits before reading everything
    is not an error. Raises PagerError when the command cannot be run.
    """
    try:
        argv = user_command(command, "pager")
    except CommandLineError as exc:
        raise PagerError(str(exc)) from None
    import subprocess  # start-up time: only when a pager runs

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError as exc:
        raise PagerError(f"cannot run pager {command!r}: {exc.strerror or exc}") from None
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode("utf-8", "replace"))
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the user quit before the end
    while True:
        try:
            process.wait()
            return
        except KeyboardInterrupt:
            continue  # Ctrl-C is the pager's to handle
