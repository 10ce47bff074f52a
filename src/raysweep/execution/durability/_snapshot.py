"""Tune's experiment snapshot, taken before the store learns of a trial event (what makes resume exact).

Ray Tune saves its experiment state (trial statuses, the searcher's state) only every ~10 s. A driver
killed between two snapshots leaves a store that knows more than Tune: restored from the older
snapshot, Tune would run trials that already ended again, and a searcher would suggest configs again.
raysweep therefore keeps one ordering: the store rows of a trial start, end or retry reach the writer
only after an experiment snapshot forced (and waited for) at the end of a Tune step holds the event;
a step that added a trial is snapshotted at once while the forced snapshots stay within a share of
the driver's time (:class:`SnapshotBudget`). The store never knows of a trial event the snapshot
lacks; at resume a trial the snapshot knows ended but whose end never reached the store is repaired
from Tune's files.

Cost at scale (docs/architecture.md, "Scale"). A snapshot writes every trial's state into one JSON file
and copies Tune's driver staging directory to storage: that directory also holds every trial's logger
files (``result.json``, ``progress.csv``, ...), so the copy grows with the number of trials that ever
ran. Once a snapshot has copied an ended trial's files to storage, nothing reads the staging copy again
(Tune reads results, errors and checkpoints from storage): :func:`prune_staged` removes it, so a
snapshot copies the files of the live trials only.

Tune gives callbacks no handle on its controller and no public way to force a snapshot: both go
through raysweep's adapter of Ray internals (``execution/_internals/_controller.py``).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from typing import Any

from raysweep.execution._internals import checkpoint_experiment, wait_for_experiment_sync

__all__ = ["SnapshotBudget", "force_snapshot", "prune_staged"]


def force_snapshot(controller: Any) -> None:
    """Save Tune's experiment state and wait until it is on the run's storage.

    A copy Tune launched on its own (its periodic snapshot does not wait) is awaited first: Tune's
    save rewrites the staging directory that copy is reading (the searcher's state goes through a
    temporary file renamed into place), and the copy would fail on the vanished file ("Saving
    experiment state to storage ... failed" in the terminal). The forced snapshot then copies every
    file again, so a failed earlier copy is repaired.
    """
    wait_for_experiment_sync(controller)
    checkpoint_experiment(controller)


def prune_staged(trials: Iterable[Any]) -> int:
    """Remove the driver's staging directory of each ended ``trial`` whose files a snapshot has
    already copied to storage; return how many were removed. A trial whose staging directory is its
    storage directory (never the case in Ray 2.60) is left alone. ``trial.path`` is a path of the
    storage filesystem: on S3 ``bucket/prefix/...``, relative, never compared with a local path
    (``realpath`` would resolve it against the driver's working directory)."""
    removed = 0
    for trial in trials:
        try:
            local, remote = trial.local_path, str(trial.path)
        except Exception:  # noqa: BLE001 - a trial without storage (never set up): nothing staged
            continue
        if not local or (os.path.isabs(remote)
                         and os.path.realpath(local) == os.path.realpath(remote)):
            continue
        if os.path.isdir(local):
            shutil.rmtree(local, ignore_errors=True)
            removed += 1
    return removed


class SnapshotBudget:
    """When raysweep forces Tune's experiment snapshot: a share of the driver's elapsed time.

    Two kinds of forced snapshot (docs/architecture.md, "Scale"; the guarantee in
    docs/reliability.md):

    * **Exact** (:meth:`exact`): a step in which Tune added a trial is snapshotted at once while
      every forced snapshot so far, plus this one, stays within ``share`` of the driver's elapsed
      time (counted from the callback's setup, at least ``window_s``: the first seconds of a sweep
      may spend ``share * window_s`` on snapshots). Trials of a second or more stay well inside it
      (every addition exact); a sweep of trivial trials, where a snapshot per trial would cost more
      than the trials, runs out of it and falls back to the spaced snapshots.
    * **Spaced** (:meth:`due`): held trial events (and additions beyond the budget) wait until the
      last snapshot is older than ``spacing`` times the cost of one, so these take at most
      ~1/(1 + spacing) of the driver's time (Tune's own automatic period uses 19, i.e. 5 %).

    A snapshot's cost is a moving average of measured durations, each clipped to ``clip`` times the
    average before it (the first to a quarter of the initial allowance) and charged to the budget
    clipped: one snapshot stalled by a loaded machine
    neither uses up the budget nor stretches the spacing, while a lasting rise (a snapshot writes
    every trial, so it grows with the sweep) is followed within a few snapshots.
    """

    def __init__(self, share: float = 0.05, spacing: float = 19.0, window_s: float = 20.0,
                 clip: float = 3.0, alpha: float = 0.2, start: float | None = None) -> None:
        self.share, self.spacing, self.window_s = share, spacing, window_s
        self.clip, self.alpha = clip, alpha
        self.start = time.monotonic() if start is None else start
        self.charged = 0.0  #: seconds charged for every forced snapshot so far (clipped)
        self.cost: float | None = None  #: moving average of one snapshot's duration (s)
        self.last_end = float("-inf")  #: when the last forced snapshot ended (monotonic)

    def exact(self, now: float) -> bool:
        """May a step that added a trial force a snapshot at once?"""
        elapsed = max(now - self.start, self.window_s)
        return self.charged + (self.cost or 0.0) <= self.share * elapsed

    def due(self, now: float) -> bool:
        """Is the last snapshot old enough for a spaced one (held rows of trial events)?"""
        return now - self.last_end >= self.spacing * (self.cost or 0.0)

    def record(self, seconds: float, now: float) -> float:
        """Account for a forced snapshot that took ``seconds`` and ended at ``now``; return what
        was charged."""
        if self.cost is None:  # no average yet: at most a quarter of the initial allowance
            allowance = self.share * self.window_s
            charged = min(seconds, allowance / 4) if allowance > 0 else seconds
            self.cost = charged
        else:
            charged = min(seconds, self.clip * self.cost)
            self.cost += self.alpha * (charged - self.cost)
        self.charged += charged
        self.last_end = now
        return charged
