"""Ray Tune's ``AsyncHyperBandScheduler`` (ASHA) from the inside: its brackets, their rungs, and the
settings Tune may change after construction, which :class:`~raysweep.execution.tune._asha.RecordingASHA`
reads to record each rung decision (it never re-implements ASHA).

Rung records can degrade: when Ray's ASHA lacks what is read here, a warning says so once, ASHA still
schedules as Ray does, and the run's ``rungs`` dataset stays empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["AshaSettings", "asha_bracket_of", "asha_brackets", "asha_settings", "bracket_cutoff",
           "bracket_rungs", "replace_bracket_cutoff"]

_ASHA = "ray.tune.schedulers.async_hyperband:AsyncHyperBandScheduler"
_BRACKET = "ray.tune.schedulers.async_hyperband:_Bracket"
_OFF = "ASHA's rung decisions are not recorded (ASHA itself schedules as usual)"

_BRACKETS = requirement(_ASHA, "_brackets", "attribute",
                        why="record ASHA's rung decisions: the scheduler's brackets")
_TRIAL_INFO = requirement(_ASHA, "_trial_info", "attribute",
                          why="record ASHA's rung decisions: which bracket runs a trial")
_SETTINGS = tuple(
    requirement(_ASHA, name, "attribute", why=f"record ASHA's rung decisions: its {what}")
    for name, what in (("_metric", "metric"), ("_metric_op", "metric's sign"),
                       ("_time_attr", "time attribute"), ("_max_t", "max_t"),
                       ("_stop_last_trials", "stop_last_trials")))
_RUNGS = requirement(_BRACKET, "_rungs", "attribute",
                     why="record ASHA's rung decisions: each rung's milestone and recorded values")
_ON_RESULT = requirement(
    _BRACKET, "on_result", "method", params=("trial", "cur_iter", "cur_rew"),
    why="record ASHA's rung decisions: it calls self.cutoff(recorded) and records the trial's value")
_CUTOFF = requirement(_BRACKET, "cutoff", "method", params=("recorded",),
                      why="record the cutoff ASHA compared a trial against, as Ray computed it")


@dataclass(frozen=True)
class AshaSettings:
    """What ASHA compares by: Tune may set metric and mode after construction, so read them per call."""

    metric: str | None
    metric_op: float | None  #: 1.0 for ``max``, -1.0 for ``min``
    time_attr: str
    max_t: float
    stop_last_trials: bool


def asha_settings(scheduler: Any) -> AshaSettings | None:
    """ASHA's current settings (its private ``_metric``, ``_metric_op``, ``_time_attr``, ``_max_t``,
    ``_stop_last_trials``), or None (warned once: no rung records)."""
    values = []
    for req in _SETTINGS:
        if req.name not in vars(scheduler):
            degrade(req, _OFF)
            return None
        values.append(vars(scheduler)[req.name])
    return AshaSettings(*values)


def asha_brackets(scheduler: Any) -> list[Any]:
    """ASHA's brackets (Ray's private ``_Bracket`` objects, in ASHA's order), or [] (warned once)."""
    brackets = vars(scheduler).get(_BRACKETS.name)
    if not isinstance(brackets, list):
        degrade(_BRACKETS, _OFF)
        return []
    return brackets


def asha_bracket_of(scheduler: Any, trial_id: str) -> Any | None:
    """The bracket ASHA put trial ``trial_id`` in (``_trial_info``), or None (not added, or
    removed; warned once when ASHA has no such map)."""
    info = vars(scheduler).get(_TRIAL_INFO.name)
    if not isinstance(info, dict):
        degrade(_TRIAL_INFO, _OFF)
        return None
    return info.get(trial_id)


def bracket_rungs(bracket: Any) -> list[tuple[float, dict[str, Any]]]:
    """A bracket's rungs, highest milestone first: ``(milestone, {trial id: recorded value})``. Ray's
    ``_Bracket.on_result`` records a trial's value in the dict of the rung it compares it at."""
    rungs = getattr(bracket, _RUNGS.name, None)
    if not isinstance(rungs, list):
        degrade(_RUNGS, _OFF)
        return []
    return rungs


def bracket_cutoff(bracket: Any, recorded: dict[str, Any]) -> Any:
    """Ray's own ``_Bracket.cutoff(recorded)``: the value a trial must beat at a rung (None while the
    rung has too few values), called through the class, so a replacement on the instance is skipped."""
    return type(bracket).cutoff(bracket, recorded)


def replace_bracket_cutoff(bracket: Any, cutoff: Callable[[dict[str, Any]], Any]) -> bool:
    """Make ``bracket.on_result`` compare through ``cutoff`` (set on the instance: Ray's
    ``on_result`` calls ``self.cutoff(recorded)``); False (warned once) when the bracket has no
    ``cutoff`` method."""
    if not callable(getattr(type(bracket), _CUTOFF.name, None)):
        degrade(_CUTOFF, "the cutoffs of ASHA's rung decisions are not recorded")
        return False
    bracket.cutoff = cutoff
    return True
