"""Warm start with several objectives and constraints, without Ray running: the seeds read from the
store carry every objective's value and their constraint values, and Optuna's study is told them."""

from __future__ import annotations

from raysweep import Sweep, space, warm_start
from raysweep.execution._internals import optuna_study
from raysweep.execution.tune._constraints import Constraints
from raysweep.execution.tune._convert import load_seeds, make_search
from raysweep.results import Objective
from raysweep.warm_start import collect

from ..results.test_results_pareto import TRIALS, _write


def train_fn(config):
    return None


def _sweep(root, **kw) -> Sweep:
    return Sweep(name="mo_next", trainable=train_fn, space={"dim": space.randint(1, 100)},
                 metric=["val_ndcg", "model_mb"], mode=["max", "min"], searcher="optuna",
                 num_samples=4, warm_start=warm_start.from_runs("mo", results_root=str(root)), **kw)


def test_seeds_carry_every_objective_and_their_constraint_values(tmp_path):
    _write(str(tmp_path))
    sweep = _sweep(tmp_path, constraints=["model_mb <= 55"])
    seeds = load_seeds(sweep, str(tmp_path))
    assert seeds is not None and seeds.n == len(TRIALS)
    assert list(seeds.values) == [(ndcg, mb) for ndcg, mb, _ in TRIALS]
    assert list(seeds.constraints) == [(mb - 55.0,) for _, mb, _ in TRIALS]  # <= 0: holds

    _space, limiter = make_search(sweep, seeds)
    study = optuna_study(limiter.searcher)
    told = study.get_trials(deepcopy=False)
    assert [t.values for t in told] == [[ndcg, mb] for ndcg, mb, _ in TRIALS]
    assert [list(t.constraints.values()) for t in told] == [[mb - 55.0] for _, mb, _ in TRIALS]
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]


def test_a_run_with_other_objectives_seeds_nothing(tmp_path):
    _write(str(tmp_path), objectives=(("val_ndcg", "max"), ("latency", "min")))
    seeds = collect(warm_start.from_runs("mo"), {"dim": space.randint(1, 100)}, "val_ndcg", "max",
                    str(tmp_path), objectives=(Objective("val_ndcg", "max"), Objective("model_mb", "min")),
                    constraints=Constraints(["model_mb <= 5"]).values)
    assert seeds.n == 0 and seeds.runs == ()
