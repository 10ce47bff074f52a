"""Driver-side cost of recording ASHA's rung decisions: raysweep's RecordingASHA against Ray's ASHA.

Feeds the same synthetic results (``--trials`` trials, each reporting ``--iters`` iterations of a
seeded random metric, interleaved round-robin as Tune's loop would) through Ray's
``ASHAScheduler`` and through ``raysweep.execution.tune._asha.RecordingASHA`` (Ray's ASHA plus the
record of each rung decision), alternating repetitions, and prints the time per result of each and
the median ratio. Both make the same decisions (checked). No Ray cluster is started: the
schedulers are called directly, as Tune's driver loop calls them.

    python benchmarks/rung_overhead.py --trials 2000 --iters 27 --reps 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass

from ray.tune.schedulers import ASHAScheduler

from raysweep.execution.tune._asha import RecordingASHA


@dataclass
class FakeTrial:
    trial_id: str


def feed(scheduler, n_trials: int, iters: int, seed: int) -> tuple[float, list[str], int]:
    scheduler.set_search_properties("score", "max")
    rng = random.Random(seed)
    trials = [FakeTrial(f"t_{i:05d}") for i in range(n_trials)]
    skill = [rng.random() for _ in trials]
    for trial in trials:
        scheduler.on_trial_add(None, trial)
    live = list(range(n_trials))
    decisions = []
    results = 0
    clock = time.perf_counter()
    for it in range(1, iters + 1):
        still = []
        for i in live:
            result = {"training_iteration": it, "score": skill[i] * (1 - 1 / (it + 1))
                      + 0.01 * rng.random()}
            action = scheduler.on_trial_result(None, trials[i], result)
            results += 1
            decisions.append(action)
            if action == "STOP":
                scheduler.on_trial_complete(None, trials[i], {**result, "done": True})
            else:
                still.append(i)
        live = still
    elapsed = time.perf_counter() - clock
    return elapsed, decisions, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--iters", type=int, default=27)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    ratios = []
    for rep in range(args.reps):
        kw = dict(time_attr="training_iteration", max_t=args.iters, grace_period=1,
                  reduction_factor=3)
        # numpy's global RNG picks brackets; one bracket here, so the decisions are comparable.
        raw_s, raw_decisions, n = feed(ASHAScheduler(**kw), args.trials, args.iters, seed=rep)
        rec = RecordingASHA(**kw)
        rec_s, rec_decisions, n2 = feed(rec, args.trials, args.iters, seed=rep)
        assert raw_decisions == rec_decisions and n == n2, "RecordingASHA decided differently"
        rows = len(rec.drain())
        ratios.append(rec_s / raw_s)
        print(f"rep {rep}: {n} results, {rows} rung rows; Ray ASHA {raw_s * 1e6 / n:.2f} us/result, "
              f"RecordingASHA {rec_s * 1e6 / n:.2f} us/result, ratio {rec_s / raw_s:.3f}")
    print(f"median ratio RecordingASHA / Ray ASHA: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
