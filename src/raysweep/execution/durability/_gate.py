"""The snapshot gate: a trial event's store rows reach the writer only after Tune's snapshot holds it.

The ordering that makes ``raysweep resume`` exact (:mod:`raysweep.execution.durability._snapshot`):
rows of a trial start, end or retry are *held* (:meth:`SnapshotGate.hold`) until an experiment
snapshot forced at the end of a Tune step holds the event; a step that added a trial is snapshotted
at once while forced snapshots stay within a share of the driver's time (:class:`SnapshotBudget`),
so a resumed searcher never suggests a config again under a new id.

Additions are counted, not inferred from the length of Tune's trial list: :func:`release_trials`
removes ended trials from that list, so a release and an addition in the same step leave its length
unchanged. The gate counts every trial Tune ever listed as ``len(trials) + released`` (the releases
are reported with :meth:`SnapshotGate.note_released`).
"""

from __future__ import annotations

import time
from typing import Any

from raysweep.execution.durability._snapshot import SnapshotBudget, force_snapshot, prune_staged
from raysweep.results import RunWriter

__all__ = ["SnapshotGate"]

#: After a snapshot released a trial's end row, the writer flushes within this many seconds.
TRIAL_END_FLUSH_S = 0.5


class SnapshotGate:
    """Hold trial rows until a forced snapshot holds their event, then hand them to ``writer``.

    Args:
        writer: The run's writer.
        share: Share of the driver's elapsed time forced snapshots may take for exact additions.
        spacing: Held rows wait until the last snapshot is older than ``spacing`` times its cost.
    """

    def __init__(self, writer: RunWriter, share: float, spacing: float) -> None:
        self.writer = writer
        self.share, self.spacing = share, spacing
        self.budget = SnapshotBudget(share, spacing)
        self.controller: Any = None  #: Tune's controller; None: no snapshots can be forced
        self._held: list[dict[str, Any]] = []
        self._dirty = False
        self._end_held = self._end_pending = False
        self._unpruned: list[Any] = []  # trials ended since the last snapshot (staged files kept)
        #: Drop an ended trial's staged files once a snapshot copied them. False while a callback
        #: still writes there after the trial's end (W&B's logging actors): Tune's last snapshot,
        #: after every callback finished, copies them then.
        self.prune = True
        self._released = 0  # trials removed from Tune's list (release_trials)
        self._listed_at_snapshot = self._listed_seen = -1  # trials ever listed, at those moments
        self.snapshots = 0  #: forced snapshots so far
        self.snapshot_seconds = 0.0  #: seconds spent in them
        #: Steps in which Tune added trials: snapshotted at once (exact), or held for a spaced one.
        self.additions_exact = 0
        self.additions_spaced = 0

    def start(self, controller: Any) -> None:
        """Begin a Tune experiment: snapshots go through ``controller``, time counts from now."""
        self.controller = controller
        self.budget = SnapshotBudget(self.share, self.spacing)

    def hold(self, row: dict[str, Any], *, end_of: Any = None) -> None:
        """Hold a trial row for the next snapshot; ``end_of`` is the trial whose end the row is."""
        self._held.append(row)
        self._dirty = True
        if end_of is not None:
            self._unpruned.append(end_of)
            self._end_held = True  # reaches the writer at the next snapshot, then flushes soon

    def note_released(self, n: int) -> None:
        """``n`` ended trials were removed from Tune's trial list (they still count as listed)."""
        self._released += n

    def step_end(self, trials: list) -> None:
        """End of a Tune step: force a snapshot where the rule says so, then flush as due."""
        listed = len(trials) + self._released
        added = listed != self._listed_at_snapshot  # trials the last snapshot lacks
        new, self._listed_seen = listed != self._listed_seen, listed
        if added or self._dirty:
            now = time.monotonic()
            exact = added and self.budget.exact(now)
            if new:
                self.additions_exact += exact
                self.additions_spaced += not exact
            if exact or self.budget.due(now):
                self._snapshot_then_release(listed)
        if self._end_pending:
            self._end_pending = not self.writer.maybe_flush(min_interval_s=TRIAL_END_FLUSH_S)
        else:
            self.writer.maybe_flush()

    def _snapshot_then_release(self, listed: int) -> None:
        """Force Tune's snapshot, then hand the held rows to the writer and drop the staged files of
        the trials that ended before it (the snapshot copied them to storage)."""
        if self.controller is not None:
            ended, self._unpruned = self._unpruned, []
            clock = time.monotonic()
            force_snapshot(self.controller)
            now = time.monotonic()
            self.budget.record(now - clock, now)
            self.snapshot_seconds += now - clock
            self.snapshots += 1
            if self.prune:
                prune_staged(ended)
        self._listed_at_snapshot = listed
        self._dirty = False
        self._end_pending |= self._end_held
        self._end_held = False
        self.release_held()

    def settle(self, trials: list) -> None:
        """Before the sweep stops with an error (Tune takes no final snapshot then): snapshot, hand
        every held row to the writer and write them."""
        self._snapshot_then_release(len(trials) + self._released)
        self.writer.flush()

    def release_held(self) -> None:
        """Hand every held row to the writer (Tune's final snapshot is taken, or ``fit()`` is over)."""
        for row in self._held:
            self.writer.add_trial(row)
        self._held.clear()
