"""Cost of the forced experiment snapshots that make `raysweep resume` exact.

raysweep forces Ray Tune's experiment snapshot (trial states + searcher state, waited for) before the
store learns of a trial start or end, spaced to at most ~5 % of the driver's time (docs/reliability.md,
docs/architecture.md "Scale"). This script runs the same trivial sweep (function trainable, ``--reports``
reports per trial, random search, FIFO, 2 concurrent trials, actor reuse, 2 CPUs) in one process with
raysweep's callback as shipped (A) and with the forced snapshots switched off (B, Tune's own ~10 s
snapshots only), alternating A/B pairs, and prints the median ratio, the number of snapshots and the
time spent taking them (the robust figure on a noisy machine: the snapshot runs on Tune's driver loop).

    python benchmarks/snapshot_overhead.py --trials 100 --pairs 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

import ray
from ray import tune

from raysweep import results
from raysweep.execution.recording._store_callback import ParquetResultsCallback


def trivial(config):
    for i in range(config["reports"]):
        tune.report({"score": config["x"] * (i + 1)})


class NoForcedSnapshots(ParquetResultsCallback):
    def setup(self, **info):
        self.gate.start(None)  # no controller: no forced snapshots


def one_sweep(n_trials: int, reports: int, workdir: str, name: str, forced: bool):
    writer = results.RunWriter(f"{workdir}/results", sweep="bench", run_id=name)
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "score",
                      "mode": "max"})
    kind = ParquetResultsCallback if forced else NoForcedSnapshots
    cb = kind(writer, sweep="bench", run_id=name, metric="score", mode="max")
    start = time.perf_counter()
    tune.Tuner(
        trivial,
        param_space={"x": tune.uniform(0, 1), "reports": reports},
        tune_config=tune.TuneConfig(num_samples=n_trials, reuse_actors=True,
                                    max_concurrent_trials=2, metric="score", mode="max"),
        run_config=tune.RunConfig(name=name, storage_path=f"{workdir}/ray", callbacks=[cb],
                                  verbose=0),
    ).fit()
    cb.finalize(interrupted=False)
    writer.close()
    elapsed = time.perf_counter() - start
    rows = len(results.load_iterations(f"{workdir}/results", sweeps="bench", runs=name))
    assert rows == n_trials * reports, rows
    return elapsed, cb.snapshots, cb.snapshot_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    ratios, shares, per_trial = [], [], []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            one_sweep(10, args.reports, workdir, "warmup", forced=True)
            for pair in range(args.pairs):
                order = (True, False) if pair % 2 == 0 else (False, True)
                out = {}
                for forced in order:
                    name = f"p{pair}_{'a' if forced else 'b'}"
                    out[forced] = one_sweep(args.trials, args.reports, workdir, name, forced)
                (a, snaps, spent), (b, _, _) = out[True], out[False]
                ratios.append(a / b)
                shares.append(spent / a)
                per_trial.append(1000 * spent / args.trials)
                print(f"pair {pair}: forced {a:.2f} s ({snaps} snapshots, {spent:.2f} s in them), "
                      f"Tune's own snapshots only {b:.2f} s, ratio {a / b:.3f}", flush=True)
    finally:
        ray.shutdown()
    print(f"trials per sweep: {args.trials}, reports per trial: {args.reports}")
    print(f"median ratio forced/not forced: {statistics.median(ratios):.3f}")
    print(f"median share of wall time in forced snapshots: {100 * statistics.median(shares):.2f} %")
    print(f"median snapshot time per trial: {statistics.median(per_trial):.1f} ms")


if __name__ == "__main__":
    main()
