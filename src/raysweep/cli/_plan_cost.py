"""The cost part of ``raysweep plan``: the estimate from earlier runs and, for a grid, the new cells.

pyarrow (through ``raysweep.results``) is imported only when a results store exists.
"""

from __future__ import annotations

import os

from rich.table import Table

from raysweep.results import local_path
from raysweep.searchers import GridSearch
from raysweep.sweep import Estimate, Plan, Sweep, estimate_cost, new_cells

__all__ = ["cost_table"]


def cost_table(sweep: Sweep, plan: Plan, results: str | None,
               history: list[str] | None = None) -> Table:
    """What ``sweep`` will cost, estimated from the store at ``results``; says so without history."""
    table = Table(title="cost (from earlier runs)", show_header=False, box=None)
    root = results or os.environ.get("RAYSWEEP_RESULTS") or "results"
    local = local_path(root)
    if local is not None and not (local / "runs").is_dir():
        table.add_row("[bold]history[/]", f"none: no results store at {root} (run the sweep once, "
                      "or pass --results DIR)")
        return table
    n_trials = None
    if isinstance(sweep.searcher_spec, GridSearch):
        cells = new_cells(sweep, root)
        n_trials = cells.n_new
        table.add_row("[bold]--only-new[/]",
                      f"{cells.n_new} of {cells.n_cells} cells would run ({cells.n_done} completed by "
                      f"earlier runs{': ' + ', '.join(cells.runs) if cells.runs else ''})")
    estimate = estimate_cost(sweep, root, trials_at_once=plan.trials_at_once, runs=history)
    if estimate is None:
        what = "the given runs" if history else (f"runs of {sweep.name!r} or of sweeps with its "
                                                 "trainable and a shared dimension")
        table.add_row("[bold]history[/]", f"none: no ended {what} under {root} reported an "
                      "iteration; no estimate")
        return table
    for key, value in _rows(estimate, n_trials):
        table.add_row(f"[bold]{key}[/]", value)
    return table


def _rows(e: Estimate, n_new: int | None) -> list[tuple[str, str]]:
    runs = ", ".join(e.runs) + (f" (sweeps {', '.join(e.sweeps)})" if e.sweeps else "")
    rows = [
        ("from runs", runs),
        ("s / iteration", f"median {e.iteration_s_median:.3g} s (10-90 %: {e.iteration_s_p10:.3g}-"
                          f"{e.iteration_s_p90:.3g} s) over {e.n_iterations_seen} iterations; "
                          f"first iteration of a trial {e.first_iteration_s:.3g} s"),
        ("iterations", f"{e.iterations_per_trial:.2f} per trial expected, "
                       f"{e.iterations_per_trial * e.n_trials:.0f} in all; {e.iterations_rule}"),
        ("compute", f"{_dur(e.compute_s)} for {e.n_trials} trials"
                    + (" (the --only-new cells; the full grid costs more)" if n_new is not None else "")),
    ]
    if e.wall_s is not None:
        rows.append(("wall", f"{_dur(e.wall_s)} at {e.trials_at_once} trials at once (x "
                             f"{e.wall_overhead:.2f}: the earlier runs' overhead over their compute)"))
    else:
        rows.append(("wall", "- (how many trials run at once is unknown)"))
    return rows


def _dur(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
