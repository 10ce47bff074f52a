"""MO-ASHA against no early stopping on the multi-objective BPR-MF sweep (issue 24, second goal).

``sweeps/recsys_mf_multiobj.py`` (NDCG@10 against model size, Optuna's multi-objective TPE) at the
small size runs twice per seed on one embedded local Ray (2 CPUs, one trial per CPU): as shipped
(FIFO: 24 trials, each trains all 8 epochs) and with ``schedulers.asha(max_t=8, grace_period=2,
reduction_factor=3)``, which with two objectives is MO-ASHA, given 48 trials (``--moasha-trials``:
early stopping is for spending the epochs it saves on more trials). The same searcher seed in both.

Per run: the hypervolume of its trials' final points (each trial's last ``val_ndcg`` and its
``model_mb``) against one reference point shared by every run (``raysweep.compare.reference_point``
over all of them), the epochs trained, and for MO-ASHA the epochs after which its hypervolume so far
first reached the FIFO run's final hypervolume of the same seed (the goal: at most half the FIFO
run's epochs).

Usage (from the repository root)::

    python benchmarks/moasha_recsys.py --seeds 3 [--root DIR]
    python benchmarks/moasha_recsys.py --report --root DIR      # the table of an earlier run
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("RAYSWEEP_SIZE", "small")
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._ray import init_local_ray  # noqa: E402 - after the path above

VARIANTS = ("fifo", "moasha")


def _sweep(variant: str, seed: int, moasha_trials: int, grace: int = 2, rf: float = 3,
           searcher: str = "optuna"):
    from raysweep import schedulers, searchers
    from raysweep.sweep import load_sweep

    loaded = load_sweep(REPO / "sweeps" / "recsys_mf_multiobj.py")
    sweep = loaded.sweep
    scheduler = (schedulers.asha(max_t=8, grace_period=grace, reduction_factor=rf)
                 if variant == "moasha" else schedulers.fifo())
    spec = (dataclasses.replace(sweep.searcher, seed=seed) if searcher == "optuna"
            else searchers.random(seed=seed))
    sweep = dataclasses.replace(sweep, name=f"mo_{variant}", seed=seed, scheduler=scheduler,
                                searcher=spec,
                                num_samples=moasha_trials if variant == "moasha" else sweep.num_samples)
    return dataclasses.replace(loaded, sweep=sweep)


def run(seeds: int, root: str, moasha_trials: int, grace: int, rf: float, searcher: str) -> None:
    from raysweep.execution import run_sweep

    ray = init_local_ray()
    try:
        for seed in range(seeds):
            for variant in VARIANTS:
                summary = run_sweep(_sweep(variant, seed, moasha_trials, grace, rf, searcher),
                                    results_root=root, progress=False)
                print(f"{variant:7s} seed {seed}: {summary.status}, run {summary.run_id}", flush=True)
    finally:
        ray.shutdown()


def report(root: str) -> str:
    from raysweep import compare

    comp = compare.load(["mo_fifo", "mo_moasha"], root=root, all_runs=True)
    reference = compare.reference_point(comp)
    curves = compare.hypervolume_curves(comp, axis="iterations", reference=reference)
    runs = comp.runs.sort_values("started_at")
    rows: dict[str, dict[int, dict]] = {v: {} for v in VARIANTS}
    for variant in VARIANTS:
        mine = runs[runs["sweep"] == f"mo_{variant}"].reset_index(drop=True)
        for seed, row in mine.iterrows():  # one run per seed, in launch order
            curve = curves[curves["run"] == row["run"]].sort_values("x")
            rows[variant][int(seed)] = {"hv": float(curve["hypervolume"].iloc[-1]),
                                        "epochs": float(curve["x"].iloc[-1]), "curve": curve}
    out = [f"reference point {tuple(round(r, 4) for r in reference)} (val_ndcg max, model_mb min)", "",
           "| seed | FIFO hypervolume | FIFO epochs | MO-ASHA hypervolume | MO-ASHA epochs | MO-ASHA epochs "
           "to FIFO's hypervolume | share of FIFO's epochs |", "|---|---|---|---|---|---|---|"]
    shares = []
    for seed in sorted(rows["fifo"]):
        fifo, mo = rows["fifo"][seed], rows["moasha"].get(seed)
        if mo is None:
            continue
        reached = mo["curve"][mo["curve"]["hypervolume"] >= fifo["hv"] - 1e-12]
        at = float(reached["x"].iloc[0]) if len(reached) else None
        share = None if at is None else at / fifo["epochs"]
        shares.append(share)
        out.append(f"| {seed} | {fifo['hv']:.5f} | {fifo['epochs']:.0f} | {mo['hv']:.5f} | "
                   f"{mo['epochs']:.0f} | {'never' if at is None else f'{at:.0f}'} | "
                   f"{'-' if share is None else f'{share:.2f}'} |")
    ratios = [rows["moasha"][s]["hv"] / rows["fifo"][s]["hv"] for s in rows["moasha"] if s in rows["fifo"]]
    if ratios:
        reached = sum(s is not None for s in shares)
        out.append(f"\nMO-ASHA's final hypervolume / FIFO's: median {statistics.median(ratios):.3f} "
                   f"({min(ratios):.3f}-{max(ratios):.3f}); reached FIFO's in {reached} of "
                   f"{len(shares)} seeds")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--root", default="results/moasha_recsys")
    parser.add_argument("--moasha-trials", type=int, default=48,
                        help="MO-ASHA's trials (FIFO runs the sweep's 24): it spends what it saves")
    parser.add_argument("--grace", type=int, default=2, help="MO-ASHA's grace period (epochs)")
    parser.add_argument("--rf", type=float, default=3, help="MO-ASHA's reduction factor")
    parser.add_argument("--searcher", choices=("optuna", "random"), default="optuna",
                        help="both variants' searcher (random: the scheduler's effect alone)")
    parser.add_argument("--report", action="store_true", help="only print the table of --root")
    args = parser.parse_args()
    if not args.report:
        run(args.seeds, args.root, args.moasha_trials, args.grace, args.rf, args.searcher)
    print(report(args.root))


if __name__ == "__main__":
    main()
