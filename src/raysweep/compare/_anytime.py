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
    xs, values, bests, which = [], [], [], []
    for i, row in enumerate(comp.runs.itertuples(index=False)):
        steps = _trial_steps(comp, row.run) if axis == "trials" else _iteration_steps(
            comp, row.run, row.started_at, axis
        )
        value = steps["value"].to_numpy(dtype=float)
        xs.append(steps["x"].to_numpy(dtype=float))
        values.append(value)
        bests.append(running_best(value, comp.objective))
        which.append(np.full(value.size, i, dtype=np.int32))
    codes = np.concatenate(which) if which else np.array([], dtype=np.int32)
    # Categorical (built from codes, not strings): a million steps filter and group by run fast.
    out = {name: pd.Categorical.from_codes(codes, categories=list(comp.runs[column]))
           for name, column in (("label", "label"), ("run", "run"))}
    groups = list(dict.fromkeys(comp.runs["group"]))
    group_codes = np.array([groups.index(g) for g in comp.runs["group"]], dtype=np.int32)
    out["group"] = pd.Categorical.from_codes(group_codes[codes] if codes.size else codes,
                                             categories=groups)
    frame = pd.DataFrame({
        "label": out["label"], "group": out["group"], "run": out["run"],
        "x": np.concatenate(xs) if xs else np.array([], dtype=float),
        "value": np.concatenate(values) if values else np.array([], dtype=float),
        "best": np.concatenate(bests) if bests else np.array([], dtype=float),
    })
    return frame


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
    curves = {axis: _by_run(anytime_best(comp, axis)) for axis in AXES}
    rows = []
    empty = pd.DataFrame({"x": pd.Series(dtype=float), "best": pd.Series(dtype=float)})
    for row in comp.runs.itertuples(index=False):
        for level, target in targets.items():
            record = {"label": row.label, "run": row.run, "level": level, "target": target}
            for axis, frames in curves.items():
                record[axis] = _first_reach(frames.get(row.run, empty), target, comp.objective)
            rows.append(record)
    return pd.DataFrame(rows, columns=["label", "run", "level", "target", *AXES])


def _by_run(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each run's rows of an ``anytime_best`` frame (contiguous blocks: slices, not copies)."""
    if frame.empty:
        return {}
    codes = np.asarray(frame["run"].cat.codes)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = [*starts[1:], codes.size]
    categories = frame["run"].cat.categories
    return {str(categories[codes[a]]): frame.iloc[a:b] for a, b in zip(starts, ends, strict=True)}


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


def ordered_iterations(comp: Comparison) -> dict[str, dict[str, np.ndarray]]:
    """Each run's reported iterations in time order, as arrays (computed once per comparison).

    Order: ``timestamp`` (missing last), then ``trial_id``, ``attempt``, ``training_iteration``.
    Keys of each run's dict: ``timestamp`` (datetime64[ns]), ``time_this_iter_s``, ``value``
    (the compared metric).
    """
    key = ("ordered_iterations",)
    if key not in comp._cache:
        comp._cache[key] = _ordered_iterations(comp)
    return comp._cache[key]


def _ordered_iterations(comp: Comparison) -> dict[str, dict[str, np.ndarray]]:
    its = comp.iterations
    if its.empty or comp.metric not in its:
        return {}
    out = {}
    nat_last = np.iinfo(np.int64).max
    for run, positions in its.groupby("run", sort=False, observed=True).indices.items():
        part = its.iloc[positions]
        n = len(part)
        stamps = (pd.to_datetime(part["timestamp"], utc=True).dt.tz_localize(None)
                  .to_numpy(dtype="datetime64[ns]") if "timestamp" in part
                  else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
        ts_key = np.where(np.isnat(stamps), nat_last, stamps.view(np.int64))
        keys = [ts_key]
        if "trial_id" in part:
            tid = part["trial_id"]
            if tid.is_monotonic_increasing:  # as the reader returns it: no need to factorize
                keys.append(tid.ne(tid.shift()).to_numpy().cumsum())
            else:
                keys.append(pd.factorize(tid.astype(str).to_numpy(), sort=True)[0])
        for name in ("attempt", "training_iteration"):
            if name in part:
                keys.append(pd.to_numeric(part[name], errors="coerce").fillna(np.inf)
                            .to_numpy(dtype=float))
        order = np.lexsort(keys[::-1])
        spent = (pd.to_numeric(part["time_this_iter_s"], errors="coerce").to_numpy(dtype=float)
                 if "time_this_iter_s" in part else np.zeros(n))
        out[str(run)] = {
            "timestamp": stamps[order],
            "time_this_iter_s": spent[order],
            "value": pd.to_numeric(part[comp.metric], errors="coerce").to_numpy(dtype=float)[order],
        }
    return out


def _iteration_steps(
    comp: Comparison, run: str, started_at: pd.Timestamp, axis: str
) -> pd.DataFrame:
    its = ordered_iterations(comp).get(str(run))
    if its is None:
        return pd.DataFrame({"x": pd.Series(dtype=float), "value": pd.Series(dtype=float)})
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
    return pd.DataFrame({"x": np.asarray(x, dtype=float), "value": its["value"]})
