"""Two-tower trials packed on one GPU: samples/s with 1, 2 and 4 concurrent trials against one alone.

Usage (from the repository root, on a machine with a CUDA GPU and PyTorch's CUDA build)::

    python benchmarks/gpu_packing.py [--packs 1 2 4] [--interactions 1000000] [--epochs 3]
                                     [--batch-size 4096] [--dim 64] [--depth 2] [--num-cpus N]

For each n in ``--packs``, one raysweep sweep of n trials of ``train_two_tower`` (results store on,
the split shared through ``tune.with_parameters``), all running at once with
``resources={"cpu": 1, "gpu": 1 / n}``: Ray gives every trial the same GPU, each trains in mixed
precision (``torch.autocast`` float16 + GradScaler). A trial's throughput is the median of its
``samples_per_s`` (training interactions per second of training) over epochs 2 and later, read back from
the store; the pack's throughput is the sum over its trials. Printed: per n, the median trial's and
the pack's samples/s and the pack's ratio to one trial alone (n = 1), which is the figure to choose n
by (pack more while the ratio still grows).

On a machine without CUDA it says so and exits with status 2: it prints no figures it did not
measure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def _no_gpu() -> str | None:
    """Why this machine cannot run the benchmark, or None."""
    try:
        import torch
    except ImportError:
        return 'PyTorch is not installed (pip install "raysweep[torch]", with a CUDA build of torch)'
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        return (f"torch.cuda.is_available() is False (torch {torch.__version__}, {build}): "
                "there is no CUDA GPU here to pack trials on")
    return None


def pack(n: int, config: dict, root: str) -> list[float]:
    """Each trial's median samples/s over epochs 2+ with n trials sharing the GPU."""
    from ray import tune

    from raysweep import Sweep, results, space
    from raysweep.execution import run_sweep
    from raysweep.workloads import train_two_tower
    from raysweep.workloads.recsys import load_split

    split, _ = load_split(config["data"])
    name = f"gpu_packing_{n}"
    sweep = Sweep(
        name=name, trainable=tune.with_parameters(train_two_tower, split=split),
        space={**config, "seed": space.grid(list(range(n)))}, metric="val_ndcg", mode="max",
        searcher="grid", resources={"cpu": 1, "gpu": 1 / n}, max_concurrent=n,
    )
    summary = run_sweep(sweep, results_root=root, progress=False)
    if summary.status != "finished":
        raise SystemExit(f"the {n}-trial sweep ended {summary.status}: {summary.errors}")
    rows = results.load_iterations(root, sweeps=name)
    rows = rows[rows["training_iteration"] >= 2]
    return [float(group["samples_per_s"].median()) for _, group in rows.groupby("trial_id")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--num-cpus", type=int, default=None,
                        help="CPUs for Ray (default: the largest pack, at most the machine's)")
    args = parser.parse_args()

    reason = _no_gpu()
    if reason:
        print(f"gpu_packing: cannot run: {reason}. Run it on a machine with a CUDA GPU; no figures "
              "were measured.", file=sys.stderr)
        return 2
    if 1 not in args.packs:
        args.packs = [1, *args.packs]

    import ray
    import torch

    cpus = args.num_cpus or min(max(args.packs), os.cpu_count() or 1)
    ray.init(address="local", num_cpus=cpus, num_gpus=1, include_dashboard=False,
             log_to_driver=False, logging_level="ERROR")
    config = {"dim": args.dim, "tower_width": 4 * args.dim, "tower_depth": args.depth,
              "batch_size": args.batch_size, "n_negatives": 4, "lr": 0.01, "epochs": args.epochs,
              "data": {"n_interactions": args.interactions, "seed": 0, "max_eval_users": 10_000}}
    measured: dict[int, list[float]] = {}
    try:
        for n in sorted(set(args.packs)):
            with tempfile.TemporaryDirectory() as root:
                measured[n] = pack(n, config, root)
            print(f"{n} trial(s): {', '.join(f'{x:,.0f}' for x in measured[n])} samples/s", flush=True)
    finally:
        ray.shutdown()

    alone = sum(measured[1])
    print(f"\n{torch.cuda.get_device_name(0)}; {args.interactions:,} interactions, dim {args.dim}, "
          f"depth {args.depth}, batch {args.batch_size}, 4 negatives, {args.epochs} epochs, "
          f"mixed precision; {cpus} CPUs")
    print("\n| trials on the GPU | samples/s per trial (median) | samples/s, all trials | x one alone |")
    print("|---|---|---|---|")
    for n, values in measured.items():
        print(f"| {n} | {statistics.median(values):,.0f} | {sum(values):,.0f} | {sum(values) / alone:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
