"""Searchers on the recommendation flagship: the quickstart sweep (BPR-MF, 100k interactions, 20 trials,
ASHA, 2 trials at once) run through raysweep with each searcher and seed, and warm start against cold start.

Usage (from the repository root)::

    python benchmarks/recsys_search.py --seeds 3 [--variants optuna-best optuna-last tpe-best random-best]
    python benchmarks/recsys_search.py --seeds 3 --warm          # warm vs cold second sweeps
    python benchmarks/recsys_search.py --report recsys_search.jsonl

Variants: ``<searcher>-best`` learns from ``val_ndcg_best`` (the trial's running best epoch), ``-last``
from ``val_ndcg`` at the trial's last report, ``optuna-pruned`` like ``-last`` but told ASHA's early
stops as pruned trials (``stopped_as_pruned=True``); a ``-g2``/``-g3`` suffix sets ASHA's grace period to
2/3 epochs (the quickstart's is 2), ``-s5`` Optuna's random start-up trials to 5 (the preset's is 10).
Each variant is one sweep ``rs_<variant>`` in ``--root`` with one run
per seed, so ``raysweep compare rs_a rs_b --all-runs --results ROOT`` compares them as seeded groups.
Every run's score is its best best-epoch NDCG@10 (the same
number for every variant), read back from raysweep's results store; each run appends one JSON line.
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

VARIANTS = ("optuna-best", "optuna-last", "tpe-best", "random-best", "optuna-last-g2", "optuna-last-g3",
            "optuna-pruned", "tpe-last", "random-last", "optuna-last-s5")


def _searcher(name: str, seed: int, learns: str):
    from raysweep import searchers

    if learns == "pruned":  # Optuna told ASHA's early stops as pruned trials
        return searchers.optuna(seed=seed, stopped_as_pruned=True)
    return {"optuna": searchers.optuna, "tpe": searchers.tpe, "random": searchers.random}[name](seed=seed)


def _run(variant: str, seed: int, root: str, name: str, warm_from: str | None = None) -> dict:
    from raysweep import warm_start
    from raysweep.execution import run_sweep
    from raysweep.results import load_iterations
    from raysweep.sweep import load_sweep

    searcher, learns, *options = variant.split("-")
    loaded = load_sweep(REPO / "sweeps" / "quickstart.py")
    asha = loaded.sweep.scheduler
    spec = _searcher(searcher, seed, learns)
    for option in options:
        if option.startswith("g"):  # "-g3": ASHA's grace period 3 instead of the quickstart's
            asha = dataclasses.replace(asha, grace_period=int(option[1:]))
        elif option.startswith("s"):  # "-s5": Optuna's random start-up trials
            spec = dataclasses.replace(spec, n_startup_trials=int(option[1:]))
    sweep = dataclasses.replace(
        loaded.sweep, name=name, seed=seed, searcher=spec, scheduler=asha,
        metric="val_ndcg_best" if learns == "best" else "val_ndcg",
        warm_start=warm_start.from_runs(warm_from) if warm_from else None,
    )
    start = time.perf_counter()
    summary = run_sweep(dataclasses.replace(loaded, sweep=sweep), results_root=root, progress=False)
    seconds = time.perf_counter() - start
    iterations = load_iterations(root=root, sweeps=name, runs=summary.run_id)
    per_trial = iterations.groupby("trial_id")["val_ndcg"].max()
    from raysweep.results import load_trials

    order = load_trials(root=root, sweeps=name, runs=summary.run_id).sort_values("trial_index")
    curve = [float(per_trial.get(t, float("nan"))) for t in order["trial_id"]]
    return {"variant": variant, "seed": seed, "run": summary.run_id, "sweep": name,
            "best": max(curve), "curve": curve, "seconds": seconds, "warm_from": warm_from}


def _append(path: str, line: dict) -> None:
    with open(path, "a") as out:
        out.write(json.dumps(line) + "\n")
    print(f"{line['variant']:14s} seed {line['seed']} best NDCG@10 {line['best']:.4f} "
          f"({line['seconds']:.0f} s){' warm' if line.get('warm_from') else ''}", flush=True)


def first_reaching(curve: list[float], target: float) -> int | None:
    """1-based index of the first trial whose best epoch reaches ``target`` (None: never)."""
    return next((i + 1 for i, v in enumerate(curve) if v >= target - 1e-12), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--warm", action="store_true", help="first sweep, then cold and warm second ones")
    parser.add_argument("--root", default="results/recsys_search")
    parser.add_argument("--out", default="recsys_search.jsonl")
    parser.add_argument("--report", metavar="JSONL")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        return
    ray = init_local_ray()
    try:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            if args.warm:
                first = _run("optuna-best", seed, args.root, f"rs_first_{seed}")
                _append(args.out, {**first, "variant": "first"})
                for mode in ("cold", "warm"):
                    line = _run("optuna-best", seed + 1000, args.root, f"rs_{mode}_{seed}",
                                warm_from=first["run"] if mode == "warm" else None)
                    line.update(variant=mode, target=first["best"],
                                reached_at=first_reaching(line["curve"], first["best"]))
                    _append(args.out, line)
                continue
            for variant in args.variants:
                # one sweep per variant, one run per seed: `raysweep compare --all-runs` takes them as seeds
                _append(args.out, _run(variant, seed, args.root, f"rs_{variant}"))
    finally:
        ray.shutdown()
    print(report(args.out))


def report(path: str) -> str:
    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    out = ["| variant | runs | median best NDCG@10 | min | max | median s |", "|---|---|---|---|---|---|"]
    for variant in [*VARIANTS, "first", "cold", "warm"]:
        mine = [x for x in lines if x["variant"] == variant]
        if mine:
            bests = [x["best"] for x in mine]
            out.append(f"| {variant} | {len(mine)} | {statistics.median(bests):.4f} | {min(bests):.4f} | "
                       f"{max(bests):.4f} | {statistics.median(x['seconds'] for x in mine):.0f} |")
    for share in (1.0, 0.98, 0.95):
        for mode in ("cold", "warm"):
            reached = [first_reaching(x["curve"], share * x["target"]) for x in lines
                       if x["variant"] == mode]
            if reached:
                shown = ", ".join("never" if r is None else str(r) for r in reached)
                out.append(f"\n{mode}: trials to reach {share:.0%} of the first sweep's best "
                           f"(per seed): {shown}")
    return "\n".join(out)


if __name__ == "__main__":
    main()
