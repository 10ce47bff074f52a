"""What a finished (or stopped) run reports back to its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXIT_CODES", "RunSummary"]

#: Process exit status of ``raysweep run`` for each final run status.
EXIT_CODES = {"finished": 0, "failed": 1, "interrupted": 130}


@dataclass(frozen=True)
class RunSummary:
    """The outcome of one launch of a sweep."""

    sweep: str
    run_id: str
    status: str  # finished | interrupted | failed
    metric: str
    mode: str
    counts: dict[str, int]
    best_value: float | None
    best_config: dict[str, Any] | None
    best_trial_id: str | None
    elapsed_s: float
    results_root: str | None
    ray_dir: str
    errors: list[str] = field(default_factory=list)
    #: Distinct errors of the errored trials: ``error_type``, ``error_message``, ``n_trials``.
    error_groups: list[dict[str, Any]] = field(default_factory=list)
    #: Where Ray's tracebacks and the workers' stderr went during the run (None: not routed).
    log_path: str | None = None
    #: Seconds summed over the lifetimes of the trials that ended in this launch (not compute time:
    #: a trial's lifetime includes waiting for its worker and its checkpoints).
    trial_lifetimes_s: float | None = None
    #: ``raysweep plan``'s estimate against the actual compute and wall time (None: no history).
    estimate: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]
