"""Build small results stores with the writer alone (no Ray), deterministically."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from raysweep.results import SCHEMA_VERSION, RunWriter, config_columns, stable_trial_id
from raysweep.results._schema import to_json

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run_record(sweep: str, run: str, *, status: str = "running", mode: str = "max", offset: int = 0):
    return {
        "sweep": sweep,
        "run": run,
        "status": status,
        "started_at": T0 + timedelta(minutes=offset),
        "ended_at": None,
        "searcher": "random",
        "searcher_params": to_json({"seed": 0}),
        "scheduler": "fifo",
        "scheduler_params": "{}",
        "metric": "score",
        "mode": mode,
        "num_samples": 3,
        "seed": 0,
        "space_json": to_json({"lr": {"loguniform": [1e-4, 1e-1]}}),
        "git_dirty": None,
        "schema_version": SCHEMA_VERSION,
    }


def write_run(
    root: str,
    sweep: str,
    run: str,
    *,
    n_trials: int = 3,
    n_iter: int = 4,
    scale: float = 1.0,
    mode: str = "max",
    offset: int = 0,
    finish: bool = True,
) -> list[str]:
    """One run whose trial k reports score = scale * (k + 1) * iteration; returns trial ids."""
    writer = RunWriter(root, sweep=sweep, run_id=run, flush_interval_s=60)
    writer.write_run(run_record(sweep, run, mode=mode, offset=offset))
    ids = []
    for k in range(n_trials):
        config = {"lr": 10.0 ** -(k + 1), "opt": {"dim": 16 * (k + 1)}}
        tid = stable_trial_id(sweep, config, k)
        ids.append(tid)
        base = {"trial_id": tid, "trial_index": k, "config_json": to_json(config),
                **config_columns(config), "metric": "score"}
        writer.add_trial({**base, "status": "running"})
        scores = [scale * (k + 1) * i for i in range(1, n_iter + 1)]
        for i, score in enumerate(scores, start=1):
            writer.add_iteration({"trial_id": tid, "attempt": 1, "training_iteration": i,
                                  "timestamp": T0 + timedelta(seconds=i), "score": score})
        writer.flush()
        best = max(scores) if mode == "max" else min(scores)
        writer.add_trial({**base, "status": "completed", "metric_last": scores[-1],
                          "metric_best": best, "iterations": n_iter, "attempts": 1})
    if finish:
        writer.write_run({**run_record(sweep, run, mode=mode, offset=offset), "status": "finished"})
        writer.close()
    else:
        writer.flush()
    return ids
