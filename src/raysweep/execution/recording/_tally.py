"""The run's counts by status and its best trial, as the run record and the summary report them."""

from __future__ import annotations

import json
from typing import Any

from raysweep.execution.recording._identity import ENDED
from raysweep.results import Objective, TrialStatus

__all__ = ["RunTally"]


class RunTally:
    """Trials by final status and the best ``metric_best`` so far.

    Args:
        objective: The sweep's metric and mode.
        prior: For a resumed run, the stored trial rows: ended trials count from the start.
    """

    def __init__(self, objective: Objective, prior: dict[str, dict[str, Any]] | None = None) -> None:
        self.objective = objective
        self.counts = {str(s): 0 for s in TrialStatus if s != TrialStatus.RUNNING}
        self._best: tuple[float | None, str | None, dict[str, Any] | None] = (None, None, None)
        for row in (prior or {}).values():
            if row.get("status") in ENDED:
                self.add(str(row["status"]), row.get("metric_best"), str(row["trial_id"]),
                         json.loads(row["config_json"]))

    def add(self, status: str, metric_best: float | None, trial_id: str | None = None,
            config: dict[str, Any] | None = None) -> None:
        """Count a trial that ended (or was cancelled) with ``status``."""
        self.counts[str(status)] += 1
        if self.objective.better(metric_best, self._best[0]):
            self._best = (metric_best, trial_id, config)

    def summary(self) -> dict[str, Any]:
        """Counts by status and the best trial, in the run record's column names."""
        best_value, best_trial_id, best_config = self._best
        return {
            "n_trials": sum(self.counts.values()),
            "n_completed": self.counts[TrialStatus.COMPLETED],
            "n_early_stopped": self.counts[TrialStatus.EARLY_STOPPED],
            "n_errored": self.counts[TrialStatus.ERRORED],
            "n_cancelled": self.counts[TrialStatus.CANCELLED],
            "best_value": best_value,
            "best_trial_id": best_trial_id,
            "best_config": best_config,
        }
