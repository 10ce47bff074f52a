"""Peer baseline: wall time of N trivial trials through raw Ray Tune (TPE + ASHA), with and without
actor reuse, and through Optuna in-process. No raysweep code runs here.

Adapted from the team's shared benchmark kit (``raw_tune_overhead.py``): the same workload and
configurations, made lint-clean, with results under a temporary directory and Ray started with a local
2-CPU cluster. ``benchmarks/trial_overhead.py`` runs the same workload through raysweep next to these
contenders in one process; this script is the peer figure on its own. Usage (from the repository root)::

    python benchmarks/raw_tune_overhead.py [N]

Prints one line per configuration: name, seconds, ms per trial. The workload: a trivial trainable
``(x - 3)^2 + 1/(i + 1)`` reporting 10 times, x uniform in [-10, 10]; HyperOpt TPE (seed 0) behind a
``ConcurrencyLimiter`` of 2, ASHA (``max_t=10, grace_period=1``); Optuna 5 TPE (seed 0) with its
successive-halving pruner.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

ITERS = 10


def f(x: float, i: int) -> float:
    return (x - 3) ** 2 + 1.0 / (i + 1)


def raw_tune(n: int, reuse: bool, storage: str) -> float:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.hyperopt import HyperOptSearch

    def trainable(config: dict) -> None:
        for i in range(ITERS):
            tune.report({"loss": f(config["x"], i)})

    t0 = time.perf_counter()
    tuner = tune.Tuner(
        trainable,
        param_space={"x": tune.uniform(-10, 10)},
        tune_config=tune.TuneConfig(
            metric="loss", mode="min", num_samples=n, reuse_actors=reuse,
            search_alg=ConcurrencyLimiter(HyperOptSearch(random_state_seed=0), max_concurrent=2),
            scheduler=ASHAScheduler(max_t=ITERS, grace_period=1),
        ),
        run_config=tune.RunConfig(storage_path=storage, name=f"reuse{reuse}", verbose=0),
    )
    tuner.fit()
    return time.perf_counter() - t0


def optuna_inprocess(n: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        value = float("nan")
        for i in range(ITERS):
            value = f(x, i)
            trial.report(value, i)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    t0 = time.perf_counter()
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.SuccessiveHalvingPruner())
    study.optimize(objective, n_trials=n)
    return time.perf_counter() - t0


def main() -> None:
    import ray

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory(prefix="raw_tune_overhead-") as storage:
            contenders = [
                ("ray_tune_reuse", lambda: raw_tune(n, True, storage)),
                ("ray_tune_default", lambda: raw_tune(n, False, storage)),
                ("optuna_inprocess", lambda: optuna_inprocess(n)),
            ]
            for name, run in contenders:
                seconds = run()
                print(f"{name} N={n} {seconds:.2f}s {1000 * seconds / n:.1f}ms/trial", flush=True)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
