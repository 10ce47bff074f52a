"""Ready-to-render views for the CLI: run overview, top trials, best config (compute only)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from raysweep._errors import StorageError, invalid_parameter
from raysweep.results._reader import list_runs, load_trials
from raysweep.results._records import best_trial

_COUNTS = ("completed", "early_stopped", "errored", "cancelled", "running")


def runs_overview(root: str | None = None, sweeps: str | Iterable[str] | None = None) -> pd.DataFrame:
    """One row per run, newest first: status, start, trial counts by status and best value.

    Counts and best come from the trials dataset, so a running or crashed run shows what reached
    storage so far.
    """
    runs = list_runs(root=root, sweeps=sweeps)
    columns = ["sweep", "run", "status", "stale", "started_at", "metric", "mode"]
    out = runs.reindex(columns=columns).copy()
    trials = load_trials(root=root, sweeps=sweeps) if not runs.empty else pd.DataFrame()
    for status in _COUNTS:
        out[f"n_{status}"] = 0
    out["best_value"] = float("nan")
    for i, row in out.iterrows():
        mine = trials[(trials["sweep"] == row["sweep"]) & (trials["run"] == row["run"])] if len(
            trials
        ) else trials
        if mine.empty:
            continue
        counts = mine["status"].value_counts()
        for status in _COUNTS:
            out.at[i, f"n_{status}"] = int(counts.get(status, 0))
        best = best_trial(mine, mode=row["mode"] if row["mode"] in ("min", "max") else "max")
        if not best.empty:
            out.at[i, "best_value"] = float(best["metric_best"].iloc[0])
    return out


def _resolve_target(root: str | None, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Trials and run row of ``target``: a sweep name (its latest run) or a run id."""
    runs = list_runs(root=root)
    if runs.empty or target not in set(runs["sweep"]) | set(runs["run"]):
        raise StorageError(
            invalid_parameter(
                "target",
                "show",
                "a sweep name or a run id present in the results store",
                target,
                "List the recorded runs with `raysweep runs`.",
            )
        )
    matches = runs[runs["sweep"] == target]
    run = matches.iloc[0] if not matches.empty else runs[runs["run"] == target].iloc[0]
    return load_trials(root=root, sweeps=run["sweep"], runs=run["run"]), run


def top_trials(root: str | None, target: str, k: int = 10) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``k`` best trials of a run (or of a sweep's latest run) and that run's row as a dict."""
    trials, run = _resolve_target(root, target)
    mode = run["mode"] if run.get("mode") in ("min", "max") else "max"
    return best_trial(trials, mode=mode, k=k), run.to_dict()


def best_config(
    sweep: str, root: str | None = None, run: str | None = None
) -> tuple[dict[str, Any], pd.Series]:
    """The config of ``sweep``'s best trial over all its runs (or one run), and that trial."""
    runs = list_runs(root=root, sweeps=sweep)
    if run is not None:
        runs = runs[runs["run"] == run]
    if runs.empty:
        raise StorageError(
            invalid_parameter(
                "sweep", "best", "a sweep with at least one recorded run", sweep,
                "List the recorded runs with `raysweep runs`.",
            )
        )
    mode = runs["mode"].dropna().iloc[0] if runs["mode"].notna().any() else "max"
    trials = load_trials(root=root, sweeps=sweep, runs=list(runs["run"]))
    best = best_trial(trials, mode=mode)
    if best.empty:
        raise StorageError(
            f"Sweep {sweep!r} has no trial with a value of its metric yet; nothing to pick."
        )
    row = best.iloc[0]
    return json.loads(row["config_json"]), row
