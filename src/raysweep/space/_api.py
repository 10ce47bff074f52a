"""Public constructors of search-space dimensions, named and bounded as in Ray Tune."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, raise_all
from raysweep.space._conditional import Conditional, holds_dimension
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


def choice(values: Sequence[Any]) -> Any:
    """One of ``values``: sampled by random, TPE and Optuna search, enumerated by grid search.

    Dicts that hold dimensions make it a conditional space (a :class:`Conditional`): a choice between
    sub-spaces, each sampled only when chosen, e.g. ``choice([{"kind": "svm", "C": loguniform(1e-3,
    1e3)}, {"kind": "rf", "depth": randint(2, 12)}])``. Ray Tune's domains inside them are converted.
    """
    options = _as_tuple(values, "choice")
    if any(holds_dimension(v) or _holds_ray(v) for v in options):
        from raysweep.space._ray import convert_ray

        problems: list[str | None] = []
        branches = tuple(convert_ray(v, f"values[{i}]", "space.choice", problems)
                         for i, v in enumerate(options))
        raise_all(problems, "space.choice")
        return Conditional(branches)
    return Categorical(options, kind="choice")


def grid(values: Sequence[Any]) -> Categorical:
    """Values every trial is crossed with, as Ray Tune's ``grid_search``: grid search enumerates them
    with the other dimensions; random, TPE and Optuna search run ``num_samples`` trials for each of
    them (for each cell of several ``grid`` dimensions)."""
    return Categorical(_as_tuple(values, "grid"), grid=True, kind="grid")


def _holds_ray(value: Any) -> bool:
    from raysweep.space._ray import is_ray_domain

    return isinstance(value, dict) and any(is_ray_domain(v) or _holds_ray(v) for v in value.values())


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
