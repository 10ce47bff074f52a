"""Public constructors of search-space dimensions, named and bounded as in Ray Tune."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.space._domains import Categorical, Float, Integer

__all__ = [
    "choice", "grid", "lograndint", "loguniform", "qloguniform", "qrandint", "quniform", "randint",
    "uniform",
]


def uniform(lower: float, upper: float) -> Float:
    """A float sampled uniformly from ``[lower, upper]``."""
    return Float(lower, upper, kind="uniform")


def loguniform(lower: float, upper: float) -> Float:
    """A float sampled uniformly in log space from ``[lower, upper]``; ``lower > 0``."""
    return Float(lower, upper, log=True, kind="loguniform")


def quniform(lower: float, upper: float, q: float) -> Float:
    """A float from ``[lower, upper]`` rounded to a multiple of ``q``."""
    return Float(lower, upper, q=q, kind="quniform")


def qloguniform(lower: float, upper: float, q: float) -> Float:
    """A log-uniform float rounded to a multiple of ``q``; ``lower > 0``."""
    return Float(lower, upper, log=True, q=q, kind="qloguniform")


def randint(lower: int, upper: int) -> Integer:
    """An integer from ``[lower, upper)`` (``upper`` excluded, as in Ray Tune)."""
    return Integer(lower, _minus_one(upper, "randint"), kind="randint")


def qrandint(lower: int, upper: int, q: int = 1) -> Integer:
    """An integer from ``[lower, upper]`` (``upper`` included, as in Ray Tune), a multiple of ``q``."""
    return Integer(lower, upper, q=q, kind="qrandint")


def lograndint(lower: int, upper: int) -> Integer:
    """An integer from ``[lower, upper)`` sampled uniformly in log space; ``lower > 0``."""
    return Integer(lower, _minus_one(upper, "lograndint"), log=True, kind="lograndint")


def choice(values: Sequence[Any]) -> Categorical:
    """One of ``values``: sampled by random and TPE search, enumerated by grid search."""
    return Categorical(_as_tuple(values, "choice"), kind="choice")


def grid(values: Sequence[Any]) -> Categorical:
    """Values to enumerate in grid search; random and TPE search sample them as a categorical."""
    return Categorical(_as_tuple(values, "grid"), grid=True, kind="grid")


def _as_tuple(values: Any, name: str) -> tuple[Any, ...]:
    if isinstance(values, str | bytes | dict) or not isinstance(values, Sequence):
        raise ConfigError(
            invalid_parameter("values", f"space.{name}", "a list of values", values,
                              f"Write space.{name}([a, b, c]).")
        )
    return tuple(values)


def _minus_one(upper: Any, name: str) -> Any:
    if (isinstance(upper, bool) or not isinstance(upper, int | float) or not math.isfinite(upper)
            or int(upper) != upper):
        raise ConfigError(invalid_parameter("upper", f"space.{name}", "an integer", upper))
    return int(upper) - 1
