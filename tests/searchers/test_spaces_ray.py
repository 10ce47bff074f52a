"""Conditional spaces and Ray Tune's own domains on the session's real Ray, under every searcher:
what was stored is checked value by value against the space (issue 22, points 2 and 3)."""

from __future__ import annotations

import json
import math
from collections import Counter

import pandas as pd
import pytest
from ray import tune

from raysweep import Sweep, results, searchers, space
from raysweep.execution import run_sweep

from ._space_trainables import branch_loss, plain_loss

pytestmark = pytest.mark.slow

CONDITIONAL = {
    "model": space.choice([
        {"kind": "svm", "C": space.loguniform(1e-2, 1e3)},
        {"kind": "rf", "depth": space.randint(2, 8), "min_leaf": space.qrandint(1, 9, 4)},
    ]),
    "seed": 0,
}

SEARCHERS = {
    "random": searchers.random(seed=3),
    "tpe": searchers.tpe(seed=3, n_initial_points=3),
    "optuna": searchers.optuna(seed=3, n_startup_trials=3),
}


def _run(tmp_path, name, **kw):
    sweep = Sweep(name=name, metric="loss", mode="min", resources={"cpu": 1}, **kw)
    root = str(tmp_path / "results")
    summary = run_sweep(sweep, results_root=root, progress=False)
    assert summary.status == "finished", summary.errors
    return sweep, results.load_trials(root, sweeps=name)


def _check_branch(config: dict, branch: int) -> None:
    """The config holds exactly its branch's keys, each value inside that branch's bounds."""
    model = config["model"]
    if branch == 0:
        assert set(model) == {"kind", "C"} and model["kind"] == "svm"
        assert 1e-2 <= model["C"] <= 1e3
    else:
        assert set(model) == {"kind", "depth", "min_leaf"} and model["kind"] == "rf"
        assert isinstance(model["depth"], int) and 2 <= model["depth"] <= 7  # randint: 8 excluded
        assert model["min_leaf"] in (4, 8)  # multiples of 4 in [1, 9]
    assert config["seed"] == 0


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_a_conditional_space_under_each_sampling_searcher(ray_session, tmp_path, name):
    sweep, trials = _run(tmp_path, f"cond_{name}", trainable=branch_loss, space=CONDITIONAL,
                         searcher=SEARCHERS[name], num_samples=10)
    assert len(trials) == sweep.n_trials == 10
    branches = trials["branch.model"].astype(int).tolist()
    for config_json, branch in zip(trials["config_json"], branches, strict=True):
        _check_branch(json.loads(config_json), branch)
    assert set(branches) == {0, 1}, branches
    # Absent keys are empty columns for the other branch's trials.
    svm = trials["branch.model"] == 0
    assert trials.loc[svm, "config.model.depth"].isna().all()
    assert trials.loc[~svm, "config.model.C"].isna().all()
    assert (trials["config.model.kind"] == svm.map({True: "svm", False: "rf"})).all()


def test_grid_search_enumerates_every_branch_cell(ray_session, tmp_path):
    sweep, trials = _run(tmp_path, "cond_grid", trainable=branch_loss, space=CONDITIONAL,
                         searcher=searchers.grid(grid_points=3))
    configs = sorted(json.loads(c)["model"]["kind"] + json.dumps(json.loads(c)["model"], sort_keys=True)
                     for c in trials["config_json"])
    # svm: C at 3 log-spaced points; rf: depth {2, 4, 7} x min_leaf {4, 8}
    expected = [{"kind": "svm", "C": c} for c in (0.01, math.sqrt(0.01 * 1e3), 1e3)] + [
        {"kind": "rf", "depth": d, "min_leaf": m} for d in (2, 4, 7) for m in (4, 8)]
    assert len(trials) == sweep.n_trials == len(expected) == 9
    got = [json.loads(c)["model"] for c in trials["config_json"]]
    for cell in expected:
        match = [g for g in got if g.keys() == cell.keys() and all(
            g[k] == pytest.approx(v) if isinstance(v, float) else g[k] == v for k, v in cell.items())]
        assert len(match) == 1, (cell, got)
    assert sorted(trials["branch.model"].astype(int)) == [0] * 3 + [1] * 6
    assert configs  # every cell once


RAY_SPACE = {
    "x": tune.uniform(0.0, 1.0),
    "k": tune.randint(0, 3),
    "opt": tune.grid_search(["adam", "sgd", "lamb"]),
}


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_ray_domains_with_grid_search_give_rays_trial_count(ray_session, tmp_path, name):
    sweep, trials = _run(tmp_path, f"ray_{name}", trainable=plain_loss, space=RAY_SPACE,
                         searcher=SEARCHERS[name], num_samples=4)
    # Ray's rule: num_samples draws for every grid_search value.
    assert sweep.n_trials == 12 == len(trials)
    assert Counter(trials["config.opt"]) == {"adam": 4, "sgd": 4, "lamb": 4}
    assert trials["config.x"].between(0.0, 1.0).all()
    assert set(trials["config.k"]) <= {0, 1, 2}  # tune.randint(0, 3) excludes 3
    run = results.list_runs(str(tmp_path / "results"), sweeps=sweep.name).iloc[0]
    assert run["num_samples"] == 12
    assert json.loads(run["space_json"])["opt"] == {"type": "grid", "values": ["adam", "sgd", "lamb"]}


def test_rays_choice_over_dicts_of_ray_domains_is_a_conditional_space(ray_session, tmp_path):
    ray_space = {"model": tune.choice([
        {"kind": "svm", "C": tune.loguniform(1e-2, 1e3)},
        {"kind": "rf", "depth": tune.randint(2, 8), "min_leaf": tune.qrandint(1, 9, 4)},
    ]), "seed": 0}
    sweep, trials = _run(tmp_path, "ray_cond", trainable=branch_loss, space=ray_space,
                         searcher=searchers.tpe(seed=1, n_initial_points=3), num_samples=8)
    # Ray's qrandint(1, 9, 4) draws the multiples of 4 in [1, 9]: raysweep's qrandint(4, 8, 4)
    branches = CONDITIONAL["model"].branches
    assert sweep.space == {"model": space.choice([
        branches[0], {**branches[1], "min_leaf": space.qrandint(4, 8, 4)}]), "seed": 0}
    for config_json, branch in zip(trials["config_json"], trials["branch.model"], strict=True):
        _check_branch(json.loads(config_json), int(branch))
    assert isinstance(trials, pd.DataFrame) and len(trials) == 8
