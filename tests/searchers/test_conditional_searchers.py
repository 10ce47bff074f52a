"""The searchers raysweep hands to Ray, driven in-process (no Ray cluster): conditional spaces under
TPE and Optuna, and Ray's grid-times-samples rule for them (issue 22, points 2 and 3)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from ray.tune import search as tune_search

from raysweep import Sweep, searchers, space
from raysweep.execution.tune import _convert
from raysweep.execution.tune._crossed import GridCrossed


def _train(config):
    pass


CONDITIONAL = {
    "model": space.choice([
        {"kind": "svm", "C": space.loguniform(1e-2, 1e3), "kernel": space.choice(["rbf", "linear"])},
        {"kind": "rf", "depth": space.randint(2, 8),
         "leaf": space.choice([{"rule": "fixed", "n": space.qrandint(1, 9, 4)}, {"rule": "auto"}])},
    ]),
    "x": space.uniform(0.0, 1.0),
    "seed": 7,
}

SAMPLERS = {"optuna": lambda: searchers.optuna(seed=0, n_startup_trials=4),
            "tpe": lambda: searchers.tpe(seed=0, n_initial_points=4)}


def _sweep(**kw):
    return Sweep(**{"name": "cond", "trainable": _train, "metric": "m", "mode": "min",
                    "space": CONDITIONAL, "num_samples": 30, **kw})


def _loss(config):
    model = config["model"]
    if model["kind"] == "svm":
        return (math.log10(model["C"]) - 1) ** 2 + (model["kernel"] == "linear") + config["x"]
    return abs(model["depth"] - 4) + config["x"]


def _check(config):
    """Exactly the active branch's keys, each value inside its bounds; constants kept."""
    assert config["seed"] == 7 and 0.0 <= config["x"] <= 1.0
    model = config["model"]
    if model["kind"] == "svm":
        assert set(model) == {"kind", "C", "kernel"}
        assert 1e-2 <= model["C"] <= 1e3 and model["kernel"] in ("rbf", "linear")
        return "svm"
    assert set(model) == {"kind", "depth", "leaf"} and model["kind"] == "rf"
    assert isinstance(model["depth"], int) and 2 <= model["depth"] <= 7
    leaf = model["leaf"]
    assert leaf in ({"rule": "auto"}, {"rule": "fixed", "n": 4}, {"rule": "fixed", "n": 8}), leaf
    return "rf/" + leaf["rule"]


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_tpe_and_optuna_sample_every_branch_with_its_own_keys_only(name):
    searcher = _convert.make_search(_sweep(searcher=SAMPLERS[name]()))[1].searcher
    seen = Counter()
    for i in range(30):
        config = searcher.suggest(str(i))
        seen[_check(config)] += 1
        searcher.on_trial_complete(str(i), {"m": _loss(config), "training_iteration": 1})
    assert set(seen) == {"svm", "rf/auto", "rf/fixed"}, seen


def test_random_search_hands_ray_a_choice_of_converted_sub_spaces():
    param_space, _ = _convert.make_search(_sweep(searcher="random"))
    model = param_space["model"]
    assert type(model).__name__ == "Categorical"
    assert [set(branch) for branch in model.categories] == [{"kind", "C", "kernel"},
                                                           {"kind", "depth", "leaf"}]


GRIDDED = {"x": space.uniform(0.0, 1.0), "opt": space.grid(["adam", "sgd"]),
           "width": space.grid([8, 16, 32]), "k": 1}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_model_based_searchers_cross_every_grid_cell_with_num_samples(name):
    sweep = Sweep(name="g", trainable=_train, metric="m", mode="min", space=GRIDDED, num_samples=3,
                  searcher=SAMPLERS[name]())
    assert sweep.n_trials == 18 and sweep.crossed_cells == 6
    searcher = _convert.make_search(sweep)[1].searcher
    assert isinstance(searcher, GridCrossed) and len(searcher.searchers) == 6
    configs = []
    for i in range(19):
        config = searcher.suggest(str(i))
        if config == tune_search.Searcher.FINISHED:
            break
        configs.append(config)
        searcher.on_trial_complete(str(i), {"m": config["x"], "training_iteration": 1})
    assert len(configs) == 18
    assert Counter((c["opt"], c["width"]) for c in configs) == {
        (o, w): 3 for o in ("adam", "sgd") for w in (8, 16, 32)}
    assert all(0.0 <= c["x"] <= 1.0 and c["k"] == 1 for c in configs)
    # Cells take turns: the first 6 trials are the 6 cells.
    assert len({(c["opt"], c["width"]) for c in configs[:6]}) == 6


def test_the_crossed_searcher_saves_and_restores(tmp_path):
    sweep = Sweep(name="g", trainable=_train, metric="m", mode="min", space=GRIDDED, num_samples=2,
                  searcher=searchers.tpe(seed=0, n_initial_points=2))
    searcher = _convert.make_search(sweep)[1].searcher
    for i in range(5):
        config = searcher.suggest(str(i))
        searcher.on_trial_complete(str(i), {"m": config["x"], "training_iteration": 1})
    searcher.save(str(tmp_path / "s.pkl"))
    again = _convert.make_search(sweep)[1].searcher
    again.restore(str(tmp_path / "s.pkl"))
    assert again.started == searcher.started and again.cell_of == searcher.cell_of
    rest = [again.suggest(str(i)) for i in range(5, 13)]
    assert sum(c != tune_search.Searcher.FINISHED for c in rest) == 12 - 5


def test_random_search_leaves_the_crossing_to_ray():
    sweep = Sweep(name="g", trainable=_train, metric="m", mode="min", space=GRIDDED, num_samples=3,
                  searcher="random")
    param_space, _ = _convert.make_search(sweep)
    assert param_space["opt"] == {"grid_search": ["adam", "sgd"]}
    assert param_space["width"] == {"grid_search": [8, 16, 32]}
