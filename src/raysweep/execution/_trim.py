"""Bounding what Ray Tune keeps per ended trial in the driver (docs/architecture.md, "Scale").

Tune keeps every trial object of the experiment in the driver until ``fit()`` returns, and then builds
a ``ResultGrid``. Per ended trial it holds, besides the trial's own state:

* ``run_metadata.metric_analysis``: max/min/avg/last and two running averages of EVERY numeric key
  of the result (Tune's own timers included), and ``metric_n_steps``: two ``deque`` objects per key
  behind those averages. With the trivial 3-report trainable this is ~14 entries, several KB.
* ``run_metadata.last_result``: the whole last result (every key Tune adds: timers, host, pid, date...).
* ``run_metadata``'s cached JSON (written into every experiment snapshot, indent 2), which
  serialises all of the above (``metric_n_steps`` as hex-encoded pickles). The controller keeps its
  own copy of every trial's JSON (``TuneController._trial_metadata``) and refreshes it only for the
  trials marked for the next snapshot (``_mark_trial_to_checkpoint``): a trimmed trial is marked.

None of it is read again once the trial has ended and an experiment snapshot holds its end: raysweep
reads results from its own store, resume restores the searcher and scheduler from their own state
(Tune never restarts a TERMINATED trial, and raysweep resumes with ``restart_errored=False``), and
raysweep's ``_repair`` replays a trial's results from Tune's result files, not from ``last_result``.
:class:`TrimCallback` therefore reduces them, for each ended trial after the next snapshot, to the
keys a user of Tune's own tools would look at first (the sweep metric, the time attribute,
``training_iteration``, ``time_total_s``, ``done``, ``trial_id``, ``config``), and the analysis of the
sweep metric. The trimmed state is what the following snapshots write (smaller files, faster copies).

At the end of ``fit()``, Tune's ``ExperimentAnalysis`` reads every trial's ``result.json`` back into a
pandas DataFrame for the ``ResultGrid`` (``ExperimentAnalysis._fetch_trial_dataframes``): a peak that
grows with the run, for frames raysweep never reads (its store holds every iteration).
:func:`skip_trial_dataframes` makes that step return no frames while raysweep's ``fit()`` runs
(``Result.metrics_dataframe`` is then None; raysweep reads only ``Result.error``).

Both rely on Ray 2.60's private attributes (``Trial.run_metadata``, ``_TrainingRunMetadata``,
``ExperimentAnalysis._fetch_trial_dataframes``); a Ray without them leaves everything untrimmed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ray import tune

from raysweep.execution._snapshot import find_controller

__all__ = ["TRIM_ENV", "TrimCallback", "skip_trial_dataframes", "trim_trial"]

logger = logging.getLogger(__name__)

#: Set to ``0`` to turn trimming off (the correctness test compares a trimmed and an untrimmed sweep).
TRIM_ENV = "RAYSWEEP_TRIM_TUNE_STATE"
_FINISHED = ("TERMINATED", "ERROR")
_ALWAYS_KEPT = ("training_iteration", "time_total_s", "done", "trial_id", "config")


def trim_trial(trial: Any, keep: frozenset[str]) -> bool:
    """Reduce an ended trial's ``last_result`` and metric analysis to ``keep``; return whether it did."""
    meta: Any = getattr(trial, "run_metadata", None)
    last = getattr(meta, "last_result", None)
    analysis = getattr(meta, "metric_analysis", None)
    steps = getattr(meta, "metric_n_steps", None)
    if not isinstance(last, dict) or not isinstance(analysis, dict) or not isinstance(steps, dict):
        return False
    # Each assignment invalidates the metadata's cached JSON (Tune's __setattr__): the next snapshot
    # writes the trimmed state. A last_result left with nothing but its trial id would make Tune
    # fetch default metrics from the (gone) actor: trimming keeps ``done``/``training_iteration``.
    meta.last_result = {k: v for k, v in last.items() if k in keep}
    meta.metric_analysis = {k: v for k, v in analysis.items() if k in keep}
    meta.metric_n_steps = {k: v for k, v in steps.items() if k in keep}
    return True


class TrimCallback(tune.Callback):
    """Trim each ended trial (:func:`trim_trial`) once an experiment snapshot holds its end.

    Args:
        metric: The sweep metric (kept).
        time_attr: The scheduler's time attribute (kept).
        snapshots: Counts the experiment snapshots raysweep forced so far (the store callback's
            ``snapshots``), or None when no store forces them: then a trial is trimmed at the end
            of the step in which it ended (no store, no ``raysweep resume``).
    """

    def __init__(self, metric: str, time_attr: str = "training_iteration",
                 snapshots: Callable[[], int] | None = None) -> None:
        self.keep = frozenset({metric, time_attr, *_ALWAYS_KEPT})
        self._snapshots = snapshots
        self._pending: list[tuple[Any, int]] = []  # (ended trial, snapshots taken when it ended)
        self._first_step = True
        self._controller: Any = None
        self.trimmed = 0

    def __getstate__(self) -> dict[str, Any]:  # pickled into tuner.pkl: a restored run is fresh
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def setup(self, *args: Any, **info: Any) -> None:
        self._controller = find_controller()

    def _count(self) -> int:
        return self._snapshots() if self._snapshots is not None else 0

    def _ended(self, trial: Any) -> None:
        self._pending.append((trial, self._count()))

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        if self._first_step:  # a restored run: the trials that ended before are in the snapshot
            self._first_step = False
            for trial in trials:
                if trial.status in _FINISHED:
                    self._pending.append((trial, -1))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._ended(trial)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._ended(trial)

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        # Runs after the store callback's on_step_end (callbacks run in list order), so a snapshot
        # it forced in this step already counts.
        if not self._pending:
            return
        now = self._count()
        if self._snapshots is None:
            ready, self._pending = self._pending, []
        else:
            ready = [p for p in self._pending if p[1] < now]
            if not ready:
                return
            self._pending = [p for p in self._pending if p[1] >= now]
        mark = getattr(self._controller, "_mark_trial_to_checkpoint", None)
        for trial, _ in ready:
            if trial.status in _FINISHED and trim_trial(trial, self.keep):
                self.trimmed += 1
                if mark is not None:  # the next snapshot replaces the controller's copy of its JSON
                    mark(trial)


@contextmanager
def skip_trial_dataframes() -> Iterator[None]:
    """While active, Tune's ``ExperimentAnalysis`` reads no per-trial DataFrames (see module doc)."""
    try:
        from ray.tune.analysis.experiment_analysis import ExperimentAnalysis
    except ImportError:  # pragma: no cover - another Ray layout: keep Tune's behaviour
        yield
        return
    original = ExperimentAnalysis.__dict__.get("_fetch_trial_dataframes")
    if original is None:  # pragma: no cover
        logger.debug("Ray's ExperimentAnalysis has no _fetch_trial_dataframes: not skipped.")
        yield
        return
    ExperimentAnalysis._fetch_trial_dataframes = lambda self: {}  # type: ignore[method-assign]
    try:
        yield
    finally:
        ExperimentAnalysis._fetch_trial_dataframes = original  # type: ignore[method-assign]
