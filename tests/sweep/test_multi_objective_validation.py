"""Several objectives and constraints in a Sweep: validated before Ray, every problem at once, in the
one template; the searchers and schedulers that take one objective are refused with the reason."""

from __future__ import annotations

import dataclasses

import pytest

from raysweep import ConfigError, Sweep, schedulers, searchers, space
from raysweep.results import Objective
from raysweep.sweep import make_plan


def train_fn(config):
    return None


def _sweep(**overrides) -> Sweep:
    kwargs = dict(name="mo", trainable=train_fn,
                  space={"dim": space.choice([16, 32]), "lr": space.loguniform(1e-4, 1e-1)},
                  metric=["val_ndcg", "model_mb"], mode=["max", "min"], searcher="optuna",
                  num_samples=20)
    return Sweep(**{**kwargs, **overrides})


def _problems(**overrides) -> str:
    with pytest.raises(ConfigError) as info:
        _sweep(**overrides)
    return str(info.value)


def test_lists_become_objectives_and_metric_mode_stay_the_first():
    sweep = _sweep(metric=("val_ndcg", "model_mb"), mode=("max", "min"))
    assert sweep.objectives == (Objective("val_ndcg", "max"), Objective("model_mb", "min"))
    assert (sweep.metric, sweep.mode, sweep.is_multi_objective) == ("val_ndcg", "max", True)
    # dataclasses.replace (extend, --warm-start) keeps every objective
    assert dataclasses.replace(sweep, num_samples=5).objectives == sweep.objectives
    single = _sweep(metric="val_ndcg", mode="max")
    assert single.objectives == (Objective("val_ndcg", "max"),) and not single.is_multi_objective
    assert dataclasses.replace(single, metric="loss", mode="min").objectives == (Objective("loss", "min"),)


def test_every_problem_of_the_objectives_is_reported_at_once():
    message = _problems(metric=["a", "a", ""], mode=["max", "maximise"])
    assert message.startswith("3 problems in Sweep 'mo':")
    assert "The 'metric[2]' parameter of Sweep must be the name of a reported metric. Got '' instead." \
        in message
    assert "The 'metric' parameter of Sweep must be distinct metric names. Got ['a', 'a', ''] " \
        "instead. 'a' named more than once." in message
    assert "The 'mode' parameter of Sweep must be a list of 3 modes, one per metric. Got " \
        "['max', 'maximise'] instead." in message


def test_each_mode_is_min_or_max_and_there_is_at_least_one_objective():
    assert _problems(mode=["max", "least"]) == (
        "The 'mode[1]' parameter of Sweep must be one of 'min', 'max'. Got 'least' instead. Say "
        "whether metric 'model_mb' is minimised or maximised.")
    assert "The 'metric' parameter of Sweep must be a metric name or a list of at least one. Got " \
        "[] instead." in _problems(metric=[], mode=[])
    assert "The 'mode' parameter of Sweep must be one of 'min', 'max' for the one metric" in \
        _problems(metric="val_ndcg", mode=["max"])
    assert "The 'mode' parameter of Sweep must be a list of 2 modes" in _problems(mode="max")


@pytest.mark.parametrize(("searcher", "words"), [
    (searchers.tpe(), "HyperOpt's TPE minimises one loss"),
    (searchers.bohb(), "BOHB's kernel density model ranks one metric"),
])
def test_single_objective_searchers_are_refused_with_the_reason(searcher, words):
    overrides = {"searcher": searcher}
    if searcher.name == "bohb":
        overrides["scheduler"] = schedulers.hyperband_for_bohb(max_t=9)
    message = _problems(**overrides)
    assert (f"The 'searcher' parameter of Sweep must be a searcher that handles 2 objectives. Got "
            f"{searcher.name!r} instead. {words}. Use searchers.optuna(...)") in message


@pytest.mark.parametrize("searcher", ["grid", "random", "optuna", searchers.nsga2(population_size=8)])
def test_searchers_that_ignore_or_search_several_objectives_are_accepted(searcher):
    assert _sweep(searcher=searcher, num_samples=None if searcher == "grid" else 20).is_multi_objective


def test_early_stopping_on_several_objectives_is_asha_or_mo_asha():
    mo_asha = _sweep(scheduler="asha")  # MO-ASHA: every objective ranks the rungs
    assert mo_asha.scheduler_spec.metric is None and mo_asha.is_multi_objective
    assert _problems(scheduler="hyperband") == (
        "The 'scheduler' parameter of Sweep must be 'fifo' or an ASHA with 2 objectives. Got "
        "'hyperband' instead. Early stopping on several objectives is not supported by "
        "schedulers.hyperband yet. Use scheduler=schedulers.asha(...) (MO-ASHA: each rung ranked on "
        "every objective), schedulers.asha(metric='val_ndcg') to stop on one objective, or "
        "scheduler='fifo'.")
    named = _sweep(scheduler=schedulers.asha(max_t=4, metric="model_mb"))
    assert named.scheduler_spec.metric == "model_mb"
    assert _problems(scheduler=schedulers.asha(max_t=4, metric="loss")) == (
        "The 'metric' parameter of schedulers.asha must be one of the sweep's objectives "
        "['val_ndcg', 'model_mb']. Got 'loss' instead. The scheduler stops trials on one of the "
        "metrics the sweep optimises.")
    with pytest.raises(ConfigError, match=r"The 'metric' parameter of schedulers\.asha must be None"):
        schedulers.asha(metric="")


def test_stopped_as_pruned_is_refused_with_several_objectives():
    assert "optuna/optuna #3450" in _problems(searcher=searchers.optuna(stopped_as_pruned=True))


def test_nsga2_spec_and_its_refusals():
    spec = searchers.nsga2(population_size=10, seed=3)
    assert spec.params() == {"seed": 3, "population_size": 10} and spec.startup_trials(50) == 10
    with pytest.raises(ConfigError, match=r"The 'population_size' parameter of searchers\.nsga2 must be "
                                          r"an integer >= 2\. Got 1 instead\."):
        searchers.nsga2(population_size=1)
    with pytest.raises(ConfigError, match=r"'sampler' is not a parameter of searchers\.nsga2"):
        searchers.nsga2(sampler="x")
    from raysweep import warm_start

    assert "warm start (and `raysweep extend`) with NSGA-II is not supported yet" in _problems(
        searcher="nsga2", warm_start=warm_start.from_runs("earlier"))


def test_constraints_are_parsed_by_the_where_language_before_ray():
    sweep = _sweep(constraints=["latency_ms <= 5", "model_mb <= 200 and config.dim >= 16"])
    assert sweep.constraints == ("latency_ms <= 5", "model_mb <= 200 and config.dim >= 16")
    assert sweep.constraint_metrics == ("latency_ms", "model_mb")
    message = _problems(constraints=["latency <= ", "config.dims < 3", "__import__('os')", "x + 1",
                                     "best.val_ndcg > 1"])
    assert message.startswith("5 problems in Sweep 'mo':")
    assert "The 'constraints[0]' parameter of Sweep must be a condition" in message
    assert "It is not a valid expression" in message
    assert ("The 'constraints[1]' parameter of Sweep must be a condition over reported metrics and "
            "config.<key of the space>. Got 'config.dims < 3' instead. 'config.dims' is not a key of "
            "the space. Did you mean 'config.dim'?") in message
    assert "\"__import__('os')\" is not allowed" in message
    assert "It must be a condition (e.g. x < 2), not a value." in message
    assert "'best.val_ndcg' is a column of stored trials" in message
    assert "Put a single condition in a list" in _problems(constraints="latency_ms <= 5")


def test_plan_shows_every_objective_and_the_constraints():
    plan = make_plan(_sweep(constraints=["latency_ms <= 5"]))
    assert plan.objectives == (("val_ndcg", "max"), ("model_mb", "min"))
    assert plan.constraints == ("latency_ms <= 5",)
    from rich.console import Console

    from raysweep.cli._render import plan_table

    console = Console(record=True, width=200)
    console.print(plan_table(plan))
    text = console.export_text()
    assert "objectives" in text and "max val_ndcg, min model_mb" in text
    assert "constraints" in text and "latency_ms <= 5" in text


def test_stop_on_violation_takes_the_sweeps_monotone_bounds_under_mo_asha():
    sweep = _sweep(constraints=["model_mb <= 2", "last.latency_ms >= -1.5", "config.dim < 64"],
                   scheduler=schedulers.asha(max_t=4, stop_on_violation=["model_mb <= 2",
                                                                          "last.latency_ms >= -1.5"]))
    assert sweep.scheduler_spec.violation_bounds() == [("model_mb", "<=", 2.0),
                                                       ("latency_ms", ">=", -1.5)]
    message = _problems(constraints=["model_mb <= 2", "config.dim < 64"],
                        scheduler=schedulers.asha(max_t=4, stop_on_violation=["model_mb <= 3",
                                                                               "config.dim < 64"]))
    assert ("The 'stop_on_violation' parameter of schedulers.asha must be one of the sweep's "
            "constraints ['model_mb <= 2', 'config.dim < 64']. Got 'model_mb <= 3' instead.") in message
    assert ("The 'stop_on_violation' parameter of schedulers.asha must be constraints of the form "
            "'<metric> <= <number>' or '<metric> >= <number>'. Got 'config.dim < 64' instead.") in message
    one = _problems(metric="val_ndcg", mode="max", constraints=["model_mb <= 2"],
                    scheduler=schedulers.asha(max_t=4, stop_on_violation=["model_mb <= 2"]))
    assert "not supported by one-objective ASHA yet" in one
    with pytest.raises(ConfigError, match=r"The 'stop_on_violation' parameter of schedulers\.asha must be "
                                          r"a list of the sweep's constraints\. Got 'model_mb <= 2'"):
        schedulers.asha(stop_on_violation="model_mb <= 2")
