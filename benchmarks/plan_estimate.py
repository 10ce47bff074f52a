"""How close ``raysweep plan``'s cost estimate comes to what a run really costs.

For each shipped recsys sweep (random, TPE, Optuna; all ASHA) at ``RAYSWEEP_SIZE=small``, runs seeds
0..S-1 one after another into one results root, then estimates run ``k`` from run ``k-1`` alone (one
earlier run with another seed, the same history ``raysweep plan`` would read) and compares with run
``k``'s actual compute (the sum of every reported iteration's ``time_this_iter_s``) and wall time.

Usage (from the repository root)::

    python benchmarks/plan_estimate.py run --root /tmp/plan-bench --seeds 3
    python benchmarks/plan_estimate.py evaluate --root /tmp/plan-bench
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("RAYSWEEP_SIZE", "small")
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SWEEPS = ("recsys_mf_random_asha", "recsys_mf_tpe_asha", "recsys_mf_optuna_asha")


def _seeded(name: str, seed: int):
    from raysweep.sweep import load_sweep

    loaded = load_sweep(str(REPO / "sweeps" / f"{name}.py"))
    sweep = loaded.sweep
    sweep = dataclasses.replace(sweep, seed=seed,
                                searcher=dataclasses.replace(sweep.searcher_spec, seed=seed))
    return dataclasses.replace(loaded, sweep=sweep)


def run(root: str, seeds: int, sweeps: list[str]) -> None:
    import ray

    from raysweep.execution import run_sweep

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        for seed in range(seeds):
            for name in sweeps:
                summary = run_sweep(_seeded(name, seed), results_root=root, progress=False)
                print(json.dumps({"sweep": name, "seed": seed, "run": summary.run_id,
                                  "status": summary.status, "wall_s": round(summary.elapsed_s, 1)}),
                      flush=True)
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=("run", "evaluate"))
    parser.add_argument("--root", required=True)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sweeps", nargs="*", default=list(SWEEPS))
    args = parser.parse_args()
    if args.phase == "run":
        run(args.root, args.seeds, args.sweeps)
    else:
        evaluate(args.root, args.sweeps)


def evaluate(root: str, sweeps: list[str]) -> None:
    """Estimate each run from the run of the same sweep just before it; compare with its actual."""
    import pandas as pd

    from raysweep.results import list_runs, load_iterations
    from raysweep.sweep import estimate_cost

    runs = list_runs(root).sort_values("started_at")
    rows = []
    for name in sweeps:
        mine = runs[(runs["sweep"] == name) & (runs["status"] == "finished")]
        for earlier, later in zip(mine.itertuples(), mine.iloc[1:].itertuples(), strict=False):
            sweep = _seeded(name, int(later.seed)).sweep
            est = estimate_cost(sweep, root, trials_at_once=2, runs=[earlier.run])
            if est is None:
                continue
            iters = load_iterations(root, sweeps=name, runs=later.run, columns=["time_this_iter_s"])
            actual = float(iters["time_this_iter_s"].sum())
            per_trial = iters.groupby("trial_id")["training_iteration"].max()
            wall = (later.ended_at - later.started_at).total_seconds()
            rows.append({"sweep": name, "from_seed": int(earlier.seed), "seed": int(later.seed),
                         "iters_est": est.iterations_per_trial, "iters_actual": per_trial.mean(),
                         "compute_est_s": est.compute_s, "compute_s": actual,
                         "compute_err": (est.compute_s - actual) / actual,
                         "wall_est_s": est.wall_s, "wall_s": wall})
    frame = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(frame.round(3).to_string(index=False))
    if not frame.empty:
        errors = frame["compute_err"].abs()
        print(f"median |compute error| {errors.median():.1%} over {len(frame)} runs "
              f"(max {errors.max():.1%}); median wall ratio "
              f"{(frame['wall_s'] / frame['wall_est_s']).median():.2f}")
        print(json.dumps({"median_abs_compute_error": round(float(errors.median()), 4),
                          "n": len(frame)}))


if __name__ == "__main__":
    main()
