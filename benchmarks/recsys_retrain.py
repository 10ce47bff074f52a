"""Default against tuned hyperparameters on the recommendation workload, retrained outside Ray.

The tuned configuration is the best trial (best epoch, the sweep's metric) of a sweep's run in the
results store; the default is ``BPRConfig()``. Both are trained for the sweep's epoch count on the data the
sweep tuned on (its data seed) and on fresh data from the same generator (another seed), evaluated over
every user (NDCG@10 and recall@20), beside the popularity baseline.

Usage (from the repository root)::

    python benchmarks/recsys_retrain.py recsys_mf_optuna_asha --results results/
    python benchmarks/recsys_retrain.py quickstart --results results/ --fresh-seed 1
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from typing import Any

ALL_USERS = 10**9  # max_eval_users: evaluate every user


def _retrain(config: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    from raysweep.workloads.recsys import train_epochs

    curve = []
    start = time.perf_counter()
    for _, metrics in train_epochs({**config, "data": data}):
        curve.append((metrics["val_ndcg"], metrics["val_recall"]))
    best = max(range(len(curve)), key=lambda i: -math.inf if math.isnan(curve[i][0]) else curve[i][0])
    return {"best_ndcg": curve[best][0], "best_epoch": best + 1, "best_recall": curve[best][1],
            "last_ndcg": curve[-1][0], "seconds": time.perf_counter() - start}


def _popularity(data: dict[str, Any]) -> dict[str, Any]:
    from raysweep.workloads.recsys import PopularityModel, load_split

    split, evaluator = load_split(data)
    scores = evaluator.evaluate(PopularityModel(split.train))
    return {"best_ndcg": scores["ndcg"], "best_epoch": None, "best_recall": scores["recall"],
            "last_ndcg": None, "seconds": 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--results", default="results")
    parser.add_argument("--run", help="a run id of the sweep (default: its best trial over all runs)")
    parser.add_argument("--fresh-seed", type=int, default=1, help="data seed never seen by the sweep")
    args = parser.parse_args()

    from raysweep.results import best_config
    from raysweep.workloads.recsys import BPRConfig

    tuned, trial = best_config(args.sweep, root=args.results, run=args.run)
    sweep_data = dict(tuned.pop("data"))
    epochs = int(tuned["epochs"])
    default = {**dataclasses.asdict(BPRConfig()), "epochs": epochs}
    print(f"tuned: run {trial['run']} trial {trial['trial_index']} (best "
          f"{trial['metric_best']:.4f}): "
          + ", ".join(f"{k}={tuned[k]:.4g}" if isinstance(tuned[k], float) else f"{k}={tuned[k]}"
                      for k in ("dim", "lr", "reg", "n_negatives", "batch_size", "init_scale")))
    rows = []
    for label, seed in (("sweep's data", sweep_data.get("seed", 0)), ("fresh data", args.fresh_seed)):
        data = {**sweep_data, "seed": seed, "max_eval_users": ALL_USERS}
        rows.append((label, seed, "popularity baseline", _popularity(data)))
        for name, config in (("BPR-MF, defaults", default), ("BPR-MF, tuned", tuned)):
            rows.append((label, seed, name, _retrain(config, data)))
            print(f"  {label} (seed {seed}) {name}: {rows[-1][3]}", flush=True)
    shown = {k: v for k, v in sweep_data.items() if k not in ("seed", "max_eval_users")}
    print(f"\n{epochs} epochs, every user evaluated; data {shown}\n")
    print("| data | model | NDCG@10 (best epoch) | NDCG@10 (last epoch) | recall@20 (best epoch) |")
    print("|---|---|---|---|---|")
    for label, seed, name, r in rows:
        last = "-" if r["last_ndcg"] is None else f"{r['last_ndcg']:.4f}"
        epoch = "" if r["best_epoch"] is None else f" (epoch {r['best_epoch']})"
        print(f"| {label}, seed {seed} | {name} | {r['best_ndcg']:.4f}{epoch} | {last} | "
              f"{r['best_recall']:.4f} |")


if __name__ == "__main__":
    main()
