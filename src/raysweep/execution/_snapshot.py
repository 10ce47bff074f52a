"""Tune's experiment snapshot, taken before the store learns of a trial event (what makes resume exact).

Ray Tune saves its experiment state (trial statuses, the searcher's state) only every ~10 s. A driver
killed between two snapshots leaves a store that knows more than Tune: restored from the older
snapshot, Tune would run trials that already ended again, and a searcher would suggest configs again.
raysweep therefore keeps one ordering: whenever a trial was added, started, ended or retried, the
experiment snapshot is forced (and waited for) at the end of Tune's step, and only then are the store
rows of those events flushed. The store never knows of a trial event the snapshot lacks; at resume a
trial the snapshot knows ended but whose end never reached the store is repaired from Tune's files.

Cost at scale (docs/architecture.md, "Scale"). A snapshot writes every trial's state into one JSON file
and copies Tune's driver staging directory to storage: that directory also holds every trial's logger
files (``result.json``, ``progress.csv``, ...), so the copy grows with the number of trials that ever
ran. Once a snapshot has copied an ended trial's files to storage, nothing reads the staging copy again
(Tune reads results, errors and checkpoints from storage): :func:`prune_staged` removes it, so a
snapshot copies the files of the live trials only.

Tune gives callbacks no handle on its controller: :func:`find_controller` finds it once, from the
frame that calls ``Callback.setup`` (Ray 2.60's ``TuneController.setup_experiments``).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterable
from types import FrameType
from typing import Any

__all__ = ["find_controller", "force_snapshot", "prune_staged"]

logger = logging.getLogger(__name__)


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
    """Save Tune's experiment state and wait until it is on the run's storage.

    A copy Tune launched on its own (its periodic snapshot does not wait) is awaited first: Tune's
    save rewrites the staging directory that copy is reading (the searcher's state goes through a
    temporary file renamed into place), and the copy would fail on the vanished file ("Saving
    experiment state to storage ... failed" in the terminal). The forced snapshot then copies every
    file again, so a failed earlier copy is repaired.
    """
    _wait_for_running_sync(controller)
    controller.checkpoint(force=True, wait=True)


def _wait_for_running_sync(controller: Any) -> None:
    manager = getattr(controller, "_checkpoint_manager", None)  # private Ray 2.60 attributes
    syncer = getattr(getattr(manager, "_storage", None), "syncer", None)
    if syncer is None:
        return
    try:
        syncer.wait()
    except Exception:  # an earlier copy failed; the forced snapshot below copies it all again
        logger.warning("An earlier copy of Tune's experiment state failed; copying it again.",
                       exc_info=True)


def prune_staged(trials: Iterable[Any]) -> int:
    """Remove the driver's staging directory of each ended ``trial`` whose files a snapshot has
    already copied to storage; return how many were removed. A trial whose staging directory is its
    storage directory (never the case in Ray 2.60) is left alone."""
    removed = 0
    for trial in trials:
        try:
            local, remote = trial.local_path, trial.path
        except Exception:  # noqa: BLE001 - a trial without storage (never set up): nothing staged
            continue
        if not local or os.path.realpath(local) == os.path.realpath(str(remote)):
            continue
        if os.path.isdir(local):
            shutil.rmtree(local, ignore_errors=True)
            removed += 1
    return removed
