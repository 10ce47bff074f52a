"""Searchers: grid, random and TPE, as typed specs that know nothing of Ray.

>>> from raysweep import searchers
>>> searchers.tpe(seed=0, n_initial_points=10)
TPESearch(seed=0, n_initial_points=10, gamma=0.25)
"""

from __future__ import annotations

from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, reject_unknown
from raysweep.searchers._specs import (
    TPE_DEFAULT_MAX_CONCURRENT,
    GridSearch,
    RandomSearch,
    SearcherSpec,
    TPESearch,
)

__all__ = [
    "TPE_DEFAULT_MAX_CONCURRENT",
    "GridSearch",
    "RandomSearch",
    "SearcherSpec",
    "TPESearch",
    "from_name",
    "grid",
    "random",
    "tpe",
]

_BY_NAME: dict[str, type[SearcherSpec]] = {
    "grid": GridSearch, "random": RandomSearch, "tpe": TPESearch,
}


def grid(*, grid_points: int = 5, **unknown: Any) -> GridSearch:
    """Grid search over every cell of the space."""
    reject_unknown("searchers.grid", unknown, GridSearch.parameter_names())
    return GridSearch(grid_points=grid_points)


def random(*, seed: int | None = None, **unknown: Any) -> RandomSearch:
    """Random search; ``seed=None`` takes the sweep's seed."""
    reject_unknown("searchers.random", unknown, RandomSearch.parameter_names())
    return RandomSearch(seed=seed)


def tpe(
    *, seed: int | None = None, n_initial_points: int = 20, gamma: float = 0.25, **unknown: Any
) -> TPESearch:
    """HyperOpt TPE; ``seed=None`` takes the sweep's seed."""
    reject_unknown("searchers.tpe", unknown, TPESearch.parameter_names())
    return TPESearch(seed=seed, n_initial_points=n_initial_points, gamma=gamma)


def from_name(value: Any, owner: str = "Sweep") -> SearcherSpec:
    """Accept a spec, or one of the names 'grid', 'random', 'tpe' (defaults)."""
    if isinstance(value, SearcherSpec):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]()
    raise ConfigError(
        invalid_parameter("searcher", owner, "one of 'grid', 'random', 'tpe' or a spec from "
                          "raysweep.searchers", value, "For example searcher=searchers.tpe(seed=0).")
    )
