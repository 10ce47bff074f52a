"""Ranking by any stored column: which column a ``--metric`` means and which value is best."""

from __future__ import annotations

import difflib
import math
from typing import Any

import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.results._objective import MODES, Objective

__all__ = ["rank_by", "ranking"]


def ranking(trials: pd.DataFrame, sweep_objective: Objective | None, metric: str | None,
            mode: str | None, owner: str = "best") -> tuple[str, Objective]:
    """The column to rank ``trials`` by and its :class:`Objective`.

    ``metric`` None (or the sweep metric) ranks by ``metric_best``; a stored column name
    (``last.epoch_seconds``, ``trial_seconds``, ...) ranks by that column; another metric name
    ``m`` ranks by its final value ``last.m``. ``mode`` defaults to the sweep's mode for the sweep
    metric and is required for any other.
    """
    if mode is not None and mode not in MODES:
        raise ConfigError(invalid_parameter("mode", owner, "one of 'min', 'max'", mode))
    sweep_metric = sweep_objective.metric if sweep_objective is not None else None
    if metric is None or metric == sweep_metric:
        column = "metric_best"
        if mode is None:
            if sweep_objective is None:
                raise ConfigError(invalid_parameter(
                    "mode", owner, "'min' or 'max'", mode,
                    "The runs disagree on the objective: pass --mode (or pick one run)."))
            mode = sweep_objective.mode
        return column, Objective(sweep_metric or "metric_best", mode)
    if metric in trials.columns:
        column = metric
    elif f"last.{metric}" in trials.columns:
        column = f"last.{metric}"
    else:
        names = [c for c in trials.columns if c.startswith("last.")] + \
            ["metric_best", "metric_last", "trial_seconds", "iterations"]
        close = difflib.get_close_matches(metric, [*names, *(n[5:] for n in names
                                                            if n.startswith("last."))], n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(invalid_parameter(
            "metric", owner, "a metric the trials reported (its final value last.<metric>) or a "
            "stored numeric column", metric, hint.strip() or None))
    if mode is None:
        raise ConfigError(invalid_parameter(
            "mode", owner, "'min' or 'max' when ranking by a metric other than the sweep's", mode,
            f"Pass --mode min or --mode max for {metric!r}."))
    return column, Objective(metric, mode)


def rank_by(trials: pd.DataFrame, column: str, objective: Objective, k: int = 1) -> pd.DataFrame:
    """The ``k`` best rows of ``trials`` by ``column`` (missing, NaN and inf never ranked)."""
    if trials.empty or column not in trials:
        return trials.head(0)
    values = pd.to_numeric(trials[column], errors="coerce").astype(float)
    finite = values.map(lambda v: isinstance(v, float) and math.isfinite(v))
    ranked = trials[finite].assign(__rank=values[finite])
    order: list[Any] = ["__rank", *[c for c in ("trial_index", "trial_id") if c in ranked]]
    ascending = [objective.ascending, *[True] * (len(order) - 1)]
    return ranked.sort_values(order, ascending=ascending, kind="stable").head(k).drop(
        columns="__rank")
