"""What the report draws of a large run: exact where it matters, aggregated elsewhere.

An HTML report of two 10,000-trial runs with every point of every curve is ~100 MB and hardly
opens. The report keeps it small without changing any number it prints:

- **learning curves**: a run with more than :data:`FULL_CURVES_MAX` trials draws its ``top``
  best trials at full resolution (every reported iteration, exactly) and, for all its trials, the
  median and the 25-75 % and 5-95 % quantile band of the metric at each training iteration;
  the other trials' own curves and early-stop marks are dropped (the band's hover says how many
  trials stopped at each iteration).
- **anytime curves**: only the steps where a run's best-so-far changes (lossless for a step line).
- **distributions**: a run with more than :data:`BOX_POINTS_MAX` trials is drawn from its box
  statistics computed over every trial, with points only beyond the whiskers (at most
  :data:`BOX_POINTS_MAX`, evenly spread by rank).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._load import Comparison
from ._params import top_trials
from ._summary import learning_curves

__all__ = ["BOX_POINTS_MAX", "FULL_CURVES_MAX", "box_summary", "curve_band", "report_curves"]

#: Runs with at most this many trials draw every trial's learning curve.
FULL_CURVES_MAX = 200
#: Runs with more trials than this draw their distribution from box statistics (and outliers).
BOX_POINTS_MAX = 1000
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def report_curves(comp: Comparison, top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The learning curves the report draws, and the quantile bands of the large runs.

    Returns ``(curves, bands)``: ``curves`` has :func:`learning_curves`' columns, restricted to
    every trial of the runs with at most :data:`FULL_CURVES_MAX` trials and the ``top`` best
    trials (exact rows) of the larger ones; ``bands`` (:func:`curve_band`) covers the larger runs.
    """
    counts = comp.trials.groupby("run", sort=False).size() if len(comp.trials) else pd.Series()
    large = [run for run in comp.runs["run"] if counts.get(run, 0) > FULL_CURVES_MAX]
    if not large:
        return learning_curves(comp), curve_band(comp, [])
    best = top_trials(comp, top)
    keep_large = best[best["run"].isin(large)][["run", "trial_id"]]
    its = comp.iterations
    if its.empty or "trial_id" not in its:
        return learning_curves(comp), curve_band(comp, large)
    rows = ~its["run"].isin(large).to_numpy()
    for run, chosen in keep_large.groupby("run", sort=False):
        rows |= (its["run"].eq(run) & its["trial_id"].isin(list(chosen["trial_id"]))).to_numpy()
    reduced = Comparison(comp.runs, comp.trials, its[rows], comp.metric, comp.mode, comp.labels,
                         comp.rungs)
    return learning_curves(reduced), curve_band(comp, large)


def curve_band(comp: Comparison, runs: list[str]) -> pd.DataFrame:
    """Per run and training iteration: trials reporting, quantiles of the metric, early stops.

    Columns: ``label, run, training_iteration, n, q05, q25, q50, q75, q95, n_stopped``
    (``n_stopped``: trials whose last reported iteration it is, among ``early_stopped`` ones).
    """
    columns = ["label", "run", "training_iteration", "n", "q05", "q25", "q50", "q75", "q95",
               "n_stopped"]
    its = comp.iterations
    if not runs or its.empty or comp.metric not in its:
        return pd.DataFrame(columns=columns)
    labels = comp.runs.set_index("run")["label"]
    status = comp.trials.set_index(["run", "trial_id"])["status"] if "status" in comp.trials \
        else None
    frames = []
    for run, positions in its.groupby("run", sort=False, observed=True).indices.items():
        if run not in runs:
            continue
        part = its.iloc[positions]
        iteration = part["training_iteration"].to_numpy(dtype=np.int64)
        value = pd.to_numeric(part[comp.metric], errors="coerce").to_numpy(dtype=float)
        order = np.argsort(iteration, kind="stable")
        iteration, value = iteration[order], value[order]
        steps, starts = np.unique(iteration, return_index=True)
        bounds = [*starts[1:], iteration.size]
        rows = []
        for step, lo, hi in zip(steps, starts, bounds, strict=True):
            v = value[lo:hi]
            v = v[np.isfinite(v)]
            q = np.quantile(v, _QUANTILES) if v.size else [np.nan] * len(_QUANTILES)
            rows.append((int(step), int(v.size), *map(float, q)))
        band = pd.DataFrame(rows, columns=["training_iteration", "n", "q05", "q25", "q50", "q75",
                                           "q95"])
        last = part.groupby("trial_id", sort=False)["training_iteration"].max()
        if status is not None:
            stopped = status.loc[run].reindex(last.index).eq("early_stopped")
            per_step = last[stopped.to_numpy()].value_counts()
        else:
            per_step = pd.Series(dtype=int)
        band["n_stopped"] = band["training_iteration"].map(per_step).fillna(0).astype(int)
        frames.append(band.assign(label=labels[run], run=run))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def box_summary(values: np.ndarray) -> dict:
    """Box statistics of ``values`` (Tukey whiskers at 1.5 IQR, clipped to the data) and the
    points beyond the whiskers, at most :data:`BOX_POINTS_MAX` (evenly spread by rank)."""
    v = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if v.size == 0:
        return {"n": 0}
    q1, median, q3 = np.quantile(v, (0.25, 0.5, 0.75))
    iqr = q3 - q1
    low = float(v[v >= q1 - 1.5 * iqr].min())
    high = float(v[v <= q3 + 1.5 * iqr].max())
    outside = v[(v < low) | (v > high)]
    if outside.size > BOX_POINTS_MAX:
        outside = outside[np.linspace(0, outside.size - 1, BOX_POINTS_MAX).round().astype(int)]
    return {"n": int(v.size), "q1": float(q1), "median": float(median), "q3": float(q3),
            "lowerfence": low, "upperfence": high, "mean": float(v.mean()),
            "outliers": outside}
