"""Search quality: raysweep's searchers run through raysweep (real Ray, 2 trials at once) against in-process
Optuna 5 TPE and hyperopt ``fmin``, in one run, on the peers' problems (``benchmarks/functions.py``).

Usage (from the repository root)::

    python benchmarks/search_quality.py [--seeds 5] [--trials 200] [--out search_quality.jsonl]
    python benchmarks/search_quality.py --report search_quality.jsonl   # the tables only

Every (contender, problem, seed) appends one JSON line to ``--out`` as soon as it ends (a long run can be
stopped and reported on); the tables give the median simple regret (best value found - known optimum) after
the first 50 and all trials, and each contender's ratio to in-process Optuna at the same seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import functions  # benchmarks/functions.py, next to this script

PROBLEMS = ("branin", "hartmann6", "rosenbrock4", "ackley5")
CONTENDERS = ("raysweep-optuna", "raysweep-optuna-uni", "raysweep-tpe", "optuna-inprocess", "hyperopt-fmin")
CHECKPOINTS = (50, 200)


def _bounds(problem: str):
    _, lower, upper, fmin, _ = functions.PROBLEMS[problem]
    return lower, upper, fmin


def _value(problem: str, xs) -> float:
    return float(functions.PROBLEMS[problem][0](xs))


def trainable(config):
    from ray import tune

    xs = [config[f"x{i}"] for i in range(config["dims"])]
    tune.report({"value": _value(config["problem"], xs)})


def raysweep_values(problem: str, seed: int, trials: int, searcher: str, root: str) -> list[float]:
    """The values of every trial in creation order, read back from raysweep's Parquet store."""
    from raysweep import Sweep, searchers, space
    from raysweep.execution import run_sweep
    from raysweep.results import load_trials

    lower, upper, _ = _bounds(problem)
    dims = {f"x{i}": space.uniform(lo, hi) for i, (lo, hi) in enumerate(zip(lower, upper, strict=True))}
    spec = {"optuna": searchers.optuna(seed=seed), "tpe": searchers.tpe(seed=seed),
            # Optuna's own default: one model per dimension (the preset models them jointly)
            "optuna-uni": searchers.optuna(seed=seed, multivariate=False)}[searcher]
    sweep = Sweep(name=f"sq_{searcher}_{problem}", trainable=trainable,
                  space={**dims, "problem": problem, "dims": len(lower)}, metric="value", mode="min",
                  searcher=spec, num_samples=trials, max_concurrent=2, seed=seed)
    summary = run_sweep(sweep, results_root=root, progress=False)
    frame = load_trials(root=root, sweeps=sweep.name, runs=summary.run_id)
    return [float(v) for v in frame.sort_values("trial_index")["metric_last"]]


def optuna_values(problem: str, seed: int, trials: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    lower, upper, _ = _bounds(problem)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: _value(problem, [t.suggest_float(f"x{i}", lo, hi) for i, (lo, hi)
                                              in enumerate(zip(lower, upper, strict=True))]),
                   n_trials=trials)
    return [t.value for t in study.trials]


def hyperopt_values(problem: str, seed: int, trials: int) -> list[float]:
    import hyperopt
    import numpy as np

    lower, upper, _ = _bounds(problem)
    space = [hyperopt.hp.uniform(f"x{i}", lo, hi)
             for i, (lo, hi) in enumerate(zip(lower, upper, strict=True))]
    found = hyperopt.Trials()
    hyperopt.fmin(lambda xs: _value(problem, xs), space, algo=hyperopt.tpe.suggest, max_evals=trials,
                  trials=found, rstate=np.random.default_rng(seed), show_progressbar=False)
    return [float(r["loss"]) for r in found.results]


def run(args: argparse.Namespace) -> None:
    import ray

    from raysweep.execution import run_sweep  # noqa: F401  (imported once, before timing)

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(functions)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    root = tempfile.mkdtemp(prefix="search_quality_")
    try:
        for seed in range(args.seeds):
            for problem in args.problems:
                for contender in args.contenders:
                    start = time.perf_counter()
                    if contender.startswith("raysweep-"):
                        values = raysweep_values(problem, seed, args.trials,
                                                 contender.removeprefix("raysweep-"), root)
                    elif contender == "optuna-inprocess":
                        values = optuna_values(problem, seed, args.trials)
                    else:
                        values = hyperopt_values(problem, seed, args.trials)
                    line = {"contender": contender, "problem": problem, "seed": seed,
                            "seconds": time.perf_counter() - start, "values": values}
                    with open(args.out, "a") as out:
                        out.write(json.dumps(line) + "\n")
                    print(f"{contender:17s} {problem:12s} seed {seed}: "
                          f"regret@{args.trials} {regret(line, args.trials):.4g} "
                          f"({line['seconds']:.1f} s)", flush=True)
    finally:
        ray.shutdown()


def regret(line: dict, after: int) -> float:
    _, _, fmin = _bounds(line["problem"])
    values = line["values"][:after]
    return min(values) - fmin if len(values) >= after else float("nan")


def report(path: str) -> str:
    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    out = []
    for after in CHECKPOINTS:
        out.append(f"\nMedian simple regret after {after} trials (seeds; ratio to in-process Optuna)\n")
        out.append("| contender | " + " | ".join(PROBLEMS) + " |")
        out.append("|---" * (len(PROBLEMS) + 1) + "|")
        for contender in CONTENDERS:
            cells = []
            for problem in PROBLEMS:
                mine = {x["seed"]: regret(x, after) for x in lines
                        if x["contender"] == contender and x["problem"] == problem}
                ref = {x["seed"]: regret(x, after) for x in lines
                       if x["contender"] == "optuna-inprocess" and x["problem"] == problem}
                seeds = sorted(s for s in mine if s in ref)
                if not seeds:
                    cells.append("-")
                    continue
                med = statistics.median(mine[s] for s in seeds)
                base = statistics.median(ref[s] for s in seeds)
                ratio = med / base if base > 0 else float("nan")
                cells.append(f"{med:.3g} ({len(seeds)}; {ratio:.2f}x)")
            out.append(f"| {contender} | " + " | ".join(cells) + " |")
    times = {}
    for x in lines:
        times.setdefault(x["contender"], []).append(x["seconds"] / max(1, len(x["values"])) * 1000)
    out.append("\nMedian ms per trial: " + ", ".join(
        f"{c} {statistics.median(v):.1f}" for c, v in sorted(times.items())))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS)
    parser.add_argument("--out", default="search_quality.jsonl")
    parser.add_argument("--report", metavar="JSONL", help="print the tables of an earlier run and exit")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        return
    run(args)
    print(report(args.out))


if __name__ == "__main__":
    main()
