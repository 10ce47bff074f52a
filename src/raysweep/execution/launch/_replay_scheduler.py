"""The scheduler of a replay: Ray's FIFO, switching the one trial's config at the schedule's steps.

Not Ray's ``PopulationBasedTrainingReplay``: on Ray 2.60 it ends a function trainable's trial one
iteration after its first switch (measured with the PBT tests' numpy trainable and a two-switch
policy file, plain Ray, no raysweep: 3 of 10 iterations, the trial reported as finished). Its
switch saves the trial itself (``_schedule_trial_save``), overwrites the checkpoint manager's
latest result and returns ``NOOP``, after which Tune schedules a second save. This one uses public
APIs only: at the result of iteration ``from_iteration - 1`` it sets the next config
(``Trial.set_config``) and returns ``PAUSE``; Tune saves the trial in memory (a function trainable's
save is the checkpoint it reported with that result) and FIFO resumes it from that checkpoint
with the new config.
"""

from __future__ import annotations

from typing import Any

from ray.tune.result import SHOULD_CHECKPOINT
from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.trainable.function_trainable import FunctionTrainable

from raysweep._errors import ExecutionError

__all__ = ["ReplayCheckpointError", "ScheduleReplay"]


class ReplayCheckpointError(ExecutionError):
    """A replay's switch came at a result without a checkpoint: it would resume from an older one."""


class ScheduleReplay(FIFOScheduler):
    """Switch the trial's config after each ``(after_iteration, config)`` of ``switches``."""

    def __init__(self, switches: list[tuple[int, dict[str, Any]]]) -> None:
        super().__init__()
        self.switches = sorted(switches, key=lambda s: s[0])

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        step = result.get("training_iteration")
        if self.switches and step is not None and step >= self.switches[0][0]:
            if _function_trial(trial) and not result.get(SHOULD_CHECKPOINT):  # a bare report
                raise ReplayCheckpointError(
                    f"The replay switches config after training_iteration={step}, but the trainable "
                    "reported no checkpoint with that result: it would resume from an older "
                    "checkpoint and train those iterations under the next config. Report one at "
                    "every iteration (tune.report(metrics, checkpoint=Checkpoint.from_directory(d))), "
                    "as the PBT run needed at its perturbations.")
            _after, config = self.switches.pop(0)
            trial.set_config(config)
            return TrialScheduler.PAUSE
        return TrialScheduler.CONTINUE

    def debug_string(self) -> str:
        return f"Schedule replay: {len(self.switches)} config switch(es) to go"


def _function_trial(trial: Any) -> bool:
    """Whether the trial runs a function trainable: Tune marks its results that carry a checkpoint
    (``should_checkpoint``), and a pause saves only the last one it reported. (A ``tune.Trainable``
    class saves its state at the pause.)"""
    try:
        return issubclass(trial.get_trainable_cls(), FunctionTrainable)
    except (AttributeError, TypeError):
        return False
