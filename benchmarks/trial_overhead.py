"""Per-trial overhead: raysweep against raw Ray Tune (its best configuration) and Optuna, in one run.

The workload is the peer baseline of benchmarks/raw_tune_overhead.py: a trivial trainable, 10 reports
per trial, TPE + ASHA, 2 trials at once. Usage (from the repository root)::

    python benchmarks/trial_overhead.py [N] [--repeats R]

Prints ms per trial for each contender and its ratio to raw Ray Tune with actor reuse; medians over R
repeats (contenders interleaved so that machine noise hits them alike).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

# The peer contenders and their workload come from the peer baseline itself, so both scripts measure
# exactly the same thing.
from raw_tune_overhead import ITERS, f, optuna_inprocess, raw_tune


def trainable(config):
    from ray import tune

    for i in range(ITERS):
        tune.report({"loss": f(config["x"], i)})


def raysweep_run(n: int, storage: str, write_results: bool) -> float:
    from raysweep import Sweep, schedulers, searchers, space
    from raysweep.execution import run_sweep

    sweep = Sweep(name="overhead", trainable=trainable, space={"x": space.uniform(-10, 10)},
                  metric="loss", mode="min", searcher=searchers.tpe(seed=0), max_concurrent=2,
                  scheduler=schedulers.asha(max_t=ITERS, grace_period=1), num_samples=n)
    start = time.perf_counter()
    run_sweep(sweep, results_root=storage, write_results=write_results, progress=False)
    return time.perf_counter() - start


def main() -> None:
    import ray

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100, help="trials per contender")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    contenders = {
        "raw Ray Tune, reuse_actors=True": lambda d: raw_tune(args.n, True, d),
        "raysweep, Parquet store on": lambda d: raysweep_run(args.n, d, True),
        "raysweep, Parquet store off": lambda d: raysweep_run(args.n, d, False),
        "Optuna in-process": lambda d: optuna_inprocess(args.n),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            with tempfile.TemporaryDirectory() as directory:
                times[name].append(run(directory))
    ray.shutdown()

    base = statistics.median(times["raw Ray Tune, reuse_actors=True"])
    print(f"N={args.n} trials x {ITERS} reports, TPE + ASHA, 2 at once, medians of {args.repeats}")
    print(f"{'contender':34} {'ms/trial':>9} {'x raw Tune':>11}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:34} {1000 * median / args.n:9.1f} {median / base:11.2f}")


if __name__ == "__main__":
    main()
