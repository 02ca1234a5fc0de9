"""The caller's side of the preloaded starter (see ``newscat.starter``), and what
both sides share: where the socket is, who may be served, how a request is framed.

The entry point imports this before anything else: its module level imports only
``os`` and ``sys``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import _socket
    import subprocess

#: Set to ``off`` to start every command afresh.
ENV_SWITCH = "NEWSCAT_STARTER"
PROTOCOL = b"newscat-starter 1"
#: Longer paths do not fit a Unix socket's address on every system.
_MAX_SOCKET_PATH = 100
#: The variables Python reads as it starts (locale, encodings, paths, hashing) and
#: the time zone: a starter serves only callers whose values are its own.
_STARTUP_PREFIXES = ("PYTHON", "LC_")
_STARTUP_NAMES = frozenset({"LANG", "LANGUAGE", "TZ"})
#: What a forked command answers its caller first.
ACCEPTED = b"pid "
REFUSED = b"refused "
EXIT = b"exit "


def socket_path(who: bytes) -> str | None:
    """Where the starter for ``who`` (an ``identity``) listens:
    ``$XDG_RUNTIME_DIR/newscat/starter-KEY.sock``, else
    ``$TMPDIR/newscat-UID/starter-KEY.sock``, KEY a checksum of ``who`` (so that each
    Python and newscat has a starter of its own); None when the path would be too long."""
    # start-up time: a checksum from a module built into the interpreter
    import zlib

    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        folder = os.path.join(runtime, "newscat")
    else:
        temporary = os.environ.get("TMPDIR", "") or "/tmp"
        folder = os.path.join(temporary, f"newscat-{os.getuid()}")
    path = os.path.join(folder, f"starter-{zlib.crc32(who):08x}.sock")
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


def identity() -> bytes:
    """What must be the same in the caller and the starter: the interpreter, its
    options and import path, and this newscat."""
    # already loaded: the entry point is in it
    import newscat

    return repr(
        (
            sys.executable,
            sys.version,
            tuple(sys.flags),
            sys.path[1:],  # the first entry is the script's folder or the working folder
            os.path.dirname(os.path.abspath(newscat.__file__)),
            newscat.__version__,
        )
    ).encode()


def startup_settings(environ: dict[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """The environment variables Python read as it started, and the time zone."""
    found = []
    for key, value in environ.items():
        name = key.decode("latin-1")
        if (name.startswith(_STARTUP_PREFIXES) or name in _STARTUP_NAMES) and name != ENV_SWITCH:
            found.append((key, value))
    return sorted(found)


# --- the caller's side --------------------------------------------------------------------


def run_through_starter() -> int | None:
    """Run this command in the starter and return its exit status; None when it must
    start afresh (no starter, not one for this caller, or a terminal involved)."""
    if os.environ.get(ENV_SWITCH, "").lower() in ("off", "0", "no", "false"):
        return None
    try:
        if os.isatty(0) or os.isatty(1):  # pagers, editors and prompts need a terminal
            return None
        cwd = os.getcwdb()
    except OSError:
        return None
    who = identity()
    path = socket_path(who)
    if path is None or not os.path.exists(path):
        return None
    # start-up time: only when a starter may be listening; the C modules, since the
    # Python socket module's enums alone cost several milliseconds
    import _socket
    import array

    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.connect(path)
        if peer_uid(conn) != os.getuid():
            return None
        umask = os.umask(0o022)
        os.umask(umask)
        items = [PROTOCOL, who, cwd, str(umask).encode(), str(len(sys.argv)).encode()]
        items += [os.fsencode(arg) for arg in sys.argv]
        items += [key + b"=" + value for key, value in os.environb.items()]
        payload = frame(items)
        streams = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))]
        sent = conn.sendmsg([payload[:65536]], streams)
        conn.sendall(payload[sent:])
        reader = _Lines(conn)
        first = reader.line()
        if first is None or not first.startswith(ACCEPTED):
            return None
        pid = int(first[len(ACCEPTED) :])
    except (OSError, ValueError):
        conn.close()
        return None  # nothing ran: a fresh start does the command
    try:
        # From here on the command runs in the starter: whatever happens, it is never
        # started a second time.
        return _wait_for(reader, pid)
    finally:
        conn.close()


def _wait_for(reader: _Lines, pid: int) -> int:
    """Pass signals on to the forked command until its exit status arrives."""
    # start-up time: only once a starter has answered; the C module, without the
    # enums that make the signal module cost several milliseconds
    import importlib

    _signal = importlib.import_module("_signal")

    def forward(signum: int, frame: object) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:  # it has ended already
            return

    for signum in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT):
        _signal.signal(signum, forward)
    try:
        last = reader.line()
    except OSError:
        last = None
    if last is not None and last.startswith(EXIT) and last[len(EXIT) :].isdigit():
        return int(last[len(EXIT) :])
    sys.stderr.write("newscat: error: the starter stopped before the command ended\n")
    return 1


def peer_uid(conn: _socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket."""
    # start-up time: loaded by the caller already
    import _socket

    credentials = conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # pid, uid, gid
    return int.from_bytes(credentials[4:8], sys.byteorder, signed=True)


def frame(items: list[bytes]) -> bytes:
    body = b"".join(len(item).to_bytes(4, "big") + item for item in items)
    return len(body).to_bytes(4, "big") + body


def unframe(body: bytes) -> list[bytes]:
    items: list[bytes] = []
    at = 0
    while at < len(body):
        size = int.from_bytes(body[at : at + 4], "big")
        items.append(body[at + 4 : at + 4 + size])
        at += 4 + size
    return items


class _Lines:
    """Lines from a socket, one at a time."""

    def __init__(self, conn: _socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def line(self) -> bytes | None:
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


# --- the watcher's side: a starter beside it ---------------------------------------------


def spawn() -> subprocess.Popen[bytes] | None:
    """Start a starter for this newscat, unless one already listens or the platform
    lacks what it needs. It ends when this process does (however it ends)."""
    # start-up time: only the watcher starts a starter
    import socket
    import subprocess

    path = socket_path(identity())
    if path is None or not hasattr(socket, "SO_PEERCRED") or not hasattr(socket, "send_fds"):
        return None
    if listening(path):
        return None
    keep_alive, ours = os.pipe()
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "newscat.starter", str(keep_alive)],
            cwd=package_parent,  # so that -m finds this very newscat first
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(keep_alive,),
            start_new_session=True,  # Ctrl-C in the watcher's terminal is not for commands
        )
    except OSError:
        os.close(ours)
        return None
    finally:
        os.close(keep_alive)
    # The write end stays open in this process alone (never inherited): when this
    # process ends, the starter reads end-of-file and stops.
    os.set_inheritable(ours, False)
    process._newscat_keep_alive = ours  # type: ignore[attr-defined]
    return process


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a starter this process spawned."""
    if process is None:
        return
    keep_alive = getattr(process, "_newscat_keep_alive", None)
    if keep_alive is not None:
        os.close(keep_alive)
    try:
        process.wait(timeout=5)
    except Exception:  # a starter that hangs is killed, never waited on forever
        process.kill()


def listening(path: str) -> bool:
    # start-up time: only the watcher asks
    import socket

    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()
