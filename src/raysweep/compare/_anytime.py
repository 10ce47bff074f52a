"""Anytime-best curves and the cost of reaching a target value.

Targets are defined once for all compared runs, for either mode and any sign::

    g      = the best trial value over all compared runs
    ref    = the median trial value over all compared runs (finite values, every trial)
    t(p)   = g - (1 - p) * (g - ref)

so ``t(0.95)`` is the value "within 5 % of the span from a typical trial to the global best".
In max mode ``ref <= g`` and ``t(p) <= g``; in min mode ``ref >= g`` and ``t(p) >= g``; a run
reaches ``t(p)`` when its best-so-far is at least as good as it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter

from ._load import Comparison

__all__ = ["AXES", "anytime_best", "cost_to_target", "running_best", "target_values"]

#: Axes an anytime-best curve can be drawn against.
AXES = ("trials", "iterations", "trial_seconds", "wall_seconds")
_ITERATION_AXES = AXES[1:]


def running_best(values: Sequence[float] | np.ndarray, mode: str) -> np.ndarray:
    """Best-so-far of ``values`` under ``mode``; NaNs are skipped (NaN until the first value)."""
    v = np.asarray(values, dtype=float)
    fill = -np.inf if mode == "max" else np.inf
    filled = np.where(np.isnan(v), fill, v)
    acc = np.maximum.accumulate(filled) if mode == "max" else np.minimum.accumulate(filled)
    return np.where(acc == fill, np.nan, acc)


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
    best = values.max() if comp.mode == "max" else values.min()
    ref = float(np.median(values))
    targets = [best - (1.0 - float(p)) * (best - ref) for p in levels]
    return pd.Series(targets, index=pd.Index(list(levels), name="level"), name="target")


def anytime_best(comp: Comparison, axis: str = "trials") -> pd.DataFrame:
    """Best-so-far of every run against ``axis``, one row per step.

    Columns: ``label, group, run, x, value, best``.

    - ``trials``: trials in completion order (``ended_at``, then ``trial_index``; unfinished last),
      ``x`` = 1, 2, ...; ``value`` is the trial's best value.
    - ``iterations`` / ``trial_seconds`` / ``wall_seconds``: every reported iteration of the run
      in time order; ``x`` is the count of iterations, the cumulated ``time_this_iter_s`` over
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
        steps["best"] = running_best(steps["value"].to_numpy(), comp.mode)
        frames.append(steps.assign(label=row.label, group=row.group, run=row.run))
    columns = ["label", "group", "run", "x", "value", "best"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def cost_to_target(comp: Comparison, levels: Sequence[float] = (0.95, 0.99)) -> pd.DataFrame:
    """What each run spent until its best-so-far first reached each target.

    One row per run and level: ``label, run, level, target, trials, iterations, trial_seconds,
    wall_seconds`` (NaN where the run never reached the target).
    """
    targets = target_values(comp, levels)
    curves = {axis: anytime_best(comp, axis) for axis in AXES}
    rows = []
    for row in comp.runs.itertuples(index=False):
        for level, target in targets.items():
            record = {"label": row.label, "run": row.run, "level": level, "target": target}
            for axis, frame in curves.items():
                record[axis] = _first_reach(frame[frame["run"] == row.run], target, comp.mode)
            rows.append(record)
    return pd.DataFrame(rows, columns=["label", "run", "level", "target", *AXES])


def _first_reach(curve: pd.DataFrame, target: float, mode: str) -> float:
    if np.isnan(target) or curve.empty:
        return float("nan")
    best = curve["best"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        hit = best >= target if mode == "max" else best <= target
    index = np.flatnonzero(hit)
    return float(curve["x"].to_numpy(dtype=float)[index[0]]) if index.size else float("nan")


def _trial_steps(comp: Comparison, run: str) -> pd.DataFrame:
    trials = comp.trials[comp.trials["run"] == run]
    order = [c for c in ("ended_at", "trial_index", "trial_id") if c in trials]
    trials = trials.sort_values(order, kind="stable", na_position="last")
    return pd.DataFrame(
        {"x": np.arange(1, len(trials) + 1, dtype=float), "value": trials["value"].to_numpy()}
    )


def _iteration_steps(comp: Comparison, run: str, started_at, axis: str) -> pd.DataFrame:
    its = comp.iterations
    if its.empty or comp.metric not in its:
        return pd.DataFrame({"x": pd.Series(dtype=float), "value": pd.Series(dtype=float)})
    its = its[its["run"] == run]
    order = [c for c in ("timestamp", "trial_id", "attempt", "training_iteration") if c in its]
    its = its.sort_values(order, kind="stable")
    if axis == "iterations":
        x = np.arange(1, len(its) + 1, dtype=float)
    elif axis == "trial_seconds":
        x = its["time_this_iter_s"].fillna(0.0).to_numpy(dtype=float).cumsum()
    else:
        start = started_at if not pd.isna(started_at) else its["timestamp"].min()
        x = (its["timestamp"] - start).dt.total_seconds().to_numpy(dtype=float)
    return pd.DataFrame({"x": x, "value": its[comp.metric].to_numpy(dtype=float)})
