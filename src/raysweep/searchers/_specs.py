"""Typed searcher specs. Plain data: ``raysweep.execution`` turns them into Ray Tune searchers.

Every spec answers three questions the sweep and ``plan`` ask without Ray: how many random start-up trials
it runs for a budget (:meth:`SearcherSpec.startup_trials`), how many trials it runs at once unless the sweep
says (:meth:`SearcherSpec.default_max_concurrent`), and whether earlier trials can seed it
(:attr:`SearcherSpec.warm_startable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from raysweep._errors import ConfigError, int_problem, invalid_parameter, require
from raysweep._spec import Spec

__all__ = [
    "BOHBSearch",
    "GridSearch",
    "NSGA2Search",
    "OptunaSearch",
    "RandomSearch",
    "SearcherSpec",
    "TPESearch",
    "tpe_startup_rule",
]


def _int_at_least(value: Any, minimum: int, param: str, owner: str, allow_none: bool = False) -> None:
    require(int_problem(value, param, owner, minimum, allow_none))


def _flag(value: Any, param: str, owner: str) -> None:
    if not isinstance(value, bool):
        raise ConfigError(invalid_parameter(param, owner, "True or False", value))


@dataclass(frozen=True)
class SearcherSpec(Spec):
    """Base class of searcher specs."""

    #: Whether trials of earlier runs can seed this searcher (``Sweep(warm_start=...)``).
    warm_startable: ClassVar[bool] = False

    def startup_trials(self, num_samples: int) -> int | None:
        """Random trials the searcher runs before it models anything (None: it never models)."""
        return None

    def default_max_concurrent(self) -> int | None:
        """Trials in flight when the sweep sets no ``max_concurrent`` (None: as many as fit)."""
        return None


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


def tpe_startup_rule(num_samples: int) -> int:
    """hyperopt TPE's start-up count when ``n_initial_points=None``: a fifth of the budget, at least 5 and
    at most 20 (hyperopt's own default), and always fewer than ``num_samples`` when the budget allows."""
    count = min(20, max(5, round(num_samples / 5)))
    return max(1, min(count, num_samples - 1))


@dataclass(frozen=True)
class TPESearch(SearcherSpec):
    """Tree-structured Parzen Estimator (hyperopt). Wraps Ray's ``HyperOptSearch`` in a
    ``ConcurrencyLimiter``.

    ``n_initial_points`` random trials come first (None: :func:`tpe_startup_rule` of the budget); ``gamma``
    is the quantile of trials TPE models as "good". ``seed=None`` takes the sweep's seed.
    """

    name: ClassVar[str] = "tpe"
    warm_startable: ClassVar[bool] = True
    seed: int | None = None
    n_initial_points: int | None = None
    gamma: float = 0.25

    def __post_init__(self) -> None:
        _int_at_least(self.seed, 0, "seed", "searchers.tpe", allow_none=True)
        _int_at_least(self.n_initial_points, 1, "n_initial_points", "searchers.tpe", allow_none=True)
        gamma = self.gamma
        if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not 0 < gamma < 1:
            raise ConfigError(
                invalid_parameter("gamma", "searchers.tpe", "a number in (0, 1)", gamma)
            )

    def startup_trials(self, num_samples: int) -> int:
        if self.n_initial_points is not None:
            return self.n_initial_points
        return tpe_startup_rule(num_samples)

    def default_max_concurrent(self) -> int:
        return TPE_DEFAULT_MAX_CONCURRENT


@dataclass(frozen=True)
class OptunaSearch(SearcherSpec):
    """Optuna's TPE (``optuna.samplers.TPESampler``) through Ray's ``OptunaSearch``.

    ``n_startup_trials`` random trials come first; ``multivariate`` models the dimensions jointly;
    ``constant_liar`` makes running trials count as bad ones, so several trials at once do not all ask for
    the same point: there is therefore no concurrency cap by default (as many trials as fit run at once).
    ``seed=None`` takes the sweep's seed. ``stopped_as_pruned`` tells Optuna a trial the scheduler (ASHA)
    stopped early as PRUNED at its last value, which TPE ranks below every trial that ran to the end;
    otherwise such a trial is COMPLETE at its last value, as Ray's ``OptunaSearch`` does.
    """

    name: ClassVar[str] = "optuna"
    warm_startable: ClassVar[bool] = True
    seed: int | None = None
    n_startup_trials: int = 10
    multivariate: bool = True
    constant_liar: bool = True
    stopped_as_pruned: bool = False

    def __post_init__(self) -> None:
        owner = "searchers.optuna"
        _int_at_least(self.seed, 0, "seed", owner, allow_none=True)
        _int_at_least(self.n_startup_trials, 0, "n_startup_trials", owner)
        _flag(self.multivariate, "multivariate", owner)
        _flag(self.constant_liar, "constant_liar", owner)
        _flag(self.stopped_as_pruned, "stopped_as_pruned", owner)

    def startup_trials(self, num_samples: int) -> int:
        return self.n_startup_trials


@dataclass(frozen=True)
class NSGA2Search(SearcherSpec):
    """NSGA-II (Deb et al., 2002): Optuna's ``NSGAIISampler`` through Ray's ``OptunaSearch``.

    A genetic algorithm for several objectives (one works too): the first ``population_size``
    trials are random, each later generation is bred from the non-dominated (and, with
    constraints, feasible-first) trials of the ones before. ``seed=None`` takes the sweep's seed.
    No concurrency cap of its own. No warm start or ``extend`` yet: NSGA-II ranks trials by
    generation, and earlier trials belong to none.
    """

    name: ClassVar[str] = "nsga2"
    seed: int | None = None
    population_size: int = 50

    def __post_init__(self) -> None:
        _int_at_least(self.seed, 0, "seed", "searchers.nsga2", allow_none=True)
        _int_at_least(self.population_size, 2, "population_size", "searchers.nsga2")

    def startup_trials(self, num_samples: int) -> int:
        return self.population_size


@dataclass(frozen=True)
class BOHBSearch(SearcherSpec):
    """BOHB (Falkner et al., 2018): HpBandSter's kernel-density model through Ray's ``TuneBOHB``.

    Only with ``scheduler=schedulers.hyperband_for_bohb(...)``, the HyperBand half of BOHB (the Sweep
    refuses either one alone). Needs ``hpbandster`` and ``ConfigSpace`` (``pip install
    'raysweep[bohb]'``). ``seed=None`` takes the sweep's seed. The model of each budget (milestone)
    starts after ``dimensions + 1`` results there; a third of the configurations stay random
    (HpBandSter's ``random_fraction``). No concurrency cap by default: TuneBOHB counts running trials
    only (paused ones wait for their bracket).
    """

    name: ClassVar[str] = "bohb"
    seed: int | None = None

    def __post_init__(self) -> None:
        _int_at_least(self.seed, 0, "seed", "searchers.bohb", allow_none=True)
