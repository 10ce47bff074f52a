"""PBT against ASHA + Optuna and random search on BPR-MF at the small size, at equal compute.

Each method runs through raysweep on one embedded local Ray (2 CPUs, one trial per CPU), one run per
seed, in its own sweep of ``--root`` (so ``raysweep compare bm_pbt bm_optuna_asha bm_random --all-runs
--results ROOT`` compares them as seeded groups):

* ``pbt``: ``sweeps/recsys_mf_pbt.py`` (8 members x 8 epochs = 64 epochs, lr and reg perturbed every 2);
* ``optuna_asha``: ``sweeps/recsys_mf_optuna_asha.py`` (24 trials, ASHA; about 100-120 epochs in all);
* ``random``: random search without early stopping, 8 trials x 8 epochs = 64 epochs.

Compute is counted in epochs trained (iteration rows in the store, plus, under PBT, the epochs a
copier trained again after copying an older checkpoint), in the order they were reported. Per run:
the best ``val_ndcg`` within a budget of 64 epochs (8 members x 8 epochs), and the epochs each run
needed to reach 99 % of a reference: the grid's best at this size (0.0766, 96 cells x 8 epochs = 768
epochs, docs/comparison-recsys.md) and the best value any run of this benchmark reached.

Usage (from the repository root)::

    python benchmarks/pbt_recsys.py --seeds 5 [--methods pbt optuna_asha random] [--root DIR]
    python benchmarks/pbt_recsys.py --report pbt_recsys.jsonl [--recount --root DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("RAYSWEEP_SIZE", "small")
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._ray import init_local_ray  # noqa: E402 - after the path above

METHODS = ("pbt", "optuna_asha", "random")
GRID_BEST = 0.0766  # recsys_mf_grid at the small size: 96 cells x 8 epochs (docs/comparison-recsys.md)
GRID_EPOCHS = 768
BUDGET = 64  # 8 members x 8 epochs (PBT trains a few more: the epochs re-trained after exploits)


def _sweep(method: str, seed: int):
    from raysweep import schedulers, searchers
    from raysweep.sweep import load_sweep

    if method == "pbt":
        loaded = load_sweep(REPO / "sweeps" / "recsys_mf_pbt.py")
        pbt = dataclasses.replace(loaded.sweep.scheduler_spec, seed=seed)
        sweep = dataclasses.replace(loaded.sweep, searcher=searchers.random(seed=seed), scheduler=pbt)
    elif method == "optuna_asha":
        loaded = load_sweep(REPO / "sweeps" / "recsys_mf_optuna_asha.py")
        sweep = dataclasses.replace(loaded.sweep, searcher=dataclasses.replace(loaded.sweep.searcher,
                                                                               seed=seed))
    else:
        loaded = load_sweep(REPO / "sweeps" / "recsys_mf_random_asha.py")
        sweep = dataclasses.replace(loaded.sweep, searcher=searchers.random(seed=seed),
                                    scheduler=schedulers.fifo(), num_samples=8)
    sweep = dataclasses.replace(sweep, name=f"bm_{method}", seed=seed)
    return dataclasses.replace(loaded, sweep=sweep)


def anytime(root: str, sweep: str, run: str) -> list[float]:
    """The best ``val_ndcg`` after each epoch trained, epochs in the order they were reported.

    Under PBT a copier that copies an older checkpoint trains the iterations after it again; the
    store keeps only the re-run's rows, so those epochs are added back at the exploit's time
    (``raysweep.compare.retrained_iterations``; their values are gone and never count as a best).
    """
    import pandas as pd

    from raysweep import compare
    from raysweep.results import load_iterations

    rows = load_iterations(root=root, sweeps=sweep, runs=run)[["timestamp", "time_total_s", "val_ndcg"]]
    retrained = compare.retrained_iterations(compare.load([run], root=root))
    if len(retrained):
        rows = pd.concat([rows, retrained[["timestamp"]].assign(time_total_s=float("inf"),
                                                                val_ndcg=float("nan"))])
    ordered = rows.sort_values(["timestamp", "time_total_s"], kind="stable")
    best, curve = float("-inf"), []
    for value in ordered["val_ndcg"]:
        best = best if value != value else max(best, float(value))  # NaN: a re-trained epoch
        curve.append(best)
    return curve


def first_reaching(curve: list[float], target: float) -> int | None:
    """Epochs trained when the anytime best first reached ``target`` (None: never)."""
    return next((i + 1 for i, v in enumerate(curve) if v >= target - 1e-12), None)


def _run(method: str, seed: int, root: str) -> dict:
    from raysweep.execution import run_sweep

    loaded = _sweep(method, seed)
    start = time.perf_counter()
    summary = run_sweep(loaded, results_root=root, progress=False)
    seconds = time.perf_counter() - start
    curve = anytime(root, loaded.sweep.name, summary.run_id)
    return {"method": method, "seed": seed, "run": summary.run_id, "status": summary.status,
            "epochs": len(curve), "best": curve[-1], "best_at_budget": curve[min(BUDGET, len(curve)) - 1],
            "curve": curve, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--root", default="results/pbt_recsys")
    parser.add_argument("--out", default="pbt_recsys.jsonl")
    parser.add_argument("--report", metavar="JSONL")
    parser.add_argument("--recount", action="store_true",
                        help="recompute --report's curves from the store in --root (no sweep runs)")
    args = parser.parse_args()
    if args.recount:
        recount(args.report, args.root)
    if args.report:
        print(report(args.report))
        return
    ray = init_local_ray()
    try:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for method in args.methods:
                line = _run(method, seed, args.root)
                with open(args.out, "a") as out:
                    out.write(json.dumps(line) + "\n")
                print(f"{method:12s} seed {seed} {line['status']} epochs {line['epochs']} best "
                      f"{line['best']:.4f} at {BUDGET} epochs {line['best_at_budget']:.4f} "
                      f"({line['seconds']:.0f} s)", flush=True)
    finally:
        ray.shutdown()
    print(report(args.out))


def recount(path: str, root: str) -> None:
    """Rewrite each line's curve (and the figures derived from it) from the store in ``root``."""
    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    for line in lines:
        curve = anytime(root, f"bm_{line['method']}", line["run"])
        line.update(curve=curve, epochs=len(curve), best=curve[-1],
                    best_at_budget=curve[min(BUDGET, len(curve)) - 1])
    Path(path).write_text("".join(json.dumps(x) + "\n" for x in lines))


def report(path: str) -> str:
    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    best_known = max([GRID_BEST, *(x["best"] for x in lines)])
    out = [f"budget {BUDGET} epochs; grid's best {GRID_BEST} in {GRID_EPOCHS} epochs; best known "
           f"{best_known:.4f}", "",
           "| method | runs | median best at budget (range) | median epochs | epochs to 99 % of grid's best "
           "(per seed) | epochs to 99 % of best known (per seed) | median s |",
           "|---|---|---|---|---|---|---|"]
    for method in METHODS:
        mine = sorted((x for x in lines if x["method"] == method), key=lambda x: x["seed"])
        if not mine:
            continue
        at_budget = [x["best_at_budget"] for x in mine]

        def reach(target: float, runs: list[dict] = mine) -> str:
            return ", ".join(str(first_reaching(x["curve"], target) or "never") for x in runs)

        out.append(f"| {method} | {len(mine)} | {statistics.median(at_budget):.4f} ({min(at_budget):.4f}-"
                   f"{max(at_budget):.4f}) | {statistics.median(x['epochs'] for x in mine):.0f} | "
                   f"{reach(0.99 * GRID_BEST)} | {reach(0.99 * best_known)} | "
                   f"{statistics.median(x['seconds'] for x in mine):.0f} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
