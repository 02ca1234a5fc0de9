"""Keeping an index fresh from file-system events, and trusting it only when that is safe.

``newscat index --watch`` runs a watcher: it holds an exclusive lock on a file beside
the index (``<index>.watch``) for as long as it lives, and refreshes the index
whenever something under the roots changes. A command that finds the lock held asks
the watcher to catch up before it reads, the way git's fsmonitor does: it creates a
hidden cookie file in each root and waits until the watcher deletes it. Events of one
watched tree arrive in order, so by the time the watcher sees the cookie it has seen
every change made before it, and it deletes the cookie only once the index holds
them. Then the command may skip its own walk.

Whatever goes wrong falls back to the walk, never to a wrong answer: no lock held (no
watcher, or a dead one: the kernel drops the lock of a process that dies, however it
dies), a root that is not a folder or cannot be written, a cookie not answered in
time. On the watcher's side, a lost event (the kernel's queue overflowed) or anything
the watching library warns about makes the next refresh walk everything.

watchdog is an optional dependency (``pip install "newscat[watch]"``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newscat.catalog import missing_root, text_path
from newscat.errors import NewscatError, UsageError
from newscat.text import line_text

if TYPE_CHECKING:
    from newscat.refresh import RefreshReport
    from newscat.store.index import Index

#: Beside the index: the watcher's lock, and what it says about itself (JSON).
SUFFIX = ".watch"
#: Cookie files a command creates in each root; hidden, so no walk ever reads them.
COOKIE_PREFIX = ".newscat-sync-"
#: How long a command waits for the watcher to answer before walking itself.
SYNC_SECONDS = 5.0
INSTALL_HINT = 'pip install "newscat[watch]"'

_counter = itertools.count()
#: Event types that report a read, not a change.
_READS = frozenset({"opened", "closed_no_write"})


def lock_path(database: str) -> str:
    return database + SUFFIX


# --- the command's side ------------------------------------------------------------------


def watcher_pid(database: str) -> int | None:
    """The pid of the live watcher holding this index, or None when there is none."""
    info = _live_watcher(database)
    return None if info is None else _pid_of(info)


def _live_watcher(database: str) -> dict[str, Any] | None:
    """What the live watcher holding this index says about itself ({} when it cannot be
    read), or None when no watcher holds it."""
    try:
        fd = os.open(lock_path(database), os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            return _info(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)  # nobody holds it: a watcher that is gone
        return None
    finally:
        os.close(fd)


def _info(fd: int) -> dict[str, Any]:
    """What the watcher wrote about itself, read whole ({} when it cannot be read)."""
    try:
        data = json.loads(os.pread(fd, max(os.fstat(fd).st_size, 1), 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pid_of(info: dict[str, Any]) -> int:
    try:
        return int(info.get("pid", 0))
    except (ValueError, TypeError):
        return 0


def _identities(roots: Sequence[str]) -> list[list[int] | None]:
    """Each root's file-system identity (device, inode), None where it cannot be had:
    a root replaced by another folder of the same name has another."""
    out: list[list[int] | None] = []
    for root in roots:
        try:
            status = os.stat(root)
        except OSError:
            out.append(None)
        else:
            out.append([status.st_dev, status.st_ino])
    return out


def synced(database: str, roots: Sequence[str], timeout: float = SYNC_SECONDS) -> bool:
    """True when a live watcher has brought the index up to date with every change made
    before this call; False means the caller must walk the roots itself."""
    if not roots or not all(os.path.isdir(root) for root in roots):
        return False
    info = _live_watcher(database)
    if info is None:
        return False
    began = info.get("identities")
    if began is not None and began != _identities(roots):
        return False  # a root replaced (or renamed away) since the watcher began: it sees another
    cookies: list[str] = []
    try:
        for root in roots:
            name = f"{COOKIE_PREFIX}{os.getpid()}-{time.monotonic_ns()}-{next(_counter)}"
            path = os.path.join(root, name)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            cookies.append(path)
    except OSError:  # a root we cannot write to: walk
        _remove(cookies)
        return False
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        waiting = [path for path in cookies if os.path.lexists(path)]
        if not waiting:
            return True
        if time.monotonic() > deadline:
            _remove(waiting)
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.01)


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


# --- the watcher ------------------------------------------------------------------------


@dataclass
class _Pending:
    """What the event thread hands the refreshing thread."""

    dirty: bool = False
    cookies: list[str] | None = None
    lost: bool = False


class Watcher:
    """Watch the roots of ``index`` and keep it fresh until stopped.

    ``report`` is told of every refresh (None for the first, catching-up one too).
    """

    def __init__(
        self,
        index: Index,
        report: Callable[[RefreshReport], None] = lambda r: None,
        heartbeat: float = 1.0,
        all_names: bool = False,
    ) -> None:
        self.index = index
        self.all_names = all_names
        self.report = report
        self.heartbeat = heartbeat
        self.roots = [os.path.realpath(root) for root in index.roots]
        #: The roots' identities when watching began (see ``_identities``).
        self.identities = _identities(index.roots)
        self._cond = threading.Condition()
        self._pending = _Pending(cookies=[])
        self._stop = False
        self._lock_fd: int | None = None

    # The event thread ----------------------------------------------------------------

    def on_event(self, event: Any) -> None:
        if getattr(event, "event_type", "") in _READS:
            return  # a file was read (by the refresh itself, often), not changed
        paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
        paths = [os.fsdecode(p) for p in paths if p]
        with self._cond:
            for path in paths:
                name = os.path.basename(path)
                if name.startswith(COOKIE_PREFIX):
                    if getattr(event, "event_type", "") == "created" and not event.is_directory:
                        assert self._pending.cookies is not None
                        self._pending.cookies.append(path)
                        self._cond.notify()
                    continue
                if self._in_hidden_folder(path):  # .git and the like
                    continue
                self._pending.dirty = True
                self._cond.notify()

    def events_lost(self) -> None:
        """Something may have been missed: the next refresh walks everything."""
        with self._cond:
            self._pending.lost = True
            self._pending.dirty = True
            self._cond.notify()

    def _in_hidden_folder(self, path: str) -> bool:
        """A path no walk reads: hidden, or in a hidden folder (``.gitignore`` is read)."""
        for root in self.roots:
            if path == root or path.startswith(root + os.sep):
                parts = os.path.relpath(path, root).split(os.sep)
                if parts[-1] == ".gitignore":
                    parts = parts[:-1]
                return any(part.startswith(".") for part in parts)
        return False

    # The refreshing thread -----------------------------------------------------------

    def run(self, ready: Callable[[], None] = lambda: None) -> None:
        """Take the lock, catch up, then refresh on every change until ``stop``."""
        self._take_lock()
        try:
            observer = self._start_observer()
        except BaseException:
            self._release_lock()
            raise
        try:
            self.report(self.index.refresh(all_names=self.all_names))
            ready()
            while True:
                with self._cond:
                    while not (self._stop or self._pending.dirty or self._pending.cookies):
                        if not self._cond.wait(self.heartbeat):
                            break
                    if self._stop:
                        return
                    pending, self._pending = self._pending, _Pending(cookies=[])
                self._check_roots()  # first: a removed root's watch stops with it
                if not observer.is_alive() or not all(e.is_alive() for e in observer.emitters):
                    raise NewscatError("the file-system watch stopped; no longer watching")
                if pending.dirty:
                    self.report(self.index.refresh(all_names=self.all_names))
                _remove(pending.cookies or [])
        finally:
            observer.stop()
            with contextlib.suppress(RuntimeError):
                observer.join(timeout=5)
            self._release_lock()

    def _check_roots(self) -> None:
        """A root removed, renamed or replaced by another folder is no longer what the
        watch follows: the watcher ends, saying so (commands walk meanwhile)."""
        now = _identities(self.index.roots)
        for root, then, seen in zip(self.index.roots, self.identities, now, strict=True):
            if seen != then:
                what = "is gone" if seen is None else "was replaced by another folder"
                raise NewscatError(f"{line_text(text_path(root))} {what}; no longer watching")

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()

    def _start_observer(self) -> Any:
        try:
            # an optional dependency: pip install "newscat[watch]"
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            raise NewscatError(f"index --watch needs watchdog: {INSTALL_HINT}") from None

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher.on_event(event)

        _LostEvents.install(self)
        observer = Observer()
        handler = Handler()
        try:
            for root in self.roots:
                observer.schedule(handler, root, recursive=True)
            observer.start()
        except OSError as exc:  # the inotify watch limit, most often
            raise NewscatError(f"cannot watch the catalogue: {exc.strerror or exc}") from None
        return observer

    def _take_lock(self) -> None:
        location = self.index.location
        if location == ":memory:":
            raise UsageError("index --watch needs a cache dir (not --no-cache)")
        for root in self.index.roots:
            if not os.path.lexists(root):  # removed since the index was opened
                raise missing_root(root)
            if not os.path.isdir(root):
                shown = line_text(text_path(root))
                raise UsageError(f"index --watch watches folders, and {shown} is a file")
        fd = os.open(lock_path(location), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid = _pid_of(_info(fd))
            os.close(fd)
            raise NewscatError(f"the catalogue is already watched (pid {pid})") from None
        info = {
            "pid": os.getpid(),
            "roots": self.index.roots,
            "identities": self.identities,
            "started": time.time(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._lock_fd = fd

    def _release_lock(self) -> None:
        _LostEvents.uninstall()
        if self._lock_fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(lock_path(self.index.location))
        os.close(self._lock_fd)  # closing drops the lock
        self._lock_fd = None


class _LostEvents(logging.Handler):
    """watchdog reports a lost event (an overflowed kernel queue) and its other
    troubles only as log records: any warning from it makes the watcher walk."""

    current: _LostEvents | None = None

    def __init__(self, watcher: Watcher) -> None:
        super().__init__(level=logging.WARNING)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        self.watcher.events_lost()

    @classmethod
    def install(cls, watcher: Watcher) -> None:
        cls.uninstall()
        cls.current = cls(watcher)
        logging.getLogger("watchdog").addHandler(cls.current)

    @classmethod
    def uninstall(cls) -> None:
        if cls.current is not None:
            logging.getLogger("watchdog").removeHandler(cls.current)
            cls.current = None


def stop_on_signals(watcher: Watcher) -> None:
    """SIGTERM and SIGHUP stop the watcher as Ctrl-C does: cleanly, lock released."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: watcher.stop())
