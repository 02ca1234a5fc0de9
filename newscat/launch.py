"""Hand a URL to the user's browser, safely.

Only plain http(s) URLs leave newscat, so a URL from a file can never be taken
for an option or a local program. ``$BROWSER`` is honoured first, as git and
Python's ``webbrowser`` read it: a list of commands separated by ``:``, each
run with the URL appended, or in place of ``%s`` where it names one.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping

_SAFE_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$", re.IGNORECASE)


class CommandLineError(Exception):
    """A command line the user configured (an editor, a pager) that cannot be run."""

    def __init__(self, message: str, unreadable: bool) -> None:
        super().__init__(message)
        #: True when the text is not a command line at all (an unclosed quote).
        self.unreadable = unreadable


def user_command(command: str, what: str) -> list[str]:
    """The user's ``command`` (``$EDITOR``, ``$PAGER``…) as argv, its program found on
    the PATH; CommandLineError, naming ``what``, when it cannot be read or found."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CommandLineError(f"cannot read the {what} command {command!r}: {exc}", True) from None
    if not argv or shutil.which(argv[0]) is None:
        raise CommandLineError(f"{what} {command!r} not found", False)
    return argv


def is_safe_url(url: str) -> bool:
    """Whether ``url`` is a plain http(s) URL with no spaces or control characters."""
    return bool(_SAFE_URL.match(url))


def browser_command(url: str, environ: Mapping[str, str]) -> list[str] | None:
    """The first command in ``$BROWSER`` that can be found, with the URL in place; or None."""
    for entry in environ.get("BROWSER", "").split(os.pathsep):
        try:
            words = shlex.split(entry)
        except ValueError:
            continue
        if not words:
            continue
        if any("%s" in word for word in words):
            command = [word.replace("%s", url) for word in words]
        else:
            command = [*words, url]
        if shutil.which(command[0]):
            return command
    return None


def can_open(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``open_url`` would try: a safe URL and a browser to show it."""
    env = os.environ if environ is None else environ
    if not is_safe_url(url):
        return False
    if browser_command(url, env) is not None or sys.platform in ("darwin", "win32", "cygwin"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY"))


def open_url(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Open ``url`` in the browser; True when the browser took it.

    A ``$BROWSER`` command runs in the foreground (it may be a terminal browser
    such as w3m), so the caller gives it the terminal first.
    """
    env = os.environ if environ is None else environ
    if not can_open(url, env):
        return False
    command = browser_command(url, env)
    if command is not None:
        import subprocess  # start-up time: only when a browser is opened

        try:
            return subprocess.run(command, check=False).returncode == 0
        except OSError:
            return False
    # start-up time: only when a browser is opened
    import webbrowser

    return webbrowser.open(url)
