"""Dimension constructors: valid forms, Ray's integer-bound conventions, every rejected input."""

from __future__ import annotations

import json
import math

import pytest

from raysweep import ConfigError, space
from raysweep.space import Categorical, Float, Integer
from tests._asserts import assert_invalid

INF = float("inf")
NAN = float("nan")


# ---------------------------------------------------------------- floats


@pytest.mark.parametrize(
    ("make", "kind", "log", "q"),
    [
        (lambda: space.uniform(-1.5, 2.0), "uniform", False, None),
        (lambda: space.loguniform(1e-4, 1e-1), "loguniform", True, None),
        (lambda: space.quniform(0.0, 1.0, 0.25), "quniform", False, 0.25),
        (lambda: space.qloguniform(1.0, 100.0, 1.0), "qloguniform", True, 1.0),
    ],
)
def test_float_constructors_record_kind_log_and_q(make, kind, log, q):
    dim = make()
    assert isinstance(dim, Float)
    assert (dim.kind, dim.log, dim.q) == (kind, log, q)


def test_uniform_to_dict_and_describe():
    dim = space.uniform(-1.5, 2.0)
    assert dim.to_dict() == {"type": "uniform", "lower": -1.5, "upper": 2.0}
    assert dim.describe() == "uniform(-1.5, 2)"
    json.dumps(dim.to_dict())


def test_loguniform_to_dict_and_describe():
    dim = space.loguniform(1e-4, 1e-1)
    assert dim.to_dict() == {"type": "loguniform", "lower": 1e-4, "upper": 1e-1}
    assert dim.describe() == "loguniform(0.0001, 0.1)"


def test_quantised_floats_carry_q_in_to_dict_and_describe():
    dim = space.quniform(0.0, 1.0, 0.25)
    assert dim.to_dict() == {"type": "quniform", "lower": 0.0, "upper": 1.0, "q": 0.25}
    assert dim.describe() == "quniform(0, 1, q=0.25)"
    log_dim = space.qloguniform(1.0, 100.0, 1.0)
    assert log_dim.to_dict() == {"type": "qloguniform", "lower": 1.0, "upper": 100.0, "q": 1.0}


def test_float_dimensions_are_frozen_and_compare_by_value():
    assert space.uniform(0, 1) == space.uniform(0, 1)
    assert space.uniform(0, 1) != space.uniform(0, 2)
    with pytest.raises(AttributeError):
        space.uniform(0, 1).lower = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "param", "got"),
    [
        (lambda: space.uniform(2.0, 1.0), "lower", "2.0"),
        (lambda: space.uniform(1.0, 1.0), "lower", "1.0"),
        (lambda: space.loguniform(0.1, 1e-3), "lower", "0.1"),
        (lambda: space.quniform(5, 5, 1), "lower", "5"),
    ],
)
def test_float_lower_must_be_below_upper(make, param, got):
    message = assert_invalid(make, param, got=got)
    assert "less than upper=" in message


@pytest.mark.parametrize("lower", [0, 0.0, -1e-3])
@pytest.mark.parametrize("make", [space.loguniform, lambda lo, hi: space.qloguniform(lo, hi, 1e-3)])
def test_log_floats_need_a_positive_lower_bound(make, lower):
    message = assert_invalid(lambda: make(lower, 1.0), "lower", got=repr(lower))
    assert "greater than 0 for a log-scaled dimension" in message


@pytest.mark.parametrize("q", [0, 0.0, -0.5])
def test_quniform_q_must_be_positive(q):
    assert_invalid(lambda: space.quniform(0.0, 1.0, q), "q", "space.quniform", got=repr(q))


@pytest.mark.parametrize(
    ("lower", "upper", "param", "got"),
    [
        (0.0, INF, "upper", "inf"),
        (-INF, 1.0, "lower", "-inf"),
        (NAN, 1.0, "lower", "nan"),
        (0.0, NAN, "upper", "nan"),
    ],
)
def test_float_bounds_must_be_finite(lower, upper, param, got):
    assert_invalid(lambda: space.uniform(lower, upper), param, "space.uniform",
                   expected="a finite number", got=got)


def test_quniform_q_must_be_finite():
    assert_invalid(lambda: space.quniform(0.0, 1.0, INF), "q", "space.quniform",
                   expected="a finite number")


@pytest.mark.parametrize(
    ("lower", "upper", "param", "got"),
    [(True, 2.0, "lower", "True"), (0.0, True, "upper", "True"), ("0", 1.0, "lower", "'0'"),
     (None, 1.0, "lower", "None")],
)
def test_float_bounds_reject_bools_and_non_numbers(lower, upper, param, got):
    assert_invalid(lambda: space.uniform(lower, upper), param, "space.uniform", got=got)


def test_quniform_q_rejects_bool():
    assert_invalid(lambda: space.quniform(0.0, 1.0, True), "q", "space.quniform", got="True")


@pytest.mark.parametrize(
    ("make", "param"),
    [
        (lambda: space.quniform(0.1, 1.0, 0.25), "lower"),
        (lambda: space.quniform(0.0, 1.0, 0.3), "upper"),
        (lambda: space.qloguniform(1.0, 100.0, 3.0), "lower"),
    ],
)
def test_quantised_float_bounds_must_be_multiples_of_q(make, param):
    with pytest.raises(ConfigError, match=f"'{param}' parameter"):
        make()


# ---------------------------------------------------------------- integers


def test_randint_upper_is_exclusive_like_ray():
    dim = space.randint(0, 3)
    assert isinstance(dim, Integer)
    assert (dim.low, dim.high, dim.upper) == (0, 2, 3)
    assert dim.to_dict() == {"type": "randint", "lower": 0, "upper": 3}
    assert dim.describe() == "randint(0, 3)"


def test_randint_with_a_single_value_is_valid():
    dim = space.randint(4, 5)
    assert (dim.low, dim.high) == (4, 4)


def test_lograndint_upper_is_exclusive_like_ray():
    dim = space.lograndint(1, 100)
    assert (dim.low, dim.high, dim.upper, dim.log) == (1, 99, 100, True)
    assert dim.to_dict() == {"type": "lograndint", "lower": 1, "upper": 100}
    assert dim.describe() == "lograndint(1, 100)"


def test_qrandint_upper_is_inclusive_like_ray():
    dim = space.qrandint(16, 512, 16)
    assert (dim.low, dim.high, dim.upper, dim.q) == (16, 512, 512, 16)
    assert dim.to_dict() == {"type": "qrandint", "lower": 16, "upper": 512, "q": 16}
    assert dim.describe() == "qrandint(16, 512, q=16)"


def test_qrandint_defaults_to_q_1_and_allows_equal_bounds():
    assert space.qrandint(0, 10).q == 1
    dim = space.qrandint(5, 5)
    assert (dim.low, dim.high) == (5, 5)


def test_integral_floats_are_accepted_as_integer_bounds():
    dim = space.randint(0.0, 3.0)
    assert (int(dim.low), int(dim.high)) == (0, 2)


@pytest.mark.parametrize(("lower", "upper"), [(3, 3), (5, 2)])
@pytest.mark.parametrize("make", [space.randint, space.lograndint])
def test_exclusive_integer_ranges_must_not_be_empty(make, lower, upper):
    message = assert_invalid(lambda: make(lower, upper), "lower", got=str(lower))
    # The message quotes the bound as the user wrote it, not the internal inclusive one.
    assert f"less than upper (exclusive)={upper}" in message


def test_qrandint_lower_above_upper_is_rejected():
    message = assert_invalid(lambda: space.qrandint(6, 5), "lower", "space.qrandint", got="6")
    assert "upper=5" in message


def test_qrandint_message_says_at_most():
    with pytest.raises(ConfigError, match="at most upper=5"):
        space.qrandint(6, 5)


@pytest.mark.parametrize("lower", [0, -2])
def test_lograndint_needs_a_positive_lower_bound(lower):
    message = assert_invalid(lambda: space.lograndint(lower, 10), "lower", "space.lograndint")
    assert "greater than 0" in message


@pytest.mark.parametrize(("q", "got"), [(0, "0"), (-4, "-4"), (2.5, "2.5"), (True, "True")])
def test_qrandint_q_must_be_a_positive_integer(q, got):
    assert_invalid(lambda: space.qrandint(0, 10, q), "q", "space.qrandint", got=got)


@pytest.mark.parametrize(
    ("make", "param", "got"),
    [
        (lambda: space.randint(True, 5), "lower", "True"),
        (lambda: space.randint(0, True), "upper", "True"),
        (lambda: space.qrandint(0, False), "upper", "False"),
        (lambda: space.randint(0.5, 5), "lower", "0.5"),
        (lambda: space.qrandint(0, 7.5), "upper", "7.5"),
        (lambda: space.randint("0", 5), "lower", "'0'"),
        (lambda: space.randint(0, "5"), "upper", "'5'"),
    ],
)
def test_integer_bounds_must_be_integers(make, param, got):
    message = assert_invalid(make, param, got=got)
    assert "an integer" in message


def test_randint_fractional_upper_is_reported_as_written():
    with pytest.raises(ConfigError, match=r"'upper' parameter of space.randint.*Got 2\.5 instead"):
        space.randint(0, 2.5)


@pytest.mark.parametrize(
    ("make", "param"),
    [
        (lambda: space.randint(0, INF), "upper"),
        (lambda: space.qrandint(0, INF), "upper"),
        (lambda: space.randint(-INF, 3), "lower"),
        (lambda: space.randint(0, NAN), "upper"),
        (lambda: space.qrandint(NAN, 3), "lower"),
    ],
)
def test_integer_bounds_must_be_finite(make, param):
    with pytest.raises(ConfigError, match=f"'{param}' parameter"):
        make()


# ---------------------------------------------------------------- categoricals


def test_choice_keeps_values_in_order():
    dim = space.choice([16, 32, 64])
    assert isinstance(dim, Categorical)
    assert dim.values == (16, 32, 64)
    assert dim.grid is False
    assert dim.to_dict() == {"type": "choice", "values": [16, 32, 64]}
    assert dim.describe() == "choice([16, 32, 64])"


def test_choice_accepts_tuples_ranges_and_json_values():
    assert space.choice((1, 2)).values == (1, 2)
    assert space.choice(range(3)).values == (0, 1, 2)
    values = ["adam", None, True, 1.5, [1, 2], {"k": 1}]
    mixed = space.choice(values)
    assert json.loads(json.dumps(mixed.to_dict()))["values"] == values


def test_choice_single_value_is_valid():
    assert space.choice(["only"]).values == ("only",)


def test_choice_describe_abbreviates_long_lists():
    dim = space.choice(list(range(10)))
    assert dim.describe() == "choice([0, 1, 2, 3, 4, 5, ... (10 values)])"


def test_grid_marks_the_dimension_for_enumeration():
    dim = space.grid(["a", "b"])
    assert isinstance(dim, Categorical)
    assert dim.grid is True
    assert dim.kind == "grid"
    assert dim.to_dict() == {"type": "grid", "values": ["a", "b"]}
    assert dim.describe() == "grid(['a', 'b'])"


@pytest.mark.parametrize("make", [space.choice, space.grid])
def test_categorical_rejects_empty_lists(make):
    message = assert_invalid(lambda: make([]), "values", got="[]")
    assert "non-empty list" in message


@pytest.mark.parametrize(
    "values", [[1, 2, 1], ["a", "a"], [[1, 2], [1, 2]], [{"a": 1, "b": 2}, {"b": 2, "a": 1}]]
)
def test_categorical_rejects_duplicates(values):
    message = assert_invalid(lambda: space.choice(values), "values", "space.choice")
    assert "distinct values" in message
    assert "appears twice" in message


def test_distinct_json_values_that_python_deems_equal_are_kept():
    # True == 1 == 1.0 in Python, but they are different values to store and to pass to a trainable.
    assert space.choice([1, 1.0, True]).values == (1, 1.0, True)


@pytest.mark.parametrize("bad", [lambda x: x, object(), {1, 2}, float("nan")])
def test_categorical_rejects_values_that_are_not_json(bad):
    message = assert_invalid(lambda: space.choice([1, bad]), "values", "space.choice")
    assert "JSON-serialisable" in message


@pytest.mark.parametrize(
    ("values", "got"),
    [("abc", "'abc'"), (b"ab", "b'ab'"), ({"a": 1}, "{'a': 1}"), (5, "5"), (None, "None")],
)
@pytest.mark.parametrize("make", [space.choice, space.grid])
def test_categorical_rejects_non_lists(make, values, got):
    with pytest.raises(ConfigError) as info:
        make(values)
    message = str(info.value)
    assert f"'values' parameter of space.{make.__name__}" in message
    assert "a list of values" in message
    assert f"Got {got} instead" in message


def test_categorical_rejects_generators():
    with pytest.raises(ConfigError, match="a list of values"):
        space.choice(x for x in [1, 2])


def test_every_dimension_is_json_ready():
    dims = [space.uniform(0, 1), space.loguniform(1e-3, 1), space.quniform(0, 1, 0.5),
            space.qloguniform(1, 8, 1), space.randint(0, 3), space.qrandint(0, 8, 2),
            space.lograndint(1, 9), space.choice([1, "a"]), space.grid([None])]
    for dim in dims:
        assert json.loads(json.dumps(dim.to_dict())) == dim.to_dict()
        assert dim.to_dict()["type"] == dim.kind
        assert isinstance(dim.describe(), str) and dim.describe().startswith(dim.kind + "(")


def test_loguniform_bounds_span_the_log_range():
    dim = space.loguniform(1e-6, 1e-2)
    assert math.log10(dim.upper) - math.log10(dim.lower) == pytest.approx(4)
