"""Does an extended run search as well as one longer run? TPE and Optuna on a 2-D test function.

Three ways to spend 2N trials, for each searcher and seed, all through raysweep on one local Ray:

* ``one run``: a run of 2N trials;
* ``extend``: a run of N trials, then ``extend_run(run, num_samples=N)`` (the searcher is told the
  first N trials and continues);
* ``restart``: two independent runs of N trials (seeds s and s+1): what one does without extend.

Reports the median over seeds of the best value found (Branin, minimum 0.397887) and the number of
configs suggested twice within a run.

Usage (from the repository root)::

    python benchmarks/extend_search.py --seeds 5 --n 10
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def branin(config):
    from ray import tune

    x, y = config["x"], config["y"]
    value = (y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2 \
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
    tune.report({"loss": value})


def _sweep(name: str, searcher: str, seed: int, n: int):
    from raysweep import Sweep, searchers, space

    spec = {"tpe": searchers.tpe(seed=seed, n_initial_points=5),
            "optuna": searchers.optuna(seed=seed, n_startup_trials=5)}[searcher]
    return Sweep(name=name, trainable=branin,
                 space={"x": space.uniform(-5.0, 10.0), "y": space.uniform(0.0, 15.0)},
                 metric="loss", mode="min", searcher=spec, num_samples=n, max_concurrent=2)


def _facts(root: str, sweep: str) -> tuple[float, int]:
    from raysweep.results import load_trials

    trials = load_trials(root, sweeps=sweep)
    dups = int(sum(group["config_json"].duplicated().sum() for _, group in trials.groupby("run")))
    return float(trials["metric_best"].min()), dups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--searchers", nargs="*", default=["tpe", "optuna"])
    args = parser.parse_args()
    import ray

    from raysweep.execution import extend_run, run_sweep

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    root = tempfile.mkdtemp(prefix="extend-bench-")
    rows = []
    try:
        for searcher in args.searchers:
            for seed in range(args.seeds):
                tag = f"{searcher}_{seed}"
                run_sweep(_sweep(f"one_{tag}", searcher, seed, 2 * args.n), results_root=root,
                          progress=False)
                first = run_sweep(_sweep(f"ext_{tag}", searcher, seed, args.n), results_root=root,
                                  progress=False)
                extend_run(first.run_id, num_samples=args.n, results_root=root, progress=False,
                           sweep=_sweep(f"ext_{tag}", searcher, seed, args.n))
                for s in (seed, seed + 1000):
                    run_sweep(_sweep(f"restart_{tag}", searcher, s, args.n), results_root=root,
                              progress=False)
                for variant in ("one", "ext", "restart"):
                    best, dups = _facts(root, f"{variant}_{tag}")
                    rows.append({"searcher": searcher, "seed": seed, "variant": variant,
                                 "best": best, "duplicates": dups})
                    print(json.dumps(rows[-1]), flush=True)
    finally:
        ray.shutdown()
    print("\n| searcher | variant | median best | min | max | duplicate configs |\n|---|---|---|---|---|---|")
    for searcher in args.searchers:
        for variant, label in (("one", "one run of 2N"), ("ext", "N + extend N"),
                               ("restart", "two runs of N")):
            mine = [r for r in rows if r["searcher"] == searcher and r["variant"] == variant]
            bests = [r["best"] for r in mine]
            print(f"| {searcher} | {label} | {statistics.median(bests):.4f} | {min(bests):.4f} | "
                  f"{max(bests):.4f} | {sum(r['duplicates'] for r in mine)} |")


if __name__ == "__main__":
    main()
