"""Searchers: grid, random, TPE (hyperopt), Optuna's TPE and BOHB, as typed specs that know nothing of Ray.

>>> from raysweep import searchers
>>> searchers.tpe(seed=0, n_initial_points=10)
TPESearch(seed=0, n_initial_points=10, gamma=0.25)
>>> searchers.optuna(seed=0)
OptunaSearch(seed=0, n_startup_trials=10, multivariate=True, constant_liar=True)
"""

from __future__ import annotations

from typing import Any

from raysweep._errors import reject_unknown
from raysweep._spec import refuse_spec
from raysweep.searchers._specs import (
    TPE_DEFAULT_MAX_CONCURRENT,
    BOHBSearch,
    GridSearch,
    NSGA2Search,
    OptunaSearch,
    RandomSearch,
    SearcherSpec,
    TPESearch,
    tpe_startup_rule,
)

__all__ = [
    "TPE_DEFAULT_MAX_CONCURRENT",
    "BOHBSearch",
    "GridSearch",
    "NSGA2Search",
    "OptunaSearch",
    "RandomSearch",
    "SearcherSpec",
    "TPESearch",
    "bohb",
    "from_name",
    "grid",
    "nsga2",
    "optuna",
    "random",
    "tpe",
    "tpe_startup_rule",
]

_BY_NAME: dict[str, type[SearcherSpec]] = {
    "grid": GridSearch, "random": RandomSearch, "tpe": TPESearch, "optuna": OptunaSearch,
    "bohb": BOHBSearch, "nsga2": NSGA2Search,
}

_MODEL = "use searcher=searchers.optuna(...) or searchers.tpe(...)"
#: Ray Tune's searcher names (``ray.tune.search.SEARCH_ALG_IMPORT``) raysweep does not take, and why.
_UNSUPPORTED: dict[str, str] = {
    "nevergrad": f"Nevergrad is not supported yet; {_MODEL} instead.",
    "ax": f"Ax is not supported yet; {_MODEL} instead.",
    "bayesopt": f"BayesianOptimization is not supported yet; {_MODEL} (model-based) instead.",
    "hebo": f"HEBO is not supported yet; {_MODEL} instead.",
    "zoopt": f"ZOOpt is not supported yet; {_MODEL} instead.",
    "hyperopt": "raysweep calls Ray's HyperOptSearch 'tpe': use searcher='tpe' or searchers.tpe(...).",
    "variant_generator": "raysweep calls Ray's variant generator 'random' (or 'grid' for a grid): "
                         "use searcher='random' or searchers.grid(...).",
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
    *, seed: int | None = None, n_initial_points: int | None = None, gamma: float = 0.25,
    **unknown: Any,
) -> TPESearch:
    """HyperOpt TPE; ``seed=None`` takes the sweep's seed.

    ``n_initial_points=None`` picks the random start-up count from the budget: ``num_samples / 5``
    rounded, at least 5, at most 20, and always fewer than ``num_samples`` (see :func:`tpe_startup_rule`).
    """
    reject_unknown("searchers.tpe", unknown, TPESearch.parameter_names())
    return TPESearch(seed=seed, n_initial_points=n_initial_points, gamma=gamma)


def optuna(
    *, seed: int | None = None, n_startup_trials: int = 10, multivariate: bool = True,
    constant_liar: bool = True, stopped_as_pruned: bool = False, **unknown: Any,
) -> OptunaSearch:
    """Optuna's TPE sampler (its 5.0 defaults: multivariate, constant liar); ``seed=None`` takes the
    sweep's seed. No concurrency cap by default: the constant liar keeps parallel trials apart.
    ``stopped_as_pruned=True`` tells Optuna the trials ASHA stopped early as pruned (ranked below every
    trial that ran to the end) instead of complete at their last value."""
    reject_unknown("searchers.optuna", unknown, OptunaSearch.parameter_names())
    return OptunaSearch(seed=seed, n_startup_trials=n_startup_trials, multivariate=multivariate,
                        constant_liar=constant_liar, stopped_as_pruned=stopped_as_pruned)


def nsga2(*, population_size: int = 50, seed: int | None = None, **unknown: Any) -> NSGA2Search:
    """Optuna's NSGA-II sampler, for several objectives (``Sweep(metric=[...], mode=[...])``);
    ``seed=None`` takes the sweep's seed. The first ``population_size`` trials are random; with
    ``Sweep(constraints=...)`` feasible trials dominate infeasible ones."""
    reject_unknown("searchers.nsga2", unknown, NSGA2Search.parameter_names())
    return NSGA2Search(population_size=population_size, seed=seed)


def bohb(*, seed: int | None = None, **unknown: Any) -> BOHBSearch:
    """BOHB's model (HpBandSter through Ray's ``TuneBOHB``); ``seed=None`` takes the sweep's seed.

    Use it with ``scheduler=schedulers.hyperband_for_bohb(max_t=...)``, and install ``hpbandster`` and
    ``ConfigSpace`` (``pip install 'raysweep[bohb]'``). Over float, integer and categorical dimensions
    (no ``q``-quantised, conditional or ``space.grid`` ones), without points_to_evaluate or warm start.
    """
    reject_unknown("searchers.bohb", unknown, BOHBSearch.parameter_names())
    return BOHBSearch(seed=seed)


def from_name(value: Any, owner: str = "Sweep") -> SearcherSpec:
    """Accept a spec, or one of the names 'grid', 'random', 'tpe', 'optuna', 'bohb', 'nsga2' (defaults).

    Ray Tune's other searcher names ('nevergrad', 'ax', 'bayesopt', ...) are refused by name, with
    what to use instead; so is a Ray searcher object."""
    if isinstance(value, SearcherSpec):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]()
    expected = f"one of {', '.join(map(repr, _BY_NAME))} or a spec from raysweep.searchers"
    refuse_spec(value, "searcher", owner, expected, _UNSUPPORTED, "Ray search algorithm",
                "searcher=searchers.optuna(seed=0)")
