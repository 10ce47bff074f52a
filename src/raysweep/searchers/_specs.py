"""Typed searcher specs. Plain data: ``raysweep.execution`` turns them into Ray Tune searchers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from raysweep._errors import ConfigError, int_problem, invalid_parameter, require
from raysweep._spec import Spec

__all__ = ["GridSearch", "RandomSearch", "SearcherSpec", "TPESearch"]


def _int_at_least(value: Any, minimum: int, param: str, owner: str, allow_none: bool = False) -> None:
    require(int_problem(value, param, owner, minimum, allow_none))


@dataclass(frozen=True)
class SearcherSpec(Spec):
    """Base class of searcher specs."""


@dataclass(frozen=True)
class GridSearch(SearcherSpec):
    """Enumerate every grid cell; continuous dimensions get ``grid_points`` values each.

    Wraps Ray's ``BasicVariantGenerator``; the sweep's ``num_samples`` repeats the whole grid (Ray's rule).
    """

    name: ClassVar[str] = "grid"
    grid_points: int = 5

    def __post_init__(self) -> None:
        _int_at_least(self.grid_points, 1, "grid_points", "searchers.grid")


@dataclass(frozen=True)
class RandomSearch(SearcherSpec):
    """Sample every dimension independently. Wraps Ray's ``BasicVariantGenerator(random_state=seed)``.

    ``seed=None`` takes the sweep's seed.
    """

    name: ClassVar[str] = "random"
    seed: int | None = None

    def __post_init__(self) -> None:
        _int_at_least(self.seed, 0, "seed", "searchers.random", allow_none=True)


#: Trials TPE runs at once unless the sweep sets ``max_concurrent``. hyperopt counts every running trial as a
#: loss of +inf and toward its random start-up phase, so unbounded concurrency degrades TPE to random
#: search; four keeps at most a fifth of the default 20 start-up points in flight.
TPE_DEFAULT_MAX_CONCURRENT = 4


@dataclass(frozen=True)
class TPESearch(SearcherSpec):
    """Tree-structured Parzen Estimator (hyperopt). Wraps Ray's ``HyperOptSearch`` in a
    ``ConcurrencyLimiter``.

    ``n_initial_points`` random trials come first; ``gamma`` is the quantile of trials TPE models as
    "good". ``seed=None`` takes the sweep's seed.
    """

    name: ClassVar[str] = "tpe"
    seed: int | None = None
    n_initial_points: int = 20
    gamma: float = 0.25

    def __post_init__(self) -> None:
        _int_at_least(self.seed, 0, "seed", "searchers.tpe", allow_none=True)
        _int_at_least(self.n_initial_points, 1, "n_initial_points", "searchers.tpe")
        gamma = self.gamma
        if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not 0 < gamma < 1:
            raise ConfigError(
                invalid_parameter("gamma", "searchers.tpe", "a number in (0, 1)", gamma)
            )
