"""Grid expansion: every dimension discretised into a finite, ordered list of values."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from raysweep.space._conditional import Conditional
from raysweep.space._domains import Categorical, Domain, Float, Integer
from raysweep.space._tree import Path, flatten, unflatten

__all__ = ["crossed_cells", "grid_cells_of", "grid_size", "grid_values", "grid_values_for_space"]


def grid_values(domain: Domain, grid_points: int) -> list[Any]:
    """The values grid search tries for ``domain``.

    Categorical dimensions give their values; continuous ones ``grid_points`` values spanning the bounds
    (log-spaced for log dimensions, snapped to ``q``); integer ones the same, rounded, duplicates removed;
    a conditional one every cell of its first branch, then of the next (each cell the branch's config).
    """
    if isinstance(domain, Conditional):
        return [cell for branch in domain.branches for cell in grid_cells_of(branch, grid_points)]
    if isinstance(domain, Categorical):
        return list(domain.values)
    if isinstance(domain, Float):
        points = _span(domain.lower, domain.upper, domain.log, grid_points)
        if domain.q is not None:
            points = [_snap(p, domain.q, domain.lower, domain.upper) for p in points]
        return _unique([float(p) for p in points])
    if isinstance(domain, Integer):
        points = _span(domain.low, domain.high, domain.log, grid_points)
        q = domain.q or 1
        return _unique([int(_snap(p, q, domain.low, domain.high)) for p in points])
    raise TypeError(f"unknown dimension type {type(domain).__name__}")


def grid_values_for_space(space: Mapping[str, Any], grid_points: int) -> dict[Path, list[Any]]:
    """Grid values for every dimension of ``space`` (constants are left out)."""
    return {
        path: grid_values(value, grid_points)
        for path, value in flatten(space).items()
        if isinstance(value, Domain)
    }


def grid_cells_of(space: Mapping[str, Any], grid_points: int) -> list[dict[str, Any]]:
    """Every cell of ``space``'s grid as a nested config (constants included), in product order."""
    flat = flatten(space)
    axes = [grid_values(v, grid_points) if isinstance(v, Domain) else [v] for v in flat.values()]
    return [unflatten(dict(zip(flat, values, strict=True))) for values in itertools.product(*axes)]


def crossed_cells(space: Mapping[str, Any]) -> list[dict[Path, Any]]:
    """The cells of the ``space.grid`` dimensions alone (Ray's ``grid_search``), which random, TPE and
    Optuna search cross with ``num_samples``: one flat ``{path: value}`` per cell, ``[{}]`` without any."""
    marked = {path: list(leaf.values) for path, leaf in flatten(space).items()
              if isinstance(leaf, Categorical) and leaf.grid}
    return [dict(zip(marked, values, strict=True)) for values in itertools.product(*marked.values())]


def grid_size(space: Mapping[str, Any], grid_points: int) -> int:
    """Number of grid cells: the product of every dimension's value count."""
    return math.prod(len(v) for v in grid_values_for_space(space, grid_points).values())


def _span(lower: float, upper: float, log: bool, n: int) -> list[float]:
    if n == 1:
        return [math.sqrt(lower * upper) if log else (lower + upper) / 2]
    return list(np.geomspace(lower, upper, n) if log else np.linspace(lower, upper, n))


def _snap(value: float, q: float, lower: float, upper: float) -> float:
    """Round to a multiple of ``q`` (as Ray does), kept inside the bounds."""
    snapped = round(value / q) * q
    while snapped > upper + 1e-12:
        snapped -= q
    while snapped < lower - 1e-12:
        snapped += q
    return round(snapped, 12)


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))
