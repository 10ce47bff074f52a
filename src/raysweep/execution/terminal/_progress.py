"""A one-line live progress display, replacing Ray Tune's verbose tables."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from raysweep.execution.tune._carried import CarriedStops
from raysweep.execution.tune._driver_bound import DriverBound
from raysweep.results import Objective

__all__ = ["ProgressCallback"]


class ProgressCallback(DriverBound):
    """Counts trials by state and tracks the best metric value as results arrive.

    ``carried`` (the run's :class:`CarriedStops`, a callback before this one): a trial Tune ends with
    a STOP carried over from the previous driver counts as early-stopped, as in the store.
    """

    def __init__(self, total: int, metric: str, mode: str, console: Console | None = None,
                 live: bool = True, asha_max_t: int | None = None,
                 carried: CarriedStops | None = None) -> None:
        self.metric, self.mode, self.asha_max_t = metric, mode, asha_max_t
        self.carried = carried
        self.objective = Objective(metric, mode)  # type: ignore[arg-type]
        self.done = self.early_stopped = self.errored = 0
        self.started_any = False
        self._stopped: dict[str, int] = {}  # trial id -> iterations, for trials Tune marked done
        #: Trial id -> when its current stretch on a worker began, for the trials started and not ended.
        self._since: dict[str, float] = {}
        self._last_result: dict[str, float] = {}  # trial id -> when its last result arrived
        self._started: dict[str, Any] = {}  # trial id -> Tune's trial, for the trials in _since
        #: Seconds summed over the lifetimes of the trials that ended in this launch: start to end,
        #: less the stretches a paused trial held no worker (a PBT member restarts at each exploit).
        self.trial_lifetimes_s = 0.0
        self.best: float | None = None
        self.started = time.monotonic()
        self._live = live
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=console or Console(stderr=True), disable=not live, transient=False,
        )
        self._task = self._progress.add_task("trials", total=total,
                                             status="Ray is starting the first trials...")

    def __enter__(self) -> ProgressCallback:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._refresh()
        self._progress.stop()

    @property
    def running(self) -> int:
        """Trials started and neither ended nor paused (Tune pauses a PBT member at an exploit)."""
        return sum(trial.status != "PAUSED" for trial in self._started.values())

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.started_any = True
        now = time.monotonic()
        if trial.trial_id in self._since:  # started again after a pause: its last stretch ended
            # with its last result (Tune tells callbacks of no pause)
            self._add_stretch(trial.trial_id, self._last_result.get(trial.trial_id, now))
        self._since[trial.trial_id] = now
        self._started[trial.trial_id] = trial
        self._refresh()

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict,
                        **info: Any) -> None:
        self._last_result[trial.trial_id] = time.monotonic()
        if result.get("done"):  # set by the scheduler (or a stopper): early unless at ASHA's max_t
            self._stopped[trial.trial_id] = int(result.get("training_iteration", 0))
        value = result.get(self.metric)
        if isinstance(value, int | float) and self.objective.better(value, self.best):
            self.best = float(value)
            self._refresh()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._lifetime_ends(trial)
        stopped_at = self._stopped.pop(trial.trial_id, None)
        if stopped_at is None and self.carried is not None and self.carried.executed_stop(trial.trial_id):
            stopped_at = int((trial.last_result or {}).get("training_iteration", 0))
        if stopped_at is not None and self.asha_max_t is not None and stopped_at < self.asha_max_t:
            self.early_stopped += 1
        else:
            self.done += 1
        self._refresh()

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.errored += 1
        self._lifetime_ends(trial)
        self._refresh()

    def _add_stretch(self, trial_id: str, end: float) -> None:
        self.trial_lifetimes_s += max(0.0, end - self._since[trial_id])

    def _lifetime_ends(self, trial: Any) -> None:
        if trial.trial_id in self._since:
            self._add_stretch(trial.trial_id, time.monotonic())
            del self._since[trial.trial_id]
        self._last_result.pop(trial.trial_id, None)
        self._started.pop(trial.trial_id, None)

    @property
    def ended(self) -> int:
        """Trials that ended, whatever their status."""
        return self.done + self.early_stopped + self.errored

    def _refresh(self) -> None:
        if not self.started_any or not self._live:  # nothing is drawn: no status line to build
            return
        best = "-" if self.best is None else f"{self.best:.6g}"
        status = f"running {self.running}  completed {self.done}"
        if self.asha_max_t is not None:
            status += f"  early-stopped {self.early_stopped}"
        if self.errored:
            status += f"  [red]errored {self.errored}[/]"
        status += f"  best {self.metric}={best}"
        self._progress.update(self._task, completed=self.ended, status=status)
