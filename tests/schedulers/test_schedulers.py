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
                             "time_attr": "training_iteration"}


def test_asha_params_are_what_was_passed():
    spec = schedulers.asha(max_t=20, grace_period=2, reduction_factor=3, brackets=2,
                           time_attr="epoch")
    assert spec.params() == {"max_t": 20, "grace_period": 2, "reduction_factor": 3, "brackets": 2,
                             "time_attr": "epoch"}
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
    valid = "max_t, grace_period, reduction_factor, brackets, time_attr"
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


@pytest.mark.parametrize("bad", ["ASHA", "hyperband", "", 3, ASHA])
def test_from_name_rejects_anything_else(bad):
    with pytest.raises(ConfigError) as info:
        schedulers.from_name(bad)
    message = str(info.value)
    assert "'scheduler' parameter of Sweep" in message
    assert "one of 'asha', 'fifo'" in message
    assert f"Got {bad!r} instead" in message
