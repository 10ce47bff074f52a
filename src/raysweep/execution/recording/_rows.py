"""The mapping from Ray Tune's results to store rows: which keys are Tune's bookkeeping, which are metrics.

``raysweep.results`` knows nothing about Ray; this module is where Ray's result dictionaries become the
free-form metric columns of the ``iterations`` and ``trials`` datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raysweep.results import RESERVED_COLUMNS

__all__ = ["RAY_RESULT_KEYS", "as_number", "metric_columns"]

#: Bookkeeping keys Ray Tune adds to every result; not metrics.
RAY_RESULT_KEYS = frozenset(
    {
        "config",
        "date",
        "done",
        "experiment_tag",
        "checkpoint_dir_name",
        "hostname",
        "iterations_since_restore",
        "node_ip",
        "pid",
        "should_checkpoint",
        "time_since_restore",
        "timestamp",
        "trial_id",
        "warmup_time",
        "training_iteration",
        "time_total_s",
        "time_this_iter_s",
    }
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
