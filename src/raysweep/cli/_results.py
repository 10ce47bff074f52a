"""``raysweep runs``, ``raysweep show``, ``raysweep best``: render what ``raysweep.results`` computes."""

from __future__ import annotations

import json
import math
from typing import Any

import click
import pandas as pd
from rich.table import Table
from rich.text import Text

from raysweep.cli._all_runs import checkpoint_mark
from raysweep.cli._options import RUN_STATUS_STYLE, results_option, stdout_console
from raysweep.cli._tracebacks import UserTraceback, user_traceback
from raysweep.results import (
    RunStatus,
    best_checkpoint,
    best_config,
    best_pareto,
    error_groups,
    is_population,
    lineage,
    load_rungs,
    load_trials,
    resolve_root,
    resolve_run,
    runs_overview,
    schedule_of,
    top_trials_pareto,
)

__all__ = ["best_cmd", "runs_cmd", "show_cmd"]

_COUNT_LABELS = (("completed", "done"), ("early_stopped", "stopped"), ("errored", "errored"),
                 ("cancelled", "cancelled"), ("running", "running"))
#: Runs that can be continued with `raysweep resume`.
_RESUMABLE = (RunStatus.CRASHED, RunStatus.INTERRUPTED)
_VERB = {RunStatus.CRASHED: "crashed (its driver is gone)", RunStatus.INTERRUPTED: "was interrupted"}



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
    return f"[{RUN_STATUS_STYLE.get(status, 'white')}]{status}[/]"


@click.command("runs")
@click.option("--sweep", "sweeps", multiple=True, metavar="NAME", help="Only these sweeps.")
@results_option
def runs_cmd(sweeps: tuple[str, ...], results: str | None) -> None:
    """List recorded runs, newest first, with trial counts by status and the best value.

    A run whose driver died shows as `crashed`; crashed and interrupted runs can be continued
    with `raysweep resume RUN`.
    """
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
    for _, row in frame[frame["status"].isin(_RESUMABLE)].iterrows():
        console.print(Text(_continue_hint(row)))


def _continue_hint(run: Any) -> str:
    """What to do with a crashed or interrupted run: resume it, or, for PBT/PB2 (whose resume is
    refused: Tune restores no PBT state, docs/pbt.md), start anew or replay its best member."""
    if is_population(run):
        return (f"Run {run['run']} {_VERB[run['status']]}; a PBT run cannot be resumed: start a new "
                f"run, or retrain its best member with `raysweep replay {run['run']}`")
    return f"Run {run['run']} {_VERB[run['status']]}: continue it with `raysweep resume {run['run']}`"


def _print_errors(root: str, target: str, full: bool = False) -> None:
    run = resolve_run(root, target)
    trials = load_trials(root=root, sweeps=run["sweep"], runs=run["run"])
    # A failed run's cancelled trials are the ones Ray Tune gave up on: errors too.
    failed = run["status"] == "failed"
    groups = error_groups(trials, cancelled=failed)
    console = stdout_console()
    if groups.empty:
        console.print(f"{run['sweep']} / {run['run']}: no errored trial.")
        return
    tracebacks = trials.set_index("trial_id")["error_traceback"] if len(trials) else {}
    n = int(groups["n_trials"].sum())
    what = "errored or cancelled" if (groups["error_type"] == "cancelled").any() else "errored"
    console.print(Text(f"{run['sweep']} / {run['run']}: {n} {what} trial(s), "
                       f"{len(groups)} distinct error(s)", style="bold"))
    for _, group in groups.iterrows():
        console.print()
        console.print(Text(f"{group['error_type']}: {group['error_message']}  "
                           f"({group['n_trials']} trial(s))", style="bold red"))
        console.print(Text(f"trials: {', '.join(group['trial_ids'])}"))
        # Trials with the same error usually share the traceback: print each distinct one once.
        seen: list[str] = []
        for trial_id in group["trial_ids"]:
            text = tracebacks.get(trial_id)
            text = None if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
            if text and text not in seen:
                seen.append(text)
                shown = UserTraceback(text.rstrip(), 0) if full else user_traceback(text)
                hidden = (f" ({shown.hidden} frame(s) of Ray and raysweep before the trainable "
                          "hidden: --full-traceback shows them)") if shown.hidden else ""
                console.print(Text(f"--- traceback of trial {trial_id}{hidden}"))
                console.print(Text(shown.text), soft_wrap=True)
        if not seen:
            console.print(Text("(no traceback stored)"))


_DECISION_STYLE = {"promoted": "green", "stopped": "red", "completed": "cyan"}


def _print_rungs(root: str, target: str) -> None:
    run = resolve_run(root, target)
    rungs = load_rungs(root=root, sweeps=run["sweep"], runs=run["run"])
    console = stdout_console()
    if rungs.empty:
        console.print(f"{run['sweep']} / {run['run']}: no ASHA rung decision recorded "
                      f"(scheduler: {run.get('scheduler')}).")
        return
    counts = rungs["decision"].value_counts()
    multi = "nd_rank" in rungs and bool(rungs["nd_rank"].notna().any())  # MO-ASHA's decisions
    kind = "MO-ASHA rungs" if multi else f"ASHA rungs, {run.get('mode')} {run.get('metric')}"
    title = (f"{run['sweep']} / {run['run']}: {kind} "
             f"({', '.join(f'{counts[d]} {d}' for d in _DECISION_STYLE if d in counts)})")
    measured: tuple[str, ...]
    if multi:
        caption = ("values: every objective at the rung; front: the trial's non-dominated front in "
                   "its rung (0 best); position: its place in the rung's order (fronts, then the "
                   "epsilon-net); promoted: position below the rung's size / reduction factor")
        measured = ("values", "front", "position")
    else:
        caption = ("stopped: worse than the cutoff; promoted: at or better; cutoff '-': the rung "
                   "held no earlier result, or the trial completed")
        measured = ("value", "cutoff")
    table = Table(title=title, caption=caption)
    for name in ("bracket", "milestone", "trial_id", *measured, "decision", "rung size", "time (UTC)"):
        table.add_column(name, justify="right" if name not in ("trial_id", "decision", "values")
                         else "left")
    for _, row in rungs.iterrows():
        decision = str(row["decision"])
        stamp = row["timestamp"]
        cells = ((_values_text(row["values_json"]), _fmt(row["nd_rank"]), _fmt(row["position"]))
                 if multi else (_fmt(row["value"]), _fmt(row["cutoff"])))
        table.add_row(_fmt(row["bracket"]), _fmt(row["milestone"]), str(row["trial_id"]), *cells,
                      f"[{_DECISION_STYLE.get(decision, 'white')}]{decision}[/]",
                      _fmt(row["rung_size"]),
                      stamp.strftime("%H:%M:%S.%f")[:-3] if isinstance(stamp, pd.Timestamp)
                      else "-")
    console.print(table)


def _values_text(values_json: Any) -> str:
    """``{"err": 0.1, "mb": 2.0}`` as ``err=0.1 mb=2``; '-' for a row without values."""
    if not isinstance(values_json, str):
        return "-"
    return " ".join(f"{name}={_fmt(value)}" for name, value in json.loads(values_json).items())


def _print_lineage(root: str, target: str) -> None:
    frame, run = lineage(root, target)
    console = stdout_console()
    if frame.empty:
        console.print(f"{run['sweep']} / {run['run']}: no PBT exploit recorded "
                      f"(scheduler: {run.get('scheduler')}).")
        return
    title = (f"{run['sweep']} / {run['run']}: {len(frame)} PBT exploit(s), "
             f"{run.get('mode')} {run.get('metric')}")
    table = Table(title=title, caption="at: the copier's iteration when it ranked in the bottom "
                  "quantile; copied: the source's checkpoint iteration, from which the copier "
                  "continues; changes: the source's value -> the copier's new one (Ray's operation)")
    for name in ("at", "trial_id", "copied", "from", "value", "source value", "changes"):
        table.add_column(name, justify="right" if name in ("at", "copied", "value", "source value")
                         else "left")
    for _, row in frame.iterrows():
        table.add_row(_fmt(row["time_value"]), str(row["trial_id"]),
                      _fmt(row["source_training_iteration"]), str(row["source_trial_id"]),
                      _fmt(row["value"]), _fmt(row["source_value"]), Text(str(row["changes"])))
    console.print(table)


@click.command("show")
@click.argument("target", metavar="RUN|SWEEP")
@click.option("-k", "--top", "k", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many trials to show.")
@click.option("--errors", is_flag=True,
              help="Print every errored trial's traceback from the trainable's first frame, "
                   "grouped by distinct error.")
@click.option("--full-traceback", is_flag=True,
              help="With --errors: the tracebacks as Ray recorded them, wrapper frames included.")
@click.option("--rungs", is_flag=True,
              help="Print ASHA's decision for each trial at each rung: its value, the cutoff it "
                   "was compared against, promoted / stopped / completed.")
@click.option("--lineage", "show_lineage", is_flag=True,
              help="Print every PBT/PB2 exploit of the run: who copied whose checkpoint, at which "
                   "iteration, both values, what was resampled or perturbed.")
@click.option("--all-runs", is_flag=True,
              help="Rank the trials of every run of the sweep SWEEP as one (after run --only-new "
                   "or extend).")
@results_option
def show_cmd(target: str, k: int, errors: bool, full_traceback: bool, rungs: bool,
             show_lineage: bool, all_runs: bool, results: str | None) -> None:
    """Show the top-k trials of a run (or of a sweep's latest run, or with --all-runs of every
    run of a sweep) with their configs.

    --errors prints the errored trials' tracebacks; --rungs prints why ASHA stopped or promoted
    each trial (the rungs dataset); --lineage prints PBT's exploits (the perturbations dataset).
    """
    root = resolve_root(results)
    if show_lineage:
        _print_lineage(root, target)
        return
    if rungs:
        _print_rungs(root, target)
        return
    if all_runs:
        from raysweep.cli._all_runs import show_all_runs

        return show_all_runs(root, target, k)
    if errors:
        _print_errors(root, target, full=full_traceback)
        return
    trials, run, objectives = top_trials_pareto(root, target, k=k)
    console = stdout_console()
    multi = len(objectives) > 1
    title = (f"{run['sweep']} / {run['run']}: top {k}, Pareto set first (pareto *), over "
             + ", ".join(f"{o.mode} {o.metric}" for o in objectives) if multi else
             f"{run['sweep']} / {run['run']}: top {k} by {run.get('mode')} {run.get('metric')}")
    table = Table(title=title)
    # Parameters the sweep varied; constants (data sizes, seeds) would only crowd the table.
    config_cols = [c for c in trials.columns if c.startswith("config.")
                   and trials[c].astype(str).nunique() > 1]
    values = [f"last.{o.metric}" for o in objectives] if multi else []
    constrained = "feasible" in trials and bool(trials["feasible"].notna().any())
    for name in ("#", "trial_id", "status", *(("pareto",) if multi else ()),
                 *(("feasible",) if constrained else ()),
                 *([o.metric for o in objectives] if multi else ("best", "last")), "iters", "ckpt",
                 *config_cols):
        table.add_column(name.removeprefix("config."))
    for rank, (_, row) in enumerate(trials.iterrows(), start=1):
        shown = [_fmt(row.get(c)) for c in values] if multi else \
            [_fmt(row["metric_best"]), _fmt(row["metric_last"])]
        table.add_row(
            str(rank), str(row["trial_id"]), str(row["status"]),
            *(("*" if row["pareto"] else "",) if multi else ()),
            *((_fmt(row.get("feasible")),) if constrained else ()),
            *shown, _fmt(row["iterations"]), checkpoint_mark(row),
            *(_fmt(row[c]) for c in config_cols),
        )
    console.print(table)
    if is_population(run):
        console.print(Text(f"A {run.get('scheduler')} run: the configs are those the members started "
                           f"with. `raysweep best {run['sweep']} --run {run['run']}` prints the best "
                           f"member's schedule, `raysweep show {run['run']} --lineage` the exploits."))
    if trials.empty:
        live = run.get("status") == RunStatus.RUNNING
        console.print(f"No trial has reported a finite {run.get('metric')}"
                      + (" yet." if live else f"; the run is {run.get('status')}."))
    if run.get("status") in _RESUMABLE:
        console.print(Text(_continue_hint(run)))


@click.command("best")
@click.argument("sweep")
@click.option("--run", "run", default=None, metavar="RUN_ID", help="Only this run of the sweep.")
@click.option("--all-runs", is_flag=True,
              help="Every run of the sweep as one (the default without --run; explicit for clarity).")
@click.option("--where", "where", default=None, metavar="EXPR",
              help="Only trials satisfying EXPR, a condition over stored columns: config.<path>, "
                   "last.<metric> (final value), best.<sweep metric>, trial columns (status, "
                   "iterations, trial_seconds, metric_best, ...); and/or/not, comparisons, "
                   "arithmetic, 'in [..]'; `backticks` quote other names. "
                   "Example: --where \"last.epoch_seconds < 2 and config.dim <= 32\".")
@click.option("--metric", "metric", default=None, metavar="M",
              help="Rank by M instead of the sweep metric: a reported metric (its final value, "
                   "last.M) or a stored column such as trial_seconds.")
@click.option("--mode", "mode", default=None, type=click.Choice(["min", "max"]),
              help="Direction of --metric (default: the sweep's mode for the sweep metric).")
@click.option("--checkpoint", is_flag=True,
              help="Print the path (or s3:// URI) of the best trial's best kept checkpoint instead "
                   "of its config.")
@click.option("--json", "as_json", is_flag=True,
              help="With --checkpoint: one JSON object with the checkpoint, the trial, its run and "
                   "its config. (The config alone is JSON already.)")
@results_option
def best_cmd(sweep: str, run: str | None, all_runs: bool, where: str | None, metric: str | None,
             mode: str | None, checkpoint: bool, as_json: bool, results: str | None) -> None:
    """Print the best config of SWEEP (over all its runs) as JSON, ready to paste.

    When the best trial is a member of a PBT/PB2 run, its schedule instead: {"schedule":
    [{"from_iteration", "config", "trial_id"}, ...], "value", "trial_id", "run", ...}, the configs
    its weights were trained under (through the exploits it descends from); `raysweep replay RUN
    TRIAL` retrains it.
    A sweep with several objectives prints its Pareto set instead: a JSON list of
    {"trial_id", "config", "values"} (feasible trials only when the sweep had constraints);
    --metric M --mode picks one best by M.

    With --where, the best among the trials satisfying a constraint, for example
    `raysweep best mf_tpe --where "last.epoch_seconds < 2 and config.dim <= 32"`.
    With --checkpoint, where that trial's best checkpoint is (a local path or an s3:// URI), to
    load with `ray.tune.Checkpoint(path)`.
    """
    if all_runs and run is not None:
        raise click.UsageError("--all-runs and --run exclude each other.")
    root = resolve_root(results)
    if metric is None and mode is None:  # a multi-objective sweep has a Pareto set, not one best
        members = best_pareto(sweep, root=root, run=run, where=where)
        if members is not None and checkpoint:
            raise click.UsageError(
                f"Sweep {sweep!r} has several objectives: its Pareto set has no one best trial, so "
                "--checkpoint needs --metric M --mode min|max to pick one (or use `raysweep show`).")
        if members is not None:
            click.echo(json.dumps(members, indent=2, sort_keys=True))
            return
    if not checkpoint:
        config, trial = best_config(sweep, root=root, run=run, where=where, metric=metric,
                                     mode=mode)
        plan = schedule_of(root, trial)  # a PBT member: the schedule it was trained under
        click.echo(json.dumps(config if plan is None else plan, indent=2, sort_keys=True))
        return
    location, trial = best_checkpoint(sweep, root=root, run=run, where=where, metric=metric,
                                      mode=mode)
    if not as_json:
        click.echo(location)
        return
    click.echo(json.dumps({"checkpoint": location, "trial_id": str(trial["trial_id"]),
                           "run": str(trial["run"]), "config": json.loads(trial["config_json"])},
                          indent=2, sort_keys=True))
