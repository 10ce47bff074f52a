"""Field checks for :class:`raysweep.Sweep`; each returns an error message or None."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Mapping
from typing import Any

from raysweep._errors import RaysweepError, int_problem, invalid_parameter
from raysweep.sweep._trainer import describe_trainer, is_trainer, trainer_problems

_NAME = re.compile(r"^[a-z0-9_-]+$")
_OWNER = "Sweep"


def name(value: Any) -> str | None:
    if isinstance(value, str) and _NAME.match(value):
        return None
    return invalid_parameter("name", _OWNER, "a non-empty string of [a-z0-9_-]", value,
                             "For example name='recsys_mf_tpe'.")


def trainable(value: Any) -> str | None:
    if is_trainer(value):
        facts = describe_trainer(value)
        problems = trainer_problems(facts) if facts is not None else []
        return "\n".join(problems) or None
    if inspect.isclass(value):
        if callable(getattr(value, "step", None)) and callable(getattr(value, "setup", None)):
            return None
        return invalid_parameter("trainable", _OWNER, "a function train(config), a "
                                 "ray.tune.Trainable subclass or a Ray Train trainer instance", value)
    if not callable(value):
        return invalid_parameter("trainable", _OWNER, "a function train(config) that calls "
                                 "ray.tune.report(...)", value)
    try:
        inspect.signature(value).bind({})
    except TypeError:
        return invalid_parameter("trainable", _OWNER, "callable with one argument, the config dict",
                                 value, "Define it as def train(config): ...")
    except ValueError:  # builtins without a signature: let Ray decide
        return None
    return None


def metric_and_mode(metric: Any, mode: Any) -> list[str]:
    errors = []
    if not isinstance(metric, str) or not metric:
        errors.append(invalid_parameter("metric", _OWNER, "the name of a reported metric", metric,
                                        "For example metric='val_loss'."))
    if mode not in ("min", "max"):
        errors.append(invalid_parameter("mode", _OWNER, "one of 'min', 'max'", mode,
                                        f"Say whether metric={metric!r} is minimised or maximised."))
    return errors


def positive_int(value: Any, field: str, allow_none: bool = False, minimum: int = 1) -> str | None:
    return int_problem(value, field, _OWNER, minimum, allow_none)


def budget(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or not math.isfinite(value):
        return invalid_parameter("time_budget_s", _OWNER, "a number of seconds > 0 or None", value)
    return None


def stop(value: Any) -> str | None:
    """Ray Tune's dict of stop criteria: reported name -> threshold (a trial ends at ``>=``)."""
    if value is None:
        return None
    expected = "a dict of reported metric names to numbers, e.g. {'training_iteration': 20}, or None"
    if not isinstance(value, Mapping) or not value:
        fix = ("A stopper function or object is not supported: end the trainable's loop itself, or "
               "stop trials early with scheduler=schedulers.asha(max_t=...).") if value else None
        return invalid_parameter("stop", _OWNER, expected, value, fix)
    for key, threshold in value.items():
        if not isinstance(key, str) or not key:
            return invalid_parameter("stop", _OWNER, expected, dict(value))
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
                or not math.isfinite(threshold):
            return invalid_parameter(f"stop[{key!r}]", _OWNER, "a finite number", threshold,
                                     "A trial stops once its reported value reaches it (>=).")
    return None


def resources(value: Any, trainer: bool = False) -> str | None:
    """``trainer``: the trial only launches a Ray Train trainer, whose workers hold the compute, so
    it may reserve nothing itself (``{}``)."""
    if trainer and isinstance(value, Mapping) and not value:
        return None
    if not isinstance(value, Mapping) or not value:
        return invalid_parameter("resources", _OWNER, "a dict such as {'cpu': 1, 'gpu': 0}", value)
    for key, amount in value.items():
        if not isinstance(key, str) or not key:
            return invalid_parameter("resources", _OWNER, "keyed by resource names", key)
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0 \
                or not math.isfinite(amount):
            return invalid_parameter(f"resources[{key!r}]", _OWNER, "a number >= 0", amount,
                                     "Fractions such as 0.5 share a device between trials.")
    if not trainer and value.get("cpu", 0) == 0 and value.get("gpu", 0) == 0:
        return invalid_parameter("resources", _OWNER, "at least some 'cpu' or 'gpu' per trial",
                                 dict(value), "Without them Ray would start unbounded trials.")
    return None


def tags(value: Any) -> str | None:
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    return invalid_parameter("tags", _OWNER, "a dict of strings to strings", value)


def description(value: Any) -> str | None:
    if isinstance(value, str):
        return None
    return invalid_parameter("description", _OWNER, "a string", value)


def warm_start(value: Any, searcher: Any, space: Any = None) -> str | None:
    """Warm start needs a :class:`raysweep.warm_start.WarmStart`, a searcher that can be seeded, and a
    space without conditional dimensions."""
    from raysweep.space import conditional_paths
    from raysweep.warm_start import WarmStart

    if value is None:
        return None
    if not isinstance(value, WarmStart):
        return invalid_parameter("warm_start", _OWNER, "None or warm_start.from_runs(...)", value,
                                 "For example warm_start=warm_start.from_runs('recsys_mf_tpe_asha').")
    if getattr(searcher, "name", None) == "nsga2":
        return invalid_parameter(
            "warm_start", _OWNER, "None with the 'nsga2' searcher", value,
            "NSGA-II breeds each generation from the one before, and earlier trials belong to no "
            "generation: warm start (and `raysweep extend`) with NSGA-II is not supported yet. Use "
            "searchers.optuna(...), whose TPE learns from earlier trials with several objectives too.")
    if not getattr(searcher, "warm_startable", False):
        name = getattr(searcher, "name", searcher)
        return invalid_parameter(
            "warm_start", _OWNER, "None with the grid and random searchers", value,
            f"The {name!r} searcher learns nothing from earlier trials; use searcher='optuna' or 'tpe'.",
        )
    conditional = conditional_paths(space) if isinstance(space, Mapping) else []
    if conditional:
        return invalid_parameter(
            "warm_start", _OWNER, "None with a conditional space", value,
            f"Warm start over conditional dimensions ({', '.join('.'.join(p) for p in conditional)}) "
            "is not supported yet: Ray's OptunaSearch takes no evaluated points with a define-by-run "
            "space. Run without warm_start, or warm-start a sweep over one branch's space.",
        )
    return None


def startup_warnings(sweep: Any) -> tuple[str, ...]:
    """A searcher's start-up phase that covers the whole budget (every trial would be random)."""
    out = []
    startup, n, cells = sweep.startup_trials, sweep.n_trials, sweep.crossed_cells
    if startup is not None and cells > 1 and startup >= n // cells:
        out.append(
            f"The {sweep.searcher_spec.name!r} searcher starts with {startup} random trials but each of "
            f"the {cells} cells of the space.grid dimensions runs only {n // cells} (num_samples): every "
            "trial is random. Lower its start-up count or raise num_samples."
        )
    elif startup is not None and startup >= n:
        out.append(
            f"The {sweep.searcher_spec.name!r} searcher starts with {startup} random trials but the "
            f"sweep runs only {n}: every trial is random. Lower its start-up count or raise num_samples."
        )
    return tuple(out)


def plan_warnings(sweep: Any) -> tuple[str, ...]:
    """What ``raysweep plan`` adds to a sweep's definition warnings: how many earlier trials a warm
    start would seed (read from the default results store)."""
    out = []
    if sweep.warm_start is not None:
        from raysweep.warm_start import collect

        try:
            seeds = collect(sweep.warm_start, sweep.space, sweep.metric, sweep.mode)
        except RaysweepError as exc:
            out.append(f"Warm start cannot be read: {exc}")
        else:
            out.append(
                f"Warm start would seed {seeds.n} earlier trials from {len(seeds.runs)} run(s) "
                f"({seeds.n_outside} finished trials left out: outside the space or without a value); "
                "they count toward the searcher's start-up trials and are not run again."
            )
    return tuple(out)


#: What BOHB needs installed (the ``bohb`` extra), by import name.
BOHB_MODULES = ("hpbandster", "ConfigSpace")
_BOHB_ALTERNATIVE = ("searcher=searchers.optuna(...) or searchers.tpe(...) with "
                     "scheduler=schedulers.asha(...) or schedulers.hyperband(...)")


def bohb(searcher: Any, scheduler: Any, space: Any, points: Any) -> list[str | None]:
    """BOHB's two halves go together (Ray's TuneBOHB learns only from HyperBandForBOHB's budgets, and
    HyperBandForBOHB calls the searcher's pause hooks only TuneBOHB has), need hpbandster and
    ConfigSpace, and take float, integer and categorical dimensions only."""
    import importlib.util

    from raysweep.schedulers import HyperBandForBOHB
    from raysweep.searchers import BOHBSearch
    from raysweep.space import Float, Integer, conditional_paths, flatten

    is_search, is_sched = isinstance(searcher, BOHBSearch), isinstance(scheduler, HyperBandForBOHB)
    if is_sched and not is_search and hasattr(searcher, "name"):
        return [invalid_parameter(
            "scheduler", _OWNER, f"not hyperband_for_bohb with the {searcher.name!r} searcher",
            scheduler, "HyperBandForBOHB is BOHB's scheduler: use it with searcher=searchers.bohb(), "
            "or use scheduler=schedulers.hyperband(...) with this searcher.")]
    if not is_search:
        return []
    if not is_sched and hasattr(scheduler, "name"):
        return [invalid_parameter(
            "scheduler", _OWNER, "schedulers.hyperband_for_bohb(...) with the 'bohb' searcher",
            scheduler, "BOHB learns from HyperBandForBOHB's budgets only: use "
            "scheduler=schedulers.hyperband_for_bohb(max_t=...).")]
    problems: list[str | None] = []
    missing = [m for m in BOHB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        problems.append(invalid_parameter(
            "searcher", _OWNER, f"a searcher whose packages are installed ({', '.join(missing)} "
            "missing)", searcher, f"Install them with pip install 'raysweep[bohb]', or use "
            f"{_BOHB_ALTERNATIVE}."))
    if not isinstance(space, Mapping):
        return problems
    conditional = conditional_paths(space)
    if conditional:
        problems.append(invalid_parameter(
            "searcher", _OWNER, "not 'bohb' over a conditional space", searcher,
            f"Conditional dimensions ({', '.join('.'.join(p) for p in conditional)}) are not "
            f"supported with BOHB yet; use {_BOHB_ALTERNATIVE}."))
        return problems
    for path, leaf in flatten(space).items():
        where = ".".join(path)
        if getattr(leaf, "grid", False):
            problems.append(invalid_parameter(
                "searcher", _OWNER, "not 'bohb' over space.grid dimensions", searcher,
                f"space.grid dimension {where!r} is not supported with BOHB: make it space.choice, "
                f"or use {_BOHB_ALTERNATIVE}."))
        elif (isinstance(leaf, Float) and leaf.q is not None) or (
                isinstance(leaf, Integer) and leaf.q is not None and leaf.q > 1):
            problems.append(invalid_parameter(
                "searcher", _OWNER, "not 'bohb' over quantised dimensions", searcher,
                f"{where!r} is {leaf.describe()}: ConfigSpace 1.x has no quantisation. Drop q, or "
                f"use {_BOHB_ALTERNATIVE}."))
    if points:
        problems.append(invalid_parameter(
            "points_to_evaluate", _OWNER, "None with the 'bohb' searcher", list(points),
            f"Points to evaluate are not supported with BOHB yet; use {_BOHB_ALTERNATIVE}."))
    return problems


# Population-based training (issue 23).

def _compatible(mutation: Any, dimension: Any) -> bool:
    """A mutation may replace a dimension's value: a number for a number (an integer one for an
    integer dimension), a choice for a choice."""
    from raysweep.space import Categorical, Float, Integer

    if isinstance(dimension, Categorical):
        return isinstance(mutation, Categorical)
    if isinstance(dimension, Integer):
        return isinstance(mutation, Integer)
    if isinstance(dimension, Float):
        return isinstance(mutation, Float | Integer)
    return False


def pbt_problems(scheduler: Any, searcher: Any, space: Any) -> list[str]:
    """PBT needs a searcher whose configs it may replace (random or grid search), and mutations
    over dimensions of the space with a compatible domain."""
    from raysweep.searchers import GridSearch, RandomSearch, SearcherSpec
    from raysweep.space import Conditional, Domain, flatten

    if not getattr(scheduler, "population", False):
        return []
    owner = f"schedulers.{scheduler.name}"
    what = "mutations" if scheduler.name == "pbt" else "bounds"
    problems = []
    if isinstance(searcher, SearcherSpec) and not isinstance(searcher, GridSearch | RandomSearch):
        problems.append(invalid_parameter(
            "searcher", _OWNER, f"'random' or 'grid' with {owner}", searcher.name,
            f"Ray's {scheduler.name.upper()} replaces the configs a searcher suggested with "
            f"perturbed copies of others, so a model-based searcher ({searcher.name!r}) would learn "
            "from results of configs it did not propose. Use searcher='random' (or 'grid') to draw "
            "the initial population."))
    if not isinstance(space, Mapping):
        return problems
    dims = flatten(space)
    names = [".".join(p) for p, v in dims.items() if isinstance(v, Domain)]
    for path, mutation in scheduler.mutation_domains().items():
        key = ".".join(path)
        dimension = dims.get(path)
        if not isinstance(dimension, Domain) or isinstance(dimension, Conditional):
            where = ("a constant" if path in dims else "not a key") + " of the space"
            problems.append(invalid_parameter(
                f"{what}[{key!r}]", owner, "a dimension of the sweep's space", key,
                f"{key!r} is {where}: {scheduler.name.upper()} can only perturb keys the trials' "
                f"configs sample (the space's dimensions: {', '.join(names) or 'none'})."))
        elif not _compatible(mutation, dimension):
            problems.append(invalid_parameter(
                f"{what}[{key!r}]", owner,
                f"a dimension like the space's {dimension.describe()}", mutation.describe(),
                "A number is perturbed by a number (an integer dimension by an integer one), a "
                "choice by a choice."))
    return problems


def pbt_warnings(sweep: Any) -> tuple[str, ...]:
    """A perturbation interval the trials never reach; a checkpoint bound PBT overrides."""
    pbt = sweep.scheduler_spec
    if not getattr(pbt, "population", False):
        return ()
    out = []
    length = (sweep.stop or {}).get(pbt.time_attr)
    if length is not None and pbt.perturbation_interval >= length:
        out.append(
            f"schedulers.{pbt.name} perturbs every {pbt.perturbation_interval:g} {pbt.time_attr} but the "
            f"trials stop at {pbt.time_attr}={length:g} (stop=...): no trial is ever perturbed before "
            "it ends, and the run is plain random search. Lower perturbation_interval or train longer.")
    keep = sweep.checkpoint_spec
    if sweep.checkpoint is not None and keep.num_to_keep is not None:
        out.append(
            f"checkpoint num_to_keep={keep.num_to_keep} is not applied under schedulers.{pbt.name}: "
            "raysweep keeps each member's latest checkpoint, the one PBT last ranked it with and its best, "
            "and deletes the others once no exploit can copy them (Ray's num_to_keep would delete "
            "checkpoints an exploit still copies, ray-project/ray #27170).")
    return tuple(out)
