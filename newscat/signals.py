"""Holding off SIGINT and SIGTERM for the few steps that must not be cut in two.

A signal that arrives while held is delivered when the previous mask is restored,
so it still stops the program, only at a point where cleanup is in place.
"""

from __future__ import annotations

import signal

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}

Mask = set[int | signal.Signals]


def hold() -> Mask:
    """Block SIGINT and SIGTERM in this thread (and in children it starts); the old mask."""
    if not hasattr(signal, "pthread_sigmask"):
        return set()
    return signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)


def release(previous: Mask) -> None:
    """Restore the mask ``hold`` returned; a signal that came meanwhile is delivered now."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
