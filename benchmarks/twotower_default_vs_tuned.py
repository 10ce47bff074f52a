"""Two-tower (PyTorch) default against tuned, beside BPR-MF default against tuned, on one split.

Usage (from the repository root)::

    python benchmarks/twotower_default_vs_tuned.py [--size small] [--num-samples N] [--root DIR]
    python benchmarks/twotower_default_vs_tuned.py --skip-sweeps --root DIR   # reuse the stored runs

Runs ``recsys_twotower_optuna_asha`` and ``recsys_mf_optuna_asha`` at ``RAYSWEEP_SIZE=--size`` through
raysweep (one embedded 2-CPU Ray, one CPU per trial; ``--num-samples`` overrides both sweeps' trial
count; ``--models`` picks which), then retrains outside Ray, for the sweep's epoch budget on the sweep's
split (the same for both models: ``search_spaces/two_tower.py`` uses ``search_spaces/recsys.py``'s
constants), each model's defaults (``TwoTowerConfig()``, ``BPRConfig()``) and each sweep's best trial
(by ``metric_best``, its best epoch). Every score is the best epoch's NDCG@10 (the epoch chosen on the
same validation split, for every row alike). The retrained tuned rows reproduce the sweeps' own trials
(data, models and evaluation are deterministic on one thread); the script prints both.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

SWEEPS = {"two_tower": "recsys_twotower_optuna_asha", "bpr_mf": "recsys_mf_optuna_asha"}


def _retrain(model: str, config: dict[str, Any]) -> dict[str, Any]:
    """Best-epoch NDCG@10 (and its epoch and recall@20) of ``config`` retrained on one thread."""
    import torch

    from raysweep.workloads.recsys import load_split, train_epochs, two_tower_epochs

    torch.set_num_threads(1)
    start = time.perf_counter()
    if model == "two_tower":
        split, evaluator = load_split(config["data"])
        curve = [(m["val_ndcg"], m["val_recall"]) for _, m in two_tower_epochs(config, split, evaluator)]
    else:
        curve = [(m["val_ndcg"], m["val_recall"]) for _, m in train_epochs(config)]
    best = max(range(len(curve)), key=lambda i: -math.inf if math.isnan(curve[i][0]) else curve[i][0])
    return {"ndcg": curve[best][0], "epoch": best + 1, "recall": curve[best][1],
            "seconds": time.perf_counter() - start}


def _sweep(model: str, root: str, num_samples: int | None) -> dict[str, Any]:
    from raysweep.execution import run_sweep
    from raysweep.sweep import load_sweep

    loaded = load_sweep(REPO / "sweeps" / f"{SWEEPS[model]}.py")
    if num_samples:
        loaded = dataclasses.replace(loaded, sweep=dataclasses.replace(loaded.sweep, num_samples=num_samples))
    start = time.perf_counter()
    summary = run_sweep(loaded, results_root=root, progress=False)
    return {"run": summary.run_id, "status": summary.status, "seconds": time.perf_counter() - start}


def _best(model: str, root: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from raysweep import results

    run = results.latest_run(SWEEPS[model], root=root)
    trials = results.load_trials(root, sweeps=SWEEPS[model], runs=run)
    iterations = results.load_iterations(root, sweeps=SWEEPS[model], runs=run)
    best = trials.loc[trials["metric_best"].astype(float).idxmax()]
    facts = {"run": run, "trials": len(trials), "epochs_run": len(iterations),
             "stopped_early": int((trials["iterations"] < json.loads(best["config_json"])["epochs"]).sum()),
             "trial_best": float(best["metric_best"]), "trial_index": int(best["trial_index"])}
    return json.loads(best["config_json"]), facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=["tiny", "small", "full"])
    parser.add_argument("--num-samples", type=int, default=None)
    parser.add_argument("--models", nargs="+", default=list(SWEEPS), choices=list(SWEEPS))
    parser.add_argument("--root", default="results/twotower_vs")
    parser.add_argument("--skip-sweeps", action="store_true")
    args = parser.parse_args()
    os.environ["RAYSWEEP_SIZE"] = args.size

    from search_spaces import recsys

    runs: dict[str, dict[str, Any]] = {}
    if not args.skip_sweeps:
        import ray

        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(
                     [str(REPO), str(REPO / "src"),
                      *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}})
        try:
            for model in args.models:
                runs[model] = _sweep(model, args.root, args.num_samples)
                print(f"{SWEEPS[model]}: {runs[model]}", flush=True)
        finally:
            ray.shutdown()

    data, epochs = dict(recsys.DATA[args.size]), recsys.EPOCHS[args.size]
    print(f"\nRAYSWEEP_SIZE={args.size}: data {data}, {epochs} epochs, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| model | default NDCG@10 (epoch) | tuned NDCG@10 (epoch) | tuned / default | tuned trial in "
          "the sweep | trials (stopped early) | epochs run | sweep s |")
    print("|---|---|---|---|---|---|---|---|")
    for model in args.models:
        tuned_config, facts = _best(model, args.root)
        default = _retrain(model, {"epochs": epochs, "data": data})
        tuned = _retrain(model, tuned_config)
        seconds = runs.get(model, {}).get("seconds", math.nan)
        print(f"| {model} | {default['ndcg']:.4f} ({default['epoch']}) | {tuned['ndcg']:.4f} "
              f"({tuned['epoch']}) | {tuned['ndcg'] / default['ndcg']:.3f} | {facts['trial_best']:.4f} "
              f"(#{facts['trial_index']}) | {facts['trials']} ({facts['stopped_early']}) | "
              f"{facts['epochs_run']} | {seconds:.0f} |", flush=True)
        shown = {k: v for k, v in tuned_config.items() if k not in ("data", "epochs", "seed")}
        print(f"|   tuned config | {shown} |||||||")


if __name__ == "__main__":
    main()
