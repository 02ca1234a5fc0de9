"""A preloaded starter: commands begin in about the time Python itself takes to start.

While ``newscat index --watch`` runs, it keeps a second process beside it, the
starter, which has imported everything a command needs and then waits on a Unix
socket in the user's runtime folder. A command whose standard input and output are
not terminals (a script, a pipe, a cron job) hands the starter its arguments,
environment, working folder, umask and its three standard streams (passed as file
descriptors); the starter forks a copy of itself that becomes the command, with all
of those, and tells the caller its exit status. Mercurial's ``chg`` works the same
way. The watcher's lock still decides whether the walk can be skipped: a forked
command does exactly what a fresh one would, only without the imports.

A fresh start is always the fallback, and nothing is lost by it: no starter, a
starter of another Python, newscat version, interpreter options or locale and time
zone settings, a starter whose newscat files changed since it started, a working
folder it cannot enter, or ``NEWSCAT_STARTER=off``. The socket's folder belongs to
the user alone, and each side checks that the other runs as the same user.

The caller's side is ``newscat.starting``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from newscat.starting import (
    ACCEPTED,
    EXIT,
    PROTOCOL,
    REFUSED,
    identity,
    peer_uid,
    socket_path,
    startup_settings,
    unframe,
)
from newscat.starting import listening as _listening

if TYPE_CHECKING:
    import socket

#: How long the starter waits for a caller's whole request.
_REQUEST_SECONDS = 5.0


# --- the starter's side --------------------------------------------------------------------


def serve(keep_alive: int) -> None:
    """The starter's loop: preload, listen, fork a command per caller, report each
    exit status, and stop when the watcher does or when newscat's files change."""
    # the starter's own process
    import select
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _preload()
    own_identity = identity()
    own_settings = startup_settings(dict(os.environb))
    loaded = _loaded_files()
    path = socket_path(own_identity)
    listener = None if path is None else _listen(path)
    if path is None or listener is None:
        return
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    os.set_blocking(wake_read, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    waiting: dict[int, socket.socket] = {}  # forked command's pid: its caller
    hung_up: set[socket.socket] = set()  # callers gone, their commands told to stop
    open_for_callers = True
    try:
        # Once the watcher has ended or newscat has changed, no new caller is taken;
        # the commands under way still run to their end and report it.
        while open_for_callers or waiting:
            watched: list[Any] = [wake_read, *(c for c in waiting.values() if c not in hung_up)]
            if open_for_callers:
                watched += [listener, keep_alive]
            ready, _, _ = select.select(watched, [], [])
            if wake_read in ready:
                _drain(wake_read)
            _reap(waiting, hung_up)
            for conn in [c for c in waiting.values() if c in ready]:
                if _caller_gone(conn, waiting):
                    hung_up.add(conn)
            if not open_for_callers:
                continue
            if keep_alive in ready or (listener in ready and _changed(loaded)):
                open_for_callers = False
                _stop_listening(listener, path)
            elif listener in ready:
                _accept(listener, own_identity, own_settings, waiting, (wake_read, wake_write))
    finally:
        _stop_listening(listener, path)


def _drain(fd: int) -> None:
    """Empty the pipe that wakes the loop when a signal arrives."""
    while True:
        try:
            if not os.read(fd, 512):
                return
        except BlockingIOError:
            return


def _stop_listening(listener: socket.socket, path: str) -> None:
    """Take no more callers (the socket's file removed first, so that none find it)."""
    # the starter's own process
    import contextlib

    if listener.fileno() == -1:
        return
    with contextlib.suppress(OSError):
        os.unlink(path)
    listener.close()


#: Beside every newscat module: what commands load from elsewhere.
PRELOAD = (
    "sqlite3", "json", "csv", "yaml", "dateutil.parser", "dateutil.tz", "rich.console",
    "rich.table", "rich.text", "rich.progress", "multiprocessing.pool", "concurrent.futures",
)  # fmt: skip


def _preload() -> None:
    """Import every newscat module (but ``__main__``, which would run a command) and
    what commands use from elsewhere, so that a forked command finds it loaded."""
    # the starter's own process
    import contextlib
    import importlib
    import pkgutil

    import newscat

    names = [
        found.name
        for found in pkgutil.walk_packages(newscat.__path__, "newscat.")
        if not found.name.endswith("__main__")
    ]
    for name in [*names, *PRELOAD]:
        with contextlib.suppress(ImportError):  # an optional extra not installed
            importlib.import_module(name)


def _loaded_files() -> dict[str, int]:
    """The stamp of every loaded newscat module's file."""
    found: dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and (name == "newscat" or name.startswith("newscat.")):
            try:
                found[file] = os.stat(file).st_mtime_ns
            except OSError:
                found[file] = -1
    return found


def _changed(loaded: dict[str, int]) -> bool:
    for file, stamp in loaded.items():
        try:
            if os.stat(file).st_mtime_ns != stamp:
                return True
        except OSError:
            return True
    return False


def _listen(path: str) -> socket.socket | None:
    """A socket listening at ``path``, in a folder of this user's alone; None when
    that cannot be had (then there is no starter, and commands start afresh)."""
    # the starter's own process
    import socket
    import stat

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return None
        if info.st_mode & 0o077:
            os.chmod(folder, 0o700)
        if os.path.lexists(path):
            if _listening(path):
                return None  # another starter got here first
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)
    except OSError:
        return None
    return listener


def _accept(
    listener: socket.socket,
    own_identity: bytes,
    own_settings: list[tuple[bytes, bytes]],
    waiting: dict[int, socket.socket],
    wake: tuple[int, int],
) -> None:
    # the starter's own process
    import socket

    try:
        conn, _ = listener.accept()
    except OSError:
        return
    fds: list[int] = []
    try:
        conn.settimeout(_REQUEST_SECONDS)
        if peer_uid(conn) != os.getuid():
            conn.close()
            return
        data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
        if len(data) < 4 or len(fds) != 3:
            raise ValueError("short request")
        size = int.from_bytes(data[:4], "big")
        body = data[4:]
        while len(body) < size:
            chunk = conn.recv(min(1 << 20, size - len(body)))
            if not chunk:
                raise ValueError("short request")
            body += chunk
        request = _Request(unframe(body))
        why = request.refusal(own_identity, own_settings)
        if why:
            conn.sendall(REFUSED + why.encode() + b"\n")
            raise ValueError(why)
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        conn.close()
        return
    conn.settimeout(None)
    pid = os.fork()
    if pid == 0:
        _become_command(request, fds, conn, listener, waiting, wake)
    for fd in fds:
        os.close(fd)
    waiting[pid] = conn


def _reap(waiting: dict[int, socket.socket], hung_up: set[socket.socket]) -> None:
    """Tell each caller whose command has ended its exit status."""
    # the starter's own process
    import contextlib

    while waiting:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = waiting.pop(pid, None)
        if conn is None:
            continue
        hung_up.discard(conn)
        code = os.waitstatus_to_exitcode(status)
        if code < 0:  # ended by a signal: as a shell reports it
            code = 128 - code
        with contextlib.suppress(OSError):  # a caller that went away
            conn.sendall(EXIT + str(code).encode() + b"\n")
        conn.close()


def _caller_gone(conn: socket.socket, waiting: dict[int, socket.socket]) -> bool:
    """A caller that went away (killed) takes its command with it, as a hangup would;
    True when it has gone."""
    # the starter's own process
    import contextlib
    import signal

    try:
        data = conn.recv(1)
    except OSError:
        data = b""
    if data:
        return False
    for pid, caller in list(waiting.items()):
        if caller is conn:
            with contextlib.suppress(OSError):  # it has ended already
                os.kill(pid, signal.SIGTERM)
    return True


class _Request:
    """What a caller sends: who it is, where it runs, its arguments and environment."""

    def __init__(self, items: list[bytes]) -> None:
        if len(items) < 5 or items[0] != PROTOCOL:
            raise ValueError("not a request")
        self.identity = items[1]
        self.cwd = items[2]
        self.umask = int(items[3])
        count = int(items[4])
        self.argv = [os.fsdecode(arg) for arg in items[5 : 5 + count]]
        self.environ: dict[bytes, bytes] = {}
        for item in items[5 + count :]:
            key, _, value = item.partition(b"=")
            self.environ[key] = value

    def refusal(self, own_identity: bytes, own_settings: list[tuple[bytes, bytes]]) -> str:
        """Why this starter cannot stand in for a fresh start ('' when it can)."""
        if self.identity != own_identity:
            return "another python or newscat"
        if startup_settings(self.environ) != own_settings:
            return "other locale, time zone or python settings"
        return ""


def _become_command(
    request: _Request,
    fds: list[int],
    conn: socket.socket,
    listener: socket.socket,
    waiting: dict[int, socket.socket],
    wake: tuple[int, int],
) -> None:
    """In the forked child: take on the caller's process state, run, and exit."""
    # the starter's own process
    import signal
    import time

    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGHUP, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        listener.close()
        for other in waiting.values():
            other.close()
        for fd in wake:
            os.close(fd)
        try:
            os.chdir(request.cwd)
        except OSError:
            conn.sendall(REFUSED + b"cannot enter the working folder\n")
            os._exit(0)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.umask(request.umask)
        os.environb.clear()
        os.environb.update(request.environ)
        time.tzset()
        sys.argv = request.argv
        _standard_streams()
        conn.sendall(ACCEPTED + str(os.getpid()).encode() + b"\n")
        conn.close()
        code = _run()
    finally:
        os._exit(code)


def _standard_streams() -> None:
    """New sys.stdin, stdout and stderr over the caller's descriptors, set up as a
    fresh interpreter sets them up (same encodings; line-buffered on a terminal)."""
    # the starter's own process
    import io

    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        old = getattr(sys, name)
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffer: Any = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        stream = io.TextIOWrapper(
            buffer,
            encoding=old.encoding,
            errors=old.errors,
            line_buffering=fd == 2 or os.isatty(fd),
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _run() -> int:
    """Run the entry point as ``python -m newscat`` would, and return its exit status."""
    # the starter's own process
    import atexit
    import traceback

    # the starter's own process
    from newscat.entry import main

    code: int
    try:
        main(starter=False)
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # as the interpreter reports an uncaught error
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as the interpreter does when stdout cannot be flushed
    return code


if __name__ == "__main__" and len(sys.argv) == 2:
    serve(int(sys.argv[1]))
