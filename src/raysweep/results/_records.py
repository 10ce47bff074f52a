"""Pure helpers that turn trial configs and reported results into store rows (no Ray needed)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from raysweep._errors import StorageError, invalid_parameter
from raysweep.results._schema import RESERVED_COLUMNS, as_number, to_json

# Bookkeeping keys Ray Tune adds to every result; not metrics.
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
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str | None) -> str | None:
    """Remove ANSI escape sequences (Ray colours its error text)."""
    return None if text is None else _ANSI.sub("", text)


def stable_trial_id(sweep: str, config: Mapping[str, Any], index: int) -> str:
    """16 hex digits of sha256(sweep, canonical config JSON, sample index): same trial, same id."""
    payload = f"{sweep}\n{to_json(config)}\n{int(index)}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def config_columns(config: Mapping[str, Any], prefix: str = "config.") -> dict[str, Any]:
    """One ``config.<path>`` entry per leaf; nested dict keys joined with '.'."""
    out: dict[str, Any] = {}
    for key in sorted(config, key=str):
        value = config[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(config_columns(value, prefix=f"{name}."))
        else:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


def metric_columns(result: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every numeric metric of a Tune result (nested dicts flattened with '/'), as floats.

    Ray's bookkeeping keys are skipped; a user metric whose name collides with a store column
    (``attempt``, ``node_id``, ...) is kept as ``metric/<name>``.
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


def is_better(value: float | None, than: float | None, mode: str) -> bool:
    """Whether ``value`` beats ``than`` under ``mode``; NaN and None never win."""
    if value is None or math.isnan(value):
        return False
    if than is None or math.isnan(than):
        return True
    return value > than if mode == "max" else value < than


def best_trial(trials: pd.DataFrame, mode: str, k: int = 1) -> pd.DataFrame:
    """The ``k`` trials with the best ``metric_best`` under ``mode`` (NaN last, ties by index)."""
    if mode not in ("min", "max"):
        raise StorageError(invalid_parameter("mode", "best_trial", "one of 'min', 'max'", mode))
    if trials.empty or "metric_best" not in trials:
        return trials.head(0)
    ranked = trials.dropna(subset=["metric_best"])
    order = ["metric_best", *[c for c in ("trial_index", "trial_id") if c in ranked]]
    ascending = [mode == "min", *[True] * (len(order) - 1)]
    return ranked.sort_values(order, ascending=ascending, kind="stable").head(k)
