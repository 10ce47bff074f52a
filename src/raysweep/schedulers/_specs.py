"""Typed scheduler specs. Plain data: ``raysweep.execution`` turns them into Ray Tune schedulers."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from raysweep._errors import ConfigError, int_problem, invalid_parameter, raise_all, require
from raysweep._spec import Spec
from raysweep.space import Conditional, Domain, Float, Integer, flatten, space_to_json

__all__ = ["ASHA", "FIFO", "PB2", "PBT", "HyperBand", "HyperBandBracket", "HyperBandForBOHB",
           "SchedulerSpec"]


@dataclass(frozen=True)
class SchedulerSpec(Spec):
    """Base class of scheduler specs."""


@dataclass(frozen=True)
class FIFO(SchedulerSpec):
    """Every trial runs until it ends by itself."""

    name: ClassVar[str] = "fifo"


def _positive_int(value: Any, param: str) -> None:
    require(int_problem(value, param, "schedulers.asha"))


@dataclass(frozen=True)
class ASHA(SchedulerSpec):
    """Asynchronous successive halving; see :func:`raysweep.schedulers.asha`."""

    name: ClassVar[str] = "asha"
    max_t: int = 100
    grace_period: int = 1
    reduction_factor: float = 4
    brackets: int = 1
    time_attr: str = "training_iteration"
    #: The one objective ASHA ranks trials by (None: the sweep's first; the Sweep checks it is one
    #: of its objectives).
    metric: str | None = None
    #: Constraints of the sweep that are monotone (a trial cannot recover once it violates them):
    #: MO-ASHA stops a trial at its first result that violates one (see :func:`raysweep.schedulers.asha`).
    stop_on_violation: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.stop_on_violation, list):
            object.__setattr__(self, "stop_on_violation", tuple(self.stop_on_violation))
        if (not isinstance(self.stop_on_violation, tuple)
                or not all(isinstance(c, str) and c.strip() for c in self.stop_on_violation)):
            raise ConfigError(invalid_parameter(
                "stop_on_violation", "schedulers.asha", "a list of the sweep's constraints",
                self.stop_on_violation, "For example stop_on_violation=['model_mb <= 200'] with "
                "Sweep(constraints=['model_mb <= 200', ...])."))
        if self.metric is not None and (not isinstance(self.metric, str) or not self.metric):
            raise ConfigError(invalid_parameter(
                "metric", "schedulers.asha", "None or the name of one of the sweep's objectives",
                self.metric, "For example schedulers.asha(metric='val_ndcg')."))
        _positive_int(self.max_t, "max_t")
        _positive_int(self.grace_period, "grace_period")
        _positive_int(self.brackets, "brackets")
        if self.grace_period > self.max_t:
            raise ConfigError(
                invalid_parameter(
                    "grace_period", "schedulers.asha", f"at most max_t={self.max_t}",
                    self.grace_period, "Lower grace_period or raise max_t.",
                )
            )
        rf = self.reduction_factor
        if isinstance(rf, bool) or not isinstance(rf, int | float) or rf < 2:
            raise ConfigError(
                invalid_parameter("reduction_factor", "schedulers.asha", "a number >= 2", rf,
                                  "3 or 4 are the usual choices.")
            )
        if not isinstance(self.time_attr, str) or not self.time_attr:
            raise ConfigError(
                invalid_parameter("time_attr", "schedulers.asha", "a non-empty metric name",
                                  self.time_attr)
            )

    def params(self) -> dict[str, Any]:
        """The parameters as a JSON-ready dict (``stop_on_violation`` as a list)."""
        return {**super().params(), "stop_on_violation": list(self.stop_on_violation)}

    def violation_bounds(self) -> list[tuple[str, str, float]]:
        """``(metric, op, bound)`` of each ``stop_on_violation`` entry (the Sweep checked their form)."""
        return [b for b in map(self.bound_of, self.stop_on_violation) if b is not None]

    @staticmethod
    def bound_of(text: str) -> tuple[str, str, float] | None:
        """``(metric, op, bound)`` of ``<metric> <= <number>`` or ``>=``, else None."""
        return _monotone_bound(text)

    def rungs(self) -> list[int]:
        """The milestones at which trials are compared (first bracket)."""
        rungs: list[int] = []
        t: float = self.grace_period
        while t < self.max_t:
            rungs.append(int(t))
            t *= self.reduction_factor
        return rungs


def _hyperband_problems(spec: HyperBand, owner: str) -> None:
    require(int_problem(spec.max_t, "max_t", owner))
    rf = spec.reduction_factor
    if isinstance(rf, bool) or not isinstance(rf, int | float) or rf < 2:
        raise ConfigError(
            invalid_parameter("reduction_factor", owner, "a number >= 2", rf,
                              "3 (Ray's default) or 4 are the usual choices.")
        )
    if not isinstance(spec.time_attr, str) or not spec.time_attr:
        raise ConfigError(invalid_parameter("time_attr", owner, "a non-empty metric name", spec.time_attr))
    if not isinstance(spec.stop_last_trials, bool):
        raise ConfigError(invalid_parameter("stop_last_trials", owner, "True or False",
                                            spec.stop_last_trials))


@dataclass(frozen=True)
class HyperBandBracket:
    """One HyperBand bracket as Ray's ``HyperBandScheduler`` builds it: ``size`` trials start, and at
    each milestone of ``milestones`` all but the best ``keep[k]`` of them stop (the last milestone
    ends every trial left when ``stop_last_trials``)."""

    s: int
    size: int
    milestones: tuple[int, ...]
    keep: tuple[int, ...]


@dataclass(frozen=True)
class HyperBand(SchedulerSpec):
    """Synchronous HyperBand (Li et al., 2018); see :func:`raysweep.schedulers.hyperband`."""

    name: ClassVar[str] = "hyperband"
    #: Ray fills a band's brackets from the fewest rungs up (False) or, for BOHB, the most (True).
    largest_first: ClassVar[bool] = False
    max_t: int = 81
    reduction_factor: float = 3
    time_attr: str = "training_iteration"
    stop_last_trials: bool = True

    def __post_init__(self) -> None:
        _hyperband_problems(self, f"schedulers.{self.name}")

    def brackets(self) -> list[HyperBandBracket]:
        """The brackets of one band, in the order Ray fills them (Ray's ``_get_n0``, ``_get_r0``,
        ``_Bracket.successive_halving``; a bracket whose first milestone rounds to 0 is skipped)."""
        eta, max_t = float(self.reduction_factor), self.max_t
        s_max_1 = round(math.log(max_t) / math.log(eta)) + 1
        order = range(s_max_1 - 1, -1, -1) if self.largest_first else range(s_max_1)
        out = []
        for s in order:
            r = int(max_t * eta ** (-s))
            if r == 0:
                continue
            size = n = math.ceil(s_max_1 / (s + 1) * eta**s)
            milestones, keep = [r], []
            for _ in range(s):
                n = math.ceil(n / eta)
                r = int(min(r * eta, max_t))
                milestones.append(r)
                keep.append(n)
            out.append(HyperBandBracket(s, size, tuple(milestones), tuple(keep)))
        return out

    def trial_iterations(self, n_trials: int) -> list[list[int]]:
        """The milestones each of ``n_trials`` trials reaches, trial by trial in the order Tune adds
        them (the best-ranked of a bracket first within it), when every trial runs at least ``max_t``
        and brackets fill in trial order. A trial's stored iterations are its last milestone; one
        whose trainable reports no checkpoint re-runs from iteration 1 at each promotion, so it
        computes up to the sum of its milestones (the trial whose result completes a bracket's
        milestone is never paused and runs straight on)."""
        out: list[list[int]] = []
        brackets = self.brackets()
        while len(out) < n_trials and brackets:
            for bracket in brackets:
                m = min(bracket.size, n_trials - len(out))
                if m <= 0:
                    break
                reached = [[bracket.milestones[0]] for _ in range(m)]
                live = m
                for milestone, keep in zip(bracket.milestones[1:], bracket.keep, strict=True):
                    live = min(live, keep)  # a bracket short of trials keeps them all
                    for trial in reached[:live]:
                        trial.append(milestone)
                out.extend(reached)
        return out

    def expected_iterations(self, n_trials: int, cap: int | None = None,
                            resumed: bool = True) -> float:
        """Mean iterations per trial: stored (``resumed``: each promoted trial continues from its
        checkpoint) or, at most, computed by trainables that report none (``resumed=False``).
        ``cap``: the trainable ends by itself there."""
        if n_trials <= 0:
            return 0.0
        top = min(self.max_t, cap) if cap else self.max_t
        total = 0
        for reached in self.trial_iterations(n_trials):
            steps: list[int] = []
            for milestone in reached:  # a trainable ending at cap ends there, whatever comes next
                steps.append(min(milestone, top))
                if milestone >= top:
                    break
            if not self.stop_last_trials and cap and cap > self.max_t and reached[-1] >= self.max_t:
                steps[-1] = cap  # past max_t the survivor runs to its own end
            total += steps[-1] if resumed else sum(steps)
        return total / n_trials


@dataclass(frozen=True)
class HyperBandForBOHB(HyperBand):
    """Ray's ``HyperBandForBOHB``: HyperBand that fills the largest bracket first and pauses trials
    without waiting for a bracket to fill, for :func:`raysweep.searchers.bohb` only; see
    :func:`raysweep.schedulers.hyperband_for_bohb`."""

    name: ClassVar[str] = "hyperband_for_bohb"
    largest_first: ClassVar[bool] = True


# Population-based training (issue 23).

_PBT_OWNER = "schedulers.pbt"


def _number_problem(value: Any, param: str, expected: str, ok: Any,
                    owner: str = _PBT_OWNER) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value \
            or value in (float("inf"), float("-inf")) or not ok(value):
        return invalid_parameter(param, owner, expected, value)
    return None


def _population_problems(spec: Any, owner: str) -> list[str | None]:
    """The checks PBT and PB2 share: the perturbation interval, the quantile, time_attr, the seed."""
    return [
        _number_problem(spec.perturbation_interval, "perturbation_interval",
                        f"a number > 0 (in {spec.time_attr!r} units)", lambda v: v > 0, owner),
        _number_problem(spec.quantile_fraction, "quantile_fraction",
                        "a number in (0, 0.5]", lambda v: 0 < v <= 0.5, owner),
        None if isinstance(spec.time_attr, str) and spec.time_attr else invalid_parameter(
            "time_attr", owner, "a non-empty metric name", spec.time_attr),
        int_problem(spec.seed, "seed", owner, minimum=0, allow_none=True),
    ]


def _flat(mapping: Mapping[str, Any], param: str, owner: str) -> dict[tuple[str, ...], Any]:
    """``flatten(mapping)``; a bad key is reported as a problem of ``owner``'s ``param``."""
    try:
        return flatten(mapping)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("'space' parameter of Sweep",
                                           f"{param!r} parameter of {owner}")) from None


def _mutation_problems(mutations: Any) -> list[str]:
    """What is wrong with ``mutations``: a non-empty dict (nested like the space) of raysweep
    dimensions; conditional dimensions cannot be mutated (Ray's PBT perturbs leaves only)."""
    expected = ("a non-empty dict of space dimensions, e.g. {'lr': space.loguniform(1e-4, 1e-1), "
                "'n_neg': space.choice([1, 4, 16])}")
    if not isinstance(mutations, Mapping) or not mutations:
        return [invalid_parameter("mutations", _PBT_OWNER, expected, mutations)]
    problems = []
    for path, leaf in _flat(mutations, "mutations", _PBT_OWNER).items():
        key = ".".join(str(p) for p in path)
        if isinstance(leaf, Conditional):
            problems.append(invalid_parameter(f"mutations[{key!r}]", _PBT_OWNER,
                                              "a dimension that is not conditional", leaf,
                                              "Mutate the branches' own keys in a space without "
                                              "conditional dimensions."))
        elif not isinstance(leaf, Domain):
            problems.append(invalid_parameter(
                f"mutations[{key!r}]", _PBT_OWNER, "a raysweep.space dimension (uniform, "
                "loguniform, randint, choice, ...)", leaf))
    return problems


@dataclass(frozen=True)
class PBT(SchedulerSpec):
    """Population-based training; see :func:`raysweep.schedulers.pbt`."""

    name: ClassVar[str] = "pbt"
    #: Trials train at once and copy each other's checkpoints (execution keeps them all).
    population: ClassVar[bool] = True
    perturbation_interval: float
    mutations: Mapping[str, Any]
    quantile_fraction: float = 0.25
    resample_probability: float = 0.25
    perturbation_factors: tuple[float, ...] = (1.2, 0.8)
    time_attr: str = "training_iteration"
    seed: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.perturbation_factors, list):
            object.__setattr__(self, "perturbation_factors", tuple(self.perturbation_factors))
        factors = self.perturbation_factors
        problems: list[str | None] = [
            *_population_problems(self, _PBT_OWNER),
            *_mutation_problems(self.mutations),
            _number_problem(self.resample_probability, "resample_probability",
                            "a number in [0, 1]", lambda v: 0 <= v <= 1),
            None if isinstance(factors, tuple) and factors and all(
                not isinstance(f, bool) and isinstance(f, int | float) and 0 < f < float("inf")
                for f in factors) else invalid_parameter(
                "perturbation_factors", _PBT_OWNER, "a non-empty tuple of numbers > 0", factors,
                "For example (1.2, 0.8): a perturbed value is multiplied by one of them."),
        ]
        raise_all(problems, _PBT_OWNER)

    def params(self) -> dict[str, Any]:
        out = {f: getattr(self, f) for f in self.parameter_names()}
        out["mutations"] = json.loads(space_to_json(self.mutations))
        out["perturbation_factors"] = list(self.perturbation_factors)
        return out

    def mutated_paths(self) -> list[tuple[str, ...]]:
        """The mutated keys as paths into the space (nested as the space nests them)."""
        return list(flatten(self.mutations))

    def mutation_domains(self) -> dict[tuple[str, ...], Any]:
        """Each mutated path and the dimension it is resampled from."""
        return dict(flatten(self.mutations))


_PB2_OWNER = "schedulers.pb2"


@dataclass(frozen=True)
class PB2(SchedulerSpec):
    """Population-based bandits; see :func:`raysweep.schedulers.pb2`."""

    name: ClassVar[str] = "pb2"
    population: ClassVar[bool] = True
    perturbation_interval: float
    bounds: Mapping[str, Any]
    quantile_fraction: float = 0.25
    time_attr: str = "training_iteration"
    seed: int | None = None

    def __post_init__(self) -> None:
        problems = _population_problems(self, _PB2_OWNER)
        expected = ("a non-empty dict of numeric space dimensions, e.g. "
                    "{'lr': space.uniform(1e-4, 1e-1)}")
        if not isinstance(self.bounds, Mapping) or not self.bounds:
            problems.append(invalid_parameter("bounds", _PB2_OWNER, expected, self.bounds))
        else:
            for path, leaf in _flat(self.bounds, "bounds", _PB2_OWNER).items():
                if not isinstance(leaf, Float | Integer):
                    problems.append(invalid_parameter(
                        f"bounds[{'.'.join(path)!r}]", _PB2_OWNER,
                        "a numeric dimension (uniform, loguniform, randint, ...)", leaf,
                        "PB2 models each bounded key as a continuous range; a choice cannot be "
                        "bounded (use schedulers.pbt for it)."))
        raise_all(problems, _PB2_OWNER)

    def params(self) -> dict[str, Any]:
        out = {f: getattr(self, f) for f in self.parameter_names()}
        out["bounds"] = json.loads(space_to_json(self.bounds))
        return out

    def mutated_paths(self) -> list[tuple[str, ...]]:
        return list(flatten(self.bounds))

    def mutation_domains(self) -> dict[tuple[str, ...], Any]:
        return dict(flatten(self.bounds))


def _monotone_bound(text: str) -> tuple[str, str, float] | None:
    """``(metric, op, bound)`` of a constraint of the form ``<metric> <= <number>`` or ``>=``
    (``last.<metric>`` names the same metric), else None: the only form a scheduler can stop on."""
    import ast

    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1
            and isinstance(tree.ops[0], ast.LtE | ast.GtE)):
        return None
    left, right = tree.left, tree.comparators[0]
    if isinstance(left, ast.Attribute) and isinstance(left.value, ast.Name) and left.value.id == "last":
        name = left.attr
    elif isinstance(left, ast.Name):
        name = left.id
    else:
        return None
    negative = isinstance(right, ast.UnaryOp) and isinstance(right.op, ast.USub)
    number = right.operand if negative else right  # type: ignore[attr-defined]
    if not isinstance(number, ast.Constant) or isinstance(number.value, bool) \
            or not isinstance(number.value, int | float):
        return None
    bound = -float(number.value) if negative else float(number.value)
    return name, "<=" if isinstance(tree.ops[0], ast.LtE) else ">=", bound
