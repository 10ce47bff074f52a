"""Turning raysweep specs into Ray Tune objects: param spaces, searchers and schedulers.

One registry per kind of spec: ``@_searcher(SpecType)`` / ``@_scheduler(SpecType)`` register the function that
builds the Ray object. Adding a searcher means a spec in ``raysweep.searchers`` plus one function here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import optuna
import ray
from ray import tune
from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.search import ConcurrencyLimiter, SearchAlgorithm, Searcher
from ray.tune.search.basic_variant import BasicVariantGenerator

from raysweep._errors import ExecutionError
from raysweep.execution.cluster._resources import cluster_nodes
from raysweep.execution.tune._asha import RecordingASHA, recording_scheduler
from raysweep.execution.tune._constraints import Constraints, stored_constraints
from raysweep.execution.tune._crossed import GridCrossed, cell_seeds, cell_space
from raysweep.execution.tune._hyperband import RecordingHyperBand, RecordingHyperBandForBOHB
from raysweep.execution.tune._moasha import MonotoneConstraint, make_mo_asha
from raysweep.execution.tune._pbt import RecordingPB2, RecordingPBT
from raysweep.execution.tune._searchers import (
    HyperOptSeeded,
    OptunaCodec,
    OptunaSeeded,
    PicklableNSGAII,
    bohb_searcher,
)
from raysweep.execution.tune._spaces import hyperopt_domain, map_space, optuna_distribution, tune_domain
from raysweep.schedulers import ASHA, FIFO, PB2, PBT, HyperBand, HyperBandForBOHB, SchedulerSpec
from raysweep.searchers import (
    BOHBSearch,
    GridSearch,
    NSGA2Search,
    OptunaSearch,
    RandomSearch,
    SearcherSpec,
    TPESearch,
)
from raysweep.space import Categorical, Domain, Float, crossed_cells, flatten, grid_values, unflatten
from raysweep.sweep import Sweep, pack_trials
from raysweep.warm_start import Seeds, collect

__all__ = [
    "concurrency", "link_early_stops", "load_seeds", "make_scheduler", "make_search", "scheduler_types",
    "searcher_types",
]

Search = tuple[dict[str, Any], SearchAlgorithm | Searcher]
_SEARCHERS: dict[type[SearcherSpec], Callable[[Sweep, Any, Seeds | None], Search]] = {}
_SCHEDULERS: dict[type[SchedulerSpec], Callable[[Any], TrialScheduler]] = {}


_MakeSearch = Callable[[Sweep, Any, Seeds | None], Search]
_MakeScheduler = Callable[[Any], TrialScheduler]


def _searcher(spec_type: type[SearcherSpec]) -> Callable[[_MakeSearch], _MakeSearch]:
    def register(make: _MakeSearch) -> _MakeSearch:
        _SEARCHERS[spec_type] = make
        return make
    return register


def _scheduler(spec_type: type[SchedulerSpec]) -> Callable[[_MakeScheduler], _MakeScheduler]:
    def register(make: _MakeScheduler) -> _MakeScheduler:
        _SCHEDULERS[spec_type] = make
        return make
    return register


def searcher_types() -> tuple[type[SearcherSpec], ...]:
    """The searcher spec types execution can convert."""
    return tuple(_SEARCHERS)


def scheduler_types() -> tuple[type[SchedulerSpec], ...]:
    """The scheduler spec types execution can convert."""
    return (*_SCHEDULERS, *_POPULATION)


def load_seeds(sweep: Sweep, root: str | None) -> Seeds | None:
    """The earlier trials that warm-start ``sweep`` (None without a warm start): with several
    objectives each seed has every objective's value, with constraints its constraint values."""
    if sweep.warm_start is None:
        return None
    constraints = Constraints(sweep.constraints)
    return collect(sweep.warm_start, sweep.space, sweep.metric, str(sweep.mode), root,
                   objectives=sweep.objectives,
                   constraints=constraints.values if constraints else None)


def make_search(sweep: Sweep, seeds: Seeds | None = None) -> Search:
    """The Tuner's ``param_space`` and search algorithm for ``sweep``, seeded with ``seeds``."""
    spec = sweep.searcher_spec
    make = _SEARCHERS.get(type(spec))
    if make is None:
        raise TypeError(f"no Ray conversion registered for searcher spec {sweep.searcher!r}")
    return make(sweep, spec, seeds)


def link_early_stops(search_alg: SearchAlgorithm | Searcher, scheduler: TrialScheduler) -> None:
    """Give an Optuna searcher that tells early-stopped trials apart the set ASHA keeps of them."""
    searcher = getattr(search_alg, "searcher", search_alg)  # inside its ConcurrencyLimiter
    asha = recording_scheduler(scheduler)
    cells = searcher.searchers if isinstance(searcher, GridCrossed) else [searcher]
    for cell in cells:
        if isinstance(cell, OptunaSeeded) and cell.stopped_as_pruned and asha is not None:
            cell.link_early_stops(asha.stopped_early)


def make_scheduler(sweep: Sweep) -> TrialScheduler:
    """Ray's scheduler for ``sweep`` (metric and mode come from the TuneConfig)."""
    spec = sweep.scheduler_spec
    population = _POPULATION.get(type(spec))
    if population is not None:  # PBT: its seed and mutations need the sweep
        return population(spec, sweep)
    objectives = tuple(getattr(sweep, "objectives", None) or ())  # multi-objective sweeps (issue 24)
    if isinstance(spec, ASHA) and len(objectives) > 1 and spec.metric is None:  # MO-ASHA
        stops = [MonotoneConstraint(*bound) for bound in spec.violation_bounds()]
        return make_mo_asha(spec, [(o.metric, o.mode) for o in objectives], constraints=stops,
                            seed=sweep.seed)
    make = _SCHEDULERS.get(type(spec))
    if make is None:
        raise TypeError(f"no Ray conversion registered for scheduler spec {spec!r}")
    scheduler = make(spec)
    chosen = getattr(spec, "metric", None)
    if chosen is not None:  # schedulers.asha(metric=...): it ranks by that objective, not Tune's
        mode = next(o.mode for o in sweep.objectives if o.metric == chosen)
        scheduler.set_search_properties(chosen, mode)
    return scheduler


# Searchers.

@_searcher(GridSearch)
def _grid(sweep: Sweep, spec: GridSearch, seeds: Seeds | None) -> Search:
    space = map_space(sweep.space, lambda d: tune.grid_search(grid_values(d, spec.grid_points)))
    return space, BasicVariantGenerator(max_concurrent=concurrency(sweep) or 0)


@_searcher(RandomSearch)
def _random(sweep: Sweep, spec: RandomSearch, seeds: Seeds | None) -> Search:
    # space.grid dimensions become tune.grid_search: Ray crosses them with num_samples itself
    space = map_space(sweep.space, tune_domain)
    points = [_full_config(sweep.space, p) for p in sweep.points_to_evaluate or ()]
    return space, BasicVariantGenerator(max_concurrent=concurrency(sweep) or 0,
                                        random_state=sweep.searcher_seed,
                                        points_to_evaluate=points or None)


_MakeCell = Callable[[dict[str, Any], int, Seeds | None], Searcher]


def _crossed(sweep: Sweep, seeds: Seeds | None, make: _MakeCell) -> Searcher:
    """One searcher over the space, or with ``space.grid`` dimensions one per grid cell (each over
    the space with the cell's values as constants, seeded ``seed + cell``), crossed by GridCrossed."""
    cells = crossed_cells(sweep.space)
    if len(cells) == 1:
        return make(dict(sweep.space), sweep.searcher_seed, seeds)
    searchers = [make(cell_space(sweep.space, cell), sweep.searcher_seed + i, cell_seeds(seeds, cell))
                 for i, cell in enumerate(cells)]
    objectives = _objective_args(sweep)
    return GridCrossed(searchers, int(sweep.num_samples or 0), objectives["metric"], objectives["mode"])


@_searcher(TPESearch)
def _tpe(sweep: Sweep, spec: TPESearch, seeds: Seeds | None) -> Search:
    def make(space: dict[str, Any], seed: int, seeds: Seeds | None) -> Searcher:
        searcher = HyperOptSeeded(
            space=map_space(space, hyperopt_domain, labelled=True),
            metric=sweep.metric, mode=sweep.mode,
            n_initial_points=spec.startup_trials(int(sweep.num_samples or 0)),  # per grid cell
            random_state_seed=seed, gamma=spec.gamma,
        )
        # Points come first (the Sweep allows them only over one grid cell and no conditional branch).
        if sweep.points_to_evaluate:
            searcher.add_points([_point(space, p) for p in sweep.points_to_evaluate], space)
        if seeds is not None and seeds.n:
            searcher.add_seeds(seeds, space)
        return searcher

    return {}, ConcurrencyLimiter(_crossed(sweep, seeds, make), max_concurrent=concurrency(sweep) or 1)


def _optuna_sampler(sweep: Sweep, spec: OptunaSearch | NSGA2Search, seed: int) -> Any:
    """Optuna's TPE (``searchers.optuna``: multi-objective TPE with several objectives) or NSGA-II
    sampler; with constraints, its ``constraints_func`` reads what OptunaSeeded set on each trial."""
    constrained: dict[str, Any] = {"constraints_func": stored_constraints} if sweep.constraints else {}
    with warnings.catch_warnings():  # multivariate / constant_liar are "experimental" in Optuna;
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", FutureWarning)  # constraints_func: deprecated in Optuna 5
        if isinstance(spec, NSGA2Search):
            return PicklableNSGAII(population_size=spec.population_size, seed=seed, **constrained)
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=spec.n_startup_trials,
            multivariate=spec.multivariate, constant_liar=spec.constant_liar, **constrained,
        )


def _objective_args(sweep: Sweep) -> dict[str, Any]:
    """Ray's searcher ``metric``/``mode``: a name and a mode, or lists of them (several objectives)."""
    if sweep.is_multi_objective:
        return {"metric": [o.metric for o in sweep.objectives],
                "mode": [o.mode for o in sweep.objectives]}
    return {"metric": sweep.metric, "mode": sweep.mode}


@_searcher(OptunaSearch)
@_searcher(NSGA2Search)
def _optuna(sweep: Sweep, spec: OptunaSearch | NSGA2Search, seeds: Seeds | None) -> Search:
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def make(space: dict[str, Any], seed: int, seeds: Seeds | None) -> Searcher:
        codec = OptunaCodec(space, optuna_distribution)
        # The points are enqueued (Optuna asks them first); the warm-start seeds are told as finished
        # trials (Ray's evaluated_rewards would take the points for seeds: one list or the other).
        points = [codec.encode(_point(space, p)) for p in sweep.points_to_evaluate or ()]
        searcher = OptunaSeeded(
            codec, stopped_as_pruned=getattr(spec, "stopped_as_pruned", False),
            constraints=Constraints(sweep.constraints), **_objective_args(sweep),
            # a conditional space is define-by-run: a branch's parameters exist only when chosen
            space=codec.define_by_run() if codec.conditional else codec.distributions,
            sampler=_optuna_sampler(sweep, spec, seed), points_to_evaluate=points or None,
        )
        if seeds is not None and seeds.n:  # never with a conditional space (Sweep refuses it)
            for i, (point, value) in enumerate(zip(seeds.points, seeds.values, strict=True)):
                searcher.add_seed(codec.encode(point), value if isinstance(value, tuple) else (value,),
                                  seeds.constraints[i] if seeds.constraints else None)
        return searcher

    # No cap of its own: as many trials as fit run at once (Tune keeps a searcher without a limiter to one
    # trial at a time, so the limiter is set to what the cluster holds when the sweep starts).
    cap = concurrency(sweep) or _trials_that_fit(sweep)
    return {}, ConcurrencyLimiter(_crossed(sweep, seeds, make), max_concurrent=cap)


@_searcher(BOHBSearch)
def _bohb(sweep: Sweep, spec: BOHBSearch, seeds: Seeds | None) -> Search:
    # TuneBOHB caps its running trials itself (paused ones wait for their bracket and do not count);
    # Ray's ConcurrencyLimiter would count them. The Sweep refused conditional, space.grid and
    # quantised dimensions, points and warm starts, and checked hpbandster and ConfigSpace are there.
    cap = concurrency(sweep) or _trials_that_fit(sweep)
    return {}, bohb_searcher(sweep.space, sweep.searcher_seed, sweep.metric, sweep.mode, cap)


def concurrency(sweep: Sweep) -> int | None:
    """The cap on trials in flight: the sweep's own (``max_concurrent`` or its searcher's), and for
    a Ray Train trainer at most the trials whose workers the cluster holds at once.

    A trainer's trial reserves (almost) nothing itself and its workers wait for a placement group
    of their own: without this cap Tune would start every trial at once, each holding a searcher
    slot and a scheduler rung while its workers wait behind the others'.
    """
    cap = sweep.concurrency_cap
    if sweep.trainer is None:
        return cap
    fit = _trials_that_fit(sweep)
    return fit if cap is None else min(cap, fit)


def _trials_that_fit(sweep: Sweep) -> int:
    """Trials of ``sweep`` the running Ray cluster holds at once, node by node (1 when Ray is not
    started, or when not one fits: the fit check has failed the launch before then)."""
    if not ray.is_initialized():
        return 1
    nodes = [node["resources"] for node in cluster_nodes()]
    return max(1, pack_trials(sweep.trial_bundles, nodes, max(sweep.n_trials, 1)) or sweep.n_trials)


# Schedulers.

@_scheduler(ASHA)
def _asha(spec: ASHA) -> TrialScheduler:
    # Ray's ASHA, recording each rung decision for the store's ``rungs`` dataset (_asha.py).
    return RecordingASHA(
        time_attr=spec.time_attr, max_t=spec.max_t, grace_period=spec.grace_period,
        reduction_factor=spec.reduction_factor, brackets=spec.brackets,
    )


@_scheduler(HyperBand)
def _hyperband(spec: HyperBand) -> TrialScheduler:
    # Ray's synchronous HyperBand, noting the paused trials it stops (_hyperband.py).
    return RecordingHyperBand(time_attr=spec.time_attr, max_t=spec.max_t,
                              reduction_factor=spec.reduction_factor,
                              stop_last_trials=spec.stop_last_trials)


@_scheduler(HyperBandForBOHB)
def _hyperband_for_bohb(spec: HyperBandForBOHB) -> TrialScheduler:
    return RecordingHyperBandForBOHB(time_attr=spec.time_attr, max_t=spec.max_t,
                                     reduction_factor=spec.reduction_factor,
                                     stop_last_trials=spec.stop_last_trials)


@_scheduler(FIFO)
def _fifo(spec: FIFO) -> TrialScheduler:
    return FIFOScheduler()


# Population-based training: built from the spec and the sweep (its seed).

_POPULATION: dict[type[SchedulerSpec], Callable[[Any, Sweep], TrialScheduler]] = {}


def _pbt_domain(d: Domain) -> Any:
    """Ray's form of a mutation: a list for a choice (PBT shifts to a neighbour or resamples), a
    ``tune`` domain for a number (PBT multiplies by a perturbation factor or resamples)."""
    return list(d.values) if isinstance(d, Categorical) else tune_domain(d)


def _pbt(spec: PBT, sweep: Sweep) -> TrialScheduler:
    # Ray's PBT, seeded, every exploit recorded, an exploit without a checkpoint an error (_pbt.py)
    return RecordingPBT(
        time_attr=spec.time_attr, perturbation_interval=spec.perturbation_interval,
        hyperparam_mutations=map_space(spec.mutations, _pbt_domain),
        quantile_fraction=spec.quantile_fraction, resample_probability=spec.resample_probability,
        perturbation_factors=tuple(spec.perturbation_factors), log_config=True,
        seed=sweep.seed if spec.seed is None else spec.seed,
    )


def _pb2(spec: PB2, sweep: Sweep) -> TrialScheduler:
    # Ray's PB2 (a GP bandit over the bounds), seeded and recorded as PBT is. Ray >= 2.53 fits it
    # with scikit-learn; older Rays (2.50) with GPy: Ray's constructor raises without them.
    bounds = map_space(spec.bounds, lambda d: [d.lower, d.upper] if isinstance(d, Float)
                       else [d.low, d.high])
    try:
        return RecordingPB2(
            time_attr=spec.time_attr, perturbation_interval=spec.perturbation_interval,
            hyperparam_bounds=bounds, quantile_fraction=spec.quantile_fraction, log_config=True,
            seed=sweep.seed if spec.seed is None else spec.seed,
        )
    except (ImportError, RuntimeError) as exc:
        raise ExecutionError(
            f"schedulers.pb2 cannot start: {exc} Install raysweep's pb2 extra: pip install "
            "'raysweep[pb2]' (scikit-learn; a Ray older than 2.53 fits PB2 with GPy: pip install "
            "GPy).") from exc


_POPULATION[PBT] = _pbt
_POPULATION[PB2] = _pb2


# Points to evaluate.

def _point(space: Mapping[str, Any], config: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    """A ``points_to_evaluate`` config's dimension values by path (validated by the Sweep: every
    dimension has a value inside its domain)."""
    return {path: _at(config, path) for path, leaf in flatten(space).items() if isinstance(leaf, Domain)}


def _at(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = config
    for key in path:
        value = value[key]
    return value


def _full_config(space: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The config of a point with the space's constants filled in (a point may leave them out)."""
    flat = {path: leaf for path, leaf in flatten(space).items() if not isinstance(leaf, Domain)}
    flat.update(_point(space, config))
    return unflatten(flat)
