"""Anytime-best curves and the cost of reaching a target value.

Targets are defined once for all compared runs (docs/compare.md, "Targets"), for either mode and
any sign::

    best   = the best trial value over all compared runs
    median = the median trial value over all compared runs (finite values, every trial)
    t(p)   = best - (1 - p) * (best - median)

so the 95 % target closes 95 % of the gap from the median trial to the best trial: it is 5 % of
that gap short of the best. It is *not* 95 % of the best value. A run reaches ``t(p)`` when its
best-so-far is at least as good as it. Which value is better is always
:class:`raysweep.results.Objective`'s call (NaN and infinities never count).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.results import Objective

from ._load import Comparison

__all__ = ["AXES", "anytime_best", "cost_to_target", "running_best", "target_values"]

#: Axes an anytime-best curve can be drawn against. ``compute_seconds`` is cumulative compute
#: (the sum of every trial's reported ``time_this_iter_s``), not the store's per-trial
#: ``trial_seconds`` (one trial's wall lifetime).
AXES = ("trials", "iterations", "compute_seconds", "wall_seconds")


def running_best(values: Sequence[float] | np.ndarray, mode: str | Objective) -> np.ndarray:
    """Best-so-far of ``values`` under ``mode`` (``"min"``/``"max"`` or an ``Objective``).

    NaN and infinite values never count (NaN until the first finite value), as in
    :meth:`raysweep.results.Objective.best`.
    """
    objective = mode if isinstance(mode, Objective) else Objective("value", mode)  # type: ignore[arg-type]
    v = np.asarray(values, dtype=float)
    filled = np.where(np.isfinite(v), v, objective.worst)
    accumulate = np.minimum.accumulate if objective.ascending else np.maximum.accumulate
    acc = accumulate(filled) if filled.size else filled
    return np.where(np.isfinite(acc), acc, np.nan)


def target_values(comp: Comparison, levels: Sequence[float] = (0.95, 0.99)) -> pd.Series:
    """Target value per level (index: level), as defined in this module's docstring."""
    for level in levels:
        if not 0.0 < float(level) <= 1.0:
            raise ConfigError(
                invalid_parameter("levels", "target_values", "fractions in (0, 1]", level)
            )
    values = comp.trials["value"].to_numpy(dtype=float) if not comp.trials.empty else np.array([])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return pd.Series(np.nan, index=pd.Index(list(levels), name="level"), name="target")
    best = float(comp.objective.best(values.tolist()))  # type: ignore[arg-type]
    median = float(np.median(values))
    targets = [best - (1.0 - float(p)) * (best - median) for p in levels]
    return pd.Series(targets, index=pd.Index(list(levels), name="level"), name="target")


def anytime_best(comp: Comparison, axis: str = "trials") -> pd.DataFrame:
    """Best-so-far of every run against ``axis``, one row per step.

    Columns: ``label, group, run, x, value, best``.

    - ``trials``: trials in completion order (``ended_at``, then ``trial_index``; unfinished last),
      ``x`` = 1, 2, ...; ``value`` is the trial's best value.
    - ``iterations`` / ``compute_seconds`` / ``wall_seconds``: every reported iteration of the
      run in time order; ``x`` is the count of iterations, the cumulated ``time_this_iter_s`` over
      all trials (compute), or seconds since the run started (wall time).
    """
    if axis not in AXES:
        raise ConfigError(invalid_parameter("axis", "anytime_best", f"one of {AXES}", axis))
    key = ("anytime_best", axis)
    if key not in comp._cache:
        comp._cache[key] = _anytime_best(comp, axis)
    return comp._cache[key].copy()


def _anytime_best(comp: Comparison, axis: str) -> pd.DataFrame:
    frames = []
    for row in comp.runs.itertuples(index=False):
        steps = _trial_steps(comp, row.run) if axis == "trials" else _iteration_steps(
            comp, row.run, row.started_at, axis
        )
        steps["best"] = running_best(steps["value"].to_numpy(), comp.objective)
        frames.append(steps.assign(label=row.label, group=row.group, run=row.run))
    columns = ["label", "group", "run", "x", "value", "best"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def cost_to_target(comp: Comparison, levels: Sequence[float] = (0.95, 0.99)) -> pd.DataFrame:
    """What each run spent until its best-so-far first reached each target.

    One row per run and level: ``label, run, level, target, trials, iterations,
    compute_seconds, wall_seconds`` (NaN where the run never reached the target).
    """
    targets = target_values(comp, levels)
    curves = {axis: anytime_best(comp, axis) for axis in AXES}
    rows = []
    for row in comp.runs.itertuples(index=False):
        for level, target in targets.items():
            record = {"label": row.label, "run": row.run, "level": level, "target": target}
            for axis, frame in curves.items():
                record[axis] = _first_reach(frame[frame["run"] == row.run], target,
                                            comp.objective)
            rows.append(record)
    return pd.DataFrame(rows, columns=["label", "run", "level", "target", *AXES])


def _first_reach(curve: pd.DataFrame, target: float, objective: Objective) -> float:
    """``x`` of the first step whose best-so-far is at least as good as ``target``.

    A best-so-far curve only improves (NaN before its first value), so "reached" is a suffix of
    the curve: binary search on "the target is not better than the best so far".
    """
    if np.isnan(target) or curve.empty:
        return float("nan")
    best = curve["best"].to_numpy(dtype=float)

    def reached(i: int) -> bool:
        return bool(np.isfinite(best[i])) and not objective.better(target, float(best[i]))

    index = bisect.bisect_left(range(best.size), True, key=reached)
    return float(curve["x"].to_numpy(dtype=float)[index]) if index < best.size else float("nan")


def _trial_steps(comp: Comparison, run: str) -> pd.DataFrame:
    trials = comp.trials[comp.trials["run"] == run]
    order = [c for c in ("ended_at", "trial_index", "trial_id") if c in trials]
    trials = trials.sort_values(order, kind="stable", na_position="last")
    return pd.DataFrame(
        {"x": np.arange(1, len(trials) + 1, dtype=float), "value": trials["value"].to_numpy()}
    )


def _iteration_steps(
    comp: Comparison, run: str, started_at: pd.Timestamp, axis: str
) -> pd.DataFrame:
    its = comp.iterations
    if its.empty or comp.metric not in its:
        return pd.DataFrame({"x": pd.Series(dtype=float), "value": pd.Series(dtype=float)})
    its = its[its["run"] == run]
    order = [c for c in ("timestamp", "trial_id", "attempt", "training_iteration") if c in its]
    its = its.sort_values(order, kind="stable")
    if axis == "iterations":
        x = np.arange(1, len(its) + 1, dtype=float)
    elif axis == "compute_seconds":
        x = its["time_this_iter_s"].fillna(0.0).to_numpy(dtype=float).cumsum()
    else:
        start = started_at if not pd.isna(started_at) else its["timestamp"].min()
        x = (its["timestamp"] - start).dt.total_seconds().to_numpy(dtype=float)
    return pd.DataFrame({"x": x, "value": its[comp.metric].to_numpy(dtype=float)})
