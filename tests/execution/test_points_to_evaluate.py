"""``Sweep(points_to_evaluate=...)``: the random, TPE and Optuna searchers run the given configs as
their first trials, then search on (TPE and Optuna together with a warm start's seeds)."""

from __future__ import annotations

import json

import pytest
from ray import tune

from raysweep import Sweep, results, space, warm_start
from raysweep.execution import run_sweep

SPACE = {"lr": space.loguniform(1e-4, 1e-1), "opt": space.choice(["adam", "sgd"]),
         "net": {"width": space.randint(8, 64)}, "epochs": 2}
POINTS = [{"lr": 0.05, "opt": "sgd", "net": {"width": 9}},
          {"lr": 0.0002, "opt": "adam", "net": {"width": 60}}]


def train(config):
    for _ in range(config["epochs"]):
        tune.report({"loss": config["lr"] * config["net"]["width"]})


def _configs(root: str) -> list[dict]:
    trials = results.load_trials(root).sort_values("trial_index")
    return [json.loads(c) for c in trials["config_json"]]


@pytest.mark.slow
@pytest.mark.parametrize("searcher", ["random", "tpe", "optuna"])
def test_the_first_trials_are_the_points(ray_session, tmp_path, searcher):
    sweep = Sweep(name=f"points_{searcher}", trainable=train, space=SPACE, metric="loss", mode="min",
                  searcher=searcher, num_samples=3, max_concurrent=1, seed=0,
                  points_to_evaluate=POINTS)
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished" and summary.counts["completed"] == 3
    configs = _configs(str(tmp_path))
    assert configs[:2] == [{**p, "epochs": 2} for p in POINTS]
    assert configs[2] not in configs[:2]


@pytest.mark.slow
def test_points_and_warm_start_seeds_compose(ray_session, tmp_path):
    root = str(tmp_path)
    first = Sweep(name="seeded", trainable=train, space=SPACE, metric="loss", mode="min",
                  searcher="optuna", num_samples=2, seed=0)
    run_sweep(first, results_root=root, progress=False)
    second = Sweep(name="seeded_more", trainable=train, space=SPACE, metric="loss", mode="min",
                   searcher="optuna", num_samples=2, seed=1, points_to_evaluate=POINTS[:1],
                   warm_start=warm_start.from_runs("seeded", results_root=root))
    summary = run_sweep(second, results_root=root, progress=False)
    assert summary.status == "finished"
    trials = results.load_trials(root, sweeps="seeded_more").sort_values("trial_index")
    assert json.loads(trials["config_json"].iloc[0]) == {**POINTS[0], "epochs": 2}
