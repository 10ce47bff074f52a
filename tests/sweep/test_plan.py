"""make_plan: what a sweep will do, and how many trials fit on a cluster at once."""

from __future__ import annotations

import json

import pytest

from raysweep import Sweep, schedulers, searchers, space
from raysweep.searchers import TPE_DEFAULT_MAX_CONCURRENT
from raysweep.space import grid_size
from raysweep.sweep import Dimension, Plan, make_plan, trials_on_node

SPACE = {
    "lr": space.loguniform(1e-3, 1e-1),
    "dim": space.choice([16, 32]),
    "epochs": 5,
    "opt": {"beta": space.uniform(0.8, 0.9)},
}


def train(config):
    return None


def make_sweep(**overrides) -> Sweep:
    kwargs = dict(name="plan_me", trainable=train, space=SPACE, metric="val_loss", mode="min",
                  searcher="random", num_samples=10)
    kwargs.update(overrides)
    return Sweep(**kwargs)


def test_grid_plan_counts_cells_and_trials():
    sweep = make_sweep(searcher=searchers.grid(grid_points=3), num_samples=2)
    plan = make_plan(sweep)
    assert isinstance(plan, Plan)
    # lr 3 points x dim 2 values x beta 3 points; the constant counts once.
    assert plan.grid_cells == 3 * 2 * 3
    assert plan.grid_cells == grid_size(SPACE, 3)
    assert plan.n_trials == 3 * 2 * 3 * 2
    assert plan.n_trials == sweep.n_trials


def test_grid_plan_lists_every_leaf_with_its_value_count():
    plan = make_plan(make_sweep(searcher=searchers.grid(grid_points=3), num_samples=None))
    assert plan.dimensions == [
        Dimension("lr", "loguniform(0.001, 0.1)", 3),
        Dimension("dim", "choice([16, 32])", 2),
        Dimension("epochs", "constant 5", 1),
        Dimension("opt.beta", "uniform(0.8, 0.9)", 3),
    ]


def test_grid_plan_counts_deduplicated_integer_values():
    sweep = make_sweep(space={"k": space.randint(0, 3)}, searcher=searchers.grid(grid_points=10),
                       num_samples=None)
    plan = make_plan(sweep)
    assert plan.dimensions == [Dimension("k", "randint(0, 3)", 3)]
    assert plan.grid_cells == 3
    assert plan.n_trials == 3


@pytest.mark.parametrize("searcher", ["random", "tpe"])
def test_sampling_plans_have_no_grid(searcher):
    plan = make_plan(make_sweep(searcher=searcher, num_samples=25))
    assert plan.grid_cells is None
    assert plan.n_trials == 25
    assert [d.grid_values for d in plan.dimensions] == [None, None, None, None]
    assert [d.path for d in plan.dimensions] == ["lr", "dim", "epochs", "opt.beta"]


def test_plan_carries_the_sweep_settings():
    sweep = make_sweep(
        searcher=searchers.tpe(seed=4, n_initial_points=5),
        scheduler=schedulers.asha(max_t=9, grace_period=1, reduction_factor=3),
        resources={"cpu": 2, "gpu": 0.5}, max_concurrent=6, num_samples=30,
    )
    plan = make_plan(sweep)
    assert plan.sweep == "plan_me"
    assert (plan.searcher, plan.scheduler) == ("tpe", "asha")
    assert plan.searcher_params == {"seed": 4, "n_initial_points": 5, "gamma": 0.25}
    assert plan.scheduler_params == {"max_t": 9, "grace_period": 1, "reduction_factor": 3,
                                     "brackets": 1, "time_attr": "training_iteration", "metric": None,
                             "stop_on_violation": []}
    assert (plan.metric, plan.mode) == ("val_loss", "min")
    assert plan.resources_per_trial == {"cpu": 2, "gpu": 0.5}
    assert plan.concurrency_cap == 6


def test_trials_at_once_unknown_without_a_cluster():
    assert make_plan(make_sweep()).trials_at_once is None


def test_half_a_cpu_per_trial_on_two_cpus_fits_four():
    plan = make_plan(make_sweep(resources={"cpu": 0.5}), cluster_cpus=2)
    assert plan.trials_at_once == 4


def test_trials_at_once_is_capped_by_max_concurrent():
    sweep = make_sweep(resources={"cpu": 0.5}, max_concurrent=3)
    assert make_plan(sweep, cluster_cpus=2).trials_at_once == 3


def test_trials_at_once_is_capped_by_the_tpe_default():
    sweep = make_sweep(resources={"cpu": 0.25}, searcher="tpe", num_samples=50)
    # 16 fit on 4 CPUs; TPE's default cap applies when max_concurrent is not set.
    assert make_plan(sweep, cluster_cpus=4).trials_at_once == min(16, TPE_DEFAULT_MAX_CONCURRENT)


def test_trials_at_once_is_capped_by_the_number_of_trials():
    sweep = make_sweep(resources={"cpu": 0.5}, num_samples=3)
    assert make_plan(sweep, cluster_cpus=2).trials_at_once == 3


def test_grid_trials_at_once_is_capped_by_the_cells():
    sweep = make_sweep(space={"a": space.choice([1, 2])}, searcher="grid", num_samples=None,
                       resources={"cpu": 1})
    assert make_plan(sweep, cluster_cpus=8).trials_at_once == 2


def test_float_division_does_not_lose_a_trial():
    # 0.3 / 0.1 is 2.9999999999999996 in floating point: three trials still fit.
    sweep = make_sweep(resources={"cpu": 0.1})
    assert make_plan(sweep, cluster_cpus=0.3).trials_at_once == 3


def test_the_scarcest_resource_decides():
    sweep = make_sweep(resources={"cpu": 1, "gpu": 1})
    assert make_plan(sweep, cluster_cpus=8, cluster_gpus=2).trials_at_once == 2
    assert make_plan(sweep, cluster_cpus=1, cluster_gpus=2).trials_at_once == 1


def test_a_gpu_trial_on_a_cluster_without_gpus_fits_zero():
    sweep = make_sweep(resources={"cpu": 1, "gpu": 1})
    assert make_plan(sweep, cluster_cpus=8).trials_at_once == 0
    assert make_plan(sweep, cluster_cpus=8, cluster_gpus=0).trials_at_once == 0


def test_gpu_only_trials():
    sweep = make_sweep(resources={"cpu": 0, "gpu": 0.5})
    assert make_plan(sweep, cluster_cpus=2, cluster_gpus=1).trials_at_once == 2


def test_a_trial_larger_than_the_cluster_fits_zero():
    sweep = make_sweep(resources={"cpu": 4})
    assert make_plan(sweep, cluster_cpus=2).trials_at_once == 0


# ----------------------------------------------------------------- node by node (the live cluster)
def _node(i, cpus, gpus=0.0):
    return {"node_id": f"{i:02d}" * 28, "node_ip": "10.0.0.1",
            "resources": {"CPU": cpus, "GPU": gpus, "memory": 2.0**33}}


def test_a_trial_that_fits_the_totals_but_no_node_fits_zero_with_a_warning():
    sweep = make_sweep(resources={"cpu": 3})
    plan = make_plan(sweep, nodes=[_node(1, 2), _node(2, 2)])
    assert [n.trials for n in plan.nodes] == [0, 0]
    assert plan.trials_at_once == 0
    assert make_plan(sweep, cluster_cpus=4).trials_at_once == 1  # what totals alone would claim
    (warning,) = plan.warnings
    assert "No node can run a trial" in warning and "totals would hold one" in warning


def test_trials_fit_per_node_and_add_up():
    sweep = make_sweep(resources={"cpu": 1.5}, num_samples=50)
    plan = make_plan(sweep, nodes=[_node(1, 2), _node(2, 4), _node(3, 1)])
    assert [n.trials for n in plan.nodes] == [1, 2, 0]  # 2/1.5 -> 1, 4/1.5 -> 2, 1/1.5 -> 0
    assert plan.trials_at_once == 3 and plan.warnings == ()
    assert plan.nodes[1].resources["CPU"] == 4 and plan.nodes[1].node_ip == "10.0.0.1"


def test_node_plan_is_capped_like_the_totals_plan():
    sweep = make_sweep(resources={"cpu": 1}, max_concurrent=3)
    assert make_plan(sweep, nodes=[_node(1, 4), _node(2, 4)]).trials_at_once == 3


def test_gpu_trials_per_node_and_per_gpu():
    sweep = make_sweep(resources={"cpu": 1, "gpu": 0.25}, num_samples=16)
    plan = make_plan(sweep, nodes=[_node(1, 8, 1.0), _node(2, 8, 0.0), _node(3, 2, 2.0)])
    assert [n.trials for n in plan.nodes] == [4, 0, 2]  # the last node runs out of CPUs first
    assert plan.trials_per_gpu == 4
    assert make_plan(make_sweep(resources={"cpu": 1})).trials_per_gpu is None
    assert make_plan(make_sweep(resources={"cpu": 1, "gpu": 2})).trials_per_gpu is None


def test_zero_fit_on_totals_warns_too():
    plan = make_plan(make_sweep(resources={"cpu": 1, "gpu": 1}), cluster_cpus=8)
    assert plan.trials_at_once == 0
    assert plan.warnings and "No trial fits" in plan.warnings[0]


def test_trials_on_node_uses_ray_names():
    assert trials_on_node({"cpu": 0.5, "gpu": 0}, {"CPU": 2.0}) == 4
    assert trials_on_node({"cpu": 1, "accel": 1}, {"CPU": 8.0, "accel": 2.0}) == 2
    assert trials_on_node({"cpu": 0.1}, {"CPU": 0.3}) == 3


def test_the_plan_shows_the_tune_options_the_sweep_set():
    from raysweep import callbacks, checkpoints

    sweep = Sweep(name="opts", trainable=train, space={"x": space.uniform(0, 1)}, metric="m",
                  mode="min", searcher="random", num_samples=4, stop={"training_iteration": 3},
                  callbacks=[callbacks.tensorboard()], checkpoint=checkpoints.keep(num_to_keep=2),
                  points_to_evaluate=[{"x": 0.5}, {"x": 0.25}])
    options = make_plan(sweep).options
    assert options["stop"] == '{"training_iteration": 3}'
    assert options["callbacks"] == "tensorboard"
    assert json.loads(options["checkpoint"])["num_to_keep"] == 2
    assert options["points to evaluate"] == "2 configs, run first"
