"""raysweep's identity of each Ray trial: its stable ``trial_id``, index and attempts, while it lives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from raysweep.execution.recording._trial_info import attempt, number
from raysweep.results import TrialStatus, stable_trial_id, to_json

__all__ = ["ENDED", "TrialState", "TrialStates"]

_INDEX = re.compile(r"_(\d+)$")
#: Statuses of a trial that ended (a cancelled trial never ended: it is marked after ``fit()``).
ENDED = frozenset({TrialStatus.COMPLETED, TrialStatus.EARLY_STOPPED, TrialStatus.ERRORED})


@dataclass
class TrialState:
    """What the store knows of a live trial, written into each of its trial rows."""

    trial_id: str
    ray_trial_id: str
    index: int
    config: dict[str, Any]
    started_at: datetime | None
    attempts: int = 1
    attempt_offset: int = 0
    iterations: int = 0
    metric_last: float | None = None
    metric_best: float | None = None
    last: dict[str, float] = field(default_factory=dict)
    #: Tune's counters of the last result (``time_total_s``, ``training_iteration``): constraints
    #: may read them (``time_total_s <= 600``), though they are not metrics of the trial's row.
    counters: dict[str, float] = field(default_factory=dict)
    stopped_by_scheduler: bool = False
    node_id: str | None = None
    node_ip: str | None = None
    hostname: str | None = None
    checkpoint_path: str | None = None  # the best kept checkpoint, as the store names it

    def constraint_values(self) -> dict[str, float]:
        """What the sweep's constraints read: Tune's counters, then the trial's last metrics."""
        return {**self.counters, **self.last}

    def set_attempt(self, trial: Any, failed: bool = False) -> None:
        """The attempt Tune is on (a failure Tune counted before the callback: ``failed``)."""
        self.attempts = self.attempt_offset + max(1, attempt(trial) - (1 if failed else 0))


class TrialStates:
    """The live trials' states by Ray trial id, and the Ray ids of the trials that ended.

    Only live trials keep a state; an ended trial keeps its id alone, so driver memory grows by one
    id per trial.

    Args:
        sweep: Sweep name (part of the stable ``trial_id``).
        prior: For a resumed run, the trial rows already in the store keyed by Ray's trial id:
            restarted trials keep their index and id, and count their attempts on.
        index_offset: Added to the index Ray gives a new trial (an extended run's new trials number
            on after the earlier ones).
    """

    def __init__(self, sweep: str, prior: dict[str, dict[str, Any]], index_offset: int = 0) -> None:
        self.sweep = sweep
        self.prior = prior
        self.index_offset = index_offset
        self.live: dict[str, TrialState] = {}
        self.ended: set[str] = set()
        self._next_index = 0
        self._numbered: dict[str, int] = {}  # Ray id -> index of a trial numbered before first sight
        self._repeats: dict[str, int] = {}  # config JSON -> trials of this run with that config
        for ray_id, row in prior.items():
            self._next_index = max(self._next_index, int(row["trial_index"]) + 1)
            key = str(row.get("config_json"))
            self._repeats[key] = self._repeats.get(key, 0) + 1
            if row.get("status") in ENDED:
                self.ended.add(ray_id)

    def number(self, trials: list) -> None:
        """Number the trials of Tune's list not seen yet, in the list's order (the order Tune created
        them in, hence the order the searcher suggested them in): the index does not depend on
        which trial's worker happened to start first. A trial first seen without this (it has no
        number yet) is numbered on first sight.

        Tune appends new trials to its list, so the unseen ones are its tail: the scan walks back
        from the end to the first known trial, and a start costs the trials added since the last.
        """
        unseen = []
        for trial in reversed(trials):
            if self._known(trial.trial_id):
                break
            unseen.append(trial.trial_id)
        for ray_id in reversed(unseen):
            index = self._ray_index(ray_id)
            self._numbered[ray_id] = index
            self._next_index = max(self._next_index, index + 1)

    def _known(self, ray_id: str) -> bool:
        return (ray_id in self.live or ray_id in self.ended or ray_id in self.prior
                or ray_id in self._numbered)

    def _ray_index(self, ray_id: str) -> int:
        """The index of a new trial: the counter in Ray's id where it has one (grid and random
        search's ``<prefix>_00003``), else the next free one (a searcher's trials: random ids)."""
        match = _INDEX.search(ray_id)
        return int(match.group(1)) + self.index_offset if match else self._next_index

    def state(self, trial: Any) -> TrialState:
        """The state of ``trial``, made on first sight (a restarted trial continues its prior row)."""
        state = self.live.get(trial.trial_id)
        if state is None:
            config = dict(trial.config)
            prior = self.prior.get(trial.trial_id)
            numbered = self._numbered.pop(trial.trial_id, None)
            if prior is not None:
                index = int(prior["trial_index"])
            elif numbered is not None:
                index = numbered
            else:
                index = self._ray_index(trial.trial_id)
            self._next_index = max(self._next_index, index + 1)
            state = TrialState(
                trial_id=str(prior["trial_id"]) if prior is not None else self._new_id(config),
                ray_trial_id=trial.trial_id,
                index=index,
                config=config,
                started_at=datetime.now(UTC),
            )
            if prior is not None:  # a trial that had started before the driver died: continue it
                state.attempt_offset = max(0, int(prior.get("attempts") or 0) + 1 - attempt(trial))
                state.metric_best = number(prior.get("metric_best"))
                state.metric_last = number(prior.get("metric_last"))
                # Its last value of each metric it reported before: a metric reported only then
                # stays in its row, and the constraints read it (NaN: another trial's metric).
                state.last = {key.removeprefix("last."): value for key, value in
                              ((k, number(v)) for k, v in prior.items() if str(k).startswith("last."))
                              if value is not None}
            self.live[trial.trial_id] = state
        return state

    def end(self, trial: Any) -> None:
        """``trial`` ended: its state is dropped, its id kept."""
        self.live.pop(trial.trial_id, None)
        self.ended.add(trial.trial_id)

    def _new_id(self, config: dict[str, Any]) -> str:
        """Content-addressed (``stable_trial_id``): a repeat of a config in this run counts up."""
        key = to_json(config)
        repeat = self._repeats.get(key, 0)
        self._repeats[key] = repeat + 1
        return stable_trial_id(self.sweep, config, repeat)
