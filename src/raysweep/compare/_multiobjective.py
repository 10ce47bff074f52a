"""Multi-objective runs compared: each run's own Pareto front, its hypervolume, and the bootstrap
over seeds of the hypervolume, as ``_stats`` does for one metric.

A run's objectives come from its ``objectives_json`` column (``[["val_ndcg", "max"], ...]``,
written for every run by multi-objective raysweep), else its ``metric``/``mode``. A trial's point
is its final reported value of each objective (``last.<metric>``: the model the trial ended
with, every objective at the same iteration), else what ``pareto_front`` reads.

The reference point (:func:`reference_point`), unless given: for each objective, the worst value
any compared trial reached, moved away from the front by ``margin`` (10 %) of the objective's range
over the compared trials (of its magnitude, or 1, when every trial has the same value). So every
trial of every compared run counts, and every run is measured against the same point; a point
given instead must be worse than the trials that are to count (one beyond it adds nothing).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter

from ._anytime import AXES
from ._hypervolume import hypervolume, non_dominated
from ._load import Comparison
from ._pareto import _values
from ._stats import (
    GroupComparison,
    _at_common_budget,
    _check,
    _grid,
    _group_runs,
    _group_test,
    bootstrap_median_band,
    step_at,
)

__all__ = ["compare_hypervolumes", "hypervolume_bands", "hypervolume_curves",
           "hypervolume_seed_bands", "objectives_of", "reference_point", "run_fronts",
           "run_hypervolumes"]

Pairs = list[tuple[str, str]]


def _run_objectives(run: Mapping[str, Any]) -> Pairs:
    """A run row's objectives: its ``objectives_json``, else its ``metric``/``mode`` pair.

    A private copy of ``results.run_objectives`` (the multi-objective contract), until it lands.
    """
    raw = run.get("objectives_json")
    if isinstance(raw, str) and raw:
        return [(str(m), str(d)) for m, d in json.loads(raw)]
    return [(str(run.get("metric")), str(run.get("mode")))]


def objectives_of(comp: Comparison, objectives: Sequence[tuple[str, str]] | None = None) -> Pairs:
    """The objectives the runs are compared on: ``objectives`` when given, else the runs' own
    (which must agree), or ``[]`` when the runs have one objective each."""
    if objectives is not None:
        pairs = [(str(m), str(d)) for m, d in objectives]
        if len(pairs) < 2 or len({m for m, _ in pairs}) != len(pairs) or any(
                d not in ("min", "max") for _, d in pairs):
            raise ConfigError(invalid_parameter(
                "objectives", "compare", "two or more distinct (metric, 'min' | 'max') pairs",
                objectives))
        return pairs
    own = {tuple(_run_objectives(row)) for row in comp.runs.to_dict("records")}
    if len(own) != 1:
        raise ConfigError(invalid_parameter(
            "objectives", "compare", "given when the runs optimise different objectives",
            sorted(own), "Pass objectives=[(metric, mode), ...]."))
    pairs = list(next(iter(own)))
    return pairs if len(pairs) > 1 else []


def _points(comp: Comparison, pairs: Pairs) -> pd.DataFrame:
    """``run, trial_id`` and one column per objective (final values; non-finite rows dropped)."""
    trials = comp.trials
    columns = {}
    for metric, mode in pairs:
        last = f"last.{metric}"
        if last in trials.columns:
            columns[metric] = pd.to_numeric(trials[last], errors="coerce").astype(float)
        else:
            columns[metric] = _values(comp, metric, mode)
    frame = pd.DataFrame({"run": trials["run"], "trial_id": trials["trial_id"], **columns})
    finite = np.all(np.isfinite(frame[[m for m, _ in pairs]].to_numpy(dtype=float)), axis=1)
    return frame[finite].reset_index(drop=True)


def _min_form(frame: pd.DataFrame, pairs: Pairs) -> np.ndarray:
    return np.column_stack([frame[m].to_numpy(dtype=float) * (-1.0 if d == "max" else 1.0)
                            for m, d in pairs]) if len(frame) else np.empty((0, len(pairs)))


def reference_point(comp: Comparison, objectives: Sequence[tuple[str, str]] | None = None, *,
                    margin: float = 0.1) -> tuple[float, ...]:
    """The default reference point (see the module docstring), in the objectives' own units."""
    pairs = _require(comp, objectives)
    return _default_reference(_points(comp, pairs), pairs, margin)


def _default_reference(frame: pd.DataFrame, pairs: Pairs, margin: float = 0.1) -> tuple[float, ...]:
    """:func:`reference_point` of the runs' points ``frame`` (:func:`_points`)."""
    points = _min_form(frame, pairs)
    if len(points) == 0:
        raise ConfigError(invalid_parameter(
            "reference", "compare", "given when no trial has a finite value of every objective",
            None))
    worst, best = points.max(axis=0), points.min(axis=0)
    span = worst - best
    pad = np.where(span > 0, span, np.where(worst != 0, np.abs(worst), 1.0)) * float(margin)
    ref = worst + pad
    return tuple(float(r * (-1.0 if d == "max" else 1.0)) for r, (_, d) in zip(ref, pairs, strict=True))


def _require(comp: Comparison, objectives: Sequence[tuple[str, str]] | None) -> Pairs:
    pairs = objectives_of(comp, objectives)
    if not pairs:
        raise ConfigError(invalid_parameter(
            "objectives", "compare", "two or more objectives (the runs have one)", objectives,
            "Pass objectives=[(metric, mode), ...] naming metrics the trials reported."))
    return pairs


def _hypervolume_inputs(comp: Comparison, objectives: Sequence[tuple[str, str]] | None,
                        reference: Sequence[float] | None
                        ) -> tuple[Pairs, tuple[float, ...], pd.DataFrame, list[str]]:
    """The objectives, the reference point, every run's points and the modes, the points read once
    (the default reference is computed from them)."""
    pairs = _require(comp, objectives)
    points = _points(comp, pairs)
    return pairs, _reference(points, pairs, reference), points, [d for _, d in pairs]


def _reference(points: pd.DataFrame, pairs: Pairs,
               reference: Sequence[float] | None) -> tuple[float, ...]:
    if reference is None:
        return _default_reference(points, pairs)
    ref = tuple(float(r) for r in reference)
    if len(ref) != len(pairs) or not all(math.isfinite(r) for r in ref):
        raise ConfigError(invalid_parameter(
            "reference", "compare", f"{len(pairs)} finite numbers, one per objective "
            f"({', '.join(m for m, _ in pairs)})", list(reference)))
    return ref


def run_fronts(comp: Comparison, objectives: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Every trial's point and whether it is on its own run's front.

    Columns: ``label, run, trial_id, <metric>...``, ``on_front`` (no trial of the same run
    dominates it); rows in display order of the runs, front members first.
    """
    pairs = _require(comp, objectives)
    points = _points(comp, pairs)
    parts = []
    for run in comp.runs["run"]:
        part = points[points["run"] == run].copy()
        part["on_front"] = non_dominated(_min_form(part, pairs))
        part.insert(0, "label", comp.label_of(str(run)))
        first, mode = pairs[0]
        parts.append(part.sort_values(["on_front", first, "trial_id"],
                                      ascending=[False, mode == "min", True], kind="stable"))
    columns = ["label", "run", "trial_id", *[m for m, _ in pairs], "on_front"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def run_hypervolumes(comp: Comparison, objectives: Sequence[tuple[str, str]] | None = None,
                     reference: Sequence[float] | None = None) -> pd.DataFrame:
    """Each run's hypervolume against one reference point (the default one, or ``reference``).

    Columns: ``label, group, run, seed, hypervolume, n_points, n_front, reference`` (a tuple).
    """
    pairs, ref, points, modes = _hypervolume_inputs(comp, objectives, reference)
    rows = []
    for run in comp.runs.itertuples(index=False):
        part = points[points["run"] == run.run]
        values = part[[m for m, _ in pairs]].to_numpy(dtype=float)
        rows.append({"label": run.label, "group": run.group, "run": run.run,
                     "seed": getattr(run, "seed", None),
                     "hypervolume": hypervolume(values, ref, modes), "n_points": len(part),
                     "n_front": int(non_dominated(_min_form(part, pairs)).sum()), "reference": ref})
    return pd.DataFrame(rows, columns=["label", "group", "run", "seed", "hypervolume", "n_points",
                                       "n_front", "reference"])


def hypervolume_bands(comp: Comparison, objectives: Sequence[tuple[str, str]] | None = None,
                      reference: Sequence[float] | None = None, *, ci: float = 0.9,
                      n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Median hypervolume per group (sweep) and its percentile-bootstrap ``ci`` band over the
    group's runs (seeds), as ``seed_bands`` for one metric.

    Columns: ``group, median, lo, hi, n_runs`` (``lo``/``hi`` NaN for a group with one run).
    """
    _check(ci, n_boot)
    hv = run_hypervolumes(comp, objectives, reference)
    rng = np.random.default_rng(seed)
    rows = []
    for group in comp.groups:
        values = hv.loc[hv["group"] == group, "hypervolume"].to_numpy(dtype=float)[:, None]
        median, lo, hi = bootstrap_median_band(values, ci=ci, n_boot=n_boot, rng=rng)
        rows.append({"group": group, "median": float(median[0]), "lo": float(lo[0]),
                     "hi": float(hi[0]), "n_runs": len(values)})
    return pd.DataFrame(rows, columns=["group", "median", "lo", "hi", "n_runs"])


def compare_hypervolumes(comp: Comparison, objectives: Sequence[tuple[str, str]] | None = None,
                         reference: Sequence[float] | None = None, *, axis: str | None = None,
                         ci: float = 0.95, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Every pair of groups on their runs' hypervolumes: :class:`GroupComparison` rows.

    The statistic of ``paired_comparison``: the difference of means (paired by seed when both
    groups ran the same seeds), its percentile-bootstrap interval and permutation p-value; a
    larger hypervolume is better. Without ``axis`` each run's whole front counts (``axis`` is
    ``"hypervolume"``, ``budget`` NaN); with ``axis`` (one of :data:`AXES`) each run's
    hypervolume so far at the largest budget every run of the pair reached (equal compute).
    """
    _check(ci, n_boot)
    hv = run_hypervolumes(comp, objectives, reference).set_index("run")["hypervolume"]
    curves = (hypervolume_curves(comp, axis, objectives, reference) if axis is not None
              else None)
    rows = []
    for a, b in itertools.combinations(comp.groups, 2):
        runs_a, runs_b = _group_runs(comp, a), _group_runs(comp, b)
        if curves is None:
            va = np.array([hv[r] for r in runs_a["run"]], dtype=float)
            vb = np.array([hv[r] for r in runs_b["run"]], dtype=float)
            budget = float("nan")
        else:
            per_run = {r: _curve(curves, r) for r in [*runs_a["run"], *runs_b["run"]]}
            va, vb, budget = _at_common_budget(per_run, runs_a, runs_b)
        rows.append(_group_test(a, b, axis or "hypervolume", budget, va, vb, runs_a, runs_b, ci=ci,
                                n_boot=n_boot, seed=seed, a_better=lambda diff: diff > 0).as_dict())
    return pd.DataFrame(rows, columns=list(GroupComparison.__dataclass_fields__))


def _ends(comp: Comparison, run: str, axis: str) -> dict[str, float]:
    """Where on ``axis`` each trial of ``run`` ended: its completion rank (``trials``), or the
    run's iterations, cumulated compute or wall seconds at the trial's last reported iteration."""
    trials = comp.trials[comp.trials["run"] == run]
    if axis == "trials":
        order = [c for c in ("ended_at", "trial_index", "trial_id") if c in trials]
        trials = trials.sort_values(order, kind="stable", na_position="last")
        return {str(t): float(i) for i, t in enumerate(trials["trial_id"], start=1)}
    its = comp.iterations
    if its.empty or "trial_id" not in its:
        return {}
    its = its[its["run"] == run]
    keys = [c for c in ("timestamp", "trial_id", "attempt", "training_iteration") if c in its]
    its = its.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    if axis == "iterations":
        x = np.arange(1, len(its) + 1, dtype=float)
    elif axis == "compute_seconds":
        spent = pd.to_numeric(its.get("time_this_iter_s"), errors="coerce")
        x = np.nan_to_num(np.asarray(spent, dtype=float), nan=0.0).cumsum()
    else:
        stamps = pd.to_datetime(its["timestamp"], utc=True)
        started = comp.runs.loc[comp.runs["run"] == run, "started_at"]
        start = pd.Timestamp(started.iloc[0]) if len(started) and pd.notna(started.iloc[0]) \
            else stamps.min()
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        x = ((stamps - start).dt.total_seconds()).to_numpy(dtype=float)
    last = pd.Series(x).groupby(its["trial_id"].astype(str)).max()
    return {str(t): float(v) for t, v in last.items()}


def hypervolume_curves(comp: Comparison, axis: str = "trials",
                       objectives: Sequence[tuple[str, str]] | None = None,
                       reference: Sequence[float] | None = None) -> pd.DataFrame:
    """Each run's hypervolume so far against ``axis`` (one of :data:`AXES`), a step per trial.

    A trial's point counts from where it ended on the axis (its completion for ``trials``; its
    last reported iteration for ``iterations``, ``compute_seconds``, ``wall_seconds``, so the
    compute of trials ASHA stopped is counted). Columns: ``label, group, run, x, hypervolume``.
    """
    if axis not in AXES:
        raise ConfigError(invalid_parameter("axis", "hypervolume_curves", f"one of {AXES}", axis))
    pairs, ref, points, modes = _hypervolume_inputs(comp, objectives, reference)
    frames = []
    for run in comp.runs.itertuples(index=False):
        part = points[points["run"] == run.run]
        ends = _ends(comp, str(run.run), axis)
        x = part["trial_id"].astype(str).map(ends).to_numpy(dtype=float)
        keep = np.isfinite(x)
        values = part[[m for m, _ in pairs]].to_numpy(dtype=float)[keep]
        order = np.argsort(x[keep], kind="stable")
        xs, values = x[keep][order], values[order]
        hv = [hypervolume(values[: i + 1], ref, modes) for i in range(len(xs))]
        frames.append(pd.DataFrame({"label": run.label, "group": run.group, "run": run.run,
                                    "x": xs, "hypervolume": hv}))
    columns = ["label", "group", "run", "x", "hypervolume"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def _curve(curves: pd.DataFrame, run: str) -> tuple[np.ndarray, np.ndarray]:
    c = curves[curves["run"] == run]
    return c["x"].to_numpy(dtype=float), c["hypervolume"].to_numpy(dtype=float)


def hypervolume_seed_bands(comp: Comparison, axis: str = "trials",
                           objectives: Sequence[tuple[str, str]] | None = None,
                           reference: Sequence[float] | None = None, *, ci: float = 0.9,
                           n_boot: int = 1000, points: int = 60, seed: int = 0) -> pd.DataFrame:
    """Median hypervolume-so-far per group against ``axis`` and its bootstrap band over the
    group's runs, on the budget every run of the group reached (``seed_bands`` for one metric).

    Columns: ``group, x, median, lo, hi, n_runs``.
    """
    _check(ci, n_boot)
    curves = hypervolume_curves(comp, axis, objectives, reference)
    rng = np.random.default_rng(seed)
    frames = []
    for group in comp.groups:
        per_run = [_curve(curves, r) for r in comp.runs.loc[comp.runs["group"] == group, "run"]]
        per_run = [(x, h) for x, h in per_run if x.size]
        if not per_run:
            continue
        grid = _grid(max(x[0] for x, _ in per_run), min(x[-1] for x, _ in per_run), points,
                     integer=axis in ("trials", "iterations"))
        if grid.size == 0:
            continue
        values = np.vstack([step_at(x, h, grid) for x, h in per_run])
        median, lo, hi = bootstrap_median_band(values, ci=ci, n_boot=n_boot, rng=rng)
        frames.append(pd.DataFrame({"group": group, "x": grid, "median": median, "lo": lo,
                                    "hi": hi, "n_runs": len(per_run)}))
    columns = ["group", "x", "median", "lo", "hi", "n_runs"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
