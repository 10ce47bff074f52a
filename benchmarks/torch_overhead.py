"""Two-tower epoch time through raysweep (a real one-trial sweep, results store on) against the same
loop as plain PyTorch in this process: same data, same configuration, same thread count (1).

Usage (from the repository root)::

    python benchmarks/torch_overhead.py [--interactions 1000000] [--epochs 4] [--repeats 2]

The contenders, interleaved ``--repeats`` times so that machine noise hits them alike:

- ``plain PyTorch``: ``two_tower_epochs`` (the workload's Ray-free loop: train, then NDCG@10 /
  recall@20) in this process with ``torch.set_num_threads(1)``; an epoch's time is its wall time.
- ``plain PyTorch + torch.save``: the same, saving the checkpoint of every epoch to a local file, as
  the trial does.
- ``raysweep``: ``run_sweep`` of one trial of ``train_two_tower`` (``resources={"cpu": 1}``, so one
  torch thread; the split shared through ``tune.with_parameters``, checkpoint every epoch, store on);
  an epoch's time is the store's ``time_this_iter_s`` (Tune's time between two reports: training,
  evaluation, the checkpoint's save and persistence and the report itself).

One untimed plain epoch warms torch up first. Epoch 1 is left out of the medians (set-up: the trial's
first interval starts with the trial). The per-epoch ratio is median raysweep epoch / median plain epoch
(goal: at most 1.05). Also printed: the whole run's wall time (trainer set-up included; for raysweep the
trial's start in a Ray worker, Ray's own start excluded) and the ratio of the in-trial ``epoch_seconds``
to plain, which isolates how fast the trial's process trains (threads, memory) from what Ray and
raysweep add around it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

CONFIG = {"dim": 32, "tower_width": 64, "tower_depth": 1, "lr": 0.01, "n_negatives": 1,
          "batch_size": 1024, "seed": 0}


def plain(config: dict, save: bool) -> tuple[list[float], list[float], float]:
    """Per-epoch wall seconds (twice: wall, and the loop's own epoch_seconds) and the run's wall."""
    import torch

    from raysweep.workloads.recsys import load_split, two_tower_epochs

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        split, evaluator = load_split(config["data"])
        epochs, own, start = [], [], time.perf_counter()
        last = start
        with tempfile.TemporaryDirectory() as directory:
            for trainer, metrics in two_tower_epochs(config, split, evaluator):
                if save:
                    trainer.save(os.path.join(directory, "two_tower.pt"))
                now = time.perf_counter()
                epochs.append(now - last)
                own.append(metrics["epoch_seconds"])
                last = now
        return epochs, own, time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)


def through_raysweep(config: dict, root: str) -> tuple[list[float], list[float], float]:
    from ray import tune

    from raysweep import Sweep, results
    from raysweep.execution import run_sweep
    from raysweep.workloads import train_two_tower
    from raysweep.workloads.recsys import load_split

    split, _ = load_split(config["data"])
    sweep = Sweep(name="torch_overhead", trainable=tune.with_parameters(train_two_tower, split=split),
                  space=config, metric="val_ndcg", mode="max", searcher="grid", resources={"cpu": 1})
    start = time.perf_counter()
    summary = run_sweep(sweep, results_root=root, progress=False)
    wall = time.perf_counter() - start
    if summary.status != "finished":
        raise SystemExit(f"the sweep ended {summary.status}: {summary.errors}")
    rows = results.load_iterations(root, sweeps="torch_overhead").sort_values("training_iteration")
    return list(rows["time_this_iter_s"]), list(rows["epoch_seconds"]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import ray

    from raysweep.workloads.recsys import load_split

    data = {"n_interactions": args.interactions, "seed": 0, "max_eval_users": 10_000}
    config = {**CONFIG, "epochs": args.epochs, "data": data}
    split, evaluator = load_split(data)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    contenders = {
        "plain PyTorch": lambda root: plain(config, save=False),
        "plain PyTorch + torch.save": lambda root: plain(config, save=True),
        "raysweep (store on)": lambda root: through_raysweep(config, root),
    }
    epochs: dict[str, list[float]] = {name: [] for name in contenders}
    inner: dict[str, list[float]] = {name: [] for name in contenders}
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    plain({**config, "epochs": 1}, save=False)  # warm-up, untimed: torch's first-call costs
    loads = [os.getloadavg()[0]]
    try:
        for _ in range(args.repeats):
            for name, run in contenders.items():
                with tempfile.TemporaryDirectory() as root:
                    per_epoch, own, wall = run(root)
                epochs[name] += per_epoch[1:]
                inner[name] += own[1:]
                walls[name].append(wall)
                loads.append(os.getloadavg()[0])
    finally:
        ray.shutdown()

    print(f"{len(split.train):,} training interactions, {split.train.n_users:,} users x "
          f"{split.train.n_items:,} items, {evaluator.users.size:,} evaluated users; {args.epochs} epochs "
          f"x {args.repeats} repeats (epoch 1 excluded), one torch thread, load average "
          f"{min(loads):.1f}-{max(loads):.1f}")
    base = statistics.median(epochs["plain PyTorch"])
    base_wall = statistics.median(walls["plain PyTorch"])
    print("\n| contender | epoch s (median) | x plain | in-trial epoch s | run wall s | x plain |")
    print("|---|---|---|---|---|---|")
    for name in contenders:
        median = statistics.median(epochs[name])
        own = statistics.median(inner[name])
        wall = statistics.median(walls[name])
        print(f"| {name} | {median:.2f} | {median / base:.3f} | {own:.2f} | {wall:.1f} | "
              f"{wall / base_wall:.3f} |")
    ratio = statistics.median(epochs["raysweep (store on)"]) / base
    verdict = "met" if ratio <= 1.05 else "missed"
    print(f"\nper-epoch ratio raysweep / plain PyTorch: {ratio:.3f} (goal <= 1.05: {verdict})")


if __name__ == "__main__":
    main()
