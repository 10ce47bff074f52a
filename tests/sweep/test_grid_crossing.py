"""Ray's grid-times-samples rule: ``space.grid`` (Ray's ``grid_search``) crosses every sample under
random, TPE and Optuna search; n_trials, plan and the start-up warning agree (issue 22, point 2)."""

from __future__ import annotations

import pytest

from raysweep import Sweep, searchers, space
from raysweep.sweep import make_plan


def train(config):
    pass


SPACE = {"lr": space.loguniform(1e-4, 1e-1), "opt": space.grid(["adam", "sgd", "lamb"]),
         "bs": space.grid([32, 64]), "k": 1}


def _sweep(searcher, **kw):
    return Sweep(**{"name": "x", "trainable": train, "metric": "m", "mode": "min", "space": SPACE,
                    "searcher": searcher, "num_samples": 4, **kw})


@pytest.mark.parametrize("searcher", ["random", "tpe", "optuna"])
def test_num_samples_for_every_grid_cell(searcher):
    sweep = _sweep(searcher)
    assert sweep.crossed_cells == 6 and sweep.n_trials == 24
    plan = make_plan(sweep)
    assert plan.n_trials == 24 and plan.grid_cells == 6
    assert [d.grid_values for d in plan.dimensions] == [None, 3, 2, None]


def test_grid_search_is_unchanged_every_dimension_enumerated():
    sweep = _sweep(searchers.grid(grid_points=2), num_samples=None)
    assert sweep.n_trials == 2 * 3 * 2


def test_without_grid_dimensions_nothing_is_crossed():
    sweep = _sweep("tpe", space={"lr": space.uniform(0, 1)})
    assert sweep.crossed_cells == 1 and sweep.n_trials == 4 and make_plan(sweep).grid_cells is None


def test_the_start_up_warning_counts_the_samples_of_one_cell():
    sweep = _sweep(searchers.tpe(n_initial_points=5))
    assert sweep.startup_trials == 5
    warnings = make_plan(sweep).warnings
    assert any("each of the 6 cells of the space.grid dimensions runs only 4" in w for w in warnings)
