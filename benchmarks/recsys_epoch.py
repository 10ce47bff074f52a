"""BPR-MF epoch time at 1M interactions (one core, numpy), plus data generation and evaluation.

    python benchmarks/recsys_epoch.py [--interactions 1000000] [--epochs 3]

Prints a markdown table: median seconds per training epoch and per evaluation (NDCG@10 + recall@20
over up to 10,000 users) for a few configurations of the shared recsys search space.
Shared machines are noisy: compare rows of one run, and quote medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per trial, as in a sweep
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from raysweep.workloads.recsys import (
    BPRMF,
    BPRConfig,
    Evaluator,
    generate_interactions,
    leave_last_out,
)

CONFIGS = [
    BPRConfig(dim=32, n_negatives=1, batch_size=1024),  # the defaults
    BPRConfig(dim=64, n_negatives=1, batch_size=2048),
    BPRConfig(dim=64, n_negatives=4, batch_size=2048),
    BPRConfig(dim=64, n_negatives=4, batch_size=256),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    data = generate_interactions(args.interactions, seed=0)
    generate_s = time.perf_counter() - start
    split = leave_last_out(data)
    evaluator = Evaluator(split)
    print(f"{len(data):,} interactions, {data.n_users:,} users, {data.n_items:,} items; "
          f"generated in {generate_s:.1f} s; {evaluator.users.size:,} evaluated users\n")
    print("| dim | negatives | batch | epoch s (median) | triples/s | evaluation s (median) |")
    print("|---|---|---|---|---|---|")
    for config in CONFIGS:
        model = BPRMF(data.n_users, data.n_items, config)
        fit, evaluate = [], []
        for _ in range(args.epochs):
            t0 = time.perf_counter()
            model.fit_epoch(split.train)
            t1 = time.perf_counter()
            evaluator.evaluate(model)
            fit.append(t1 - t0)
            evaluate.append(time.perf_counter() - t1)
        epoch = statistics.median(fit)
        triples = len(split.train) * config.n_negatives / epoch
        print(f"| {config.dim} | {config.n_negatives} | {config.batch_size} | {epoch:.2f} | "
              f"{triples:,.0f} | {statistics.median(evaluate):.2f} |")


if __name__ == "__main__":
    main()
