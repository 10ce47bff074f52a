"""Ray's synchronous HyperBand schedulers, noting which trials they stopped.

Ray's ``HyperBandScheduler`` (and ``HyperBandForBOHB``) pause a trial at its bracket's milestone and,
once the bracket is there, stop the worst ones. The trial whose result completed the bracket is
stopped through the returned ``STOP`` (Tune marks that result ``done``, as with ASHA), but the paused
ones through ``tune_controller.stop_trial``: no result says so, and their end looks like a trainable
that returned by itself. :class:`RecordingHyperBand` is Ray's scheduler unchanged, given a stand-in
for the controller (:class:`_StopSpy`) that notes each ``stop_trial`` before passing it on, in
:attr:`RecordingHyperBand.scheduler_stopped` (Ray trial ids; pickled with the scheduler, so a
restored run keeps them). The store (``ParquetResultsCallback``) reads that set: a trial the scheduler
stopped before ``max_t`` is ``early_stopped``. Only public scheduler hooks are overridden.
"""

from __future__ import annotations

from typing import Any

from ray.tune.schedulers import HyperBandForBOHB, HyperBandScheduler, TrialScheduler

__all__ = ["RecordingHyperBand", "RecordingHyperBandForBOHB", "scheduler_stops"]


class _StopSpy:
    """Tune's controller as the scheduler sees it, but ``stop_trial`` notes the trial first."""

    def __init__(self, controller: Any, stopped: set[str]) -> None:
        self._controller, self._stopped = controller, stopped

    def stop_trial(self, trial: Any) -> Any:
        self._stopped.add(trial.trial_id)
        return self._controller.stop_trial(trial)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._controller, name)


class _Recording:
    """The hooks of Ray's HyperBand through which it stops trials, with the controller spied on."""

    scheduler_stopped: set[str]

    def _spy(self, controller: Any) -> Any:
        if "scheduler_stopped" not in vars(self):
            self.scheduler_stopped = set()
        return _StopSpy(controller, self.scheduler_stopped)

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        action = super().on_trial_result(self._spy(tune_controller), trial, result)  # type: ignore[misc]
        if action == TrialScheduler.STOP:
            self.scheduler_stopped.add(trial.trial_id)
        return action

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        super().on_trial_complete(self._spy(tune_controller), trial, result)  # type: ignore[misc]

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        super().on_trial_error(self._spy(tune_controller), trial)  # type: ignore[misc]

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        super().on_trial_remove(self._spy(tune_controller), trial)  # type: ignore[misc]

    def choose_trial_to_run(self, tune_controller: Any, *args: Any, **kwargs: Any) -> Any:
        # BOHB's processes brackets here when no trial runs (and may stop paused trials)
        return super().choose_trial_to_run(  # type: ignore[misc]
            self._spy(tune_controller), *args, **kwargs)


class RecordingHyperBand(_Recording, HyperBandScheduler):
    """Ray's ``HyperBandScheduler``; :attr:`scheduler_stopped` holds the trials it stopped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheduler_stopped = set()


class RecordingHyperBandForBOHB(_Recording, HyperBandForBOHB):
    """Ray's ``HyperBandForBOHB``; :attr:`scheduler_stopped` holds the trials it stopped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheduler_stopped = set()


def scheduler_stops(scheduler: Any) -> set[str]:
    """The Ray trial ids the (wrapped) HyperBand scheduler stopped; an empty set for any other."""
    for _ in range(4):
        if isinstance(scheduler, _Recording):
            return scheduler.scheduler_stopped
        scheduler = getattr(scheduler, "__dict__", {}).get("inner")
        if scheduler is None:
            break
    return set()
