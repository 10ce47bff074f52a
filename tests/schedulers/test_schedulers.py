"""Scheduler specs: ASHA and FIFO defaults, validation, rungs, and names."""

from __future__ import annotations

import itertools
import json

import pytest

from raysweep import ConfigError, schedulers
from raysweep.schedulers import ASHA, FIFO, SchedulerSpec


def test_asha_defaults_match_ray():
    spec = schedulers.asha()
    assert isinstance(spec, ASHA) and isinstance(spec, SchedulerSpec)
    assert spec.name == "asha"
    # Ray's ASHAScheduler defaults: max_t=100, grace_period=1, reduction_factor=4, brackets=1.
    assert spec.params() == {"max_t": 100, "grace_period": 1, "reduction_factor": 4, "brackets": 1,
                             "time_attr": "training_iteration", "metric": None,
                             "stop_on_violation": []}


def test_asha_params_are_what_was_passed():
    spec = schedulers.asha(max_t=20, grace_period=2, reduction_factor=3, brackets=2,
                           time_attr="epoch", metric="val_ndcg")
    assert spec.params() == {"max_t": 20, "grace_period": 2, "reduction_factor": 3, "brackets": 2,
                             "time_attr": "epoch", "metric": "val_ndcg", "stop_on_violation": []}
    assert json.loads(json.dumps(spec.params())) == spec.params()


def test_fifo_has_no_params():
    spec = schedulers.fifo()
    assert isinstance(spec, FIFO)
    assert spec.name == "fifo"
    assert spec.params() == {}


def test_unknown_asha_parameter_is_named_with_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        schedulers.asha(gracee_period=2)
    message = str(info.value)
    assert "'gracee_period' is not a parameter of schedulers.asha" in message
    assert "Got gracee_period=2" in message
    valid = "max_t, grace_period, reduction_factor, brackets, time_attr, metric, stop_on_violation"
    assert f"Valid parameters: {valid}." in message


def test_unknown_fifo_parameter_is_named():
    with pytest.raises(ConfigError, match=r"'max_t' is not a parameter of schedulers\.fifo"):
        schedulers.fifo(max_t=10)


def test_unknown_fifo_parameter_message_does_not_list_an_empty_set():
    with pytest.raises(ConfigError) as info:
        schedulers.fifo(max_t=10)
    assert "Valid parameters: ." not in str(info.value)


def test_grace_period_above_max_t_is_rejected():
    with pytest.raises(ConfigError) as info:
        schedulers.asha(max_t=5, grace_period=6)
    message = str(info.value)
    assert "'grace_period' parameter of schedulers.asha" in message
    assert "at most max_t=5" in message
    assert "Got 6 instead" in message


def test_grace_period_equal_to_max_t_is_allowed():
    assert schedulers.asha(max_t=5, grace_period=5).grace_period == 5


@pytest.mark.parametrize("rf", [1, 1.5, 0, -4, True, "3", None])
def test_reduction_factor_must_be_at_least_two(rf):
    with pytest.raises(ConfigError) as info:
        schedulers.asha(reduction_factor=rf)
    message = str(info.value)
    assert "'reduction_factor' parameter of schedulers.asha" in message
    assert "a number >= 2" in message
    assert f"Got {rf!r} instead" in message


@pytest.mark.parametrize("rf", [2, 2.5, 3])
def test_reduction_factors_from_two_are_accepted(rf):
    assert schedulers.asha(reduction_factor=rf).reduction_factor == rf


@pytest.mark.parametrize("param", ["max_t", "grace_period", "brackets"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_integer_parameters_must_be_positive_integers(param, value):
    kwargs = {"max_t": 100, param: value}
    with pytest.raises(ConfigError) as info:
        schedulers.asha(**kwargs)
    message = str(info.value)
    assert f"'{param}' parameter of schedulers.asha" in message
    assert "an integer >= 1" in message
    assert f"Got {value!r} instead" in message


@pytest.mark.parametrize("attr", ["", None, 5])
def test_time_attr_must_be_a_non_empty_name(attr):
    with pytest.raises(ConfigError) as info:
        schedulers.asha(time_attr=attr)
    message = str(info.value)
    assert "'time_attr' parameter of schedulers.asha" in message
    assert f"Got {attr!r} instead" in message


@pytest.mark.parametrize(
    ("max_t", "grace", "rf", "expected"),
    [
        # 2, 2*3=6, 6*3=18 < 20; 54 > 20.
        (20, 2, 3, [2, 6, 18]),
        # 1, 4, 16, 64 < 100; 256 > 100.
        (100, 1, 4, [1, 4, 16, 64]),
        # A rung at max_t itself is never a decision point: the trial stops there anyway.
        (16, 1, 4, [1, 4]),
        (5, 5, 2, []),
    ],
)
def test_rungs_are_grace_period_times_powers_of_the_reduction_factor(max_t, grace, rf, expected):
    assert schedulers.asha(max_t=max_t, grace_period=grace, reduction_factor=rf).rungs() == expected


def test_rungs_stay_below_max_t():
    spec = schedulers.asha(max_t=1000, grace_period=3, reduction_factor=2)
    rungs = spec.rungs()
    assert rungs[0] == 3
    assert all(b == 2 * a for a, b in itertools.pairwise(rungs))
    assert rungs[-1] < 1000 <= rungs[-1] * 2


@pytest.mark.parametrize(("name", "cls"), [("asha", ASHA), ("fifo", FIFO)])
def test_from_name_gives_the_default_spec(name, cls):
    spec = schedulers.from_name(name)
    assert type(spec) is cls
    assert spec == cls()


def test_from_name_none_is_fifo():
    assert schedulers.from_name(None) == FIFO()


def test_from_name_passes_specs_through():
    spec = schedulers.asha(max_t=9)
    assert schedulers.from_name(spec) is spec


@pytest.mark.parametrize("bad", ["ASHA", "median", "", 3, ASHA])
def test_from_name_rejects_anything_else(bad):
    with pytest.raises(ConfigError) as info:
        schedulers.from_name(bad)
    message = str(info.value)
    assert "'scheduler' parameter of Sweep" in message
    assert "one of 'asha', 'fifo'" in message
    assert f"Got {bad!r} instead" in message


# HyperBand (Ray's HyperBandScheduler) and its BOHB variant.

def test_hyperband_defaults_match_ray():
    spec = schedulers.hyperband()
    assert isinstance(spec, schedulers.HyperBand) and spec.name == "hyperband"
    # Ray's HyperBandScheduler defaults: max_t=81, reduction_factor=3, stop_last_trials=True.
    assert spec.params() == {"max_t": 81, "reduction_factor": 3, "time_attr": "training_iteration",
                             "stop_last_trials": True}
    assert schedulers.from_name("hyperband") == spec
    bohb = schedulers.from_name("hyperband_for_bohb")
    assert isinstance(bohb, schedulers.HyperBandForBOHB) and bohb.name == "hyperband_for_bohb"


@pytest.mark.parametrize(("kwargs", "param", "expected"), [
    ({"max_t": 0}, "max_t", "an integer >= 1"),
    ({"max_t": 2.5}, "max_t", "an integer >= 1"),
    ({"reduction_factor": 1.5}, "reduction_factor", "a number >= 2"),
    ({"reduction_factor": True}, "reduction_factor", "a number >= 2"),
    ({"time_attr": ""}, "time_attr", "a non-empty metric name"),
    ({"stop_last_trials": "yes"}, "stop_last_trials", "True or False"),
])
@pytest.mark.parametrize("factory", [schedulers.hyperband, schedulers.hyperband_for_bohb])
def test_hyperband_validation_names_the_parameter(factory, kwargs, param, expected):
    with pytest.raises(ConfigError) as info:
        factory(**kwargs)
    owner = "schedulers.hyperband_for_bohb" if factory is schedulers.hyperband_for_bohb \
        else "schedulers.hyperband"
    message = str(info.value)
    assert f"The {param!r} parameter of {owner} must be {expected}." in message
    assert f"Got {next(iter(kwargs.values()))!r} instead" in message


def test_unknown_hyperband_parameter_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"'grace_period' is not a parameter of schedulers\.hyperband\."
                                          r" Got grace_period=2\. Valid parameters: max_t, "
                                          r"reduction_factor, time_attr, stop_last_trials\."):
        schedulers.hyperband(grace_period=2)


def _ray_brackets(scheduler_cls, max_t, eta, n):
    """Ray's own bracket structure for n trials added in order: (milestone, size) per bracket."""
    from unittest import mock

    sched = scheduler_cls(max_t=max_t, reduction_factor=eta, metric="m", mode="min")
    for _ in range(n):
        sched.on_trial_add(None, mock.Mock())
    return [(b._cumul_r, b._n0, len(b._all_trials)) for band in sched._hyperbands
            for b in band if b is not None]


@pytest.mark.parametrize(("max_t", "eta"), [(81, 3), (4, 2), (9, 3), (20, 4), (100, 3), (1, 3)])
@pytest.mark.parametrize("bohb", [False, True])
def test_hyperband_brackets_are_rays(max_t, eta, bohb):
    """The brackets plan shows are those Ray builds (first milestone, size, trials added)."""
    from ray.tune.schedulers import HyperBandForBOHB, HyperBandScheduler

    spec = (schedulers.hyperband_for_bohb if bohb else schedulers.hyperband)(
        max_t=max_t, reduction_factor=eta)
    per_band = spec.brackets()
    n = 2 * sum(b.size for b in per_band) + 1  # two bands and one trial of a third
    ray_side = _ray_brackets(HyperBandForBOHB if bohb else HyperBandScheduler, max_t, eta, n)
    ours, left = [], n
    while left > 0:
        for b in per_band:
            if left <= 0:
                break
            ours.append((b.milestones[0], b.size, min(b.size, left)))
            left -= b.size
    assert ours == ray_side


def test_hyperband_trial_iterations_follow_successive_halving():
    spec = schedulers.hyperband(max_t=9, reduction_factor=3)
    assert [(b.size, b.milestones, b.keep) for b in spec.brackets()] == [
        (3, (9,), ()), (5, (3, 9), (2,)), (9, (1, 3, 9), (3, 1))]
    reached = spec.trial_iterations(3 + 5 + 9)
    assert [m[-1] for m in reached] == [9, 9, 9, 9, 9, 3, 3, 3, 9, 3, 3] + [1] * 6
    # A bracket short of trials keeps them all while they fit its keep counts.
    assert spec.trial_iterations(3 + 2) == [[9], [9], [9], [3, 9], [3, 9]]
    assert spec.expected_iterations(5) == 9.0
    assert spec.expected_iterations(5, resumed=False) == (9 * 3 + 12 * 2) / 5
    assert spec.expected_iterations(5, cap=4) == (4 * 3 + 4 * 2) / 5
    assert spec.expected_iterations(0) == 0.0


@pytest.mark.parametrize(("name", "words"), [
    ("pbt", "population-based training needs its perturbation interval and mutations"),
    ("pb2", "PB2 needs its perturbation interval and bounds"),
    ("median_stopping_rule", "the median stopping rule is not supported yet"),
    ("medianstopping", "the median stopping rule is not supported yet"),
    ("pbt_replay", "is not supported"),
    ("resource_changing", "is not supported"),
    ("hb_bohb", "raysweep calls Ray's HyperBandForBOHB 'hyperband_for_bohb'"),
    ("async_hyperband", "raysweep calls Ray's AsyncHyperBandScheduler 'asha'"),
])
def test_unsupported_ray_scheduler_names_are_refused_by_name(name, words):
    with pytest.raises(ConfigError) as info:
        schedulers.from_name(name)
    message = str(info.value)
    assert message.startswith("The 'scheduler' parameter of Sweep must be one of 'asha', 'fifo', "
                              "'hyperband', 'hyperband_for_bohb' or a spec from raysweep.schedulers. "
                              f"Got {name!r} instead. scheduler={name!r}: ")
    assert words in message
    assert "schedulers." in message.split(words)[1]  # the alternative follows


def test_a_ray_scheduler_object_is_refused_with_the_spec_to_use():
    from ray.tune.schedulers import ASHAScheduler

    with pytest.raises(ConfigError, match=r"A Ray scheduler object \(AsyncHyperBandScheduler\) is not "
                                          r"accepted.*schedulers\.asha\("):
        schedulers.from_name(ASHAScheduler())
