"""Ctrl-C: the first stops the sweep cleanly (results flushed, run marked interrupted); the second aborts."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ray import tune

__all__ = ["InterruptStopper", "interrupt_guard"]


class InterruptStopper(tune.Stopper):
    """Stops every trial once ``event`` is set; never stops a single trial."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.event.is_set()

    def __getstate__(self) -> dict:
        # Tune pickles its run config for restoration; a restored run starts un-interrupted.
        return {}

    def __setstate__(self, state: dict) -> None:
        self.event = threading.Event()


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
