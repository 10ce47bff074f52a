"""Ray Tune's own search-space API in a space, converted to raysweep's dimensions (Ray not imported).

Ray's domains are recognised by their class's module (``ray.tune.search.sample``) and read through
their public attributes: ``Float``/``Integer`` have ``lower``, ``upper`` and ``get_sampler()`` (a
``Uniform``, ``LogUniform``, ``Normal``, or a ``Quantized`` with ``q`` wrapping one of those);
``Categorical`` has ``categories``; ``tune.grid_search(values)`` is the dict ``{"grid_search": values}``.

=============================  ==========================================================
Ray Tune                       raysweep
=============================  ==========================================================
``uniform(lo, hi)``            ``space.uniform(lo, hi)``
``loguniform(lo, hi)``         ``space.loguniform(lo, hi)``
``quniform(lo, hi, q)``        ``space.quniform(lo, hi, q)`` (rounded to a multiple of q)
``qloguniform(lo, hi, q)``     ``space.qloguniform(lo, hi, q)``
``randint(lo, hi)``            ``space.randint(lo, hi)``: ``[lo, hi)``, the same convention
``lograndint(lo, hi)``         ``space.lograndint(lo, hi)``: ``[lo, hi)``
``qrandint(lo, hi, 1)``        ``space.randint(lo, hi)``: Ray excludes ``hi`` when ``q == 1``
``qrandint(lo, hi, q)``        ``space.qrandint(lo', hi', q)``: the multiples of q in [lo, hi]
``choice([...])``              ``space.choice([...])`` (dicts holding domains: conditional)
``grid_search([...])``         ``space.grid([...])``
``randn``, ``qrandn``          refused: no raysweep equivalent
``qlograndint``                refused: use ``lograndint`` or ``qrandint``
``sample_from(fn)``            refused: a function cannot be stored with the run
=============================  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["convert_ray", "from_ray", "is_ray_domain"]

_RAY_SAMPLE = "ray.tune.search.sample"
_SUPPORTED = ("Ray Tune's uniform, loguniform, quniform, qloguniform, randint, qrandint, lograndint, "
              "choice or grid_search, a raysweep.space dimension, or a JSON-serialisable constant")


class _Shown(str):
    """Text shown as is in the error template's ``Got ... instead``."""

    def __repr__(self) -> str:
        return str(self)


def is_ray_domain(value: Any) -> bool:
    """True for one of Ray Tune's search-space domains (``tune.uniform(...)`` and the like)."""
    return any(cls.__module__ == _RAY_SAMPLE and cls.__name__ == "Domain" for cls in type(value).__mro__)


def _is_grid_search(value: Any) -> bool:
    return isinstance(value, Mapping) and list(value) == ["grid_search"]


def from_ray(space: Mapping[str, Any], owner: str = "Sweep") -> tuple[dict[str, Any], list[str]]:
    """``space`` with Ray Tune's domains replaced by raysweep's, and every conversion problem.

    A domain that cannot be converted becomes ``None`` in the returned space (its problem is listed).
    """
    problems: list[str | None] = []
    converted = convert_ray(space, "", owner, problems)
    return converted, [p for p in problems if p]


def convert_ray(value: Any, where: str, owner: str, problems: list[str | None]) -> Any:
    """``value`` with Ray's domains converted; problems appended to ``problems``."""
    if _is_grid_search(value):
        return _grid(value["grid_search"], where, owner, problems)
    if isinstance(value, Mapping):
        return {key: convert_ray(item, _join(where, key), owner, problems)
                for key, item in value.items()}
    if is_ray_domain(value):
        try:
            return _domain(value, where, owner, problems)
        except ConfigError as exc:
            problems.append(f"{exc} (converting Ray Tune's {_ray_name(value)} at space[{where!r}])")
            return None
    return value


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _class_names(obj: Any) -> set[str]:
    return {cls.__name__ for cls in type(obj).__mro__}


def _ray_name(value: Any) -> str:
    return f"tune.{type(value).__name__}"


def _grid(values: Any, where: str, owner: str, problems: list[str | None]) -> Any:
    from raysweep.space._api import grid

    if any(is_ray_domain(v) or _is_grid_search(v) for v in values or ()):
        problems.append(invalid_parameter(
            f"space[{where!r}]", owner, "a grid_search over constants", _Shown("grid_search over domains"),
            "Ray's grid_search of domains is not supported: grid a constant, and give the domain "
            "its own key."))
        return None
    try:
        return grid(list(values) if isinstance(values, tuple) else values)
    except ConfigError as exc:
        problems.append(f"{exc} (converting Ray Tune's grid_search at space[{where!r}])")
        return None


def _refuse(where: str, owner: str, shown: str, fix: str, problems: list[str | None]) -> None:
    problems.append(invalid_parameter(f"space[{where!r}]", owner, _SUPPORTED, _Shown(shown), fix))


def _domain(value: Any, where: str, owner: str, problems: list[str | None]) -> Any:
    from raysweep import space

    names = _class_names(value)
    if "Function" in names:
        func = getattr(value, "func", None)
        shown = f"tune.sample_from({getattr(func, '__name__', func)})"
        _refuse(where, owner, shown, "tune.sample_from is not supported: its function cannot be "
                "stored with the run's space, nor searched by TPE or Optuna. Compute a value derived "
                "from other parameters inside the trainable (from config); for parameters that exist "
                "only with some choice use a conditional space, space.choice([{...}, {...}]).",
                problems)
        return None
    if "Categorical" in names:
        categories = list(value.categories)
        sampler = value.get_sampler()
        if "Grid" in _class_names(sampler):
            return _grid(categories, where, owner, problems)
        branches = [convert_ray(c, f"{where}[{i}]", owner, problems) for i, c in enumerate(categories)]
        return space.choice(branches)
    sampler = value.get_sampler()
    q = None
    if "Quantized" in _class_names(sampler):
        q, sampler = sampler.q, sampler.get_sampler()
    kinds = _class_names(sampler)
    lower, upper = value.lower, value.upper
    if "Normal" in kinds:
        _refuse(where, owner, f"tune.{'q' if q else ''}randn(mean={sampler.mean}, sd={sampler.sd})",
                "A normal distribution has no raysweep equivalent and is not supported: use "
                "space.uniform(mean - 3 * sd, mean + 3 * sd), or space.loguniform for a scale.",
                problems)
        return None
    log = "LogUniform" in kinds
    if "Integer" in names:
        return _integer(lower, upper, q, log, where, owner, problems)
    if log:
        return space.loguniform(lower, upper) if q is None else space.qloguniform(lower, upper, q)
    return space.uniform(lower, upper) if q is None else space.quniform(lower, upper, q)


def _integer(lower: int, upper: int, q: int | None, log: bool, where: str, owner: str,
             problems: list[str | None]) -> Any:
    from raysweep import space

    if q is None or q == 1:  # Ray's qrandint(lo, hi, 1) excludes hi, as randint does
        return space.lograndint(lower, upper) if log else space.randint(lower, upper)
    if log:
        _refuse(where, owner, f"tune.qlograndint({lower}, {upper}, {q})",
                "tune.qlograndint is not supported: use space.lograndint(lo, hi) (log-scaled "
                "integers) or space.qrandint(lo, hi, q) (multiples of q).", problems)
        return None
    # Ray draws the multiples of q inside [lower, upper], both included: raysweep's qrandint on the
    # bounds snapped inwards to multiples of q is that same set.
    low, high = math.ceil(lower / q) * q, math.floor(upper / q) * q
    if high < low:
        problems.append(invalid_parameter(
            f"space[{where!r}]", owner, f"a range holding a multiple of q={q}",
            _Shown(f"tune.qrandint({lower}, {upper}, {q})"), "Widen the range or lower q."))
        return None
    return space.qrandint(low, high, q)
