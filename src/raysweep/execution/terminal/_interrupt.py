"""Ctrl-C: the first stops the sweep cleanly (results flushed, run marked interrupted); the second aborts."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["interrupt_guard"]


@contextmanager
def interrupt_guard(on_first: Callable[[int], None] | None = None) -> Iterator[threading.Event]:
    """Replace Tune's SIGINT/SIGTERM handling with ours for the duration of a fit."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handle(signum, frame):
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        if on_first is not None:
            on_first(signum)

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    old_env = os.environ.get("TUNE_DISABLE_SIGINT_HANDLER")
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"
    try:
        yield event
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if old_env is None:
            os.environ.pop("TUNE_DISABLE_SIGINT_HANDLER", None)
        else:
            os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = old_env
