"""The sweep definition: everything a sweep needs, validated completely before Ray starts."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from raysweep import checkpoints as _checkpoints
from raysweep import schedulers as _schedulers
from raysweep import searchers as _searchers
from raysweep._errors import ConfigError, invalid_parameter, raise_all, unknown_parameters
from raysweep.checkpoints import Keep
from raysweep.schedulers import ASHA, HyperBand, SchedulerSpec
from raysweep.searchers import GridSearch, SearcherSpec
from raysweep.space import crossed_cells, from_ray, grid_size, space_problems, space_to_json
from raysweep.sweep import _checks, _objective_checks, _options
from raysweep.sweep._trainer import TrainerFacts, describe_trainer, loop_reads
from raysweep.warm_start import WarmStart

if TYPE_CHECKING:
    from raysweep.results import Condition, Objective

__all__ = ["Sweep"]


@dataclass(frozen=True, kw_only=True)
class Sweep:
    """A hyperparameter sweep: what to train, over which space, how to search, and at what cost.

    A sweep module under ``sweeps/`` defines exactly one ``SWEEP = Sweep(...)``. Construction validates
    every field and raises :class:`raysweep.ConfigError` listing all problems at once.

    ``metric=["val_ndcg", "model_mb"], mode=["max", "min"]`` (equal-length lists or tuples) makes a
    sweep with several objectives (:attr:`objectives`): Optuna's multi-objective TPE
    (``searchers.optuna``) or NSGA-II (``searchers.nsga2``) searches them, grid and random search
    ignore them; ``metric`` and ``mode`` then hold the first objective's. Early stopping takes one:
    ``schedulers.asha(metric="val_ndcg")``.

    ``constraints=["latency_ms <= 5", "config.dim <= 64"]`` are conditions in ``best --where``'s
    language over a trial's last reported metrics (by name) and its config (``config.<path>``): each
    ended trial records ``feasible``, and Optuna is told infeasible trials as such.

    ``num_samples`` is the number of trials for random, TPE and Optuna search (required for them), and
    the number of passes over the grid for grid search (default 1). As in Ray Tune, ``space.grid``
    dimensions (Ray's ``grid_search``) cross every sample: random, TPE and Optuna search run
    ``num_samples`` trials for each of their cells.

    ``space`` may hold Ray Tune's own domains (``tune.uniform``, ``tune.choice``,
    ``tune.grid_search``...): they become raysweep's dimensions when the Sweep is built.

    ``resources`` is what one trial reserves: ``{"cpu": 1}`` by default. When ``trainable`` is a Ray
    Train trainer (``TorchTrainer(...)``), the trainer's ``ScalingConfig`` adds its workers to that,
    and the trial itself reserves nothing by default (``{}``): its workers hold the compute.

    ``stop={"training_iteration": 20, "val_accuracy": 0.99}`` ends a trial once any reported value
    reaches its threshold (``>=``), as Ray Tune's dict of stop criteria does: a trainable that loops
    forever ends there.

    ``callbacks=[callbacks.mlflow(tracking_uri=...)]`` logs every trial to MLflow, W&B
    (``callbacks.wandb``) or TensorBoard (``callbacks.tensorboard()``); a ``ray.tune.Callback``
    instance of your own is passed to Tune as it is (it must pickle).

    ``checkpoint=checkpoints.keep(num_to_keep=2, score="val_loss")`` says which checkpoints each trial
    keeps (by default its latest one only).

    ``points_to_evaluate=[{"lr": 0.01, ...}]`` are configs the random, TPE or Optuna searcher runs
    first (each gives every dimension a value inside the space); they count toward ``num_samples``.

    ``warm_start=warm_start.from_runs("earlier_sweep")`` seeds a TPE or Optuna searcher with the earlier
    trials whose config lies inside ``space`` (same metric and mode); they are not run again.
    """

    name: str
    trainable: Callable[..., Any] | type | Any  # a function, a Trainable class or a Ray Train trainer
    space: Mapping[str, Any]
    # Given as lists for several objectives; once built, the first objective's (``objectives``: all).
    metric: str
    mode: str | None = None
    searcher: SearcherSpec | str = "random"
    scheduler: SchedulerSpec | str | None = "fifo"
    num_samples: int | None = None
    resources: Mapping[str, float] | None = None
    max_concurrent: int | None = None
    time_budget_s: float | None = None
    max_failures: int = 0
    stop: Mapping[str, float] | None = None
    seed: int = 0
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    warm_start: WarmStart | None = None
    callbacks: Sequence[Any] = ()
    checkpoint: Keep | Mapping[str, Any] | None = None
    points_to_evaluate: Sequence[Mapping[str, Any]] | None = None
    constraints: Sequence[str] = ()
    #: Every objective, set from ``metric``/``mode`` when the Sweep is built (kept through
    #: ``dataclasses.replace``, where ``metric``/``mode`` are already the first objective's).
    _objectives: tuple[Any, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        # Normalise string shorthands first: bad names are reported with the other problems.
        errors: list[str | None] = []
        if self.resources is None:
            object.__setattr__(self, "resources", {} if self.trainer is not None else {"cpu": 1})
        for attr, factory in (("searcher", _searchers.from_name),
                              ("scheduler", _schedulers.from_name)):
            try:
                object.__setattr__(self, attr, factory(getattr(self, attr)))
            except ConfigError as exc:
                errors.append(str(exc))
        if self.checkpoint is not None:
            try:
                object.__setattr__(self, "checkpoint", _checkpoints.from_value(self.checkpoint))
            except ConfigError as exc:
                errors.append(str(exc))
        space_errors = self._convert_space()
        errors += space_errors if space_errors else self._check_points()
        errors += _checks.bohb(self.searcher, self.scheduler, None if space_errors else self.space,
                               self.points_to_evaluate)
        errors += [
            _checks.name(self.name),
            _checks.trainable(self.trainable),
            *self._set_objectives(),
            _objective_checks.multi_objective_searcher(self.searcher, self._objectives),
            _objective_checks.early_stopping_objectives(self.scheduler, self._objectives),
            *self._set_constraints(None if space_errors else self.space),
            *_objective_checks.violation_stops(self.scheduler, self._objectives, self.constraints),
            self._check_num_samples(),
            _checks.resources(self.resources, trainer=self.trainer is not None),
            _checks.positive_int(self.max_concurrent, "max_concurrent", allow_none=True),
            _checks.budget(self.time_budget_s),
            _checks.positive_int(self.max_failures, "max_failures", minimum=0),
            _checks.stop(self.stop),
            _checks.positive_int(self.seed, "seed", minimum=0),
            _checks.description(self.description),
            _checks.tags(self.tags),
            _checks.warm_start(self.warm_start, self.searcher, self.space),
            *(_checks.pbt_problems(self.scheduler, self.searcher, self.space) if not space_errors
              else ()),
            *_options.callbacks_problems(self.callbacks),
            *(_options.checkpoint_problems(self.checkpoint, self.metric, self._trainable_kind)
              if isinstance(self.checkpoint, Keep) else ()),
        ]
        raise_all(errors, f"Sweep {self.name!r}")
        object.__setattr__(self, "resources", dict(self.resources or {}))
        object.__setattr__(self, "tags", dict(self.tags))
        if self.stop is not None:
            object.__setattr__(self, "stop", dict(self.stop))
        object.__setattr__(self, "callbacks", tuple(self.callbacks))
        if self.points_to_evaluate is not None:
            object.__setattr__(self, "points_to_evaluate",
                               tuple(dict(p) for p in self.points_to_evaluate))

    def _set_objectives(self) -> list[str]:
        """``metric``/``mode`` (one or equal-length lists) become the objectives; ``metric`` and
        ``mode`` then hold the first one's name and mode."""
        kept = self._objectives
        if kept and isinstance(self.metric, str) and (self.metric, self.mode) == \
                (kept[0].metric, kept[0].mode):
            return []  # dataclasses.replace of a built Sweep
        errors, objectives = _objective_checks.objectives(self.metric, self.mode)
        object.__setattr__(self, "_objectives", objectives)
        if objectives:
            object.__setattr__(self, "metric", objectives[0].metric)
            object.__setattr__(self, "mode", objectives[0].mode)
        return errors

    def _set_constraints(self, space: Any) -> list[str]:
        errors, _conditions = _objective_checks.constraints(self.constraints, space)
        if not errors:
            object.__setattr__(self, "constraints", tuple(self.constraints or ()))
        return errors

    def _check_points(self) -> list[str]:
        if not isinstance(self.searcher, SearcherSpec):
            return []  # the searcher's own error is reported
        n_trials = self.n_trials if not isinstance(self.num_samples, bool) and \
            isinstance(self.num_samples, int) and self.num_samples > 0 else 0
        return _options.points_problems(self.points_to_evaluate, self.space, self.searcher.name,
                                        n_trials if n_trials else 10**9)

    @property
    def _trainable_kind(self) -> str:
        if self.trainer is not None:
            return "trainer"
        return "class" if inspect.isclass(self.trainable) else "function"

    def _convert_space(self) -> list[str]:
        """Ray Tune's domains in ``space`` become raysweep's (everything downstream sees raysweep's
        only); every problem of the space, conversion and validation alike."""
        if not isinstance(self.space, Mapping):
            return space_problems(self.space)
        converted, problems = from_ray(self.space)
        object.__setattr__(self, "space", converted)
        return problems + space_problems(converted)

    def _check_num_samples(self) -> str | None:
        if self.num_samples is None and isinstance(self.searcher, GridSearch):
            return None
        if self.num_samples is None:
            searcher = getattr(self.searcher, "name", self.searcher)
            return invalid_parameter(
                "num_samples", "Sweep", f"an integer >= 1 with the {searcher!r} searcher", None,
                "Say how many trials to sample, e.g. num_samples=50.",
            )
        return _checks.positive_int(self.num_samples, "num_samples")

    # Derived facts, used by plan, execution and results.

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """Every objective, in order: ``metric`` and ``mode`` are the first one's."""
        return cast("tuple[Objective, ...]", self._objectives)

    @property
    def is_multi_objective(self) -> bool:
        return len(self._objectives) > 1

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o.metric for o in self.objectives)

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """The parsed ``constraints`` (validated when the Sweep was built)."""
        return _objective_checks.constraints(self.constraints, self.space)[1]

    @property
    def constraint_metrics(self) -> tuple[str, ...]:
        """The reported metrics the constraints read."""
        return _objective_checks.constraint_metrics(self.conditions)

    def objectives_text(self) -> str:
        """``max val_ndcg, min model_mb`` (as plan, validate and the run summary show them)."""
        return ", ".join(f"{o.mode} {o.metric}" for o in self.objectives)

    @property
    def searcher_spec(self) -> SearcherSpec:
        """The searcher as a spec (a shorthand such as ``"tpe"`` became one when the Sweep was built)."""
        return cast(SearcherSpec, self.searcher)

    @property
    def checkpoint_spec(self) -> Keep:
        """Which checkpoints each trial keeps (without ``checkpoint=``: its latest one)."""
        return self.checkpoint if isinstance(self.checkpoint, Keep) else Keep()

    @property
    def scheduler_spec(self) -> SchedulerSpec:
        """The scheduler as a spec (``None`` and ``"fifo"`` became :func:`schedulers.fifo`)."""
        return cast(SchedulerSpec, self.scheduler)

    @property
    def searcher_seed(self) -> int:
        """The seed the searcher uses: its own if set, else the sweep's."""
        seed = getattr(self.searcher, "seed", None)
        return self.seed if seed is None else seed

    @property
    def n_trials(self) -> int:
        """How many trials the sweep launches at most (the time budget may end it sooner): grid cells
        times ``num_samples`` for grid search; for the others ``num_samples`` times the cells of the
        ``space.grid`` dimensions (Ray's rule for ``grid_search``)."""
        if isinstance(self.searcher, GridSearch):
            return grid_size(self.space, self.searcher.grid_points) * (self.num_samples or 1)
        return int(self.num_samples or 0) * self.crossed_cells

    @property
    def crossed_cells(self) -> int:
        """Cells of the ``space.grid`` dimensions, each crossed with ``num_samples`` samples by random,
        TPE and Optuna search (1 without any)."""
        return len(crossed_cells(self.space))

    @property
    def concurrency_cap(self) -> int | None:
        """The limit on trials in flight: ``max_concurrent``, or the searcher's default cap."""
        if self.max_concurrent is not None:
            return self.max_concurrent
        return self.searcher_spec.default_max_concurrent()

    @property
    def startup_trials(self) -> int | None:
        """Random start-up trials of a model-based searcher for this budget (None for grid/random)."""
        if isinstance(self.searcher, GridSearch):
            return None
        # Each cell of the space.grid dimensions has a searcher of its own, num_samples trials long.
        return self.searcher_spec.startup_trials(int(self.num_samples or 0))

    @property
    def trainer(self) -> TrainerFacts | None:
        """The Ray Train trainer the trials run (its loop, base config and workers), or None."""
        return describe_trainer(self.trainable)

    @property
    def trial_bundles(self) -> list[dict[str, float]]:
        """What one trial holds, as Ray places it: the trial's own reservation, then one bundle per
        Ray Train worker (each bundle lies on one node; a trainer's workers may use several)."""
        own = {k: float(v) for k, v in dict(self.resources or {}).items() if v}
        trainer = self.trainer
        workers = trainer.bundles() if trainer is not None else []
        return [own, *workers] if own or not workers else workers

    @property
    def trial_resources(self) -> dict[str, float]:
        """Everything one trial holds at once: its own reservation plus its trainer's workers."""
        total: dict[str, float] = {}
        for bundle in self.trial_bundles:
            for key, amount in bundle.items():
                total[key] = total.get(key, 0.0) + amount
        return total

    def definition_warnings(self) -> tuple[str, ...]:
        """What looks wrong but may be meant, as ``validate``, ``plan`` and ``run`` print it: a
        searcher whose start-up trials are the whole budget, a space key a trainer's loop never reads."""
        return (_checks.startup_warnings(self) + self._unread_keys_warnings()
                + _checks.pbt_warnings(self))

    def _unread_keys_warnings(self) -> tuple[str, ...]:
        trainer = self.trainer
        if trainer is None:
            return ()
        reads = loop_reads(trainer.loop)
        if reads is None:
            return ()
        unread = sorted(set(self.space) - reads)
        if not unread:
            return ()
        name = getattr(trainer.loop, "__qualname__", repr(trainer.loop))
        return (f"The space of sweep {self.name!r} has key(s) {unread} that {trainer.kind}'s "
                f"train_loop_per_worker {name!r} never reads (it reads {sorted(reads)}): those "
                "dimensions are searched but change nothing. Read them in the loop, or drop them.",)

    @property
    def asha(self) -> ASHA | None:
        return self.scheduler if isinstance(self.scheduler, ASHA) else None

    @property
    def early_stopping(self) -> ASHA | HyperBand | None:
        """The scheduler when it stops trials early (ASHA, HyperBand): its ``max_t`` and ``time_attr``
        say which ended trials it stopped short."""
        return self.scheduler if isinstance(self.scheduler, ASHA | HyperBand) else None

    def space_json(self) -> str:
        return space_to_json(self.space)


#: Ray Tune's names for what a Sweep takes under another name, and Tune options a Sweep does not take
#: yet, each with what to do instead.
_TUNE_NAMES: dict[str, str] = {
    "param_space": "Use space=... (raysweep.space dimensions, or Ray Tune's own tune.uniform, "
                   "tune.choice, tune.grid_search ..., which raysweep converts).",
    "config": "Use space=... (raysweep.space dimensions, or Ray Tune's own tune.uniform, "
              "tune.choice, tune.grid_search ..., which raysweep converts).",
    "max_concurrent_trials": "Use max_concurrent=...",
    "resources_per_trial": "Use resources={'cpu': ..., 'gpu': ...}.",
    "search_alg": "Use searcher=... (raysweep.searchers: grid, random, tpe, optuna).",
    "checkpoint_config": "Use checkpoint=checkpoints.keep(num_to_keep=..., score=..., order=...).",
    "tune_config": "Give its fields to Sweep itself (metric, mode, searcher, scheduler, num_samples, "
                   "max_concurrent, time_budget_s).",
    "run_config": "Give its fields to Sweep itself (name, max_failures, stop, callbacks, checkpoint); "
                  "raysweep owns storage.",
}


def _reject_unknown_arguments(init: Any) -> Any:
    """Sweep's generated ``__init__``, refusing unknown keywords with the error template: every one
    at once, with a did-you-mean, or for Ray Tune's own names what raysweep takes instead."""
    fields = [f.name for f in dataclasses.fields(Sweep) if not f.name.startswith("_")]

    @functools.wraps(init)
    def __init__(self: Sweep, *args: Any, **kwargs: Any) -> None:
        unknown = {name: value for name, value in kwargs.items()
                   if name not in fields and name != "_objectives"}
        if unknown:
            errors = unknown_parameters("Sweep", unknown, fields, _TUNE_NAMES)
            raise_all(list(errors), f"Sweep {kwargs.get('name', '?')!r}")
        init(self, *args, **kwargs)

    return __init__


Sweep.__init__ = _reject_unknown_arguments(Sweep.__init__)  # type: ignore[method-assign]
