"""Hold Ctrl-C / SIGTERM / SIGHUP while processes are being started, then act on them.

A signal that lands between "the child process exists" and "its pid is recorded" would orphan it.
While starting, such signals are only noted; once start() has returned (and every pid is known)
the interrupt is raised, so the caller stops everything it started.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def signals_held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can handle signals; nothing to hold elsewhere
        return
    pending: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        pending.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in HELD_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pending:
        raise KeyboardInterrupt(f"signal {pending[0]} while starting")
