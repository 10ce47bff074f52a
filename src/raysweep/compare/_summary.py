"""One row per run: what it was, what it found, what it cost; and per-trial learning curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from raysweep.results import config_columns, trial_schedule

from ._anytime import AXES, cost_to_target, ordered_iterations
from ._load import Comparison
from ._params import best_trials, param_names

__all__ = ["learning_curves", "level_suffix", "population_exploits", "run_summary", "rung_cutoffs"]

_STATUSES = ("completed", "early_stopped", "errored", "cancelled")


def level_suffix(level: float) -> str:
    """Column suffix of a target level: 0.95 -> '95', 0.995 -> '99.5'."""
    return f"{level * 100:g}"


def run_summary(comp: Comparison, levels: Sequence[float] = (0.95, 0.99)) -> pd.DataFrame:
    """One row per run, in display order.

    Columns: ``label, sweep, run, status, searcher, scheduler, seed, n_trials`` and one count per
    trial status (``completed, early_stopped, errored, cancelled``), ``best_value``,
    ``best_config`` (dict of leaf parameters), ``trial_seconds`` (sum of the trials' lifetimes),
    ``compute_seconds`` (sum of reported ``time_this_iter_s``), ``iterations`` (reported),
    ``wall_seconds`` (run start to end, or to its last iteration while running), ``best_schedule``
    (for a PBT/PB2 run with exploits: the best trial's schedule, ``raysweep.results.trial_schedule``,
    as a list of ``(from_iteration, leaf parameters)``: its ``best_config`` is only the config it
    started with; None for other runs), then for each
    level ``L`` (as percent): ``target_L`` and ``<axis>_to_L`` for every axis of
    :data:`raysweep.compare.AXES`.
    """
    best = best_trials(comp).set_index("run")
    names = param_names(comp)
    costs = cost_to_target(comp, levels)
    ordered = ordered_iterations(comp)
    by_run = dict(iter(comp.trials.groupby("run", sort=False))) if len(comp.trials) else {}
    rows = []
    for run in comp.runs.itertuples(index=False):
        trials = by_run.get(run.run, comp.trials.head(0))
        its = ordered.get(str(run.run))
        status = trials["status"].value_counts() if "status" in trials else pd.Series(dtype=int)
        record = {
            "label": run.label, "sweep": run.sweep, "run": run.run,
            "status": getattr(run, "status", None), "searcher": getattr(run, "searcher", None),
            "scheduler": getattr(run, "scheduler", None), "seed": getattr(run, "seed", None),
            "n_trials": len(trials),
            **{s: int(status.get(s, 0)) for s in _STATUSES},
            "best_value": float(best.loc[run.run, "value"]) if run.run in best.index else np.nan,
            "best_config": (
                {n: _plain(best.loc[run.run, "config." + n]) for n in names}
                if run.run in best.index else {}
            ),
            "trial_seconds": float(trials["trial_seconds"].sum()) if "trial_seconds" in trials
            else np.nan,
            "compute_seconds": float(np.nansum(its["time_this_iter_s"])) if its else 0.0,
            "iterations": int(its["value"].size) if its else 0,
            "wall_seconds": _wall(run, its),
            "best_schedule": _best_schedule(comp, run.run, best, names),
        }
        for level in levels:
            cost = costs[(costs["run"] == run.run) & (costs["level"] == level)].iloc[0]
            suffix = level_suffix(level)
            record[f"target_{suffix}"] = cost["target"]
            for axis in AXES:
                record[f"{axis}_to_{suffix}"] = cost[axis]
        rows.append(record)
    return pd.DataFrame(rows)


def _best_schedule(comp: Comparison, run: str, best: pd.DataFrame,
                   names: list[str]) -> list[tuple[int, dict[str, Any]]] | None:
    """The best trial's schedule in a PBT run with exploits (leaf parameters), else None."""
    perts = comp.perturbations
    if perts.empty or run not in best.index or not (perts["run"] == run).any():
        return None
    trials = comp.trials[comp.trials["run"] == run]
    schedule = trial_schedule(trials, perts[perts["run"] == run], str(best.loc[run, "trial_id"]))
    wanted = {f"config.{n}" for n in names}
    return [(int(s["from_iteration"]), {k.removeprefix("config."): v
                                        for k, v in config_columns(s["config"]).items()
                                        if k in wanted})
            for s in schedule]


def learning_curves(comp: Comparison) -> pd.DataFrame:
    """Every trial's metric per iteration, with where ASHA (or anything) stopped it early.

    Columns: ``label, run, trial_id, attempt, training_iteration, value, status, stopped``
    (``stopped`` is True on the last reported iteration of an ``early_stopped`` trial).
    """
    columns = ["label", "run", "trial_id", "attempt", "training_iteration", "value", "status",
               "stopped"]
    its = comp.iterations
    if its.empty or comp.metric not in its:
        return pd.DataFrame(columns=columns)
    its = its[its["run"].isin(list(comp.runs["run"]))]
    keep = [c for c in ("run", "trial_id", "attempt", "training_iteration") if c in its]
    curves = its[[*keep, comp.metric]].rename(columns={comp.metric: "value"})
    if "attempt" not in curves:
        curves = curves.assign(attempt=0)
    status = comp.trials[["run", "trial_id", "status"]] if "status" in comp.trials else None
    if status is not None:
        curves = curves.merge(status, on=["run", "trial_id"], how="left")
    else:
        curves = curves.assign(status=None)
    curves = curves.sort_values(["run", "trial_id", "attempt", "training_iteration"],
                                kind="stable").reset_index(drop=True)
    last = ~curves.duplicated(subset=["run", "trial_id"], keep="last")
    curves["stopped"] = last & curves["status"].eq("early_stopped")
    curves["label"] = curves["run"].map(comp.runs.set_index("run")["label"])
    return curves[columns]


def population_exploits(comp: Comparison) -> pd.DataFrame:
    """PBT's exploits of the compared runs, to draw on their members' curves: one row per exploit
    recorded on the compared metric. Columns: ``label, run, trial_id, source_trial_id,
    training_iteration, value`` (the copier's result that ranked it low), ``source_training_iteration,
    source_value`` (the source's, whose checkpoint it copied), ``changes`` (Ray's operation per
    changed key, as text)."""
    columns = ["label", "run", "trial_id", "source_trial_id", "training_iteration", "value",
               "source_training_iteration", "source_value", "changes"]
    perts = comp.perturbations
    if perts.empty or "metric" not in perts:
        return pd.DataFrame(columns=columns)
    perts = perts[perts["metric"] == comp.metric]
    out = perts.assign(label=perts["run"].map(comp.runs.set_index("run")["label"]),
                       changes=perts["operations_json"].map(_operations)
                       if "operations_json" in perts else "")
    return out.reindex(columns=columns).reset_index(drop=True)


def _operations(text: Any) -> str:
    import json

    if not isinstance(text, str):
        return ""
    return ", ".join(f"{k} {v}" for k, v in sorted(json.loads(text).items()))


def rung_cutoffs(comp: Comparison) -> pd.DataFrame:
    """ASHA's cutoff at each rung of each run, in the compared metric's units.

    One row per (run, bracket, milestone) with a cutoff: ``label, run, bracket, milestone,
    cutoff`` (the cutoff the rung's last compared trial faced), ``cutoff_min``, ``cutoff_max``
    (its range over the run), ``n_promoted``, ``n_stopped``. Empty when no run was scheduled by
    ASHA on the compared metric (cutoffs are in the units of the run's own metric).
    """
    columns = ["label", "run", "bracket", "milestone", "cutoff", "cutoff_min", "cutoff_max",
               "n_promoted", "n_stopped"]
    rungs = comp.rungs
    if rungs.empty or "cutoff" not in rungs:
        return pd.DataFrame(columns=columns)
    rungs = rungs[(rungs["metric"] == comp.metric) & rungs["decision"].isin(["promoted", "stopped"])]
    rows = []
    for (run, bracket, milestone), r in rungs.sort_values("timestamp", kind="stable").groupby(
            ["run", "bracket", "milestone"], sort=True):
        cut = pd.to_numeric(r["cutoff"], errors="coerce").dropna()
        if cut.empty:
            continue
        rows.append({"label": comp.label_of(str(run)), "run": run, "bracket": int(bracket),
                     "milestone": float(milestone), "cutoff": float(cut.iloc[-1]),
                     "cutoff_min": float(cut.min()), "cutoff_max": float(cut.max()),
                     "n_promoted": int((r["decision"] == "promoted").sum()),
                     "n_stopped": int((r["decision"] == "stopped").sum())})
    return pd.DataFrame(rows, columns=columns)


def _wall(run: Any, its: dict[str, np.ndarray] | None) -> float:
    start, end = getattr(run, "started_at", pd.NaT), getattr(run, "ended_at", pd.NaT)
    if pd.isna(end) and its is not None and its["timestamp"].size:
        last = its["timestamp"].max()  # naive UTC (ordered_iterations)
        end = pd.NaT if np.isnat(last) else pd.Timestamp(last, tz="UTC")
    if pd.isna(start) or pd.isna(end):
        return float("nan")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if (start.tzinfo is None) != (end.tzinfo is None):  # compare naive as UTC
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        end = end.tz_localize("UTC") if end.tzinfo is None else end
    return float((end - start).total_seconds())


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
