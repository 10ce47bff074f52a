"""``raysweep show SWEEP --all-runs``: every run of a sweep ranked as one (a grid widened with
``run --only-new``, an extended search, repeated runs)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.table import Table

from raysweep._errors import ConfigError, StorageError
from raysweep.cli._options import stdout_console
from raysweep.results import Objective, best_trial, list_runs, load_trials

__all__ = ["show_all_runs"]


def show_all_runs(root: str, sweep: str, k: int) -> None:
    """Print the top ``k`` trials over every run of ``sweep``, with the run each came from."""
    runs = list_runs(root=root, sweeps=None)
    mine = runs[runs["sweep"] == sweep] if not runs.empty else runs
    if mine.empty:
        if not runs.empty and sweep in set(runs["run"]):
            raise ConfigError(f"--all-runs takes a sweep name, not a run id ({sweep!r} is a run of "
                              f"sweep {runs[runs['run'] == sweep]['sweep'].iloc[0]!r}).")
        raise ConfigError(f"No run of sweep {sweep!r} under {root}; list them with `raysweep runs`.")
    objectives = {(r["metric"], r["mode"]) for _, r in mine.iterrows()}
    if len(objectives) != 1:
        raise StorageError(f"The runs of sweep {sweep!r} optimise different objectives "
                           f"({sorted(objectives)}); show one run at a time.")
    metric, mode = objectives.pop()
    trials = load_trials(root=root, sweeps=sweep)
    top = best_trial(trials, Objective(metric, mode), k=k)
    console = stdout_console()
    table = Table(title=f"{sweep}: top {k} of {len(trials)} trials over {len(mine)} runs, "
                        f"by {mode} {metric}")
    config_cols = [c for c in top.columns if c.startswith("config.") and top[c].astype(str).nunique() > 1]
    for name in ("#", "run", "trial_id", "status", "best", "iters", "ckpt", *config_cols):
        table.add_column(name.removeprefix("config."))
    for rank, (_, row) in enumerate(top.iterrows(), start=1):
        table.add_row(str(rank), str(row["run"]), str(row["trial_id"]), str(row["status"]),
                      _fmt(row["metric_best"]), _fmt(row["iterations"]), checkpoint_mark(row),
                      *(_fmt(row[c]) for c in config_cols))
    console.print(table)
    counts = trials["status"].value_counts().to_dict() if len(trials) else {}
    console.print(", ".join(f"{v} {k}" for k, v in counts.items()) or "no trial stored")


def checkpoint_mark(row: pd.Series) -> str:
    """``show``'s ``ckpt`` column: ``yes`` when the trial row names a checkpoint, else ``-``."""
    value = row.get("checkpoint_path")
    return "yes" if isinstance(value, str) and value else "-"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "-"
    return f"{value:.6g}" if isinstance(value, float) else str(value)
