"""The Ray Tune callback that streams every trial event and result into a ``RunWriter``.

Status rule (documented in docs/results.md):

* ``errored``: Tune called ``on_trial_error`` (the error survived every allowed retry).
* ``early_stopped``: the trial ended without error, a result reached the driver with ``done=True``
  set by Tune (only the scheduler or a stopper sets it on a non-final result; a trainable that returns
  on its own ends with a duplicate result callbacks never see), HyperBand stopped it while paused
  (``scheduler_stops``) or, in a resumed run, Tune executed a STOP the previous driver's scheduler
  took (``CarriedStops``, ``tune/_carried.py``), and the trial had fewer iterations than
  ``asha_max_t`` (ASHA's or HyperBand's ``max_t``). ASHA also sets ``done`` at ``max_t``; that trial
  is ``completed``.
* ``completed``: every other trial that ended without error, including a trainable that returned
  early on its own.
* ``cancelled``: still pending or running when the sweep ended (time budget, Ctrl-C, crash of the
  loop); set by :meth:`ParquetResultsCallback.finalize`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from raysweep._errors import ExecutionError
from raysweep.execution._internals import controller_scheduler, find_controller
from raysweep.execution.cluster._resources import ActorNodes
from raysweep.execution.durability._gate import SnapshotGate
from raysweep.execution.recording._checkpoint import CheckpointPointer
from raysweep.execution.recording._identity import TrialStates
from raysweep.execution.recording._rows import iteration_row, metric_columns, trial_row
from raysweep.execution.recording._tally import RunTally
from raysweep.execution.recording._trial_info import attempt, error_info, stored_results
from raysweep.execution.tune._carried import CarriedStops
from raysweep.execution.tune._constraints import CONSTRAINT_COUNTERS, Constraints, unreported_message
from raysweep.execution.tune._driver_bound import DriverBound
from raysweep.execution.tune._hyperband import scheduler_stops
from raysweep.results import Objective, RunWriter, TrialStatus
from raysweep.space import branch_columns

__all__ = ["ParquetResultsCallback"]

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


class ParquetResultsCallback(DriverBound):
    """Feed a :class:`raysweep.results.RunWriter` from Ray Tune's driver loop.

    It wires Tune's hooks to four parts, one job each: :class:`TrialStates` (which raysweep trial a
    Ray trial is), the row builders (:func:`trial_row`, :func:`iteration_row`), :class:`SnapshotGate`
    (trial rows reach storage only after Tune's experiment snapshot holds their event, see
    :mod:`raysweep.execution.durability._snapshot`, so a resumed run never re-runs a trial the store
    knows ended) and :class:`RunTally` (counts and the best trial). Only live trials keep a state.

    Args:
        writer: The run's writer (owned by the caller, who closes it).
        sweep: Sweep name (part of the stable ``trial_id``).
        run_id: Run id (for messages; the writer knows its partition).
        metric: The sweep metric name (``metric_last``/``metric_best``).
        mode: ``"min"`` or ``"max"``.
        asha_max_t: ASHA's (or HyperBand's) ``max_t`` when it schedules the sweep, else None.
        time_attr: ASHA's time attribute (``training_iteration``).
        prior: For a resumed run, the trial rows already in the store keyed by Ray's trial id:
            ended trials count toward the summary and are never marked cancelled; restarted trials
            keep their index, id and count their attempts on.
        index_offset: Added to the index Ray gives a new trial (an extended run's new trials
            number on after the earlier ones).
        space: The sweep's space: a conditional dimension's branch is recorded per trial.
        checkpoint_score: The metric that ranks a trial's checkpoints (``checkpoints.keep(score=)``);
            None: ``metric``. Each trial row names the best checkpoint Ray keeps by it
            (``checkpoint_path``, see ``_checkpoint.py``).
        checkpoint_order: ``"min"`` or ``"max"`` for ``checkpoint_score``; None: ``mode``.
        constraints: The sweep's constraints: the end row of a completed or early-stopped trial
            records whether they all hold on its last metrics and config (``feasible``; None for
            other statuses and without constraints).
        carried: The run's :class:`CarriedStops` (a callback of the same Tuner, before this one):
            a trial Tune ends with a STOP carried over from the previous driver is early-stopped.
            None: no such STOP is recognised.
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
        space: Mapping[str, Any] | None = None,
        checkpoint_score: str | None = None,
        checkpoint_order: str | None = None,
        constraints: Sequence[str] = (),
        carried: CarriedStops | None = None,
    ):
        self.constraints = Constraints(constraints)
        self.writer = writer
        self.space = dict(space or {})
        self.sweep = sweep
        self.run_id = run_id
        self.metric = metric
        self.objective = Objective(metric, mode)  # type: ignore[arg-type]
        self.asha_max_t = asha_max_t
        self.time_attr = time_attr
        self._prior = dict(prior or {})
        self.trials = TrialStates(sweep, self._prior, index_offset)
        self.tally = RunTally(self.objective, self._prior)
        self.gate = SnapshotGate(writer, _SNAPSHOT_SHARE, _SNAPSHOT_SPACING)
        self._nodes = ActorNodes()  # node id (hex) of each trial's actor
        self.checkpoints = CheckpointPointer(getattr(writer, "root", None),
                                             checkpoint_score or metric, checkpoint_order or mode)
        self._trials_seen: list[Any] = []
        self._repaired = False
        self._scheduler_stops: set[str] = set()
        #: Why the sweep stops at the end of this step (a constraint reads a metric never reported).
        self._stop_reason: str | None = None
        self.carried = carried


    # ----------------------------------------------------------------- counters of the gate
    @property
    def snapshots(self) -> int:
        """Experiment snapshots forced so far."""
        return self.gate.snapshots

    @property
    def snapshot_seconds(self) -> float:
        return self.gate.snapshot_seconds

    @property
    def additions_exact(self) -> int:
        return self.gate.additions_exact

    @property
    def additions_spaced(self) -> int:
        return self.gate.additions_spaced

    # ----------------------------------------------------------------- rows
    def trial_key(self, trial: Any, trials: list | None = None) -> str:
        """raysweep's stable ``trial_id`` of a Ray trial (the key of every row of the trial).

        A hook that may see a trial first (a callback before this one in Tune's list) passes Tune's
        ``trials``: they are numbered in creation order before the trial's state is made.
        """
        if trials is not None:
            self.trials.number(trials)
        return self.trials.state(trial).trial_id

    def _trial_row(self, state: Any, status: str, metric: str, **extra: Any) -> dict[str, Any]:
        """:func:`trial_row` with, for a conditional space, the ``branch.<path>`` column of each
        conditional dimension: the index of the branch the trial's config took."""
        return {**trial_row(state, status, metric, **extra), **branch_columns(self.space, state.config)}

    def _note_checkpoint(self, trial: Any, state: Any) -> None:
        """The trial's best kept checkpoint, as of the checkpoints Ray has registered so far."""
        state.checkpoint_path = self.checkpoints.best(trial)

    def _end(self, trial: Any, status: TrialStatus, **extra: Any) -> None:
        state = self.trials.state(trial)
        # Ray registers a checkpoint after its report's result and before acting on the trial's
        # end: every checkpoint of an ended trial is registered (and the dropped ones deleted) here.
        self._note_checkpoint(trial, state)
        # No flush here (it wrote two Parquet files per trial): the writer writes iterations before
        # trial rows in every flush, so a stored end row has its iterations stored; a driver killed
        # before the end row is stored leaves an end the resume repairs from Tune's files.
        feasible = (self.constraints.feasible(state.constraint_values(), state.config)
                    if status in (TrialStatus.COMPLETED, TrialStatus.EARLY_STOPPED) else None)
        self.gate.hold(self._trial_row(state, status, self.metric, ended_at=datetime.now(UTC),
                                       feasible=feasible, **extra), end_of=trial)
        self.tally.add(str(status), state.metric_best, state.trial_id, state.config)
        self.trials.end(trial)

    # ----------------------------------------------------------------- Tune hooks
    def setup(self, *args: Any, **info: Any) -> None:
        # Without the controller no snapshot could be forced: the store could then know of trial
        # events Tune's snapshot lacks, and a resume would re-run them (an ExecutionError instead).
        controller = find_controller("the store's forced snapshots (exact resume)", required=True)
        self.gate.start(controller)
        # HyperBand stops paused trials with no result saying so: it notes them (_hyperband.py)
        self._scheduler_stops = scheduler_stops(controller_scheduler(controller))

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        if not self._repaired:
            self._repaired = True
            self._repair(trials)

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._trials_seen = trials
        self.trials.number(trials)
        state = self.trials.state(trial)
        state.set_attempt(trial)
        state.node_id, state.node_ip = self._nodes.locate(trial)
        self._note_checkpoint(trial, state)  # a retried or resumed trial has its earlier ones
        self.gate.hold(self._trial_row(state, TrialStatus.RUNNING, self.metric))

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        state = self.trials.state(trial)
        state.set_attempt(trial)
        metrics = metric_columns(result)
        state.iterations = int(result.get("training_iteration", state.iterations + 1))
        state.last.update(metrics)
        state.counters = {key: float(result[key]) for key in CONSTRAINT_COUNTERS
                          if isinstance(result.get(key), int | float)}
        state.node_ip = result.get("node_ip", state.node_ip)
        state.hostname = result.get("hostname", state.hostname)
        value = metrics.get(self.metric)
        if value is not None:
            state.metric_last = value
            if self.objective.better(value, state.metric_best):
                state.metric_best = value
        if result.get("done"):
            state.stopped_by_scheduler = True
        self.writer.add_iteration(iteration_row(state, result, metrics))
        self.writer.maybe_flush()  # iterations ahead of Tune's snapshot are superseded on resume

    def on_checkpoint(self, iteration: int, trials: list, trial: Any, checkpoint: Any,
                      **info: Any) -> None:
        # Tune's next snapshot records this checkpoint: a resumed trial continues after it, so
        # every iteration up to it must be stored first.
        self.writer.flush()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        state = self.trials.state(trial)
        if self.carried is not None and self.carried.executed_stop(trial.trial_id):
            state.stopped_by_scheduler = True  # the previous driver's STOP, executed by Tune now
        early = (
            (state.stopped_by_scheduler or trial.trial_id in self._scheduler_stops)
            and self.asha_max_t is not None
            and state.iterations < self.asha_max_t
        )
        if not early:
            self._check_constraint_metrics(state)
        self._end(trial, TrialStatus.EARLY_STOPPED if early else TrialStatus.COMPLETED)

    def _check_constraint_metrics(self, state: Any) -> None:
        """A trial that ran to its end without a metric a constraint reads stops the sweep at the
        end of this step: a misspelt name would make every trial infeasible. (An early-stopped
        trial may report such a metric only at its end: not checked.)"""
        if not self.constraints or self._stop_reason is not None:
            return
        missing = self.constraints.unreported(state.constraint_values())
        if missing:
            self._stop_reason = unreported_message(*missing[0], state.trial_id, state.last)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        # Tune counted this failure before calling us: attempts == failures for a final error.
        self.trials.state(trial).set_attempt(trial, failed=True)
        self._end(trial, TrialStatus.ERRORED, **error_info(trial))

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        state = self.trials.state(trial)
        state.stopped_by_scheduler = False
        self._note_checkpoint(trial, state)
        self.gate.hold(self._trial_row(state, TrialStatus.RUNNING, self.metric, **error_info(trial)))

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        self._trials_seen = trials
        if self._stop_reason is not None:  # a step hook's error ends Tune's loop (a trial hook's
            self.gate.settle(trials)  # would only error that trial): every row stored first
            raise ExecutionError(self._stop_reason)
        self.gate.step_end(trials)
        self.writer.heartbeat()

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self._trials_seen = trials
        if not self._repaired:  # a restored run with nothing left to run takes no step
            self._repaired = True
            self._repair(trials)
        self.gate.release_held()  # Tune's final snapshot is taken before this hook
        self.writer.flush()

    # ----------------------------------------------------------------- resume
    def _repair(self, trials: list) -> None:
        """A restored trial Tune's snapshot knows ended, whose end never reached the store (the
        driver died between the snapshot and the flush): write its end from Tune's own files."""
        for trial in trials:
            if trial.trial_id in self.trials.ended or trial.status not in ("TERMINATED", "ERROR"):
                continue
            prior = self._prior.get(trial.trial_id)
            # Its rows were held for a later snapshot, or released but not yet flushed: the store
            # knows it running, or (a trial that started and ended between two snapshots) not at all.
            if prior is not None and prior.get("status") != TrialStatus.RUNNING:
                continue
            state = self.trials.state(trial)  # same attempt as the rows already stored
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
            if trial.trial_id in self.trials.ended:
                continue
            if trial.trial_id not in self.trials.live:  # never started (in this driver)
                state = self.trials.state(trial)
                prior = self._prior.get(trial.trial_id)
                state.attempts = int(prior.get("attempts") or 0) if prior else 0
                state.started_at = None
            self._end(trial, TrialStatus.CANCELLED, error_message=note)
        for ray_trial_id in list(self.trials.live):
            state = self.trials.live.pop(ray_trial_id)
            self.writer.add_trial(self._trial_row(state, TrialStatus.CANCELLED, self.metric,
                                            ended_at=datetime.now(UTC), error_message=note))
            self.tally.add(TrialStatus.CANCELLED, None)
        self.gate.release_held()  # fit() is over: no snapshot to wait for
        self.writer.flush()

    def summary(self) -> dict[str, Any]:
        """Counts by status and the best trial, in the run record's column names."""
        return self.tally.summary()

