"""The Ray Tune callback that streams every trial event and result into a ``RunWriter``.

Status rule (documented in docs/results.md):

* ``errored``: Tune called ``on_trial_error`` (the error survived every allowed retry).
* ``early_stopped``: the trial ended without error, a result reached the driver with ``done=True``
  set by Tune (only the scheduler or a stopper sets it on a non-final result; a trainable that returns
  on its own ends with a duplicate result callbacks never see), and the trial had fewer iterations
  than ``asha_max_t``. ASHA also sets ``done`` at ``max_t``; that trial is ``completed``.
* ``completed``: every other trial that ended without error, including a trainable that returned
  early on its own.
* ``cancelled``: still pending or running when the sweep ended (time budget, Ctrl-C, crash of the
  loop); set by :meth:`ParquetResultsCallback.finalize`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ray import tune

from raysweep.execution._internals import find_controller
from raysweep.execution.cluster._resources import ActorNodes
from raysweep.execution.durability._snapshot import SnapshotBudget, force_snapshot, prune_staged
from raysweep.execution.recording._rows import metric_columns
from raysweep.execution.recording._trial_info import attempt, error_info, number, stored_results
from raysweep.results import (
    Objective,
    RunWriter,
    TrialStatus,
    config_columns,
    stable_trial_id,
    to_json,
)

_INDEX = re.compile(r"_(\d+)$")
_TRIAL_END_FLUSH_S = 0.5
# Forced snapshots (docs/architecture.md, "Scale"; the rule is _snapshot.SnapshotBudget). A step in which
# Tune added a trial forces one at once while forced snapshots stay within _SNAPSHOT_SHARE of the
# driver's elapsed time: the new trial may already be running, and a snapshot without it lets a resumed
# searcher suggest it again under a new id (tests/execution/test_resume.py caught that with a 1 s cap).
# Trial starts, ends and retries (and additions beyond that share) have their rows held until the last
# snapshot is older than _SNAPSHOT_SPACING times its (averaged) duration, so those take at most
# ~1/(1 + _SNAPSHOT_SPACING) of the driver's time (Tune's own period uses the same factor). The window
# in which an addition can be lost is in docs/reliability.md.
_SNAPSHOT_SHARE = 0.05
_SNAPSHOT_SPACING = 19.0


_ENDED = frozenset({TrialStatus.COMPLETED, TrialStatus.EARLY_STOPPED, TrialStatus.ERRORED})


@dataclass
class _TrialState:
    trial_id: str
    ray_trial_id: str
    index: int
    config: dict[str, Any]
    started_at: datetime | None
    attempts: int = 1
    attempt_offset: int = 0
    iterations: int = 0
    metric_last: float | None = None
    metric_best: float | None = None
    last: dict[str, float] = field(default_factory=dict)
    stopped_by_scheduler: bool = False
    node_id: str | None = None
    node_ip: str | None = None
    hostname: str | None = None


class ParquetResultsCallback(tune.Callback):
    """Feed a :class:`raysweep.results.RunWriter` from Ray Tune's driver loop.

    Only per-trial state of live trials is kept; a finished trial's state is written and dropped,
    so driver memory does not grow with the number of trials beyond one id per trial.

    Store rows of a trial event (start, end, retry) reach storage only after Tune's experiment
    snapshot holds that event (see :mod:`raysweep.execution.durability._snapshot`), so a resumed run never
    re-runs a trial the store knows ended.

    Args:
        writer: The run's writer (owned by the caller, who closes it).
        sweep: Sweep name (part of the stable ``trial_id``).
        run_id: Run id (for messages; the writer knows its partition).
        metric: The sweep metric name (``metric_last``/``metric_best``).
        mode: ``"min"`` or ``"max"``.
        asha_max_t: ASHA's ``max_t`` when ASHA schedules the sweep, else None.
        time_attr: ASHA's time attribute (``training_iteration``).
        prior: For a resumed run, the trial rows already in the store keyed by Ray's trial id:
            ended trials count toward the summary and are never marked cancelled; restarted trials
            keep their index, id and count their attempts on.
        index_offset: Added to the index Ray gives a new trial (an extended run's new trials
            number on after the earlier ones).
    """

    def __init__(
        self,
        writer: RunWriter,
        *,
        sweep: str,
        run_id: str,
        metric: str,
        mode: str,
        asha_max_t: int | None = None,
        time_attr: str = "training_iteration",
        prior: dict[str, dict[str, Any]] | None = None,
        index_offset: int = 0,
    ):
        self.writer = writer
        self.sweep = sweep
        self.run_id = run_id
        self.metric = metric
        self.objective = Objective(metric, mode)  # type: ignore[arg-type]
        self.asha_max_t = asha_max_t
        self.time_attr = time_attr
        self._live: dict[str, _TrialState] = {}
        self._ended: set[str] = set()
        self._trials_seen: list[Any] = []
        self._counts = {str(s): 0 for s in TrialStatus if s != TrialStatus.RUNNING}
        self._best: tuple[float | None, str | None, dict[str, Any] | None] = (None, None, None)
        self._next_index = 0
        self._nodes = ActorNodes()  # node id (hex) of each trial's actor
        self._prior = dict(prior or {})
        self._index_offset = index_offset
        self._repeats: dict[str, int] = {}  # config JSON -> trials of this run with that config
        self._controller: Any = None
        self._dirty = False
        self._end_pending = self._end_held = False
        self._held: list[dict[str, Any]] = []
        self._n_snapshot = self._n_seen = -1
        self._budget = SnapshotBudget(_SNAPSHOT_SHARE, _SNAPSHOT_SPACING)
        self._unpruned: list[Any] = []  # trials ended since the last snapshot (staged files kept)
        self._repaired = False
        self.snapshots = 0
        self.snapshot_seconds = 0.0
        #: Steps in which Tune added trials: snapshotted at once (exact), or held for a spaced one.
        self.additions_exact = 0
        self.additions_spaced = 0
        self._seed_from_prior()

    def _seed_from_prior(self) -> None:
        for ray_id, row in self._prior.items():
            self._next_index = max(self._next_index, int(row["trial_index"]) + 1)
            key = str(row.get("config_json"))
            self._repeats[key] = self._repeats.get(key, 0) + 1
            if row.get("status") in _ENDED:
                self._ended.add(ray_id)
                self._counts[str(row["status"])] += 1
                if self.objective.better(row.get("metric_best"), self._best[0]):
                    self._best = (row["metric_best"], row["trial_id"],
                                  json.loads(row["config_json"]))

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles its run config (callbacks included) into tuner.pkl; a restored run makes a
        # new callback, so nothing of this driver's state (writer, buffers) travels with it.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # ----------------------------------------------------------------- state
    def _state(self, trial: Any) -> _TrialState:
        state = self._live.get(trial.trial_id)
        if state is None:
            config = dict(trial.config)
            prior = self._prior.get(trial.trial_id)
            if prior is not None:
                index = int(prior["trial_index"])
            else:
                match = _INDEX.search(trial.trial_id)
                index = int(match.group(1)) + self._index_offset if match else self._next_index
            self._next_index = max(self._next_index, index + 1)
            state = _TrialState(
                trial_id=str(prior["trial_id"]) if prior is not None else self._new_id(config),
                ray_trial_id=trial.trial_id,
                index=index,
                config=config,
                started_at=datetime.now(UTC),
            )
            if prior is not None:  # a trial that had started before the driver died: continue it
                state.attempt_offset = max(0, int(prior.get("attempts") or 0) + 1 - attempt(trial))
                state.metric_best = number(prior.get("metric_best"))
            self._live[trial.trial_id] = state
        return state

    def _new_id(self, config: dict[str, Any]) -> str:
        """Content-addressed (``stable_trial_id``): a repeat of a config in this run counts up."""
        key = to_json(config)
        repeat = self._repeats.get(key, 0)
        self._repeats[key] = repeat + 1
        return stable_trial_id(self.sweep, config, repeat)

    def trial_key(self, trial: Any) -> str:
        """raysweep's stable ``trial_id`` of a Ray trial (the key of every row of the trial)."""
        return self._state(trial).trial_id

    def _row(self, state: _TrialState, status: str, **extra: Any) -> dict[str, Any]:
        ended_at = extra.pop("ended_at", None)
        seconds = None
        if ended_at is not None and state.started_at is not None:
            seconds = (ended_at - state.started_at).total_seconds()
        return {
            "trial_id": state.trial_id,
            "ray_trial_id": state.ray_trial_id,
            "trial_index": state.index,
            "status": str(status),
            "config_json": to_json(state.config),
            **config_columns(state.config),
            "metric": self.metric,
            "metric_last": state.metric_last,
            "metric_best": state.metric_best,
            **{f"last.{name}": value for name, value in state.last.items()},
            "iterations": state.iterations,
            "attempts": state.attempts,
            "stopped_by_scheduler": state.stopped_by_scheduler,
            "node_id": state.node_id,
            "node_ip": state.node_ip,
            "hostname": state.hostname,
            "started_at": state.started_at,
            "ended_at": ended_at,
            "trial_seconds": seconds,
            **extra,
        }

    def _end(self, trial: Any, status: TrialStatus, **extra: Any) -> None:
        state = self._state(trial)
        # No flush here (it wrote two Parquet files per trial): the writer writes iterations before
        # trial rows in every flush, so a stored end row has its iterations stored; a driver killed
        # before the end row is stored leaves an end the resume repairs from Tune's files.
        self._hold(self._row(state, status, ended_at=datetime.now(UTC), **extra))
        self._counts[str(status)] += 1
        if self.objective.better(state.metric_best, self._best[0]):
            self._best = (state.metric_best, state.trial_id, state.config)
        self._live.pop(trial.trial_id, None)
        self._ended.add(trial.trial_id)
        self._unpruned.append(trial)
        self._end_held = True  # its row reaches the writer at the next snapshot, then flushes soon

    def _hold(self, row: dict[str, Any]) -> None:
        """A trial row waits for the end of Tune's step: it reaches the writer after the snapshot."""
        self._held.append(row)
        self._dirty = True

    def _set_attempt(self, state: _TrialState, trial: Any, failed: bool = False) -> None:
        state.attempts = state.attempt_offset + max(1, attempt(trial) - (1 if failed else 0))

    # ----------------------------------------------------------------- Tune hooks
    def setup(self, *args: Any, **info: Any) -> None:
        # Without the controller no snapshot could be forced: the store could then know of trial
        # events Tune's snapshot lacks, and a resume would re-run them (an ExecutionError instead).
        self._controller = find_controller("the store's forced snapshots (exact resume)", required=True)
        self._budget = SnapshotBudget(_SNAPSHOT_SHARE, _SNAPSHOT_SPACING)  # elapsed time from here

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        if not self._repaired:
            self._repaired = True
            self._repair(trials)

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._trials_seen = trials
        state = self._state(trial)
        self._set_attempt(state, trial)
        state.node_id, state.node_ip = self._nodes.locate(trial)
        self._hold(self._row(state, TrialStatus.RUNNING))

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        state = self._state(trial)
        self._set_attempt(state, trial)
        metrics = metric_columns(result)
        step = int(result.get("training_iteration", state.iterations + 1))
        state.iterations = step
        state.last.update(metrics)
        state.node_ip = result.get("node_ip", state.node_ip)
        state.hostname = result.get("hostname", state.hostname)
        value = metrics.get(self.metric)
        if value is not None:
            state.metric_last = value
            if self.objective.better(value, state.metric_best):
                state.metric_best = value
        if result.get("done"):
            state.stopped_by_scheduler = True
        self.writer.add_iteration(
            {
                "trial_id": state.trial_id,
                "attempt": state.attempts,
                "training_iteration": step,
                "time_total_s": result.get("time_total_s"),
                "time_this_iter_s": result.get("time_this_iter_s"),
                "timestamp": datetime.now(UTC),
                "node_id": state.node_id,
                "node_ip": state.node_ip,
                "hostname": state.hostname,
                **metrics,
            }
        )
        self.writer.maybe_flush()  # iterations ahead of Tune's snapshot are superseded on resume

    def on_checkpoint(self, iteration: int, trials: list, trial: Any, checkpoint: Any,
                      **info: Any) -> None:
        # Tune's next snapshot records this checkpoint: a resumed trial continues after it, so
        # every iteration up to it must be stored first.
        self.writer.flush()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        state = self._state(trial)
        early = (
            state.stopped_by_scheduler
            and self.asha_max_t is not None
            and state.iterations < self.asha_max_t
        )
        self._end(trial, TrialStatus.EARLY_STOPPED if early else TrialStatus.COMPLETED)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        # Tune counted this failure before calling us: attempts == failures for a final error.
        self._set_attempt(self._state(trial), trial, failed=True)
        self._end(trial, TrialStatus.ERRORED, **error_info(trial))

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        state = self._state(trial)
        state.stopped_by_scheduler = False
        self._hold(self._row(state, TrialStatus.RUNNING, **error_info(trial)))

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        self._trials_seen = trials
        added = len(trials) != self._n_snapshot  # trials the last snapshot lacks
        new, self._n_seen = len(trials) != self._n_seen, len(trials)
        if added or self._dirty:
            now = time.monotonic()
            exact = added and self._budget.exact(now)
            if new:
                self.additions_exact += exact
                self.additions_spaced += not exact
            if exact or self._budget.due(now):
                self._snapshot_then_release(trials)
        if self._end_pending:
            self._end_pending = not self.writer.maybe_flush(min_interval_s=_TRIAL_END_FLUSH_S)
        else:
            self.writer.maybe_flush()
        self.writer.heartbeat()

    def _snapshot_then_release(self, trials: list) -> None:
        """Force Tune's snapshot, then hand the held rows to the writer and drop the staged files of
        the trials that ended before it (the snapshot copied them to storage)."""
        if self._controller is not None:
            ended, self._unpruned = self._unpruned, []
            clock = time.monotonic()
            force_snapshot(self._controller)
            now = time.monotonic()
            self._budget.record(now - clock, now)
            self.snapshot_seconds += now - clock
            self.snapshots += 1
            prune_staged(ended)
        self._n_snapshot = len(trials)
        self._dirty = False
        self._end_pending |= self._end_held
        self._end_held = False
        for row in self._held:
            self.writer.add_trial(row)
        self._held.clear()

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self._trials_seen = trials
        if not self._repaired:  # a restored run with nothing left to run takes no step
            self._repaired = True
            self._repair(trials)
        for row in self._held:  # Tune's final snapshot is taken before this hook
            self.writer.add_trial(row)
        self._held.clear()
        self.writer.flush()

    # ----------------------------------------------------------------- resume
    def _repair(self, trials: list) -> None:
        """A restored trial Tune's snapshot knows ended, whose end never reached the store (the
        driver died between the snapshot and the flush): write its end from Tune's own files."""
        for trial in trials:
            if trial.trial_id in self._ended or trial.status not in ("TERMINATED", "ERROR"):
                continue
            prior = self._prior.get(trial.trial_id)
            # Its rows were held for a later snapshot, or released but not yet flushed: the store
            # knows it running, or (a trial that started and ended between two snapshots) not at all.
            if prior is not None and prior.get("status") != TrialStatus.RUNNING:
                continue
            state = self._state(trial)  # same attempt as the rows already stored
            stored_attempts = int(prior.get("attempts") or 1) if prior is not None else 1
            state.attempt_offset = max(1, stored_attempts) - attempt(trial)
            for result in stored_results(trial):
                self.on_trial_result(0, trials, trial, result)
            if trial.status == "ERROR":
                self._end(trial, TrialStatus.ERRORED, error_message="errored before the resume")
            else:
                self.on_trial_complete(0, trials, trial)

    # ----------------------------------------------------------------- after fit()
    def finalize(self, interrupted: bool) -> None:
        """Mark trials that never ended as ``cancelled`` and flush. Call once after ``fit()``."""
        note = "sweep interrupted" if interrupted else "sweep ended before this trial did"
        for trial in list(self._trials_seen):
            if trial.trial_id in self._ended:
                continue
            if trial.trial_id not in self._live:  # never started (in this driver)
                state = self._state(trial)
                prior = self._prior.get(trial.trial_id)
                state.attempts = int(prior.get("attempts") or 0) if prior else 0
                state.started_at = None
            self._end(trial, TrialStatus.CANCELLED, error_message=note)
        for ray_trial_id in list(self._live):
            state = self._live.pop(ray_trial_id)
            row = self._row(state, TrialStatus.CANCELLED, ended_at=datetime.now(UTC),
                            error_message=note)
            self.writer.add_trial(row)
            self._counts[TrialStatus.CANCELLED] += 1
        for row in self._held:  # fit() is over: no snapshot to wait for
            self.writer.add_trial(row)
        self._held.clear()
        self.writer.flush()

    def summary(self) -> dict[str, Any]:
        """Counts by status and the best trial, in the run record's column names."""
        best_value, best_trial_id, best_config = self._best
        return {
            "n_trials": sum(self._counts.values()),
            "n_completed": self._counts[TrialStatus.COMPLETED],
            "n_early_stopped": self._counts[TrialStatus.EARLY_STOPPED],
            "n_errored": self._counts[TrialStatus.ERRORED],
            "n_cancelled": self._counts[TrialStatus.CANCELLED],
            "best_value": best_value,
            "best_trial_id": best_trial_id,
            "best_config": best_config,
        }
