"""``Objective`` decides which value is better, for every layer that compares metric values."""

from __future__ import annotations

import math

import pytest

from raysweep import ConfigError
from raysweep.results import Objective, RunStatus, TrialStatus


@pytest.mark.parametrize(("mode", "a", "b", "expected"), [
    ("max", 0.2, 0.1, True), ("max", 0.1, 0.2, False), ("min", 0.1, 0.2, True),
    ("min", 0.2, 0.1, False), ("min", 0.1, 0.1, False), ("max", -3.0, None, True),
])
def test_better_follows_the_mode(mode, a, b, expected):
    assert Objective("m", mode).better(a, b) is expected


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("mode", ["min", "max"])
def test_non_finite_values_never_win(mode, bad):
    objective = Objective("m", mode)
    assert not objective.better(bad, 1.0)
    assert objective.better(1.0, bad)


def test_best_skips_non_finite_values_and_is_none_when_nothing_is_finite():
    assert Objective("loss", "min").best([0.3, math.nan, 0.1, -math.inf, None]) == 0.1
    assert Objective("acc", "max").best([0.3, math.inf, 0.5]) == 0.5
    assert Objective("acc", "max").best([math.nan, None]) is None


def test_ascending_and_worst_follow_the_mode():
    assert Objective("loss", "min").ascending and Objective("loss", "min").worst == math.inf
    assert not Objective("acc", "max").ascending and Objective("acc", "max").worst == -math.inf


def test_bad_mode_is_a_config_error_in_the_template():
    with pytest.raises(ConfigError, match=r"The 'mode' parameter of Objective must be one of 'min', "
                                          r"'max'\. Got 'maximise' instead\."):
        Objective("acc", "maximise")  # type: ignore[arg-type]


def test_statuses_are_plain_strings():
    assert TrialStatus.EARLY_STOPPED == "early_stopped"
    assert f"{RunStatus.CRASHED}" == "crashed"
