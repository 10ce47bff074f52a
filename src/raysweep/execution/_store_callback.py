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

import re
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ray import cloudpickle, tune

from raysweep.execution._resources import ActorNodes
from raysweep.results import RunWriter
from raysweep.results._records import (
    config_columns,
    is_better,
    metric_columns,
    stable_trial_id,
    strip_ansi,
)
from raysweep.results._schema import to_json

_INDEX = re.compile(r"_(\d+)$")
_TRIAL_END_FLUSH_S = 0.5


@dataclass
class _TrialState:
    trial_id: str
    ray_trial_id: str
    index: int
    config: dict[str, Any]
    started_at: datetime | None
    attempts: int = 1
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

    Args:
        writer: The run's writer (owned by the caller, who closes it).
        sweep: Sweep name (part of the stable ``trial_id``).
        run_id: Run id (for messages; the writer knows its partition).
        metric: The sweep metric name (``metric_last``/``metric_best``).
        mode: ``"min"`` or ``"max"``.
        asha_max_t: ASHA's ``max_t`` when ASHA schedules the sweep, else None.
        time_attr: ASHA's time attribute (``training_iteration``).
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
    ):
        self.writer = writer
        self.sweep = sweep
        self.run_id = run_id
        self.metric = metric
        self.mode = mode
        self.asha_max_t = asha_max_t
        self.time_attr = time_attr
        self._live: dict[str, _TrialState] = {}
        self._ended: set[str] = set()
        self._trials_seen: list[Any] = []
        self._counts = {"completed": 0, "early_stopped": 0, "errored": 0, "cancelled": 0}
        self._best: tuple[float | None, str | None, dict[str, Any] | None] = (None, None, None)
        self._next_index = 0
        self._nodes = ActorNodes()  # node id (hex) of each trial's actor

    # ----------------------------------------------------------------- state
    def _state(self, trial: Any) -> _TrialState:
        state = self._live.get(trial.trial_id)
        if state is None:
            match = _INDEX.search(trial.trial_id)
            index = int(match.group(1)) if match else self._next_index
            self._next_index = max(self._next_index, index + 1)
            config = dict(trial.config)
            state = _TrialState(
                trial_id=stable_trial_id(self.sweep, config, index),
                ray_trial_id=trial.trial_id,
                index=index,
                config=config,
                started_at=datetime.now(UTC),
            )
            self._live[trial.trial_id] = state
        return state

    def _row(self, state: _TrialState, status: str, **extra: Any) -> dict[str, Any]:
        ended_at = extra.pop("ended_at", None)
        seconds = None
        if ended_at is not None and state.started_at is not None:
            seconds = (ended_at - state.started_at).total_seconds()
        return {
            "trial_id": state.trial_id,
            "ray_trial_id": state.ray_trial_id,
            "trial_index": state.index,
            "status": status,
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

    def _end(self, trial: Any, status: str, **extra: Any) -> None:
        state = self._state(trial)
        self.writer.add_trial(self._row(state, status, ended_at=datetime.now(UTC), **extra))
        self._counts[status] += 1
        if is_better(state.metric_best, self._best[0], self.mode):
            self._best = (state.metric_best, state.trial_id, state.config)
        self._live.pop(trial.trial_id, None)
        self._ended.add(trial.trial_id)
        self.writer.maybe_flush(min_interval_s=_TRIAL_END_FLUSH_S)

    # ----------------------------------------------------------------- Tune hooks
    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._trials_seen = trials
        state = self._state(trial)
        state.attempts = _attempt(trial)
        state.node_id, state.node_ip = self._nodes.locate(trial)
        self.writer.add_trial(self._row(state, "running"))

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        state = self._state(trial)
        state.attempts = _attempt(trial)
        metrics = metric_columns(result)
        step = int(result.get("training_iteration", state.iterations + 1))
        state.iterations = step
        state.last.update(metrics)
        state.node_ip = result.get("node_ip", state.node_ip)
        state.hostname = result.get("hostname", state.hostname)
        value = metrics.get(self.metric)
        if value is not None:
            state.metric_last = value
            if is_better(value, state.metric_best, self.mode):
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
        self.writer.maybe_flush()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        state = self._state(trial)
        early = (
            state.stopped_by_scheduler
            and self.asha_max_t is not None
            and state.iterations < self.asha_max_t
        )
        self._end(trial, "early_stopped" if early else "completed")

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        # Tune counted this failure before calling us: attempts == failures for a final error.
        self._state(trial).attempts = max(1, _attempt(trial) - 1)
        self._end(trial, "errored", **_error_info(trial))

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        state = self._state(trial)
        state.stopped_by_scheduler = False
        self.writer.add_trial(self._row(state, "running", **_error_info(trial)))

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        self._trials_seen = trials
        self.writer.maybe_flush()
        self.writer.heartbeat()

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self._trials_seen = trials
        self.writer.flush()

    # ----------------------------------------------------------------- after fit()
    def finalize(self, interrupted: bool) -> None:
        """Mark trials that never ended as ``cancelled`` and flush. Call once after ``fit()``."""
        note = "sweep interrupted" if interrupted else "sweep ended before this trial did"
        for trial in list(self._trials_seen):
            if trial.trial_id in self._ended:
                continue
            if trial.trial_id not in self._live:  # never started
                state = self._state(trial)
                state.attempts, state.started_at = 0, None
            self._end(trial, "cancelled", error_message=note)
        for ray_trial_id in list(self._live):
            state = self._live.pop(ray_trial_id)
            row = self._row(state, "cancelled", ended_at=datetime.now(UTC), error_message=note)
            self.writer.add_trial(row)
            self._counts["cancelled"] += 1
        self.writer.flush()

    def summary(self) -> dict[str, Any]:
        """Counts by status and the best trial, in the run-record keys the lead's runner writes."""
        best_value, best_trial_id, best_config = self._best
        return {
            "n_trials": sum(self._counts.values()),
            "n_completed": self._counts["completed"],
            "n_early_stopped": self._counts["early_stopped"],
            "n_errored": self._counts["errored"],
            "n_cancelled": self._counts["cancelled"],
            "best_value": best_value,
            "best_trial_id": best_trial_id,
            "best_config": best_config,
        }


def _attempt(trial: Any) -> int:
    return int(getattr(trial.run_metadata, "num_failures", 0)) + 1


def _error_info(trial: Any) -> dict[str, Any]:
    """error_type / error_message / error_traceback of the trial's last failure, ANSI-free."""
    exc = _read_local(trial.pickled_error_file, binary=True)
    if exc is None:
        text = _read_local(trial.error_file, binary=False)
        return {"error_type": "TuneError" if text else None, "error_message": strip_ansi(text)}
    cause = getattr(exc, "cause", None) or exc
    # A RayTaskError's text is the remote traceback (coloured); the unpickled cause has none.
    tb = str(exc) if cause is not exc else "".join(traceback.format_exception(exc))
    if cause is not exc:
        message = str(cause)
    else:  # e.g. an actor that died: keep the last line of Ray's text
        lines = (strip_ansi(str(exc)) or "").strip().splitlines()
        message = lines[-1] if lines else ""
    return {
        "error_type": type(cause).__name__,
        "error_message": strip_ansi(message),
        "error_traceback": strip_ansi(tb),
    }


def _read_local(path: str | None, *, binary: bool) -> Any:
    """Read the error file Tune just wrote in the driver's local trial dir (None if unavailable).

    ``trial.get_pickled_error()`` reads the storage copy, which is synced only at experiment
    snapshots, so right after a failure it is often missing.
    """
    if not path:
        return None
    try:
        if binary:
            with open(path, "rb") as handle:
                return cloudpickle.load(handle)
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip() or None
    except Exception:  # noqa: BLE001 - a missing or unpicklable error file must not stop the sweep
        return None
