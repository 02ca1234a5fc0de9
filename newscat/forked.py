"""Work done beside this process in a forked copy of it, its result sent back pickled.

For work that a second core speeds up and threads do not (each of many short system
calls takes and gives back the interpreter's lock). A copy that fails for any reason
gives None, and the caller does the work itself: never a wrong answer, never a
traceback from the copy.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def workers() -> int:
    """How many processes may work at once here: the cores this process may use, and
    1 where a process cannot be forked safely (no fork, or other threads running)."""
    if not hasattr(os, "fork"):
        return 1
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 1  # a fork copies one thread, and locks other threads may hold
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Child(Generic[T]):
    """One forked copy running ``work``; ``result()`` waits for what it returned."""

    def __init__(self, work: Callable[[], T]) -> None:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the copy: never returns
            os.close(read_end)
            _serve(work, write_end)
        os.close(write_end)
        self.pid = pid
        self._read_end = read_end

    def result(self) -> T | None:
        """What the copy returned, or None if it failed or was stopped."""
        chunks = []
        try:
            while chunk := os.read(self._read_end, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(self._read_end)
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return pickle.loads(b"".join(chunks))  # type: ignore[no-any-return]
        except Exception:
            return None

    def stop(self) -> None:
        """Stop the copy unless its result was taken (the caller failed meanwhile)."""
        if not self.pid:
            return
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self._read_end)
        self.pid = 0


class Tickets:
    """The numbers of a list of jobs, each handed out once to whichever process asks
    first, this one or its forked copies: the faster process takes more of the work.

    The numbers wait in a pipe, four bytes each, written whole before any copy is made;
    every read takes four, so no two readers split one. ``Tickets.of`` gives None where
    the pipe cannot hold them all at once (the caller shares the work another way)."""

    def __init__(self, read_end: int) -> None:
        self._read_end = read_end

    @classmethod
    def of(cls, numbers: Sequence[int]) -> Tickets | None:
        data = b"".join(number.to_bytes(4, "little") for number in numbers)
        read_end, write_end = os.pipe()
        try:
            os.set_blocking(write_end, False)  # a pipe smaller than the data: no wait
            written = os.write(write_end, data) if data else 0
        except OSError:
            written = -1
        finally:
            os.close(write_end)
        if written != len(data):
            os.close(read_end)
            return None
        return cls(read_end)

    def take(self) -> int | None:
        """The next number, or None when all are taken."""
        data = os.read(self._read_end, 4)
        return int.from_bytes(data, "little") if data else None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._read_end)


def _serve(work: Callable[[], object], write_end: int) -> None:
    """Run ``work`` in the copy and send back its result; leave without running
    anything of the parent's (exit handlers, buffered output, finalizers)."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the copy quietly
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    except BaseException:  # whatever it was, the caller does the work itself instead
        pass
    finally:
        os._exit(status)
