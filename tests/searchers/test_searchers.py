"""Searcher specs: defaults, params(), validation, unknown parameters, and names."""

from __future__ import annotations

import json

import pytest

from raysweep import ConfigError, searchers
from raysweep.searchers import GridSearch, OptunaSearch, RandomSearch, SearcherSpec, TPESearch


def test_tpe_defaults_and_params():
    spec = searchers.tpe()
    assert isinstance(spec, TPESearch) and isinstance(spec, SearcherSpec)
    assert spec.name == "tpe"
    assert spec.params() == {"seed": None, "n_initial_points": None, "gamma": 0.25}


def test_tpe_params_are_what_was_passed():
    spec = searchers.tpe(seed=3, n_initial_points=7, gamma=0.4)
    assert spec.params() == {"seed": 3, "n_initial_points": 7, "gamma": 0.4}
    assert json.loads(json.dumps(spec.params())) == spec.params()


def test_random_defaults_and_params():
    spec = searchers.random()
    assert isinstance(spec, RandomSearch)
    assert spec.name == "random"
    assert spec.params() == {"seed": None}
    assert searchers.random(seed=11).params() == {"seed": 11}


def test_grid_defaults_and_params():
    spec = searchers.grid()
    assert isinstance(spec, GridSearch)
    assert spec.name == "grid"
    assert spec.params() == {"grid_points": 5}
    assert searchers.grid(grid_points=1).grid_points == 1


def test_specs_are_frozen_and_compare_by_value():
    assert searchers.tpe(seed=1) == searchers.tpe(seed=1)
    assert searchers.tpe(seed=1) != searchers.tpe(seed=2)
    with pytest.raises(AttributeError):
        searchers.tpe().gamma = 0.5  # type: ignore[misc]


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        searchers.tpe(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "owner", "valid"),
    [
        (lambda: searchers.tpe(foo=1), "searchers.tpe", "seed, n_initial_points, gamma"),
        (lambda: searchers.random(foo=1), "searchers.random", "seed"),
        (lambda: searchers.grid(foo=1), "searchers.grid", "grid_points"),
        (lambda: searchers.optuna(foo=1), "searchers.optuna",
         "seed, n_startup_trials, multivariate, constant_liar, stopped_as_pruned"),
    ],
)
def test_unknown_parameter_is_named_with_the_valid_ones(make, owner, valid):
    with pytest.raises(ConfigError) as info:
        make()
    message = str(info.value)
    assert f"'foo' is not a parameter of {owner}" in message
    assert "Got foo=1" in message
    assert f"Valid parameters: {valid}." in message


def test_a_misspelt_parameter_is_caught():
    with pytest.raises(ConfigError, match=r"'n_initial_point' is not a parameter of searchers\.tpe"):
        searchers.tpe(n_initial_point=5)


@pytest.mark.parametrize("gamma", [0, 0.0, 1, 1.0, -0.1, 1.5, True, "0.25", None])
def test_tpe_gamma_must_be_in_the_open_unit_interval(gamma):
    with pytest.raises(ConfigError) as info:
        searchers.tpe(gamma=gamma)
    message = str(info.value)
    assert "'gamma' parameter of searchers.tpe" in message
    assert "in (0, 1)" in message
    assert f"Got {gamma!r} instead" in message


@pytest.mark.parametrize("gamma", [0.01, 0.5, 0.99])
def test_tpe_gamma_inside_the_interval_is_accepted(gamma):
    assert searchers.tpe(gamma=gamma).gamma == gamma


@pytest.mark.parametrize("n", [0, -1, 2.0, True])
def test_tpe_n_initial_points_must_be_a_positive_integer(n):
    with pytest.raises(ConfigError) as info:
        searchers.tpe(n_initial_points=n)
    message = str(info.value)
    assert "'n_initial_points' parameter of searchers.tpe" in message
    assert "an integer >= 1 or None" in message
    assert f"Got {n!r} instead" in message


@pytest.mark.parametrize("make", [searchers.tpe, searchers.random, searchers.optuna])
@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seeds_must_be_non_negative_integers_or_none(make, seed):
    with pytest.raises(ConfigError) as info:
        make(seed=seed)
    message = str(info.value)
    assert f"'seed' parameter of searchers.{make.__name__}" in message
    assert "an integer >= 0 or None" in message
    assert f"Got {seed!r} instead" in message


@pytest.mark.parametrize("make", [searchers.tpe, searchers.random, searchers.optuna])
def test_seed_zero_is_a_seed(make):
    assert make(seed=0).seed == 0


@pytest.mark.parametrize("points", [0, -3, 2.0, True, None])
def test_grid_points_must_be_at_least_one(points):
    with pytest.raises(ConfigError) as info:
        searchers.grid(grid_points=points)
    message = str(info.value)
    assert "'grid_points' parameter of searchers.grid" in message
    assert "an integer >= 1" in message
    assert f"Got {points!r} instead" in message


def test_validation_also_applies_to_direct_construction():
    with pytest.raises(ConfigError, match="'grid_points'"):
        GridSearch(grid_points=0)
    with pytest.raises(ConfigError, match="'gamma'"):
        TPESearch(gamma=2)


@pytest.mark.parametrize(("name", "cls"), [("grid", GridSearch), ("random", RandomSearch),
                                           ("tpe", TPESearch), ("optuna", OptunaSearch)])
def test_from_name_gives_the_default_spec(name, cls):
    spec = searchers.from_name(name)
    assert type(spec) is cls
    assert spec == cls()
    assert spec.name == name


def test_from_name_passes_specs_through():
    spec = searchers.tpe(seed=5)
    assert searchers.from_name(spec) is spec


@pytest.mark.parametrize("bad", ["TPE", "hyperopt_tpe", "", None, 3, GridSearch])
def test_from_name_rejects_anything_else(bad):
    with pytest.raises(ConfigError) as info:
        searchers.from_name(bad)
    message = str(info.value)
    assert "'searcher' parameter of Sweep" in message
    assert "one of 'grid', 'random', 'tpe', 'optuna'" in message
    assert f"Got {bad!r} instead" in message


def test_from_name_names_its_owner():
    with pytest.raises(ConfigError, match="'searcher' parameter of Study"):
        searchers.from_name("bayes", owner="Study")


def test_parameter_names_follow_field_order():
    assert TPESearch.parameter_names() == ["seed", "n_initial_points", "gamma"]
    assert RandomSearch.parameter_names() == ["seed"]
    assert GridSearch.parameter_names() == ["grid_points"]


def test_tpe_default_max_concurrent_is_a_positive_int():
    assert isinstance(searchers.TPE_DEFAULT_MAX_CONCURRENT, int)
    assert searchers.TPE_DEFAULT_MAX_CONCURRENT >= 1


def test_optuna_defaults_and_params():
    spec = searchers.optuna()
    assert isinstance(spec, OptunaSearch) and spec.name == "optuna"
    assert spec.params() == {"seed": None, "n_startup_trials": 10, "multivariate": True,
                             "constant_liar": True, "stopped_as_pruned": False}
    assert searchers.optuna(seed=2, n_startup_trials=0, multivariate=False,
                            constant_liar=False, stopped_as_pruned=True).params() == {
        "seed": 2, "n_startup_trials": 0, "multivariate": False, "constant_liar": False,
        "stopped_as_pruned": True}


@pytest.mark.parametrize(("param", "bad", "expected"), [
    ("n_startup_trials", -1, "an integer >= 0"), ("n_startup_trials", 2.5, "an integer >= 0"),
    ("multivariate", 1, "True or False"), ("constant_liar", "yes", "True or False"),
    ("stopped_as_pruned", "no", "True or False"),
])
def test_optuna_rejects_bad_parameters(param, bad, expected):
    with pytest.raises(ConfigError) as info:
        searchers.optuna(**{param: bad})
    message = str(info.value)
    assert f"'{param}' parameter of searchers.optuna must be {expected}" in message
    assert f"Got {bad!r} instead" in message


@pytest.mark.parametrize(("num_samples", "expected"),
                         [(1, 1), (2, 1), (5, 4), (6, 5), (24, 5), (30, 6), (60, 12), (100, 20),
                          (200, 20), (1000, 20)])
def test_tpe_startup_rule_follows_the_budget_and_never_takes_all_of_it(num_samples, expected):
    assert searchers.tpe_startup_rule(num_samples) == expected
    assert searchers.tpe().startup_trials(num_samples) == expected
    if num_samples > 1:
        assert expected < num_samples


def test_an_explicit_start_up_count_is_kept():
    assert searchers.tpe(n_initial_points=30).startup_trials(10) == 30
    assert searchers.optuna(n_startup_trials=7).startup_trials(5) == 7


def test_startup_trials_and_default_concurrency_of_every_searcher():
    assert searchers.grid().startup_trials(10) is None
    assert searchers.random().startup_trials(10) is None
    assert searchers.optuna().default_max_concurrent() is None  # the constant liar, not a cap
    assert searchers.tpe().default_max_concurrent() == searchers.TPE_DEFAULT_MAX_CONCURRENT
    assert [s.warm_startable for s in (searchers.grid(), searchers.random(), searchers.tpe(),
                                       searchers.optuna())] == [False, False, True, True]


def test_bohb_spec_and_name():
    spec = searchers.bohb(seed=3)
    assert isinstance(spec, searchers.BOHBSearch) and spec.name == "bohb"
    assert spec.params() == {"seed": 3} and not spec.warm_startable
    assert searchers.from_name("bohb") == searchers.BOHBSearch(seed=None)
    with pytest.raises(ConfigError, match=r"'seed' parameter of searchers\.bohb must be an integer >= 0"):
        searchers.bohb(seed=-1)
    with pytest.raises(ConfigError, match=r"'gamma' is not a parameter of searchers\.bohb"):
        searchers.bohb(gamma=0.2)


@pytest.mark.parametrize(("name", "words"), [
    ("nevergrad", "Nevergrad is not supported yet"),
    ("ax", "Ax is not supported yet"),
    ("bayesopt", "BayesianOptimization is not supported yet"),
    ("hebo", "HEBO is not supported yet"),
    ("zoopt", "ZOOpt is not supported yet"),
    ("hyperopt", "raysweep calls Ray's HyperOptSearch 'tpe'"),
    ("variant_generator", "raysweep calls Ray's variant generator 'random'"),
])
def test_unsupported_ray_searcher_names_are_refused_by_name(name, words):
    with pytest.raises(ConfigError) as info:
        searchers.from_name(name)
    message = str(info.value)
    assert message.startswith("The 'searcher' parameter of Sweep must be one of 'grid', 'random', "
                              "'tpe', 'optuna', 'bohb', 'nsga2' or a spec from raysweep.searchers. "
                              f"Got {name!r} instead. searcher={name!r}: ")
    assert (words in message and "searcher=searchers." in message.split(words)[1]) \
        or "searcher='" in message.split(words)[1]


def test_a_ray_searcher_object_is_refused_with_the_spec_to_use():
    from ray.tune.search.optuna import OptunaSearch as RayOptuna

    with pytest.raises(ConfigError, match=r"A Ray search algorithm object \(OptunaSearch\) is not "
                                          r"accepted.*searchers\.optuna\("):
        searchers.from_name(RayOptuna())
