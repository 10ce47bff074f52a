"""Rich renderables for the sweep commands: they draw records computed elsewhere."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from raysweep.cli._options import RUN_STATUS_STYLE
from raysweep.sweep import Plan, Sweep

if TYPE_CHECKING:  # the execution layer imports Ray: keep it out of validate/plan/list
    from raysweep.execution import RunSummary

__all__ = ["plan_table", "summary_panel", "sweeps_table"]


def summary_panel(summary: RunSummary) -> Panel:
    """The run's outcome: status, trial counts, best trial, where things are, distinct errors."""
    counts = dict(summary.counts)
    total = counts.pop("trials", sum(counts.values()))
    shown = "  ".join(f"{v} {k.replace('_', '-')}" for k, v in counts.items() if v)
    best = "-" if summary.best_value is None else f"{summary.best_value:.6g}"
    lines = [
        f"status      [{RUN_STATUS_STYLE[summary.status]}]{summary.status}[/]  "
        f"({summary.elapsed_s:.1f} s"
        + ("" if summary.trial_lifetimes_s is None
           else f"; trial lifetimes summed {summary.trial_lifetimes_s:.1f} s") + ")",
        f"trials      {total}" + (f"  ({shown})" if shown else ""),
        f"best        {summary.mode} {summary.metric} = {best}"
        + (f"  (trial {summary.best_trial_id})" if summary.best_trial_id else ""),
    ]
    if summary.best_config is not None:
        lines.append(f"config      {escape(json.dumps(summary.best_config))}")
    if getattr(summary, "estimate", None):
        lines.append(f"cost        {summary.estimate}")
    if summary.results_root:
        lines.append(f"results     {summary.results_root}  (run {summary.run_id})")
    lines.append(f"ray files   {summary.ray_dir}")
    groups = summary.error_groups or [
        {"error_type": "", "error_message": e, "n_trials": 1} for e in summary.errors]
    for group in groups[:5]:
        kind = f"{group['error_type']}: " if group["error_type"] else ""
        n = group["n_trials"]
        lines.append(f"[red]errors[/]      {n} trial{'s' if n != 1 else ''}: "
                     f"{escape(kind + group['error_message'])}")
    if len(groups) > 5:
        lines.append(f"            ... and {len(groups) - 5} more distinct errors")
    if groups:
        lines.append(f"            tracebacks: raysweep show {summary.run_id} --errors")
    if summary.log_path:
        lines.append(f"ray log     {summary.log_path}  "
                     "(the trainables' prints, Ray's tracebacks, workers' stderr)")
    return Panel("\n".join(lines), title=f"sweep {summary.sweep}", expand=False)


def plan_table(plan: Plan) -> Table:
    table = Table(title=f"plan for sweep {plan.sweep!r}", show_header=False, box=None)
    trials = str(plan.n_trials)
    if plan.grid_cells is not None:
        trials += f" ({plan.grid_cells} grid cells x {plan.n_trials // max(plan.grid_cells, 1)})"
    fit = "-" if plan.trials_at_once is None else str(plan.trials_at_once)
    if plan.nodes:
        fit += f" (on {len(plan.nodes)} node{'s' * (len(plan.nodes) > 1)})"
    for key, value in (
        ("trials", trials),
        ("searcher", f"{plan.searcher} {json.dumps(plan.searcher_params)}"),
        ("scheduler", f"{plan.scheduler} {json.dumps(plan.scheduler_params)}"),
        ("objectives" if len(plan.objectives) > 1 else "objective",
         ", ".join(f"{m} {n}" for n, m in plan.objectives) or f"{plan.mode} {plan.metric}"),
        *([("constraints", "; ".join(plan.constraints))] if plan.constraints else []),
        ("per trial", json.dumps(plan.resources_per_trial)),
        *([("trainer", plan.trainer)] if plan.trainer else []),
        ("concurrency cap", "none" if plan.concurrency_cap is None else str(plan.concurrency_cap)),
        ("trials at once", fit),
        *([("trials per GPU", str(plan.trials_per_gpu))] if plan.trials_per_gpu else []),
        *plan.options.items(),
    ):
        table.add_row(f"[bold]{key}[/]", value)
    space = Table(title="space")
    space.add_column("parameter")
    space.add_column("dimension")
    if plan.grid_cells is not None:
        space.add_column("grid values", justify="right")
    for dim in plan.dimensions:
        row = [dim.path, dim.spec]
        if plan.grid_cells is not None:
            row.append(str(dim.grid_values))
        space.add_row(*row)
    outer = Table.grid()
    outer.add_row(table)
    if plan.nodes:
        outer.add_row(_nodes_table(plan))
    outer.add_row(space)
    return outer


def _nodes_table(plan: Plan) -> Table:
    """The live cluster, one row per node: its resources and how many trials fit there at once."""
    table = Table(title="nodes")
    for column in ("node id", "ip", "CPU", "GPU", "memory GiB", "trials at once"):
        table.add_column(column, justify="left" if column in ("node id", "ip") else "right")
    for node in plan.nodes:
        res = node.resources
        table.add_row(node.node_id[:12], node.node_ip, f"{res.get('CPU', 0):g}", f"{res.get('GPU', 0):g}",
                      f"{res.get('memory', 0) / 2**30:.1f}",
                      f"[red]{node.trials}[/]" if node.trials == 0 else str(node.trials))
    return table


def sweeps_table(rows: list[tuple[str, Sweep | None, str | None]]) -> Table:
    table = Table(title="sweeps")
    for column in ("module", "name", "searcher", "scheduler", "trials", "objective", "description"):
        table.add_column(column)
    for stem, sweep, error in rows:
        if sweep is None:
            table.add_row(stem, "[red]invalid[/]", "", "", "", "", error or "")
        else:
            table.add_row(stem, sweep.name, sweep.searcher_spec.name, sweep.scheduler_spec.name,
                          str(sweep.n_trials), sweep.objectives_text(), sweep.description)
    return table
