"""Whether an earlier trial's config lies inside the current search space (plain Python, no Ray)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from raysweep.space import Categorical, Domain, Float, Integer, flatten

__all__ = ["category_index", "flat_point", "in_domain", "inside"]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def category_index(domain: Categorical, value: Any) -> int | None:
    """The index of ``value`` among the domain's values (compared as JSON), or None."""
    key = _key(value)
    for i, candidate in enumerate(domain.values):
        if _key(candidate) == key:
            return i
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _multiple(value: float, base: float, q: float) -> bool:
    steps = (value - base) / q
    return math.isclose(steps, round(steps), abs_tol=1e-6)


def in_domain(domain: Domain, value: Any) -> bool:
    """True when ``value`` is one the domain can produce."""
    if isinstance(domain, Categorical):
        return category_index(domain, value) is not None
    if not _number(value):
        return False
    if isinstance(domain, Float):
        tol = 1e-9 * max(1.0, abs(domain.upper))
        if not domain.lower - tol <= value <= domain.upper + tol:
            return False
        return domain.q is None or _multiple(value, 0.0, domain.q)
    if isinstance(domain, Integer):
        if int(value) != value or not domain.low <= value <= domain.high:
            return False
        return domain.q is None or _multiple(value, 0.0, domain.q)
    return False


def _flat_config(config: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            out.update(_flat_config(value, (*prefix, key)))
        else:
            out[(*prefix, key)] = value
    return out


def inside(space: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """True when ``config`` has exactly the space's leaves, every dimension's value lies in its domain
    and every constant is equal (a trial on other data or another epoch budget is not comparable)."""
    leaves = flatten(space)
    values = _flat_config(config)
    if set(values) != set(leaves):
        return False
    for path, leaf in leaves.items():
        if isinstance(leaf, Domain):
            if not in_domain(leaf, values[path]):
                return False
        elif _key(leaf) != _key(values[path]):
            return False
    return True


def flat_point(space: Mapping[str, Any], config: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    """The dimension values of an inside ``config``, keyed by path (constants left out)."""
    values = _flat_config(config)
    return {path: values[path] for path, leaf in flatten(space).items() if isinstance(leaf, Domain)}
