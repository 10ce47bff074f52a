"""``raysweep runs``, ``raysweep show``, ``raysweep best``: render what ``raysweep.results`` computes."""

from __future__ import annotations

import json
import math
from typing import Any

import click
import pandas as pd
from rich.table import Table

from raysweep.cli._options import RUN_STATUS_STYLE, results_option, stdout_console
from raysweep.results import best_config, resolve_root, runs_overview, top_trials

__all__ = ["best_cmd", "runs_cmd", "show_cmd"]

_COUNT_LABELS = (("completed", "done"), ("early_stopped", "stopped"), ("errored", "errored"),
                 ("cancelled", "cancelled"), ("running", "running"))


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _status(row: pd.Series) -> str:
    status = str(row["status"])
    if bool(row.get("stale", False)):
        return "[red]running? (no heartbeat: driver died)[/]"
    return f"[{RUN_STATUS_STYLE.get(status, 'white')}]{status}[/]"


@click.command("runs")
@click.option("--sweep", "sweeps", multiple=True, metavar="NAME", help="Only these sweeps.")
@results_option
def runs_cmd(sweeps: tuple[str, ...], results: str | None) -> None:
    """List recorded runs, newest first, with trial counts by status and the best value."""
    root = resolve_root(results)
    frame = runs_overview(root, sweeps=list(sweeps) or None)
    console = stdout_console()
    if frame.empty:
        console.print(f"No runs under {root}.")
        return
    table = Table(title=f"Runs under {root}")
    for name in ("sweep", "run", "status", "started (UTC)", "trials", "best"):
        table.add_column(name, no_wrap=name in ("sweep", "run", "started (UTC)"))
    for _, row in frame.iterrows():
        counts = ", ".join(
            f"{row[f'n_{status}']} {label}"
            for status, label in _COUNT_LABELS
            if row[f"n_{status}"]
        )
        metric = f" {row['mode']} {row['metric']}" if isinstance(row["metric"], str) else ""
        table.add_row(
            str(row["sweep"]), str(row["run"]), _status(row), _fmt(row["started_at"]),
            counts or "-", _fmt(row["best_value"]) + metric,
        )
    console.print(table)


@click.command("show")
@click.argument("target", metavar="RUN|SWEEP")
@click.option("-k", "--top", "k", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many trials to show.")
@results_option
def show_cmd(target: str, k: int, results: str | None) -> None:
    """Show the top-k trials of a run (or of a sweep's latest run) with their configs."""
    root = resolve_root(results)
    trials, run = top_trials(root, target, k=k)
    console = stdout_console()
    title = f"{run['sweep']} / {run['run']}: top {k} by {run.get('mode')} {run.get('metric')}"
    table = Table(title=title)
    # Parameters the sweep varied; constants (data sizes, seeds) would only crowd the table.
    config_cols = [c for c in trials.columns if c.startswith("config.")
                   and trials[c].astype(str).nunique() > 1]
    for name in ("#", "trial_id", "status", "best", "last", "iters", *config_cols):
        table.add_column(name.removeprefix("config."))
    for rank, (_, row) in enumerate(trials.iterrows(), start=1):
        table.add_row(
            str(rank), str(row["trial_id"]), str(row["status"]), _fmt(row["metric_best"]),
            _fmt(row["metric_last"]), _fmt(row["iterations"]), *(_fmt(row[c]) for c in config_cols),
        )
    console.print(table)
    if trials.empty:
        console.print("No trial has reported the metric yet.")


@click.command("best")
@click.argument("sweep")
@click.option("--run", "run", default=None, metavar="RUN_ID", help="Only this run of the sweep.")
@results_option
def best_cmd(sweep: str, run: str | None, results: str | None) -> None:
    """Print the best config of SWEEP (over all its runs) as JSON, ready to paste."""
    config, _trial = best_config(sweep, root=resolve_root(results), run=run)
    click.echo(json.dumps(config, indent=2, sort_keys=True))
