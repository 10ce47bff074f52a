"""Non-dominated points and a run's Pareto set: the trials no other trial beats on every objective."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from raysweep.results._objective import Objective

__all__ = ["non_dominated", "objective_values", "pareto_mask", "pareto_set"]


def non_dominated(points: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Rows of ``points`` (every column minimised) that no other row dominates: no other row is at
    least as good on every column and strictly better on one. Equal rows are all non-dominated."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    front = np.ones(n, dtype=bool)
    for start in range(0, n, chunk):
        block = points[start:start + chunk]  # is row i (of block) dominated by any row j?
        no_worse = np.all(points[None, :, :] <= block[:, None, :], axis=2)
        better = np.any(points[None, :, :] < block[:, None, :], axis=2)
        front[start:start + chunk] = ~np.any(no_worse & better, axis=1)
    return front


def objective_values(trials: pd.DataFrame, objectives: Sequence[Objective]) -> pd.DataFrame:
    """Each trial's value of each objective, by metric name: its last reported value
    (``last.<name>``; for the first objective ``metric_last`` where that column is missing), what a
    multi-objective searcher is told at the trial's end. NaN where a trial has none."""
    out = {}
    for i, objective in enumerate(objectives):
        column = f"last.{objective.metric}"
        if column not in trials and i == 0:
            column = "metric_last"
        values = trials[column] if column in trials else pd.Series(np.nan, index=trials.index)
        out[objective.metric] = pd.to_numeric(values, errors="coerce").astype(float)
    return pd.DataFrame(out, index=trials.index)


def pareto_mask(trials: pd.DataFrame, objectives: Sequence[Objective]) -> pd.Series:
    """Whether each trial is in the Pareto set of ``trials``: every objective finite, feasible when
    the trials record feasibility (``feasible`` not null), and not dominated by such a trial."""
    values = objective_values(trials, objectives)
    candidate = values.apply(lambda col: col.map(math.isfinite)).all(axis=1) if len(values) else \
        pd.Series(dtype=bool)
    if "feasible" in trials:
        feasible = trials["feasible"]
        candidate &= ~(feasible.notna() & (feasible.astype(object) == False))  # noqa: E712
    mask = pd.Series(False, index=trials.index)
    if not candidate.any():
        return mask
    signs = np.array([1.0 if o.mode == "min" else -1.0 for o in objectives])
    points = values[candidate].to_numpy(dtype=float) * signs
    mask[candidate[candidate].index] = non_dominated(points)
    return mask


def pareto_set(trials: pd.DataFrame, objectives: Sequence[Objective]) -> list[dict[str, Any]]:
    """The Pareto set as ``[{"trial_id", "config", "values"}, ...]`` (values by metric name), ordered
    by the first objective (best first), then by trial index."""
    mask = pareto_mask(trials, objectives)
    members = trials[mask]
    values = objective_values(members, objectives)
    first = objectives[0]
    order = values[first.metric].to_numpy() * (1.0 if first.mode == "min" else -1.0)
    index = members["trial_index"].to_numpy() if "trial_index" in members else np.arange(len(members))
    out = []
    for pos in np.lexsort((index, order)):
        row = members.iloc[pos]
        config = row.get("config_json")
        out.append({
            "trial_id": str(row["trial_id"]),
            "config": json.loads(config) if isinstance(config, str) else {},
            "values": {o.metric: float(values.iloc[pos][o.metric]) for o in objectives},
        })
    return out
