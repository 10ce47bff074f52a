"""Search-space dimensions: immutable, validated when built, free of Ray.

Integer bounds follow Ray Tune's conventions so that Ray users read them the same way: ``randint`` and
``lograndint`` exclude ``upper``; ``qrandint`` includes it. Internally every integer dimension is stored with
an inclusive upper bound (``high``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, cast

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["Categorical", "Domain", "Float", "Integer"]


class Domain:
    """Base class of every search-space dimension."""

    kind: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, the form stored with every run."""
        raise NotImplementedError

    def describe(self) -> str:
        """One-line human description, as ``raysweep plan`` prints it."""
        raise NotImplementedError


def _number(value: Any, param: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ConfigError(invalid_parameter(param, owner, "a finite number", value))
    return cast(float, value)  # an int bound stays an int, as the user wrote it


def _integer(value: Any, param: str, owner: str) -> int:
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or int(value) != value):
        raise ConfigError(invalid_parameter(param, owner, "an integer", value))
    return int(value)


def _check_order(lower: float, upper: float, owner: str, strict: bool = True) -> None:
    if lower > upper or (strict and lower == upper):
        relation = "less than" if strict else "at most"
        raise ConfigError(
            invalid_parameter(
                "lower", owner, f"{relation} upper={upper!r}", lower,
                "Swap the bounds or widen the range.",
            )
        )


def _check_log(lower: float, owner: str) -> None:
    if lower <= 0:
        raise ConfigError(
            invalid_parameter(
                "lower", owner, "greater than 0 for a log-scaled dimension", lower,
                "Use a positive lower bound such as 1e-6, or a linear dimension.",
            )
        )


def _check_q(q: float, owner: str) -> None:
    if q <= 0:
        raise ConfigError(invalid_parameter("q", owner, "greater than 0", q))


@dataclass(frozen=True)
class Float(Domain):
    """A continuous dimension on ``[lower, upper]``, optionally log-scaled and/or quantised."""

    lower: float
    upper: float
    log: bool = False
    q: float | None = None
    kind: str = field(default="uniform", compare=False)

    def __post_init__(self) -> None:
        owner = f"space.{self.kind}"
        _number(self.lower, "lower", owner)
        _number(self.upper, "upper", owner)
        _check_order(self.lower, self.upper, owner)
        if self.log:
            _check_log(self.lower, owner)
        if self.q is not None:
            _check_q(_number(self.q, "q", owner), owner)
            for name, bound in (("lower", self.lower), ("upper", self.upper)):
                if not math.isclose(bound / self.q, round(bound / self.q), abs_tol=1e-9):
                    raise ConfigError(
                        invalid_parameter(name, owner, f"a multiple of q={self.q!r}", bound,
                                          "Ray Tune requires bounds divisible by q.")
                    )

    def to_dict(self) -> dict[str, Any]:
        out = {"type": self.kind, "lower": self.lower, "upper": self.upper}
        return out if self.q is None else {**out, "q": self.q}

    def describe(self) -> str:
        q = f", q={self.q:g}" if self.q is not None else ""
        return f"{self.kind}({self.lower:g}, {self.upper:g}{q})"


@dataclass(frozen=True)
class Integer(Domain):
    """An integer dimension on ``[low, high]`` (both inclusive), optionally log-scaled or stepped."""

    low: int
    high: int
    log: bool = False
    q: int | None = None
    kind: str = field(default="randint", compare=False)

    def __post_init__(self) -> None:
        owner = f"space.{self.kind}"
        object.__setattr__(self, "low", _integer(self.low, "lower", owner))
        object.__setattr__(self, "high", _integer(self.high, "upper", owner))
        if self.high < self.low:
            inclusive = self.kind == "qrandint"
            upper = self.high if inclusive else self.high + 1
            expected = f"at most upper={upper!r}" if inclusive else f"less than upper (exclusive)={upper!r}"
            raise ConfigError(
                invalid_parameter(
                    "lower", owner, expected, self.low,
                    "Swap the bounds or widen the range.",
                )
            )
        if self.log:
            _check_log(self.low, owner)
        if self.q is not None:
            if _integer(self.q, "q", owner) < 1:
                raise ConfigError(invalid_parameter("q", owner, "a positive integer", self.q))

    @property
    def upper(self) -> int:
        """The upper bound as the user wrote it (exclusive for randint/lograndint)."""
        return self.high if self.kind == "qrandint" else self.high + 1

    def to_dict(self) -> dict[str, Any]:
        out = {"type": self.kind, "lower": self.low, "upper": self.upper}
        return out if self.q is None else {**out, "q": self.q}

    def describe(self) -> str:
        q = f", q={self.q}" if self.q is not None else ""
        return f"{self.kind}({self.low}, {self.upper}{q})"


@dataclass(frozen=True)
class Categorical(Domain):
    """A finite set of values: sampled by random/TPE; enumerated by grid (``grid=True`` marks
    dimensions the user declared with :func:`raysweep.space.grid`)."""

    values: tuple[Any, ...]
    grid: bool = False
    kind: str = field(default="choice", compare=False)

    def __post_init__(self) -> None:
        owner = f"space.{self.kind}"
        if len(self.values) == 0:
            raise ConfigError(
                invalid_parameter("values", owner, "a non-empty list", list(self.values),
                                  "List at least one value.")
            )
        seen: list[str] = []
        for value in self.values:
            key = _json_key(value, owner)
            if key in seen:
                raise ConfigError(
                    invalid_parameter("values", owner, "a list of distinct values",
                                      list(self.values), f"{value!r} appears twice.")
                )
            seen.append(key)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "values": list(self.values)}

    def describe(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:6])
        more = f", ... ({len(self.values)} values)" if len(self.values) > 6 else ""
        return f"{self.kind}([{shown}{more}])"


def _json_key(value: Any, owner: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise ConfigError(
            invalid_parameter("values", owner, "JSON-serialisable (numbers, strings, booleans, "
                              "None, lists or dicts of those)", value)
        ) from None
