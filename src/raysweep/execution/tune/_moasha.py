"""MO-ASHA: asynchronous successive halving whose rungs rank trials on several objectives.

Ray's ``AsyncHyperBandScheduler`` compares one number per trial and takes its ranking from its
private ``_Bracket``; giving it a multi-objective ranking would mean replacing private code. So
:class:`MOASHA` is a ``FIFOScheduler`` subclass built on Tune's public scheduler hooks only
(``on_trial_add``, ``on_trial_result`` returning CONTINUE or STOP, ``on_trial_complete``,
``on_trial_remove``, ``save``/``restore``), with ASHA's brackets and rungs as Ray's ASHA lays them
out: bracket ``s`` checks trials at ``grace_period * reduction_factor**(k + s)`` (in ``time_attr``
units) and a result at ``max_t`` ends the trial. At a rung, the trial's objective values join
the values recorded there before it, the rung is ranked by :func:`~._mo_rank.rank_rung`
(non-dominated sorting with the epsilon-net tie break) and the trial continues when it stands
in the top ``1 / reduction_factor`` (:func:`~._mo_rank.promotes`).

Every decision is appended to :attr:`MOASHA.events` in the form of ``RecordingASHA``'s, so
``RungCallback`` writes them to the ``rungs`` dataset: ``metric``/``value`` are the first
objective's, ``cutoff`` is null (there is no cutoff value), and ``objectives_json``,
``values_json``, ``nd_rank`` (the trial's front) and ``position`` (its place in the rung's order)
say why it was decided so.

Optional *monotone constraints*: predicates over a result that, once False, stay False for the
rest of the trial (see :class:`MonotoneConstraint`); a trial whose result violates one is stopped
at once (a ``stopped`` row at its time value, the predicate named in ``constraint``).
"""

from __future__ import annotations

import pickle
import random
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.execution.tune._mo_rank import promotes, rank_rung
from raysweep.results import MODES, RungDecision, to_json
from raysweep.schedulers import ASHA

__all__ = ["MOASHA", "MonotoneConstraint", "make_mo_asha", "milestones"]

Objectives = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MonotoneConstraint:
    """A constraint a trial cannot recover from once it violates it: ``metric op bound``.

    Monotone means the reported value only moves one way over a trial's life, so a violation at
    one result is a violation at every later one: a cumulative cost (``time_total_s <= 600``,
    epochs or samples used), or a quantity fixed by the config and reported as a constant
    (``model_mb <= 200`` for a model whose size does not change while it trains). A measured,
    noisy or learned quantity (a per-epoch latency, a validation metric) is not monotone: stopping
    on it would kill trials that could have come back. ``op`` is ``"<="`` or ``">="``. A result
    without the metric does not violate it. Plain data, so the scheduler pickles with Tune's state.
    """

    metric: str
    op: str
    bound: float

    def __post_init__(self) -> None:
        if self.op not in ("<=", ">="):
            raise ConfigError(invalid_parameter("op", "MonotoneConstraint", "'<=' or '>='", self.op))

    def violated(self, result: Mapping[str, Any]) -> bool:
        """Whether ``result`` breaks the constraint (False when it lacks the metric)."""
        value = result.get(self.metric)
        if value is None:
            return False
        value = float(value)
        return not (value <= self.bound if self.op == "<=" else value >= self.bound)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


def milestones(grace_period: float, max_t: float, reduction_factor: float, s: int) -> list[float]:
    """Bracket ``s``'s rung milestones, ascending, as Ray's ASHA lays them out (``_Bracket``)."""
    count = int(np.log(max_t / grace_period) / np.log(reduction_factor) - s + 1)
    return [grace_period * reduction_factor ** (k + s) for k in range(count)]


def _check_objectives(objectives: Sequence[tuple[str, str]]) -> Objectives:
    pairs = tuple((str(m), str(d)) for m, d in objectives)
    names = [m for m, _ in pairs]
    if len(pairs) < 1 or len(set(names)) != len(names) or any(d not in MODES for _, d in pairs):
        raise ConfigError(invalid_parameter(
            "objectives", "MOASHA", "distinct (metric, 'min' | 'max') pairs", objectives))
    return pairs


class MOASHA(FIFOScheduler):
    """Multi-objective ASHA on Tune's public scheduler hooks (see the module docstring).

    Args:
        objectives: ``(metric, mode)`` pairs; the rung ranks trials on all of them.
        time_attr, max_t, grace_period, reduction_factor, brackets: as ``schedulers.asha``.
        stop_last_trials: end a trial at ``max_t`` (Ray's ASHA's default).
        constraints: :class:`MonotoneConstraint`s; a result violating one stops its trial.
        seed: seeds the bracket a new trial joins (Ray's ASHA draws it from numpy's global RNG).
    """

    def __init__(self, objectives: Sequence[tuple[str, str]], *, time_attr: str = "training_iteration",
                 max_t: float = 100, grace_period: float = 1, reduction_factor: float = 4,
                 brackets: int = 1, stop_last_trials: bool = True,
                 constraints: Sequence[MonotoneConstraint] = (), seed: int = 0) -> None:
        super().__init__()
        self.objectives = _check_objectives(objectives)
        self.time_attr, self.max_t = time_attr, max_t
        self.reduction_factor, self.stop_last_trials = reduction_factor, stop_last_trials
        self.constraints = tuple(constraints)
        # bracket -> [(milestone, {ray trial id: values}), ...], milestones descending like Ray's
        self.brackets: list[list[tuple[float, dict[str, list[float | None]]]]] = [
            [(m, {}) for m in reversed(milestones(grace_period, max_t, reduction_factor, s))]
            for s in range(brackets)
        ]
        self.trial_bracket: dict[str, int] = {}
        self.rng = random.Random(seed)
        self.events: list[dict[str, Any]] = []
        self.stopped_early: set[str] = set()  # shared with an Optuna searcher (link_early_stops)
        self._done: set[str] = set()
        self._last: dict[str, dict[str, Any]] = {}  # trial -> its last promoted row's rung fields
        self._warned: set[str] = set()  # objectives a result lacked (warned once each)

    # Tune's interface.

    @property
    def metric(self) -> str:
        """The first objective's name (what Tune shows as the scheduler's metric)."""
        return self.objectives[0][0]

    def set_search_properties(self, metric: str | None, mode: str | None, **spec: Any) -> bool:
        """Accept Tune's metric/mode when they are absent or agree with the objectives."""
        names = [m for m, _ in self.objectives]
        modes = [d for _, d in self.objectives]
        metric_ok = metric is None or metric == names[0] or list(_as_list(metric)) == names
        mode_ok = mode is None or mode == modes[0] or list(_as_list(mode)) == modes
        return bool(metric_ok and mode_ok)

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        sizes = np.array([len(b) for b in self.brackets], dtype=float)
        weights = np.e ** (sizes - sizes.max())  # Ray's ASHA's weights: more rungs, more trials
        self.trial_bracket[trial.trial_id] = self.rng.choices(
            range(len(self.brackets)), weights=list(weights))[0]

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        broken = next((c for c in self.constraints if c.violated(result)), None)
        if broken is not None and self.time_attr in result:  # whether or not it has every objective
            seen = [None if result.get(m) is None else float(result[m]) for m, _ in self.objectives]
            self._emit(trial, result, float(result[self.time_attr]), RungDecision.STOPPED, seen,
                       constraint=str(broken))
            return TrialScheduler.STOP
        values = self._values(result)
        if values is None:
            return TrialScheduler.CONTINUE
        if float(result[self.time_attr]) >= self.max_t and self.stop_last_trials:
            self._emit(trial, result, float(self.max_t), RungDecision.COMPLETED, values)
            return TrialScheduler.STOP
        return self._at_rung(trial, result, values, final=False)

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        values = self._values(result)
        if values is not None and trial.trial_id in self.trial_bracket:
            ended_alone = bool(result.get("done")) and trial.trial_id not in self._done
            if ended_alone:
                self._at_rung(trial, result, values, final=True)
                if trial.trial_id not in self._done:  # no new rung: a row at its last time value
                    time_value = float(result[self.time_attr])
                    last = self._last.get(trial.trial_id, {})
                    same = last.get("milestone") == time_value  # ended at a rung: keep its fields
                    self._emit(trial, result, time_value, RungDecision.COMPLETED, values,
                               **({k: v for k, v in last.items() if k != "milestone"} if same else {}))
            else:
                self._record(trial, result, values)  # what Ray's ASHA does with a final result
        self.trial_bracket.pop(trial.trial_id, None)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self.trial_bracket.pop(trial.trial_id, None)

    def debug_string(self) -> str:
        rungs = " | ".join(f"{m:g}: {len(r)}" for bracket in self.brackets for m, r in bracket)
        return f"Using MO-ASHA on {', '.join(f'{m} ({d})' for m, d in self.objectives)}: {rungs}"

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as handle:
            pickle.dump(self.__dict__, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self.__dict__.update(pickle.load(handle))

    def drain(self) -> list[dict[str, Any]]:
        """The decisions recorded since the last call (``RungCallback`` writes them)."""
        events, self.events = self.events, []
        return events

    # The rungs.

    def _values(self, result: Mapping[str, Any]) -> list[float | None] | None:
        """The objectives' values in ``result``, or None when it is not one a rung compares
        (warned once per objective a result with the time attribute lacks, as a trial that never
        reports it is never compared and never stopped)."""
        if self.time_attr not in result:
            return None
        missing = [m for m, _ in self.objectives if result.get(m) is None]
        if missing:
            new = [m for m in missing if m not in self._warned]
            if new:
                self._warned.update(new)
                warnings.warn(f"MO-ASHA: a result reported no {', '.join(map(repr, new))}; such "
                              "results are not compared at a rung (report every objective).",
                              RuntimeWarning, stacklevel=2)
            return None
        return [float(result[m]) for m, _ in self.objectives]

    def _rung_of(self, trial_id: str, time_value: float) -> tuple[float, dict] | None:
        """The rung a result at ``time_value`` is compared at (Ray's ``_Bracket.on_result`` loop)."""
        for milestone, recorded in self.brackets[self.trial_bracket[trial_id]]:
            if time_value >= milestone and trial_id in recorded and not self.stop_last_trials:
                return None
            if time_value < milestone or trial_id in recorded:
                continue
            return milestone, recorded
        return None

    def _record(self, trial: Any, result: Mapping[str, Any], values: list[float | None]) -> None:
        rung = self._rung_of(trial.trial_id, float(result[self.time_attr]))
        if rung is not None:
            rung[1][trial.trial_id] = values

    def _at_rung(self, trial: Any, result: Mapping[str, Any], values: list[float | None], *,
                 final: bool) -> str:
        if trial.trial_id not in self.trial_bracket:
            return TrialScheduler.CONTINUE
        rung = self._rung_of(trial.trial_id, float(result[self.time_attr]))
        if rung is None:
            return TrialScheduler.CONTINUE
        milestone, recorded = rung
        earlier = list(recorded.values())
        ranking = rank_rung([*earlier, values], [d for _, d in self.objectives])
        position = ranking.position(len(earlier))
        keep = promotes(position, len(earlier) + 1, self.reduction_factor)
        recorded[trial.trial_id] = values
        decision = (RungDecision.COMPLETED if final
                    else RungDecision.PROMOTED if keep else RungDecision.STOPPED)
        self._emit(trial, result, milestone, decision, values, rung_size=len(earlier),
                   nd_rank=ranking.fronts[len(earlier)], position=position)
        return TrialScheduler.CONTINUE if keep or final else TrialScheduler.STOP

    def _emit(self, trial: Any, result: Mapping[str, Any], milestone: float, decision: RungDecision,
              values: list[float | None], *, rung_size: int | None = None, nd_rank: int | None = None,
              position: int | None = None, constraint: str | None = None) -> None:
        trial_id = trial.trial_id
        if decision == RungDecision.STOPPED:
            self.stopped_early.add(trial_id)
        if decision == RungDecision.PROMOTED:
            self._last[trial_id] = {"milestone": float(milestone), "rung_size": rung_size,
                                    "nd_rank": nd_rank, "position": position}
        else:
            self._done.add(trial_id)
            self._last.pop(trial_id, None)
        bracket = self.trial_bracket.get(trial_id)
        self.events.append({
            "ray_trial_id": trial_id, "bracket": bracket, "milestone": float(milestone),
            "time_attr": self.time_attr, "time_value": float(result[self.time_attr]),
            "metric": self.objectives[0][0], "value": values[0], "cutoff": None,
            "rung_size": rung_size, "decision": decision.value, "timestamp": datetime.now(UTC),
            "objectives_json": to_json([list(p) for p in self.objectives]),
            "values_json": to_json(dict(zip([m for m, _ in self.objectives], values, strict=True))),
            "nd_rank": nd_rank, "position": position, "constraint": constraint,
        })


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def make_mo_asha(spec: ASHA, objectives: Sequence[tuple[str, str]], *,
                 constraints: Sequence[MonotoneConstraint] = (), seed: int = 0) -> MOASHA:
    """The :class:`MOASHA` of a ``schedulers.asha(...)`` spec over ``objectives``.

    ``objectives`` are ``(metric, mode)`` pairs (a multi-objective sweep's ``Sweep.objectives``
    as pairs); ``constraints`` are monotone ones (:class:`MonotoneConstraint`).
    """
    return MOASHA(objectives, time_attr=spec.time_attr, max_t=spec.max_t,
                  grace_period=spec.grace_period, reduction_factor=spec.reduction_factor,
                  brackets=spec.brackets, constraints=constraints, seed=seed)

