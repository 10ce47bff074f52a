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
:func:`lean_result_grid` makes that step return no frames while raysweep's ``fit()`` runs
(``Result.metrics_dataframe`` is then None; raysweep reads only ``Result.error``).

Trimming leaves the ``Trial`` object itself (its config, storage context, placement-group factory and
cached JSON). Tune's controller keeps it in ``_trials`` and ``_stopped_trials`` to the end, Tune's
JSON and CSV logger callbacks keep it as a dict key after the trial's files are closed
(``_trial_configs``, ``_trial_continue``), and its progress callback in a set (``_completed_trials``):
what makes raw Tune's driver grow with the sweep. :func:`release_trials` drops those references for
a ``TERMINATED`` trial once a snapshot holds its end, so the object is freed. Its JSON state stays in
the controller's snapshot cache (``_trial_metadata``, re-encoded without indentation, about 4 KB, and
kept deflated, about 0.3 KB, by :class:`~raysweep.execution.durability._packed.PackedTrialStates`, which the
first release puts in place of Tune's dict), so every snapshot still lists every trial and
``raysweep resume`` restores the run exactly as before.
Errored trials are kept (Tune's ``ResultGrid`` carries their errors). Tune's ``ResultGrid`` then
holds the trials not released (running, errored, ended since the last snapshot); given no trials at
all, Tune's ``ExperimentAnalysis`` would load every trial back from the snapshot, which
:func:`lean_result_grid` also prevents. raysweep reads results and errors from its store.

Both rely on Ray's private attributes (``Trial.run_metadata``, ``_TrainingRunMetadata``,
``ExperimentAnalysis._fetch_trial_dataframes``, ``TuneController._trials``, ``_stopped_trials``,
``_trial_metadata``, ``CallbackList._callbacks``), reached only through raysweep's adapter
(``execution/_internals``): a Ray without them leaves Tune's state as it is, after a warning
(:class:`~raysweep.execution._internals.RayInternalsWarning`) that says what is off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ray
from ray.util.queue import Queue

from raysweep.execution._internals import (
    controller_trials,
    find_controller,
    mark_for_snapshot,
    replace_trial_states,
    run_metadata_results,
    set_run_metadata_results,
    trial_holders,
    trial_states,
    without_result_frames,
)
from raysweep.execution.durability._gate import SnapshotGate
from raysweep.execution.durability._packed import PackedTrialStates
from raysweep.execution.tune._driver_bound import DriverBound

__all__ = ["RELEASE_ENV", "TRIM_ENV", "TrimCallback", "lean_result_grid", "release_trials", "trim_trial"]

#: Set to ``0`` to turn trimming off (the correctness test compares a trimmed and an untrimmed sweep).
TRIM_ENV = "RAYSWEEP_TRIM_TUNE_STATE"
#: Set to ``0`` to trim but keep Tune's trial objects (:func:`release_trials`; benchmarks compare both).
RELEASE_ENV = "RAYSWEEP_RELEASE_TUNE_TRIALS"
_FINISHED = ("TERMINATED", "ERROR")
_ALWAYS_KEPT = ("training_iteration", "time_total_s", "done", "trial_id", "config")


def trim_trial(trial: Any, keep: frozenset[str]) -> bool:
    """Reduce an ended trial's ``last_result`` and metric analysis to ``keep``; return whether it did."""
    results = run_metadata_results(trial)
    if results is None:
        return False
    last, analysis, steps = results
    # The next snapshot writes the trimmed state (the assignments drop Tune's cached JSON). A
    # last_result left with nothing but its trial id would make Tune fetch default metrics from the
    # (gone) actor: trimming keeps ``done``/``training_iteration``.
    set_run_metadata_results(
        trial,
        {k: v for k, v in last.items() if k in keep},
        {k: v for k, v in analysis.items() if k in keep},
        {k: v for k, v in steps.items() if k in keep},
    )
    return True


def release_trials(controller: Any, ended: list[Any]) -> set[int]:
    """Drop Tune's references to the ``TERMINATED`` trials of ``ended``; return their ``id()``s.

    Keeps each trial's JSON state in the controller's snapshot cache (compact and deflated: the
    first call replaces Tune's dict by a :class:`PackedTrialStates`), so later snapshots still hold
    it. Call only once a snapshot holds the trials' ends (as :class:`TrimCallback` does).
    """
    done = {id(t): t for t in ended if t.status == "TERMINATED"}
    if not done:
        return set()
    trials, metadata = controller_trials(controller), trial_states(controller)
    if trials is None or metadata is None:  # warned once: releasing is off
        return set()
    if not isinstance(metadata, PackedTrialStates):  # released trials' states are kept deflated
        metadata = PackedTrialStates(metadata)
        replace_trial_states(controller, metadata)
    # Tune's own sets, and its loggers' and progress callback's dicts and sets keyed by the Trial
    holders = trial_holders(controller)
    for trial in done.values():
        state, run_state = trial.get_json_state()  # the trimmed state, as the next snapshot writes it
        metadata.pack(trial.trial_id, _compact(state), _compact(run_state))
        for holder in holders:
            if trial not in holder:
                continue
            if isinstance(holder, set):
                holder.remove(trial)
            elif not _live(holder[trial]):
                holder.pop(trial)
    trials[:] = [t for t in trials if id(t) not in done]  # in place: callbacks hold this list
    return set(done)


def _live(value: Any) -> bool:
    """Whether a callback's entry for an ended trial is a live Ray resource (an actor, a queue, a
    pending result) the callback still waits on and frees itself: Ray's W&B callback finishes each
    trial's run in a logging actor after the trial's end, and waits for it at the experiment's end;
    dropping the entry would let Ray kill that actor mid-run (its references gone)."""
    return isinstance(value, ray.actor.ActorHandle | ray.ObjectRef | Queue)


def _compact(text: str) -> str:
    return json.dumps(json.loads(text), separators=(",", ":"))


class TrimCallback(DriverBound):
    """Trim each ended trial (:func:`trim_trial`) once an experiment snapshot holds its end.

    Args:
        metric: The sweep metric (kept).
        time_attr: The scheduler's time attribute (kept).
        gate: The store's :class:`SnapshotGate`, which counts the experiment snapshots forced so
            far and is told how many trials were released (it counts Tune's additions), or None
            when no store forces snapshots: then a trial is trimmed at the end of the step in
            which it ended (no store, no ``raysweep resume``).
        release: Also drop Tune's references to trimmed ``TERMINATED`` trials
            (:func:`release_trials`).
    """

    def __init__(
        self,
        metric: str,
        time_attr: str = "training_iteration",
        gate: SnapshotGate | None = None,
        release: bool = True,
    ) -> None:
        self.keep = frozenset({metric, time_attr, *_ALWAYS_KEPT})
        self._gate = gate
        self._pending: list[tuple[Any, int]] = []  # (ended trial, snapshots taken when it ended)
        self._first_step = True
        self._controller: Any = None
        self._release = release
        self.trimmed = 0
        self.released = 0

    def setup(self, *args: Any, **info: Any) -> None:
        self._controller = find_controller("trimming and releasing ended trials", required=False)

    def _count(self) -> int:
        return self._gate.snapshots if self._gate is not None else 0

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
        if self._gate is None:
            ready, self._pending = self._pending, []
        else:
            ready = [p for p in self._pending if p[1] < now]
            if not ready:
                return
            self._pending = [p for p in self._pending if p[1] >= now]
        trimmed = [t for t, _ in ready if t.status in _FINISHED and trim_trial(t, self.keep)]
        self.trimmed += len(trimmed)
        if self._controller is None:  # not found (warned once): Tune's collections are left as they are
            return
        released = release_trials(self._controller, trimmed) if self._release else set()
        self.released += len(released)
        if self._gate is not None:
            self._gate.note_released(len(released))
        for trial in trimmed:  # the next snapshot replaces the controller's copy of the others' JSON
            if id(trial) not in released:  # a released trial's JSON is already replaced
                mark_for_snapshot(self._controller, trial)


@contextmanager
def lean_result_grid() -> Iterator[None]:
    """While active, Tune's ``ExperimentAnalysis`` reads no per-trial DataFrames and, given no
    trials, loads none from the experiment's snapshot (see module doc)."""
    with without_result_frames():
        yield
