"""The mapping from Ray Tune's results to store rows: which keys are Tune's bookkeeping, which are metrics.

``raysweep.results`` knows nothing about Ray; this module is where Ray's result dictionaries become the
free-form metric columns of the ``iterations`` and ``trials`` datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ray.tune.result import (
    AUTO_RESULT_KEYS,
    DONE,
    EPISODES_TOTAL,
    EXPERIMENT_TAG,
    SHOULD_CHECKPOINT,
    TIMESTEPS_TOTAL,
    TRIAL_ID,
)

from raysweep.results import RESERVED_COLUMNS, config_columns, to_json

if TYPE_CHECKING:
    from raysweep.execution.recording._identity import TrialState

__all__ = ["RAY_RESULT_KEYS", "as_number", "iteration_row", "metric_columns", "trial_row"]

#: Bookkeeping keys Ray Tune adds to results: never metrics (the one list raysweep keeps). Ray's own
#: ``AUTO_RESULT_KEYS`` and the keys Tune sets per result; ``episodes_total`` and ``timesteps_total``
#: are left out of it: Ray only fills them from what an (RL) trainable reports, so they are metrics.
RAY_RESULT_KEYS = frozenset(
    {*AUTO_RESULT_KEYS, DONE, TRIAL_ID, EXPERIMENT_TAG, SHOULD_CHECKPOINT, "warmup_time", "experiment_id"}
    - {EPISODES_TOTAL, TIMESTEPS_TOTAL}
)


def as_number(value: Any) -> float | None:
    """A float for an int/float/numpy number (NaN and inf kept); None for anything else."""
    if value is None or isinstance(value, bool | str | bytes):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def metric_columns(result: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every numeric metric of a Tune result (nested dicts flattened with '/'), as floats.

    Ray's bookkeeping keys are skipped; a user metric whose name collides with a store column
    (``attempt``, ``node_id``, ...: :data:`raysweep.results.RESERVED_COLUMNS`) is kept as
    ``metric/<name>``.
    """
    out: dict[str, float] = {}
    for key, value in result.items():
        if not prefix and key in RAY_RESULT_KEYS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(metric_columns(value, prefix=f"{name}/"))
            continue
        number = as_number(value)
        if number is not None:
            out[f"metric/{name}" if name in RESERVED_COLUMNS else name] = number
    return out


def trial_row(state: TrialState, status: str, metric: str, **extra: Any) -> dict[str, Any]:
    """A row of the ``trials`` dataset: the trial as it stands, with ``extra`` columns."""
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
        "metric": metric,
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
        "checkpoint_path": state.checkpoint_path,
        **extra,
    }


def iteration_row(state: TrialState, result: dict, metrics: dict[str, float]) -> dict[str, Any]:
    """A row of the ``iterations`` dataset: one report of the trial."""
    return {
        "trial_id": state.trial_id,
        "attempt": state.attempts,
        "training_iteration": state.iterations,
        "time_total_s": result.get("time_total_s"),
        "time_this_iter_s": result.get("time_this_iter_s"),
        "timestamp": datetime.now(UTC),
        "node_id": state.node_id,
        "node_ip": state.node_ip,
        "hostname": state.hostname,
        **metrics,
    }
