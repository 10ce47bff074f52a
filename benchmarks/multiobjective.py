"""Multi-objective search quality (issue 24, first goal): raysweep's multi-objective Optuna TPE
through Ray (2 trials at once) against in-process Optuna MO-TPE and random search, on ZDT1, ZDT2
and DTLZ2 with two objectives (``benchmarks/functions.py``), 120 trials, 10 seeds.

Usage (from the repository root)::

    python benchmarks/multiobjective.py [--seeds 10] [--trials 120] [--out multiobjective.jsonl]
    python benchmarks/multiobjective.py --report multiobjective.jsonl   # the table only

The ``raysweep-*`` contenders need the multi-objective Sweep (``Sweep(metric=[...], mode=[...])``);
on a raysweep without it they are skipped with a message (``_multi_objective_sweep`` is the check).

Measured: each (contender, problem, seed) appends one JSON line (every trial's two objective
values, in trial order) to ``--out`` as it ends. The table gives the median hypervolume over the
seeds against each problem's fixed reference point (:func:`reference`: the problem's worst point
over its whole domain, plus 10 %: every evaluated point counts, and the point does not depend on
the runs compared), its ratio to in-process Optuna MO-TPE at the same seeds (the goal: at least
0.98x, and random below), and the fraction of the true front's hypervolume reached.
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

PROBLEMS = ("zdt1", "zdt2", "dtlz2")
CONTENDERS = ("raysweep-optuna", "raysweep-random", "optuna-inprocess", "random-inprocess")


def reference(problem: str, n_vars: int) -> tuple[float, float]:
    """The hypervolume's reference point: the problem's worst point over [0, 1]^n, plus 10 %
    (ZDT: f1 <= 1, f2 <= g <= 10 whatever n; DTLZ2: both <= 1 + g, g <= (n - 1) / 4)."""
    if problem == "dtlz2":
        worst = 1.0 + 0.25 * (n_vars - 1)
        return 1.1 * worst, 1.1 * worst
    f1, f2 = functions.MO_PROBLEMS[problem][4]
    return 1.1 * f1, 1.1 * f2


def _evaluate(problem: str, xs) -> tuple[float, float]:
    return functions.MO_PROBLEMS[problem][0](xs)


def _n_vars(problem: str, override: int | None) -> int:
    return override or functions.MO_PROBLEMS[problem][1]


def trainable(config):
    from ray import tune

    f1, f2 = _evaluate(config["problem"], [config[f"x{i}"] for i in range(config["dims"])])
    tune.report({"f1": f1, "f2": f2})


def _multi_objective_sweep() -> bool:
    """Whether this raysweep takes several objectives (the ``moc`` branch has landed)."""
    from raysweep import ConfigError, Sweep, space

    try:
        Sweep(name="probe", trainable=trainable, space={"x": space.uniform(0, 1)},
              metric=["f1", "f2"], mode=["min", "min"], num_samples=1)
    except (ConfigError, TypeError):
        return False
    return True


def raysweep_values(problem: str, seed: int, trials: int, searcher: str, root: str,
                    n_vars: int) -> list[list[float]]:
    """Every trial's (f1, f2) in creation order, read back from raysweep's Parquet store."""
    from raysweep import Sweep, searchers, space
    from raysweep.execution import run_sweep
    from raysweep.results import load_trials

    dims = {f"x{i}": space.uniform(0.0, 1.0) for i in range(n_vars)}
    spec = {"optuna": searchers.optuna(seed=seed), "random": searchers.random(seed=seed)}[searcher]
    sweep = Sweep(name=f"mo_{searcher}_{problem}", trainable=trainable,
                  space={**dims, "problem": problem, "dims": n_vars},
                  metric=["f1", "f2"], mode=["min", "min"],  # the moc branch's contract
                  searcher=spec, num_samples=trials, max_concurrent=2, seed=seed)
    summary = run_sweep(sweep, results_root=root, progress=False)
    frame = load_trials(root=root, sweeps=sweep.name, runs=summary.run_id).sort_values("trial_index")
    return [[float(a), float(b)] for a, b in zip(frame["last.f1"], frame["last.f2"], strict=True)]


def optuna_values(problem: str, seed: int, trials: int, n_vars: int) -> list[list[float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["minimize", "minimize"],
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: _evaluate(problem, [t.suggest_float(f"x{i}", 0.0, 1.0)
                                                 for i in range(n_vars)]), n_trials=trials)
    return [list(t.values) for t in study.trials]


def random_values(problem: str, seed: int, trials: int, n_vars: int) -> list[list[float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    return [list(_evaluate(problem, rng.random(n_vars))) for _ in range(trials)]


def run(args: argparse.Namespace) -> None:
    wanted = list(args.contenders)
    through_ray = [c for c in wanted if c.startswith("raysweep-")]
    if through_ray and not _multi_objective_sweep():
        print(f"skipping {', '.join(through_ray)}: this raysweep has no multi-objective Sweep yet "
              "(waits for the moc branch)", flush=True)
        wanted = [c for c in wanted if c not in through_ray]
        through_ray = []
    root = tempfile.mkdtemp(prefix="multiobjective_")
    if through_ray:
        import ray

        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.cloudpickle.register_pickle_by_value(functions)
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        for seed in range(args.seeds):
            for problem in args.problems:
                n_vars = _n_vars(problem, args.vars)
                for contender in wanted:
                    start = time.perf_counter()
                    if contender.startswith("raysweep-"):
                        values = raysweep_values(problem, seed, args.trials,
                                                 contender.removeprefix("raysweep-"), root, n_vars)
                    elif contender == "optuna-inprocess":
                        values = optuna_values(problem, seed, args.trials, n_vars)
                    else:
                        values = random_values(problem, seed, args.trials, n_vars)
                    line = {"contender": contender, "problem": problem, "seed": seed,
                            "n_vars": n_vars, "seconds": time.perf_counter() - start,
                            "values": values}
                    with open(args.out, "a") as out:
                        out.write(json.dumps(line) + "\n")
                    print(f"{contender:17s} {problem:6s} seed {seed}: HV {hv(line):.4g} "
                          f"({line['seconds']:.1f} s)", flush=True)
    finally:
        if through_ray:
            import ray

            ray.shutdown()


def hv(line: dict, after: int | None = None) -> float:
    from raysweep.compare import hypervolume

    values = line["values"][:after] if after else line["values"]
    return hypervolume(values, reference(line["problem"], line["n_vars"]))


def report(path: str) -> str:
    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    out = ["\nMedian hypervolume over seeds (seeds; ratio to in-process Optuna MO-TPE; "
           "fraction of the true front's)\n",
           "| contender | " + " | ".join(PROBLEMS) + " |", "|---" * (len(PROBLEMS) + 1) + "|"]
    for contender in CONTENDERS:
        cells = []
        for problem in PROBLEMS:
            mine = {x["seed"]: hv(x) for x in lines
                    if x["contender"] == contender and x["problem"] == problem}
            ref = {x["seed"]: hv(x) for x in lines
                   if x["contender"] == "optuna-inprocess" and x["problem"] == problem}
            seeds = sorted(s for s in mine if s in ref)
            if not seeds:
                cells.append("-")
                continue
            med = statistics.median(mine[s] for s in seeds)
            base = statistics.median(ref[s] for s in seeds)
            n_vars = next(x["n_vars"] for x in lines if x["problem"] == problem)
            true = functions.MO_PROBLEMS[problem][3](reference(problem, n_vars))
            cells.append(f"{med:.4g} ({len(seeds)}; {med / base:.3f}x; {med / true:.3f})")
        out.append(f"| {contender} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--vars", type=int, default=None,
                        help="variables per problem (default: the standard 30 for ZDT, 11 for DTLZ2)")
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS)
    parser.add_argument("--out", default="multiobjective.jsonl")
    parser.add_argument("--report", metavar="JSONL", help="print the table of an earlier run and exit")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        return
    run(args)
    print(report(args.out))


if __name__ == "__main__":
    main()
