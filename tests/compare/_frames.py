"""Hand-built runs/trials/iterations frames in the results store's shapes, with known answers."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

T0 = pd.Timestamp("2026-01-01 00:00:00", tz="UTC")


def make_run(
    sweep: str,
    run: str,
    curves: Sequence[Sequence[float]],
    *,
    metric: str = "loss",
    mode: str = "min",
    searcher: str = "random",
    scheduler: str = "fifo",
    seed: int = 0,
    start: pd.Timestamp = T0,
    iter_seconds: float = 1.0,
    statuses: Sequence[str] | None = None,
    params: Sequence[dict] | None = None,
) -> tuple[dict, list[dict], list[dict]]:
    """One run whose trials run one after another, each iteration taking ``iter_seconds``.

    ``curves[i]`` is trial i's reported metric per iteration. Returns (run row, trial rows,
    iteration rows).
    """
    trials, iterations = [], []
    clock = start
    for i, curve in enumerate(curves):
        trial_id = f"{run}-t{i:03d}"
        began = clock
        for j, value in enumerate(curve):
            clock = clock + pd.Timedelta(seconds=iter_seconds)
            iterations.append({
                "sweep": sweep, "run": run, "trial_id": trial_id, "attempt": 0,
                "training_iteration": j + 1, "time_total_s": (j + 1) * iter_seconds,
                "time_this_iter_s": iter_seconds, "timestamp": clock,
                "node_id": "n0", "hostname": "h0", metric: value,
            })
        config = dict(params[i]) if params is not None else {"x": float(i)}
        values = [v for v in curve if v == v]
        best = (max(values) if mode == "max" else min(values)) if values else float("nan")
        trials.append({
            "sweep": sweep, "run": run, "trial_id": trial_id, "ray_trial_id": f"r{i}",
            "trial_index": i,
            "status": statuses[i] if statuses is not None else "completed",
            "config_json": json.dumps(config),
            **{f"config.{k}": v for k, v in config.items()},
            "metric": metric, "metric_last": curve[-1] if curve else float("nan"),
            "metric_best": best, "iterations": len(curve), "attempts": 1,
            "started_at": began, "ended_at": clock,
            "trial_seconds": len(curve) * iter_seconds,
        })
    run_row = {
        "sweep": sweep, "run": run, "status": "finished", "started_at": start, "ended_at": clock,
        "searcher": searcher, "searcher_params": "{}", "scheduler": scheduler,
        "scheduler_params": "{}", "metric": metric, "mode": mode, "num_samples": len(curves),
        "seed": seed, "n_trials": len(curves),
    }
    return run_row, trials, iterations


def frames(*runs: tuple[dict, list[dict], list[dict]]):
    """Concatenate :func:`make_run` outputs into (runs, trials, iterations) DataFrames."""
    run_rows = [r for r, _, _ in runs]
    trial_rows = [t for _, ts, _ in runs for t in ts]
    iteration_rows = [i for _, _, its in runs for i in its]
    return pd.DataFrame(run_rows), pd.DataFrame(trial_rows), pd.DataFrame(iteration_rows)
