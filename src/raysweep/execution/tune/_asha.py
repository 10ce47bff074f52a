"""ASHA's rung decisions, recorded: what Ray's scheduler decided, at which rung, against which cutoff.

:class:`RecordingASHA` is Ray's ``AsyncHyperBandScheduler`` unchanged, plus a record of each
decision. It does not re-implement ASHA: around each call into Ray's code it notes which rung of the
trial's bracket gained the trial (Ray's ``_Bracket`` records a trial's value in a rung's dict when it
compares it), and the cutoff Ray's ``_Bracket.on_result`` compared it against: each bracket's
``cutoff`` method is wrapped (:class:`_CutoffSpy`) to keep the value Ray's own code returned, so
nothing is computed twice. ASHA's internals are read through raysweep's adapter
(``execution/_internals/_schedulers.py``): a Ray whose ASHA lacks them records no rungs (warned once).
The
decision is Ray's returned action: ``STOP`` -> ``stopped``, else ``promoted``; a result at
``max_t`` that Ray stops without comparing is ``completed``, and so is a trial that ended on its own
(Tune's final ``done`` result).

:class:`RungCallback` drains those records on Tune's driver loop into the run's ``rungs`` dataset
(``RunWriter.add_rung``), keyed by raysweep's stable trial id. In a resumed run, the rows the
restarted scheduler records on the result a STOP carried over from the previous driver was taken on
are held, and dropped once Tune executes that STOP (:mod:`raysweep.execution.tune._carried`): the
previous driver's row of the decision Tune acts on stays the trial's row at that rung.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ray.tune.schedulers import AsyncHyperBandScheduler, TrialScheduler

from raysweep.execution._internals import (
    AshaSettings,
    asha_bracket_of,
    asha_brackets,
    asha_settings,
    bracket_cutoff,
    bracket_rungs,
    replace_bracket_cutoff,
)
from raysweep.execution.tune._carried import CarriedStops
from raysweep.execution.tune._decisions import DecisionCallback, KeyOf
from raysweep.execution.tune._moasha import MOASHA
from raysweep.results import RungDecision, RunWriter

__all__ = ["RecordingASHA", "RungCallback"]


class _CutoffSpy:
    """Stands in for one ``_Bracket``'s ``cutoff`` method: calls Ray's and keeps what it returned."""

    def __init__(self, bracket: Any) -> None:
        self.bracket = bracket
        self.last: Any = None

    def __call__(self, recorded: dict) -> Any:
        self.last = bracket_cutoff(self.bracket, recorded)
        return self.last


class RecordingASHA(AsyncHyperBandScheduler):
    """Ray's ASHA; every rung decision is appended to :attr:`events` (plain dicts, Ray trial ids)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bracket in asha_brackets(self):  # the cutoff Ray compares against, as Ray computed it
            replace_bracket_cutoff(bracket, _CutoffSpy(bracket))
        self.events: list[dict[str, Any]] = []
        self._done: set[str] = set()  # Ray trial ids with a final (stopped/completed) row
        self._last: dict[str, tuple[float, Any, int | None]] = {}  # trial -> its last rung row
        # Ray trial ids ASHA stopped below max_t: shared with a searcher that tells them apart (Optuna
        # records them as pruned, _searchers.py); pickled with the scheduler in the Tuner's state
        self.stopped_early: set[str] = set()

    def _members(self, trial_id: str) -> list[bool] | None:
        bracket = asha_bracket_of(self, trial_id)
        if bracket is None:
            return None
        return [trial_id in recorded for _, recorded in bracket_rungs(bracket)]

    def _note(self, trial: Any, result: dict, bracket: Any, before: list[bool] | None,
              action: str | None, settings: AshaSettings) -> None:
        """Emit the row of the rung that gained ``trial`` (compare with ``before``), if any."""
        if bracket is None or before is None:
            return
        for (milestone, recorded), was in zip(bracket_rungs(bracket), before, strict=True):
            if was or trial.trial_id not in recorded:
                continue
            # what Ray's on_result just compared the trial against (None without the spy)
            cutoff = bracket.cutoff.last if isinstance(bracket.cutoff, _CutoffSpy) else None
            if action is None:  # Tune's final result of a trial that ended on its own
                decision, cutoff = RungDecision.COMPLETED, None
            elif action == TrialScheduler.STOP:
                decision = RungDecision.STOPPED
            else:
                decision = RungDecision.PROMOTED
            self._emit(trial, result, milestone, cutoff, decision, len(recorded) - 1,
                       self._index(bracket), settings)
            return

    def _index(self, bracket: Any) -> int | None:
        brackets = asha_brackets(self)
        return brackets.index(bracket) if bracket in brackets else None

    def _emit(self, trial: Any, result: dict, milestone: float, cutoff: Any,
              decision: RungDecision, rung_size: int | None, bracket: int | None,
              settings: AshaSettings) -> None:
        if decision == RungDecision.STOPPED:
            self.stopped_early.add(trial.trial_id)
        if decision != RungDecision.PROMOTED:
            self._done.add(trial.trial_id)
            self._last.pop(trial.trial_id, None)
        else:
            self._last[trial.trial_id] = (float(milestone), cutoff, rung_size)
        op = settings.metric_op or 1.0
        self.events.append({
            "ray_trial_id": trial.trial_id,
            "bracket": bracket,
            "milestone": float(milestone),
            "time_attr": settings.time_attr,
            "time_value": float(result[settings.time_attr]),
            "metric": settings.metric,
            "value": float(result[settings.metric]),
            "cutoff": None if cutoff is None else float(op * cutoff),  # back to the metric's sign
            "rung_size": rung_size,
            "decision": decision.value,
            "timestamp": datetime.now(UTC),
        })

    def _scored(self, result: dict) -> AshaSettings | None:
        """ASHA's settings when ``result`` is one ASHA compares (else, or without them, None)."""
        settings = asha_settings(self)
        if settings is None or settings.time_attr not in result or result.get(settings.metric) is None:
            return None
        return settings

    def _reset(self, bracket: Any) -> None:
        if bracket is not None and isinstance(bracket.cutoff, _CutoffSpy):
            bracket.cutoff.last = None

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        before = self._members(trial.trial_id)
        self._reset(asha_bracket_of(self, trial.trial_id))
        action = super().on_trial_result(tune_controller, trial, result)
        settings = self._scored(result)
        if settings is None:
            return action
        bracket = asha_bracket_of(self, trial.trial_id)
        if result[settings.time_attr] >= settings.max_t and settings.stop_last_trials:
            index = self._index(bracket) if bracket is not None else None
            self._emit(trial, result, settings.max_t, None, RungDecision.COMPLETED, None, index,
                       settings)
        else:
            self._note(trial, result, bracket, before, action, settings)
        return action

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        before = self._members(trial.trial_id)
        bracket = asha_bracket_of(self, trial.trial_id)
        self._reset(bracket)
        super().on_trial_complete(tune_controller, trial, result)
        ended_alone = bool(result.get("done")) and trial.trial_id not in self._done
        settings = self._scored(result)
        if not ended_alone or settings is None or bracket is None:
            return
        self._note(trial, result, bracket, before, None, settings)
        if trial.trial_id not in self._done:  # no new rung: its row at its last time value
            time_value = float(result[settings.time_attr])
            milestone, cutoff, size = self._last.get(trial.trial_id, (None, None, None))
            if milestone != time_value:  # ended between rungs (at a rung: keep that rung's cutoff)
                cutoff, size = None, None
            self._emit(trial, result, time_value, cutoff, RungDecision.COMPLETED, size,
                       self._index(bracket), settings)

    def drain(self) -> list[dict[str, Any]]:
        """The decisions recorded since the last call."""
        events, self.events = self.events, []
        return events


def recording_scheduler(scheduler: Any) -> RecordingASHA | MOASHA | None:
    """The :class:`RecordingASHA` (or multi-objective :class:`MOASHA`) inside Tune's scheduler
    (raysweep wraps it), or None."""
    for _ in range(4):
        if isinstance(scheduler, RecordingASHA | MOASHA):
            return scheduler
        scheduler = getattr(scheduler, "__dict__", {}).get("inner")
        if scheduler is None:
            return None
    return None


class RungCallback(DecisionCallback):
    """Write :class:`RecordingASHA`'s (or :class:`MOASHA`'s) decisions to the run's ``rungs`` dataset.

    Tune calls the scheduler before the callbacks for the same event, so the decisions of a result
    are drained in this callback's ``on_trial_result`` (and ``on_trial_complete``). The scheduler is
    found on Tune's controller at ``setup``, so a restored run (whose scheduler Tune unpickled)
    is recorded too.

    Args:
        writer: The run's writer.
        trial_key: Maps a Ray ``Trial`` to raysweep's stable trial id.
        carried: The run's :class:`CarriedStops` (a callback before this one), or None.
    """

    purpose = "recording ASHA's rung decisions"

    def __init__(self, writer: RunWriter, trial_key: Callable[[Any, list | None], str],
                 carried: CarriedStops | None = None) -> None:
        super().__init__(writer, trial_key)
        self.carried = carried
        self._held: dict[str, list[dict[str, Any]]] = {}  # Ray trial id -> rows awaiting its STOP

    def recording(self, scheduler: Any) -> RecordingASHA | MOASHA | None:
        return recording_scheduler(scheduler)

    def write(self, event: dict[str, Any], key_of: KeyOf) -> None:
        ray_id = event.pop("ray_trial_id")
        trial_id = key_of(ray_id)
        if trial_id is None:
            return
        row = {"trial_id": trial_id, **event}
        if (self.carried is not None
                and self.carried.decided_at(ray_id, event["time_attr"]) == event["time_value"]):
            self._held.setdefault(ray_id, []).append(row)  # Tune may act on the carried STOP instead
            return
        self.writer.add_rung(row)

    def _settle(self, trial: Any) -> None:
        """The trial's held rows: dropped when Tune executed its carried STOP (the previous driver's
        row stands), written when it ended otherwise (the restarted scheduler's decision held)."""
        rows = self._held.pop(trial.trial_id, [])
        if self.carried is not None and self.carried.executed_stop(trial.trial_id):
            return
        for row in rows:
            self.writer.add_rung(row)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        super().on_trial_complete(iteration, trials, trial, **info)
        self._settle(trial)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        super().on_trial_error(iteration, trials, trial, **info)
        self._settle(trial)

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._settle(trial)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        super().on_experiment_end(trials, **info)
        # Still running, its STOP still held: Tune's final snapshot keeps that STOP for the next
        # resume, and the previous driver's row stays the decision of record.
        self._held.clear()
