"""STOP decisions a restored run carries over from the previous driver, and which of them Tune executed.

When a result carries a checkpoint, Tune saves it in a separate task and holds the scheduler's
decision on that result until the save is processed (``TuneController._cached_trial_decisions``).
Tune writes those held decisions into its experiment snapshot. A driver whose loop ended in between
(Ctrl-C, or a snapshot followed by a crash) leaves a snapshot where the trial is still running, its
last result has ``done=True``, its checkpoint is not registered, and its STOP is held. A restored
controller starts with that STOP: the trial restarts from its previous checkpoint (or from iteration
1), and at the first checkpoint it saves Tune executes the held STOP, whatever the restarted
scheduler (whose rungs start empty) decided on that result (Tune keeps a held STOP over a later
CONTINUE).

raysweep keeps Tune's behaviour: an uninterrupted run would have stopped the trial there too.
:class:`CarriedStops` only tells raysweep's callbacks what happened, so that the store records the
trial ``early_stopped`` (not ``completed``) and keeps the previous driver's rung row for that decision
(``docs/reliability.md``, "A STOP Tune carried across the restore").
"""

from __future__ import annotations

from typing import Any

from ray.tune.schedulers import TrialScheduler

from raysweep.execution._internals import cached_decisions, find_controller
from raysweep.execution.tune._driver_bound import DriverBound

__all__ = ["CarriedStops"]


class CarriedStops(DriverBound):
    """Track the STOP decisions Tune restored from its snapshot (Ray trial ids), until each is
    executed (the trial's next save) or dropped (the trial errored or was retried).

    Put it first in Tune's callback list: the callbacks that ask it (the store, the rung recorder,
    the progress bar) ask in hooks that come after its own for the same event.
    """

    def __init__(self) -> None:
        self.controller: Any = None
        #: Ray trial id -> the restored last result the decision was taken on ({} until it starts).
        self.pending: dict[str, dict[str, Any]] = {}
        #: Ray trial ids whose carried STOP Tune has executed in this driver.
        self.executed: set[str] = set()

    def setup(self, *args: Any, **info: Any) -> None:
        controller = find_controller("recording the decisions a resumed run carries over",
                                     required=False)
        if controller is None:
            return
        decisions = cached_decisions(controller) or {}
        self.controller = controller
        self.pending = {tid: {} for tid, d in decisions.items() if d == TrialScheduler.STOP}

    def decided_at(self, trial_id: str, time_attr: str) -> float | None:
        """The ``time_attr`` of the result a carried, not yet executed STOP of ``trial_id`` was
        taken on, or None."""
        value = self.pending.get(trial_id, {}).get(time_attr)
        return float(value) if isinstance(value, int | float) else None

    def executed_stop(self, trial_id: str) -> bool:
        """Whether Tune ended ``trial_id`` by executing a STOP carried over from the snapshot."""
        return trial_id in self.executed

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if trial.trial_id in self.pending and not self.pending[trial.trial_id]:
            # Before the restarted attempt reports, its last result is still the snapshot's.
            self.pending[trial.trial_id] = dict(trial.last_result or {})

    def on_trial_save(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        # Tune pops a trial's held decision when it processes the save, queues it, calls this hook,
        # then executes it: gone from the controller's dict now means executed next.
        if trial.trial_id not in self.pending or self.controller is None:
            return
        if trial.trial_id not in (cached_decisions(self.controller) or {}):
            self.pending.pop(trial.trial_id)
            self.executed.add(trial.trial_id)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.pending.pop(trial.trial_id, None)

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.pending.pop(trial.trial_id, None)  # Tune drops a retried trial's held decision
