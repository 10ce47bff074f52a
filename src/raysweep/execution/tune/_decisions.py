"""The callback that stores a recording scheduler's decisions (ASHA's rungs, PBT's exploits).

A recording scheduler (``RecordingASHA``, ``RecordingPBT``) appends plain dicts keyed by Ray trial
ids as it decides; Tune calls the scheduler before the callbacks for the same event, so a
:class:`DecisionCallback` drains them in its hooks and writes them keyed by raysweep's stable
trial ids. The scheduler is found on Tune's controller at ``setup``, so a restored run (whose
scheduler Tune unpickled) is recorded too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from raysweep.execution._internals import controller_scheduler, find_controller
from raysweep.execution.tune._driver_bound import DriverBound
from raysweep.results import RunWriter

__all__ = ["DecisionCallback", "KeyOf"]

#: A Ray trial id to raysweep's stable trial id, or None for a trial this callback never saw.
KeyOf = Callable[[str], str | None]


class DecisionCallback(DriverBound):
    """Drain a recording scheduler's events and write each through :meth:`write`.

    Args:
        writer: The run's writer.
        trial_key: Maps a Ray ``Trial`` (with Tune's trial list) to raysweep's stable trial id.
    """

    #: What the controller is needed for (its error or warning names it).
    purpose: ClassVar[str]

    def __init__(self, writer: RunWriter, trial_key: Callable[[Any, list | None], str]) -> None:
        self.writer = writer
        self.trial_key = trial_key
        self.scheduler: Any = None
        self._keys: dict[str, str] = {}

    def recording(self, scheduler: Any) -> Any:
        """The recording scheduler inside Tune's ``scheduler`` (raysweep wraps it), or None."""
        raise NotImplementedError

    def write(self, event: dict[str, Any], key_of: KeyOf) -> None:
        """Write one drained event."""
        raise NotImplementedError

    def setup(self, *args: Any, **info: Any) -> None:
        controller = find_controller(self.purpose, required=False)
        if controller is not None:
            self.scheduler = self.recording(controller_scheduler(controller))

    def _key(self, trial: Any, trials: list | None = None) -> str:
        key = self._keys.get(trial.trial_id)
        if key is None:
            key = self._keys[trial.trial_id] = self.trial_key(trial, trials)
        return key

    def _drain(self, trials: list) -> None:
        if self.scheduler is None:
            return
        events = self.scheduler.drain()
        if not events:
            return
        by_id = {t.trial_id: t for t in trials}

        def key_of(ray_id: str) -> str | None:
            trial = by_id.get(ray_id)
            return self._key(trial, trials) if trial is not None else self._keys.get(ray_id)

        for event in events:
            self.write(event, key_of)

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._key(trial, trials)  # may be the trial's first sight: numbered with Tune's list

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict,
                        **info: Any) -> None:
        self._drain(trials)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._drain(trials)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._drain(trials)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self._drain(trials)
