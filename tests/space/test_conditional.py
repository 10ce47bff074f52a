"""Conditional spaces: space.choice over dicts holding dimensions (issue 22, point 3). No Ray."""

from __future__ import annotations

import json
import math

import pytest

from raysweep import ConfigError, Sweep, searchers, space, warm_start
from raysweep.space import Conditional, branch_columns, conditional_paths, grid_size, grid_values
from raysweep.sweep import grid_cells, make_plan

SVM = {"kind": "svm", "C": space.loguniform(1e-2, 1e2)}
RF = {"kind": "rf", "depth": space.randint(2, 5), "leaf": space.choice([1, 5])}
MODEL = space.choice([SVM, RF])


def train(config):
    pass


def test_a_choice_over_dicts_with_dimensions_is_conditional():
    assert isinstance(MODEL, Conditional) and MODEL.branches == (SVM, RF)
    assert isinstance(space.choice([{"a": 1}, {"a": 2}]), space.Categorical)  # constants only
    assert MODEL.describe() == "choice of 2 sub-spaces"
    assert MODEL.to_dict()["branches"][1] == {
        "kind": {"type": "constant", "value": "rf"}, "depth": {"type": "randint", "lower": 2, "upper": 5},
        "leaf": {"type": "choice", "values": [1, 5]}}
    json.dumps(MODEL.to_dict())


def test_a_constant_only_branch_is_allowed_as_a_dict():
    cond = space.choice([SVM, {"kind": "none"}])
    assert cond.branch_index({"kind": "none"}) == 1


def test_every_problem_of_the_branches_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        space.choice([SVM, "none", {"kind": "rf", "a.b": 1, "f": object()}])
    message = str(info.value)
    assert message.startswith("3 problems in space.choice:")
    assert "'values[1]' parameter of space.choice must be a non-empty dict" in message
    assert "without '.' or '/'" in message and "(in branch 2 of space.choice)" in message
    assert "JSON-serialisable constant" in message


def test_branches_a_config_cannot_tell_apart_are_refused():
    with pytest.raises(ConfigError, match="tells apart") as info:
        space.choice([{"C": space.loguniform(1e-3, 1)}, {"C": space.loguniform(1, 1e3)}])
    assert "Add a constant that differs" in str(info.value)


def test_a_grid_inside_a_branch_is_refused_with_the_alternative():
    with pytest.raises(ConfigError, match=r"space\.grid .* inside a conditional branch is not supported"):
        space.choice([{"kind": "a", "g": space.grid([1, 2])}, {"kind": "b"}])


def test_branch_index_reads_keys_and_constants():
    assert MODEL.branch_index({"kind": "svm", "C": 0.5}) == 0
    assert MODEL.branch_index({"kind": "rf", "depth": 3, "leaf": 5}) == 1
    assert MODEL.branch_index({"kind": "rf", "C": 0.5}) is None
    assert MODEL.branch_index(3) is None


def test_branch_columns_name_each_conditional_and_its_active_branch():
    nested = {"model": space.choice([SVM, {"kind": "tree", "split": space.choice([
        {"rule": "gini"}, {"rule": "custom", "w": space.uniform(0, 1)}])}]), "x": 1}
    assert conditional_paths(nested) == [("model",), ("model", "split")]
    assert branch_columns(nested, {"model": {"kind": "svm", "C": 1.0}, "x": 1}) == {"branch.model": 0}
    config = {"model": {"kind": "tree", "split": {"rule": "custom", "w": 0.2}}, "x": 1}
    assert branch_columns(nested, config) == {"branch.model": 1, "branch.model.split": 1}
    assert branch_columns({"x": space.uniform(0, 1)}, {"x": 0.5}) == {}


def test_grid_enumerates_every_cell_of_every_branch():
    cells = grid_values(MODEL, 3)
    c = [0.01, math.sqrt(0.01 * 100), 100.0]
    assert cells[:3] == [{"kind": "svm", "C": pytest.approx(v)} for v in c]
    assert cells[3:] == [{"kind": "rf", "depth": d, "leaf": leaf} for d in (2, 3, 4) for leaf in (1, 5)]
    assert grid_size({"model": MODEL, "lr": space.choice([1, 2])}, 3) == (3 + 6) * 2


def test_a_grid_sweep_over_a_conditional_space_runs_each_cell():
    sweep = Sweep(name="g", trainable=train, metric="m", mode="min", space={"model": MODEL, "k": 0},
                  searcher=searchers.grid(grid_points=2))
    assert sweep.n_trials == 2 + 2 * 2  # svm: 2 values of C; rf: depth {2, 4} x leaf {1, 5}
    cells = grid_cells(sweep)
    assert len(cells) == 6 and all(cell["k"] == 0 for cell in cells)
    assert [MODEL.branch_index(cell["model"]) for cell in cells] == [0, 0] + [1] * 4
    assert json.loads(sweep.space_json())["model"]["type"] == "choice"


def test_plan_lists_a_conditional_as_one_dimension():
    sweep = Sweep(name="p", trainable=train, metric="m", mode="min", space={"model": MODEL},
                  searcher="tpe", num_samples=10)
    plan = make_plan(sweep)
    assert [(d.path, d.spec) for d in plan.dimensions] == [("model", "choice of 2 sub-spaces")]
    assert plan.n_trials == 10 and plan.grid_cells is None


def test_warm_start_with_a_conditional_space_is_refused_with_the_reason():
    with pytest.raises(ConfigError) as info:
        Sweep(name="w", trainable=train, metric="m", mode="min", space={"model": MODEL},
              searcher="optuna", num_samples=10, warm_start=warm_start.from_runs("earlier"))
    message = str(info.value)
    assert "'warm_start' parameter of Sweep must be None with a conditional space" in message
    assert "not supported yet" in message and "(model)" in message
