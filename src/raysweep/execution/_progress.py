"""A one-line live progress display, replacing Ray Tune's verbose tables."""

from __future__ import annotations

import math
import time
from typing import Any

from ray import tune
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["ProgressCallback"]


class ProgressCallback(tune.Callback):
    """Counts trials by state and tracks the best metric value as results arrive."""

    def __init__(self, total: int, metric: str, mode: str, console: Console | None = None,
                 live: bool = True) -> None:
        self.metric, self.mode = metric, mode
        self.running = self.done = self.errored = 0
        self.best: float | None = None
        self.started = time.monotonic()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=console or Console(stderr=True), disable=not live, transient=False,
        )
        self._task = self._progress.add_task("trials", total=total, status="")

    def __enter__(self) -> ProgressCallback:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._refresh()
        self._progress.stop()

    def on_trial_start(self, iteration, trials, trial, **info) -> None:
        self.running += 1
        self._refresh()

    def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
        value = result.get(self.metric)
        if isinstance(value, int | float) and not math.isnan(value):
            better = self.best is None or (value > self.best if self.mode == "max"
                                           else value < self.best)
            if better:
                self.best = float(value)
                self._refresh()

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        self.running, self.done = max(0, self.running - 1), self.done + 1
        self._refresh()

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self.running, self.errored = max(0, self.running - 1), self.errored + 1
        self._refresh()

    def __getstate__(self) -> dict:
        # Tune pickles its run config for restoration: the live display stays with this process.
        return {k: v for k, v in self.__dict__.items() if k not in ("_progress", "_task")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._progress = Progress(disable=True)
        self._task = self._progress.add_task("trials", total=None, status="")

    def _refresh(self) -> None:
        best = "-" if self.best is None else f"{self.best:.6g}"
        status = (f"running {self.running}  done {self.done}  errored {self.errored}  "
                  f"best {self.metric}={best}")
        self._progress.update(self._task, completed=self.done + self.errored, status=status)
