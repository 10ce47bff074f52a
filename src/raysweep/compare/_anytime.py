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
from typing import Any

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.results import Objective

from ._load import Comparison

__all__ = ["AXES", "anytime_best", "cost_to_target", "retrained_iterations", "running_best",
           "target_values"]


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
    curves = run_curves(comp, axis)
    runs = list(comp.runs["run"].astype(str))
    sizes = [curves[run][0].size for run in runs]
    codes = np.repeat(np.arange(len(runs), dtype=np.int32), sizes)
    # Categorical (built from codes, not strings): a million steps filter and group by run fast.
    groups = list(dict.fromkeys(comp.runs["group"]))
    group_codes = np.array([groups.index(g) for g in comp.runs["group"]], dtype=np.int32)

    def column(part: int) -> np.ndarray:
        arrays = [curves[run][part] for run in runs]
        return np.concatenate(arrays) if arrays else np.array([], dtype=float)

    return pd.DataFrame({
        "label": pd.Categorical.from_codes(codes, categories=list(comp.runs["label"])),
        "group": pd.Categorical.from_codes(group_codes[codes] if codes.size else codes,
                                           categories=groups),
        "run": pd.Categorical.from_codes(codes, categories=list(comp.runs["run"])),
        "x": column(0), "value": column(1), "best": column(2),
    })


def run_curves(comp: Comparison, axis: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each run's anytime curve against ``axis`` as arrays ``(x, value, best)`` (cached, shared:
    do not modify). :func:`anytime_best` is the same as one frame."""
    key = ("run_curves", axis)
    if key not in comp._cache:
        curves = {}
        for row in comp.runs.itertuples(index=False):
            if axis == "trials":
                x, value = _trial_steps(comp, row.run)
                curves[str(row.run)] = (x, value, running_best(value, comp.objective))
            else:
                curves[str(row.run)] = _iteration_steps(comp, row.run, row.started_at, axis)
        comp._cache[key] = curves
    return comp._cache[key]


def compress_steps(curve: pd.DataFrame) -> pd.DataFrame:
    """The rows of one run's anytime curve where ``best`` changes, plus its first and last row.

    Lossless for a step function drawn with ``line_shape='hv'``: the dropped rows repeat the
    best-so-far of the row before them. The report draws these (a few dozen rows instead of one
    per reported iteration).
    """
    if len(curve) <= 2:
        return curve
    best = curve["best"].to_numpy(dtype=float)
    changed = np.ones(best.size, dtype=bool)
    changed[1:] = ~((best[1:] == best[:-1]) | (np.isnan(best[1:]) & np.isnan(best[:-1])))
    changed[-1] = True
    return curve[changed]


def cost_to_target(comp: Comparison, levels: Sequence[float] = (0.95, 0.99)) -> pd.DataFrame:
    """What each run spent until its best-so-far first reached each target.

    One row per run and level: ``label, run, level, target, trials, iterations,
    compute_seconds, wall_seconds`` (NaN where the run never reached the target).
    """
    targets = target_values(comp, levels)
    curves = {axis: run_curves(comp, axis) for axis in AXES}
    rows = []
    for row in comp.runs.itertuples(index=False):
        for level, target in targets.items():
            record = {"label": row.label, "run": row.run, "level": level, "target": target}
            for axis, by_run in curves.items():
                x, _, best = by_run[str(row.run)]
                record[axis] = _first_reach(x, best, target, comp.objective)
            rows.append(record)
    return pd.DataFrame(rows, columns=["label", "run", "level", "target", *AXES])


def _first_reach(x: np.ndarray, best: np.ndarray, target: float, objective: Objective) -> float:
    """``x`` of the first step whose best-so-far is at least as good as ``target``.

    A best-so-far curve only improves (NaN before its first value), so "reached" is a suffix of
    the curve: binary search on "the target is not better than the best so far".
    """
    if np.isnan(target) or best.size == 0:
        return float("nan")

    def reached(i: int) -> bool:
        return bool(np.isfinite(best[i])) and not objective.better(target, float(best[i]))

    index = bisect.bisect_left(range(best.size), True, key=reached)
    return float(x[index]) if index < best.size else float("nan")


def _trial_steps(comp: Comparison, run: str) -> tuple[np.ndarray, np.ndarray]:
    trials = comp.trials[comp.trials["run"] == run]
    order = [c for c in ("ended_at", "trial_index", "trial_id") if c in trials]
    trials = trials.sort_values(order, kind="stable", na_position="last")
    return np.arange(1, len(trials) + 1, dtype=float), trials["value"].to_numpy(dtype=float)


def ordered_iterations(comp: Comparison) -> dict[str, dict[str, np.ndarray]]:
    """Each run's reported iterations in time order, as arrays (computed once per comparison).

    Order: ``timestamp`` (missing last), then ``trial_id``, ``attempt``, ``training_iteration``.
    Keys of each run's dict: ``timestamp`` (datetime64[ns]), ``time_this_iter_s``, ``value``
    (the compared metric) and ``best`` (its best so far, :func:`running_best`).
    """
    key = ("ordered_iterations",)
    if key not in comp._cache:
        comp._cache[key] = _ordered_iterations(comp)
    return comp._cache[key]


def retrained_iterations(comp: Comparison) -> pd.DataFrame:
    """The iterations PBT's exploits made their copiers train again, which the store no longer has.

    A copier at iteration ``t`` that copies a checkpoint of iteration ``s < t`` trains ``s+1..t``
    again; its first values for them are replaced in the store (the last report of an iteration
    wins), but they were computed. One row per such iteration: ``run``, ``trial_id``,
    ``training_iteration``, ``timestamp`` (the exploit's: they were trained just before it) and
    ``time_this_iter_s``, estimated as the copier's median stored ``time_this_iter_s``; the metric
    is NaN (its value is gone).
    """
    columns = ["run", "trial_id", "training_iteration", "timestamp", "time_this_iter_s"]
    perts = comp.perturbations
    if perts.empty or "source_training_iteration" not in perts:
        return pd.DataFrame(columns=columns)
    its = comp.iterations
    spent = (its.groupby(["run", "trial_id"], observed=True)["time_this_iter_s"].median()
             if not its.empty and "time_this_iter_s" in its else pd.Series(dtype=float))
    rows: list[dict[str, Any]] = []
    for p in perts.itertuples(index=False):
        copied, at = int(p.source_training_iteration), int(p.training_iteration)
        seconds = float(spent.get((p.run, p.trial_id), np.nan)) if len(spent) else np.nan
        rows.extend({"run": p.run, "trial_id": p.trial_id, "training_iteration": i,
                     "timestamp": p.timestamp, "time_this_iter_s": seconds}
                    for i in range(copied + 1, at + 1))
    return pd.DataFrame(rows, columns=columns)


def _ordered_iterations(comp: Comparison) -> dict[str, dict[str, np.ndarray]]:
    its = comp.iterations
    if its.empty or comp.metric not in its:
        return {}
    again = retrained_iterations(comp)  # PBT: trained, then replaced in the store by a re-run
    if len(again):
        again = again.assign(**{comp.metric: np.nan}).astype({"timestamp": its["timestamp"].dtype},
                                                              errors="ignore")
        its = pd.concat([its, again[[c for c in again.columns if c in its]]], ignore_index=True)
    # The sort keys, spent time and metric of the whole frame once (timestamps as naive UTC); each
    # run takes its positions of them
    stamps = (pd.to_datetime(its["timestamp"], utc=True).dt.tz_localize(None)
              .to_numpy(dtype="datetime64[ns]") if "timestamp" in its
              else np.full(len(its), np.datetime64("NaT"), dtype="datetime64[ns]"))
    keys = [np.where(np.isnat(stamps), np.iinfo(np.int64).max, stamps.view(np.int64))]
    if "trial_id" in its:
        keys.append(_sort_ranks(its["trial_id"]))
    for name in ("attempt", "training_iteration"):
        if name in its:
            number = _numbers(its[name])
            keys.append(np.where(np.isnan(number), np.inf, number))
    spent = _numbers(its["time_this_iter_s"]) if "time_this_iter_s" in its else np.zeros(len(its))
    metric = _numbers(its[comp.metric])
    out = {}
    for run, positions in its.groupby("run", sort=False, observed=True).indices.items():
        order = positions[np.lexsort([key[positions] for key in reversed(keys)])]
        value = metric[order]
        out[str(run)] = {
            "timestamp": stamps[order],
            "time_this_iter_s": spent[order],
            "value": value,
            "best": running_best(value, comp.objective),
        }
    return out


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _sort_ranks(values: pd.Series) -> np.ndarray:
    """Each value's rank among the distinct values in sorted order (as strings): a sort key
    that hashes the column once (Arrow's dictionary encoding for Arrow strings: not one Python
    object per row) and sorts only the distinct values (the runs' trial ids)."""
    codes, uniques = pd.factorize(values)
    ranks = np.empty(len(uniques) + 1, dtype=np.int64)  # the extra last one: missing (code -1)
    ranks[np.argsort(np.asarray(uniques, dtype=str), kind="stable")] = np.arange(len(uniques))
    ranks[-1] = len(uniques)
    return ranks[codes]


def _iteration_steps(
    comp: Comparison, run: str, started_at: pd.Timestamp, axis: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    its = ordered_iterations(comp).get(str(run))
    if its is None:
        return np.array([], dtype=float), np.array([], dtype=float), np.array([], dtype=float)
    n = its["value"].size
    if axis == "iterations":
        x = np.arange(1, n + 1, dtype=float)
    elif axis == "compute_seconds":
        x = np.nan_to_num(its["time_this_iter_s"], nan=0.0).cumsum()
    else:
        stamps = its["timestamp"]
        if pd.isna(started_at):
            start = stamps.min() if n else np.datetime64("NaT")
        else:
            start = pd.Timestamp(started_at)
            start = (start.tz_convert("UTC").tz_localize(None) if start.tzinfo else start)
            start = start.to_datetime64()
        x = (stamps - start) / np.timedelta64(1, "s")
    return np.asarray(x, dtype=float), its["value"], its["best"]
