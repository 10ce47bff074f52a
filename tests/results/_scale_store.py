"""A synthetic results root written with raysweep's own writer (``raysweep.results.RunWriter``).

Shared by ``benchmarks/store_scale.py`` and ``tests/results/test_store_scale.py``. Deterministic:
run ``r`` of sweep ``s`` draws its configs from ``np.random.default_rng(seed)`` with a seed derived
from ``(s, r)``; trial ``k`` reports ``score = a_k * (1 - exp(-i / tau_k)) + noise`` at iterations
``i = 1..iters`` (mode ``max``) and ``loss = 1 - score``. Two trials run at once (their iteration
rows interleave, as from a real sweep), so the writer flushes part files as it would on a driver.
Every 50th trial errors after half its iterations; the rest complete.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from raysweep.results import SCHEMA_VERSION, RunWriter, config_columns, stable_trial_id, to_json

T0 = datetime(2026, 1, 1, tzinfo=UTC)
METRIC = "score"
SPACE = {"lr": {"loguniform": [1e-4, 1e-1]}, "dim": {"choice": [8, 16, 32, 64, 128]},
         "reg": {"loguniform": [1e-6, 1e-2]}, "neg": {"randint": [1, 20]}}


def sweep_name(index: int, n_sweeps: int) -> str:
    return f"recsys_{index % n_sweeps}"


def run_id(index: int) -> str:
    return f"run{index:03d}"


def _configs(rng: np.random.Generator, n: int) -> list[dict]:
    lr = 10.0 ** rng.uniform(-4, -1, n)
    dim = rng.choice([8, 16, 32, 64, 128], n)
    reg = 10.0 ** rng.uniform(-6, -2, n)
    neg = rng.integers(1, 20, n)
    return [{"lr": float(lr[k]), "dim": int(dim[k]), "reg": float(reg[k]), "neg": int(neg[k])}
            for k in range(n)]


def trial_curve(config: dict, iters: int, rng: np.random.Generator) -> np.ndarray:
    """The score a trial reports at iterations 1..iters (deterministic given ``rng``)."""
    quality = 0.9 - 0.08 * abs(math.log10(config["lr"]) + 2.2) - 0.02 * abs(
        math.log2(config["dim"]) - 5) - 0.03 * abs(math.log10(config["reg"]) + 4)
    tau = 3.0 + 20.0 * rng.random()
    i = np.arange(1, iters + 1, dtype=float)
    return quality * (1.0 - np.exp(-i / tau)) + rng.normal(0.0, 0.005, iters)


def write_run(root: str, sweep: str, run: str, *, trials: int, iters: int, seed: int,
              offset_min: int = 0, flush_rows: int | None = None, keep_truth: bool = True,
              on_pair=None, rows_per_file: int | None = None) -> dict:
    """Write one finished run; return ground truth: trial ids, curves, best trial, statuses."""
    rng = np.random.default_rng(seed)
    configs = _configs(rng, trials)
    start = T0 + timedelta(minutes=offset_min)
    record = {
        "status": "running", "started_at": start, "ended_at": None, "searcher": "random",
        "searcher_params": to_json({"seed": seed}), "scheduler": "fifo", "scheduler_params": "{}",
        "metric": METRIC, "mode": "max", "num_samples": trials, "seed": seed,
        "space_json": to_json(SPACE), "schema_version": SCHEMA_VERSION, "driver_host": "bench",
        "driver_pid": 1,
    }
    writer = RunWriter(root, sweep=sweep, run_id=run, flush_interval_s=3600)
    if flush_rows is not None:
        writer._max_buffered_rows = flush_rows  # a smaller flush buffer (tests, benchmarks)
    if rows_per_file is not None:
        writer.rows_per_file = rows_per_file  # split compaction on a small run (tests)
    writer.write_run(record)
    truth: dict = {"trial_ids": [], "best": {}, "errored": [], "curves": {}, "configs": {}}
    clock = start
    for pair in range(0, trials, 2):
        ks = list(range(pair, min(pair + 2, trials)))
        ids, curves, bases, n_its = {}, {}, {}, {}
        for k in ks:
            tid = stable_trial_id(sweep, configs[k], k)
            ids[k] = tid
            curves[k] = trial_curve(configs[k], iters, rng)
            n_its[k] = iters // 2 if k % 50 == 49 else iters
            bases[k] = {"trial_id": tid, "ray_trial_id": f"t_{k:05d}", "trial_index": k,
                        "config_json": to_json(configs[k]), **config_columns(configs[k]),
                        "metric": METRIC, "started_at": clock, "hostname": "bench"}
            writer.add_trial({**bases[k], "status": "running", "updated_at": clock})
        for i in range(1, iters + 1):
            clock += timedelta(milliseconds=20)
            for k in ks:
                if i > n_its[k]:
                    continue
                score = float(curves[k][i - 1])
                writer.add_iteration({
                    "trial_id": ids[k], "attempt": 1, "training_iteration": i,
                    "time_total_s": 0.02 * i, "time_this_iter_s": 0.02, "timestamp": clock,
                    "hostname": "bench", METRIC: score, "loss": 1.0 - score})
        for k in ks:
            reported = curves[k][: n_its[k]]
            failed = n_its[k] < iters
            end = {**bases[k], "status": "errored" if failed else "completed",
                   "metric_last": float(reported[-1]), "metric_best": float(reported.max()),
                   "last.score": float(reported[-1]), "last.loss": float(1.0 - reported[-1]),
                   "iterations": n_its[k], "attempts": 1, "ended_at": clock,
                   "trial_seconds": 0.02 * n_its[k], "updated_at": clock}
            if failed:
                end.update(error_type="RuntimeError", error_message=f"diverged (trial {k % 7})",
                           error_traceback=f"Traceback ...\nRuntimeError: diverged (trial {k % 7})")
                truth["errored"].append(ids[k])
            writer.add_trial(end)
            if not keep_truth:
                continue
            truth["trial_ids"].append(ids[k])
            truth["best"][ids[k]] = float(reported.max())
            truth["curves"][ids[k]] = reported
            truth["configs"][ids[k]] = configs[k]
        writer.maybe_flush()
        if on_pair is not None:
            on_pair(pair, writer)
    writer.write_run({**record, "status": "finished", "ended_at": clock, "n_trials": trials})
    truth["files_before_compaction"] = writer.files_written
    if on_pair is not None:
        on_pair(None, writer)
    writer.close()
    return truth


def build(root: str, *, runs: int, trials: int, iters: int, sweeps: int = 4) -> list[tuple[str, str]]:
    """Write ``runs`` runs (spread over ``sweeps`` sweeps); return their (sweep, run) pairs."""
    made = []
    for r in range(runs):
        sweep = sweep_name(r, sweeps)
        write_run(root, sweep, run_id(r), trials=trials, iters=iters, seed=1000 + r, offset_min=r)
        made.append((sweep, run_id(r)))
    return made
