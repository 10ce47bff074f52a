"""Sweep: the full example validates; every bad field is rejected by name, all problems at once."""

from __future__ import annotations

import json

import pytest

from raysweep import ConfigError, Sweep, schedulers, searchers, space
from raysweep.schedulers import ASHA, FIFO
from raysweep.searchers import TPE_DEFAULT_MAX_CONCURRENT, GridSearch, RandomSearch, TPESearch


def train_fn(config):
    return None


def full_example(**overrides):
    """The sweep of the common brief, with ``overrides`` applied."""
    kwargs = dict(
        name="mf_tpe",
        trainable=train_fn,
        space={
            "lr": space.loguniform(1e-4, 1e-1),
            "dim": space.choice([16, 32, 64]),
            "reg": space.loguniform(1e-6, 1e-2),
            "batch": space.qrandint(16, 512, 16),
            "opt": {"beta": space.uniform(0.8, 0.99)},
        },
        metric="val_ndcg",
        mode="max",
        searcher=searchers.tpe(seed=0),
        scheduler=schedulers.asha(max_t=20, grace_period=2, reduction_factor=3),
        num_samples=100,
        resources={"cpu": 1, "gpu": 0},
        max_concurrent=None,
        time_budget_s=None,
        max_failures=0,
        seed=0,
        description="matrix factorisation, TPE + ASHA",
        tags={"team": "recsys"},
    )
    kwargs.update(overrides)
    return Sweep(**kwargs)


def minimal(**overrides):
    kwargs = dict(name="small", trainable=train_fn, space={"x": space.uniform(0, 1)},
                  metric="loss", mode="min", num_samples=4)
    kwargs.update(overrides)
    return Sweep(**kwargs)


def rejected(make, **overrides) -> str:
    with pytest.raises(ConfigError) as info:
        make(**overrides)
    return str(info.value)


# ---------------------------------------------------------------- valid sweeps


def test_the_full_example_is_valid():
    sweep = full_example()
    assert sweep.name == "mf_tpe"
    assert sweep.trainable is train_fn
    assert sweep.searcher == searchers.tpe(seed=0)
    assert sweep.scheduler == schedulers.asha(max_t=20, grace_period=2, reduction_factor=3)
    assert sweep.asha is sweep.scheduler
    assert sweep.n_trials == 100
    assert sweep.resources == {"cpu": 1, "gpu": 0}
    assert sweep.tags == {"team": "recsys"}
    loaded = json.loads(sweep.space_json())
    assert list(loaded) == ["lr", "dim", "reg", "batch", "opt.beta"]
    assert loaded["batch"] == {"type": "qrandint", "lower": 16, "upper": 512, "q": 16}


def test_defaults():
    sweep = minimal()
    assert isinstance(sweep.searcher, RandomSearch)
    assert isinstance(sweep.scheduler, FIFO)
    assert sweep.asha is None
    assert sweep.resources == {"cpu": 1}
    assert (sweep.max_concurrent, sweep.time_budget_s, sweep.max_failures, sweep.seed) == (
        None, None, 0, 0)
    assert sweep.description == ""
    assert sweep.tags == {}


@pytest.mark.parametrize(("name", "cls"), [("tpe", TPESearch), ("random", RandomSearch),
                                           ("grid", GridSearch)])
def test_searcher_names_are_normalised_to_specs(name, cls):
    assert minimal(searcher=name).searcher == cls()


@pytest.mark.parametrize(("name", "cls"), [("asha", ASHA), ("fifo", FIFO), (None, FIFO)])
def test_scheduler_names_are_normalised_to_specs(name, cls):
    assert minimal(scheduler=name).scheduler == cls()


def test_resources_and_tags_are_copied():
    resources, tags = {"cpu": 1}, {"team": "a"}
    sweep = minimal(resources=resources, tags=tags)
    resources["cpu"] = 8
    tags["team"] = "b"
    assert sweep.resources == {"cpu": 1}
    assert sweep.tags == {"team": "a"}


def test_sweep_is_frozen():
    with pytest.raises(AttributeError):
        minimal().num_samples = 5  # type: ignore[misc]


def test_fractional_and_gpu_only_resources_are_valid():
    assert minimal(resources={"cpu": 0.5}).resources == {"cpu": 0.5}
    assert minimal(resources={"cpu": 0, "gpu": 1}).resources == {"cpu": 0, "gpu": 1}


class TrainableClass:
    def setup(self, config):
        pass

    def step(self):
        return {}


def test_trainable_variants_are_accepted():
    def with_default(config, extra=1):
        return None

    def varargs(*args):
        return None

    for trainable in (train_fn, with_default, varargs, lambda config: None, TrainableClass):
        assert minimal(trainable=trainable).trainable is trainable


def test_empty_and_constant_only_spaces_are_valid():
    assert minimal(space={}).n_trials == 4
    assert minimal(space={"epochs": 3}).n_trials == 4


# ---------------------------------------------------------------- each field rejected by name


def test_metric_without_mode():
    message = rejected(minimal, mode=None)
    assert "'mode' parameter of Sweep" in message
    assert "one of 'min', 'max'" in message
    assert "metric='loss'" in message


@pytest.mark.parametrize("mode", ["maximise", "MAX", ""])
def test_bad_mode(mode):
    assert f"'mode' parameter of Sweep must be one of 'min', 'max'. Got {mode!r}" in rejected(
        minimal, mode=mode)


@pytest.mark.parametrize("metric", ["", None, 3])
def test_bad_metric(metric):
    message = rejected(minimal, metric=metric)
    assert "'metric' parameter of Sweep" in message
    assert f"Got {metric!r} instead" in message


def test_unknown_searcher_name():
    message = rejected(minimal, searcher="bayes")
    assert "'searcher' parameter of Sweep" in message
    assert "Got 'bayes' instead" in message


def test_unknown_scheduler_name():
    message = rejected(minimal, scheduler="hyperbnd")
    assert "'scheduler' parameter of Sweep" in message
    assert "Got 'hyperbnd' instead" in message


@pytest.mark.parametrize(
    ("resources", "param", "got"),
    [
        ({"cpu": -1}, "resources['cpu']", "-1"),
        ({"cpu": 1, "gpu": -0.5}, "resources['gpu']", "-0.5"),
        ({"cpu": float("inf")}, "resources['cpu']", "inf"),
        ({"cpu": True}, "resources['cpu']", "True"),
        ({"cpu": "1"}, "resources['cpu']", "'1'"),
        ({}, "resources", "{}"),
        ({"cpu": 0, "gpu": 0}, "resources", "{'cpu': 0, 'gpu': 0}"),
        ([("cpu", 1)], "resources", "[('cpu', 1)]"),
        ({1: 1}, "resources", "1"),
    ],
)
def test_bad_resources(resources, param, got):
    message = rejected(minimal, resources=resources)
    assert f"{param!r} parameter of Sweep" in message
    assert f"Got {got} instead" in message


@pytest.mark.parametrize("n", [0, -5, 2.0, True, "10"])
def test_bad_num_samples(n):
    message = rejected(minimal, num_samples=n)
    assert "'num_samples' parameter of Sweep" in message
    assert "an integer >= 1" in message
    assert f"Got {n!r} instead" in message


@pytest.mark.parametrize("searcher", ["tpe", "random", searchers.tpe(seed=1)])
def test_num_samples_is_required_for_sampling_searchers(searcher):
    message = rejected(minimal, searcher=searcher, num_samples=None)
    assert "'num_samples' parameter of Sweep" in message
    assert "Got None instead" in message
    assert "num_samples=" in message


def test_num_samples_is_optional_for_grid():
    assert minimal(searcher="grid", num_samples=None).num_samples is None


@pytest.mark.parametrize("name", ["My Sweep", "", "UPPER", "a.b", "x/y", None, 5])
def test_bad_name(name):
    message = rejected(minimal, name=name)
    assert "'name' parameter of Sweep" in message
    assert f"Got {name!r} instead" in message


@pytest.mark.parametrize("name", ["a", "recsys_mf_tpe", "mf-tpe-2"])
def test_good_names(name):
    assert minimal(name=name).name == name


def no_args():
    return None


def two_args(config, reporter):
    return None


class NotATrainable:
    pass


@pytest.mark.parametrize("trainable", [5, "train", None, no_args, two_args, NotATrainable])
def test_bad_trainable(trainable):
    message = rejected(minimal, trainable=trainable)
    assert "'trainable' parameter of Sweep" in message
    assert f"Got {trainable!r} instead" in message


def test_wrong_arity_message_says_how_to_fix():
    assert "def train(config)" in rejected(minimal, trainable=two_args)


@pytest.mark.parametrize("tags", [{"team": 1}, {1: "a"}, ["recsys"], "recsys", None])
def test_bad_tags(tags):
    message = rejected(minimal, tags=tags)
    assert "'tags' parameter of Sweep" in message
    assert f"Got {tags!r} instead" in message


@pytest.mark.parametrize("value", [-1, 1.5, True, None])
def test_bad_max_failures(value):
    message = rejected(minimal, max_failures=value)
    assert "'max_failures' parameter of Sweep" in message
    assert "an integer >= 0" in message
    assert f"Got {value!r} instead" in message


@pytest.mark.parametrize("value", [0, -10, float("inf"), float("nan"), True, "60"])
def test_bad_time_budget(value):
    message = rejected(minimal, time_budget_s=value)
    assert "'time_budget_s' parameter of Sweep" in message
    assert f"Got {value!r} instead" in message


def test_good_time_budgets():
    assert minimal(time_budget_s=0.5).time_budget_s == 0.5
    assert minimal(time_budget_s=60).time_budget_s == 60


@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_bad_max_concurrent(value):
    message = rejected(minimal, max_concurrent=value)
    assert "'max_concurrent' parameter of Sweep" in message
    assert f"Got {value!r} instead" in message


@pytest.mark.parametrize("value", [-1, 1.5, None, True])
def test_bad_seed(value):
    message = rejected(minimal, seed=value)
    assert "'seed' parameter of Sweep" in message
    assert f"Got {value!r} instead" in message


def test_bad_description():
    assert "'description' parameter of Sweep" in rejected(minimal, description=None)


def test_bad_space_is_reported():
    message = rejected(minimal, space={"opt": {"fn": print}})
    assert "space['opt.fn']" in message
    assert "'space' parameter of Sweep" in rejected(minimal, space=[1, 2])


# ---------------------------------------------------------------- all problems at once


def test_several_problems_are_listed_in_one_error():
    message = rejected(minimal, name="Bad Name", mode="maximise", num_samples=0,
                       resources={"cpu": -1}, tags={"team": 1}, searcher="bayes")
    assert message.startswith("6 problems in Sweep 'Bad Name':")
    for field in ("'name'", "'mode'", "'num_samples'", "\"resources['cpu']\"", "'tags'",
                  "'searcher'"):
        assert f"{field} parameter of Sweep" in message
    assert message.count("\n  - ") == 6


def test_one_problem_is_reported_alone():
    message = rejected(minimal, max_failures=-1)
    assert message.startswith("The 'max_failures' parameter of Sweep")
    assert "problems in" not in message


# ---------------------------------------------------------------- derived facts


def test_n_trials_for_grid_is_cells_times_num_samples():
    grid_space = {"a": space.choice([1, 2, 3]), "b": space.uniform(0, 1), "k": "const"}
    # 3 choices x 4 grid points (the constant does not multiply).
    sweep = minimal(space=grid_space, searcher=searchers.grid(grid_points=4), num_samples=None)
    assert sweep.n_trials == 3 * 4
    repeated = minimal(space=grid_space, searcher=searchers.grid(grid_points=4), num_samples=2)
    assert repeated.n_trials == 3 * 4 * 2


def test_n_trials_for_default_grid_points():
    # searchers.grid() has 5 points; randint(0, 3) has only 3 values.
    sweep = minimal(space={"a": space.uniform(0, 1), "b": space.randint(0, 3)}, searcher="grid",
                    num_samples=None)
    assert sweep.n_trials == 5 * 3


@pytest.mark.parametrize("searcher", ["tpe", "random"])
def test_n_trials_for_sampling_searchers_is_num_samples(searcher):
    assert minimal(searcher=searcher, num_samples=7).n_trials == 7


def test_concurrency_cap():
    assert minimal(searcher="tpe").concurrency_cap == TPE_DEFAULT_MAX_CONCURRENT
    assert minimal(searcher="tpe", max_concurrent=2).concurrency_cap == 2
    assert minimal(searcher="tpe", max_concurrent=16).concurrency_cap == 16
    assert minimal(searcher="random").concurrency_cap is None
    assert minimal(searcher="random", max_concurrent=3).concurrency_cap == 3
    assert minimal(searcher="grid").concurrency_cap is None


def test_searcher_seed_falls_back_to_the_sweep_seed():
    assert minimal(searcher=searchers.tpe(), seed=7).searcher_seed == 7
    assert minimal(searcher=searchers.tpe(seed=3), seed=7).searcher_seed == 3
    assert minimal(searcher=searchers.random(), seed=9).searcher_seed == 9
    assert minimal(searcher=searchers.random(seed=0), seed=9).searcher_seed == 0
    # Grid search has no seed of its own.
    assert minimal(searcher="grid", seed=5).searcher_seed == 5


def test_warm_start_problems_are_listed_with_the_others():
    from raysweep import warm_start

    message = rejected(minimal, searcher="random", mode="maximise",
                       warm_start=warm_start.from_runs("earlier"))
    assert message.startswith("2 problems in Sweep 'small':")
    assert "'warm_start' parameter of Sweep must be None with the grid and random searchers" in message
    assert minimal(searcher="optuna", warm_start=warm_start.from_runs("earlier")).warm_start.sources \
        == ("earlier",)


def test_concurrency_cap_comes_from_the_searcher_spec():
    assert minimal(searcher="optuna").concurrency_cap is None  # constant liar: no cap of its own
    assert minimal(searcher="optuna", max_concurrent=3).concurrency_cap == 3
    assert minimal(searcher="tpe", num_samples=24).startup_trials == 5
    assert minimal(searcher="random").startup_trials is None


# HyperBand and BOHB.

_BOHB_SPACE = {"lr": space.loguniform(1e-4, 1e-1), "dim": space.choice([16, 32]),
               "layers": space.randint(1, 4), "fixed": 3}


def test_hyperband_is_the_sweeps_early_stopping_scheduler():
    sweep = full_example(scheduler=schedulers.hyperband(max_t=27))
    assert sweep.early_stopping == schedulers.hyperband(max_t=27) and sweep.asha is None
    assert full_example(scheduler="hyperband").early_stopping == schedulers.hyperband()
    assert full_example().early_stopping == full_example().asha
    assert full_example(scheduler="fifo").early_stopping is None


def test_bohb_needs_hyperband_for_bohb():
    with pytest.raises(ConfigError) as info:
        full_example(searcher=searchers.bohb(), space=_BOHB_SPACE, scheduler=schedulers.hyperband())
    message = str(info.value)
    assert "The 'scheduler' parameter of Sweep must be schedulers.hyperband_for_bohb(...) with the " \
           "'bohb' searcher. Got HyperBand(" in message
    assert "use scheduler=schedulers.hyperband_for_bohb(max_t=...)" in message


@pytest.mark.parametrize("searcher", ["tpe", "optuna", "random", "grid"])
def test_hyperband_for_bohb_needs_bohb(searcher):
    with pytest.raises(ConfigError) as info:
        full_example(searcher=searcher, scheduler="hyperband_for_bohb")
    message = str(info.value)
    assert (f"The 'scheduler' parameter of Sweep must be not hyperband_for_bohb with the {searcher!r} "
            "searcher.") in message
    assert "use it with searcher=searchers.bohb()" in message and "schedulers.hyperband(" in message


def test_bohb_refuses_quantised_grid_conditional_dimensions_and_points():
    with pytest.raises(ConfigError) as info:
        full_example(searcher=searchers.bohb(), scheduler=schedulers.hyperband_for_bohb(max_t=20),
                     space={**_BOHB_SPACE, "batch": space.qrandint(16, 512, 16),
                            "kind": space.grid(["a", "b"])})
    message = str(info.value)
    assert "'batch' is qrandint(16, 512, q=16): ConfigSpace 1.x has no quantisation" in message
    assert "space.grid dimension 'kind' is not supported with BOHB" in message
    with pytest.raises(ConfigError, match=r"Conditional dimensions .* are not supported with BOHB yet"):
        full_example(searcher="bohb", scheduler="hyperband_for_bohb",
                     space={"model": space.choice([{"a": space.uniform(0, 1)}, {"b": 1}])})
    with pytest.raises(ConfigError, match=r"'points_to_evaluate' parameter of Sweep must be None with "
                                          r"the 'bohb' searcher"):
        full_example(searcher="bohb", scheduler="hyperband_for_bohb", space=_BOHB_SPACE,
                     points_to_evaluate=[{"lr": 0.01, "dim": 16, "layers": 2}])


def test_bohb_without_its_packages_names_them(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "hpbandster" else real(name, *a))
    with pytest.raises(ConfigError) as info:
        full_example(searcher="bohb", scheduler="hyperband_for_bohb", space=_BOHB_SPACE)
    message = str(info.value)
    assert "a searcher whose packages are installed (hpbandster missing)" in message
    assert "pip install 'raysweep[bohb]'" in message and "searchers.optuna(" in message


def test_bohb_sweep_is_accepted_when_installed():
    pytest.importorskip("hpbandster")
    pytest.importorskip("ConfigSpace")
    sweep = full_example(searcher=searchers.bohb(seed=1), space=_BOHB_SPACE,
                         scheduler=schedulers.hyperband_for_bohb(max_t=27))
    assert sweep.searcher_seed == 1 and sweep.early_stopping == schedulers.hyperband_for_bohb(max_t=27)


def test_unsupported_scheduler_name_is_reported_by_the_sweep():
    with pytest.raises(ConfigError, match=r"scheduler='pbt': population-based training needs its "
                                          r"perturbation interval and mutations: use "
                                          r"scheduler=schedulers\.pbt\("):
        full_example(scheduler="pbt")
