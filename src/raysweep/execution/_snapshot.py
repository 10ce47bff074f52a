"""Tune's experiment snapshot, taken before the store learns of a trial event (what makes resume exact).

Ray Tune saves its experiment state (trial statuses, the searcher's state) only every ~10 s. A driver
killed between two snapshots leaves a store that knows more than Tune: restored from the older
snapshot, Tune would run trials that already ended again, and a searcher would suggest configs again.
raysweep therefore keeps one ordering: whenever a trial was added, started, ended or retried, the
experiment snapshot is forced (and waited for) at the end of Tune's step, and only then are the store
rows of those events flushed. The store never knows of a trial event the snapshot lacks; at resume a
trial the snapshot knows ended but whose end never reached the store is repaired from Tune's files.

Tune gives callbacks no handle on its controller: :func:`find_controller` finds it once, from the
frame that calls ``Callback.setup`` (Ray 2.60's ``TuneController.setup_experiments``).
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

__all__ = ["find_controller", "force_snapshot"]


def find_controller() -> Any | None:
    """The ``TuneController`` whose ``setup_experiments`` is on the call stack, or None."""
    from ray.tune.execution.tune_controller import TuneController

    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, TuneController):
            return candidate
        frame = frame.f_back
    return None


def force_snapshot(controller: Any) -> None:
    """Save Tune's experiment state and wait until it is on the run's storage."""
    controller.checkpoint(force=True, wait=True)
