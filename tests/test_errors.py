"""The error hierarchy and the one message template."""

from __future__ import annotations

import pytest

from raysweep import (
    ClusterError,
    ConfigError,
    ExecutionError,
    RaysweepError,
    StorageError,
    SweepNotFoundError,
)
from raysweep._errors import invalid_parameter, reject_unknown


def test_every_error_derives_from_the_root():
    for cls in (ConfigError, SweepNotFoundError, StorageError, ClusterError, ExecutionError):
        assert issubclass(cls, RaysweepError)
    assert issubclass(RaysweepError, Exception)


def test_config_errors_are_value_errors():
    # Callers that catch ValueError for bad input keep working.
    assert issubclass(ConfigError, ValueError)
    assert issubclass(SweepNotFoundError, ConfigError)
    assert issubclass(SweepNotFoundError, LookupError)


@pytest.mark.parametrize("cls", [StorageError, ClusterError, ExecutionError])
def test_runtime_errors_are_not_config_errors(cls):
    assert not issubclass(cls, ConfigError)
    assert not issubclass(cls, ValueError)


_LEAVES = (SweepNotFoundError, StorageError, ClusterError, ExecutionError)


@pytest.mark.parametrize("raised", _LEAVES)
@pytest.mark.parametrize("caught", _LEAVES)
def test_a_handler_for_one_kind_never_catches_another(raised, caught):
    """The CLI maps each kind to its own exit status, so no kind may be caught as a sibling."""
    if raised is caught:
        with pytest.raises(caught):
            raise raised("x")
        return
    with pytest.raises(raised):
        try:
            raise raised("x")
        except caught:  # pragma: no cover - reaching this is the failure
            pytest.fail(f"{raised.__name__} was caught as {caught.__name__}")


def test_invalid_parameter_follows_the_template():
    message = invalid_parameter("mode", "Sweep", "one of 'min', 'max'", "maximise")
    assert message == (
        "The 'mode' parameter of Sweep must be one of 'min', 'max'. Got 'maximise' instead."
    )


def test_invalid_parameter_appends_the_fix():
    message = invalid_parameter("q", "space.quniform", "greater than 0", -1, "Use q=0.1.")
    assert message == (
        "The 'q' parameter of space.quniform must be greater than 0. Got -1 instead. Use q=0.1."
    )


def test_invalid_parameter_shows_the_repr_of_what_was_received():
    assert "Got None instead" in invalid_parameter("x", "Owner", "set", None)
    assert "Got [1, 'a'] instead" in invalid_parameter("x", "Owner", "set", [1, "a"])
    assert "Got '5' instead" in invalid_parameter("x", "Owner", "an int", "5")


def test_invalid_parameter_shortens_long_values_to_80_characters():
    value = "v" * 500
    message = invalid_parameter("x", "Owner", "short", value)
    shown = message.split("Got ", 1)[1].rsplit(" instead.", 1)[0]
    assert len(shown) == 80
    assert shown.endswith("...")
    assert shown.startswith("'vvv")


def test_a_value_of_exactly_80_characters_is_shown_whole():
    value = "v" * 78  # repr adds two quotes: 80 characters
    assert f"Got {value!r} instead" in invalid_parameter("x", "Owner", "short", value)


def test_reject_unknown_accepts_no_unknowns():
    assert reject_unknown("searchers.tpe", {}, ["seed"]) is None


def test_reject_unknown_names_every_unknown_with_a_did_you_mean_and_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        reject_unknown("searchers.tpe", {"foo": 1, "gama": 2}, ["seed", "gamma"])
    assert str(info.value) == (
        "2 problems in searchers.tpe:\n"
        "  - 'foo' is not a parameter of searchers.tpe. Got foo=1. Valid parameters: seed, gamma.\n"
        "  - 'gama' is not a parameter of searchers.tpe. Got gama=2. Did you mean 'gamma'? "
        "Valid parameters: seed, gamma."
    )


def test_reject_unknown_with_one_unknown_is_one_line():
    with pytest.raises(ConfigError) as info:
        reject_unknown("schedulers.asha", {"max_tt": 5}, ["max_t", "grace_period"])
    assert str(info.value) == ("'max_tt' is not a parameter of schedulers.asha. Got max_tt=5. "
                               "Did you mean 'max_t'? Valid parameters: max_t, grace_period.")


def test_reject_unknown_shortens_long_values():
    with pytest.raises(ConfigError) as info:
        reject_unknown("x", {"big": list(range(1000))}, ["a"])
    assert len(str(info.value)) < 200
