"""The plan's cost estimate at launch (stored in the run row) and against the actual at the end."""

from __future__ import annotations

from typing import Any

from raysweep._errors import RaysweepError
from raysweep.results import load_iterations
from raysweep.sweep import Sweep, estimate_cost, estimate_vs_actual, make_plan

__all__ = ["estimate_line", "estimate_record"]


def estimate_record(sweep: Sweep, root: str, cluster: dict[str, float],
                    n_trials: int | None = None) -> dict[str, Any]:
    """The run-row columns of the estimate ``raysweep plan`` would show for this launch ({}: no
    history). Never fails a launch: an unreadable history gives no estimate."""
    try:
        at_once = make_plan(sweep, cluster.get("CPU"), cluster.get("GPU")).trials_at_once
        estimate = estimate_cost(sweep, root, trials_at_once=at_once, n_trials=n_trials)
    except (RaysweepError, OSError, ValueError, KeyError):
        return {}
    return {} if estimate is None else estimate.record()


def estimate_line(record: dict[str, Any], root: str, sweep: str, run_id: str,
                  elapsed_s: float) -> str | None:
    """"compute 74 s planned, 72 s actual (-3%); wall ..." for a run launched with an estimate."""
    if record.get("estimate_compute_s") is None:
        return None
    try:
        iters = load_iterations(root, sweeps=sweep, runs=run_id, columns=["time_this_iter_s"])
    except (RaysweepError, OSError):
        return None
    actual = float(iters["time_this_iter_s"].sum()) if len(iters) else 0.0
    return estimate_vs_actual(record.get("estimate_compute_s"), record.get("estimate_wall_s"),
                              actual, elapsed_s)
