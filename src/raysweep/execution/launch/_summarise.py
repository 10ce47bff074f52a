"""A launch's outcome: its final status, counts, best trial and distinct errors (:func:`summarise`).

A run that was neither interrupted nor out of time but whose trials never ran to their end is
``failed``, never ``finished`` (:func:`_never_ran`); errors are grouped as ``raysweep show RUN
--errors`` groups them.
"""

from __future__ import annotations

from typing import Any

from ray import tune

from raysweep._errors import RaysweepError
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.recording._store_callback import ParquetResultsCallback
from raysweep.execution.terminal._progress import ProgressCallback
from raysweep.execution.terminal._text import clean_error, error_groups, error_of
from raysweep.results import RunStatus, load_trials
from raysweep.results import error_groups as group_stored_errors
from raysweep.sweep import LoadedSweep, Sweep

__all__ = ["summarise"]


def summarise(loaded: LoadedSweep, run_id: str, root: str, store: ParquetResultsCallback | None,
               progress: ProgressCallback, grid: tune.ResultGrid | None, interrupted: bool,
               fit_error: BaseException | None, elapsed: float, ray_dir: str,
               log_path: str | None = None) -> RunSummary:
    """The run's final status, counts and best trial (from the store when it is on)."""
    sweep = loaded.sweep
    if store is not None:
        store.finalize(interrupted=interrupted or fit_error is not None)
        info = store.summary()
        counts = {k[2:]: int(v) for k, v in info.items() if k.startswith("n_")}
        best = (info.get("best_value"), info.get("best_config"), info.get("best_trial_id"))
    else:
        counts = {"trials": progress.ended, "completed": progress.done,
                  "early_stopped": progress.early_stopped, "errored": progress.errored}
        best = (progress.best, None, None)
    # One Result at a time: a list of every trial's Result would add to the driver's peak per trial.
    raised = [] if grid is None else [e for e in (grid[i].error for i in range(len(grid))) if e is not None]
    errors = [clean_error(e) for e in raised]
    n_trials = counts.get("trials", 0)
    unrun = _never_ran(sweep, counts, elapsed) if not interrupted and fit_error is None else None
    # No read when nothing errored; trials Tune gave up on count as errors, as in `show --errors`.
    stored = store is not None and (counts.get("errored", 0) > 0 or unrun is not None)
    groups = (_stored_error_groups(root, sweep.name, run_id, unrun is not None) if stored else None) \
        or error_groups(error_of(e) for e in raised)
    if unrun is not None:
        errors = [*errors, unrun]
    if interrupted:
        status = RunStatus.INTERRUPTED.value
    elif (fit_error is not None or unrun is not None
          or (n_trials > 0 and counts.get("errored", 0) == n_trials)):
        status = RunStatus.FAILED.value
    else:
        status = RunStatus.FINISHED.value
    return RunSummary(
        sweep=sweep.name, run_id=run_id, status=status, metric=sweep.metric, mode=str(sweep.mode),
        counts=counts, best_value=best[0], best_config=best[1], best_trial_id=best[2],
        elapsed_s=elapsed, results_root=root if store is not None else None,
        ray_dir=ray_dir, errors=errors, error_groups=groups, log_path=log_path,
        trial_lifetimes_s=progress.trial_lifetimes_s,
    )

def _never_ran(sweep: Sweep, counts: dict[str, int], elapsed: float) -> str | None:
    """Why a run that was neither interrupted nor out of time ended with trials that never ran to
    their end (Tune gave up on them), or None: such a run is ``failed``, never ``finished``."""
    cancelled = counts.get("cancelled", 0)
    out_of_time = sweep.time_budget_s is not None and elapsed >= sweep.time_budget_s
    if not cancelled or out_of_time:
        return None
    return (f"{cancelled} of {counts.get('trials', 0)} trials never ran to their end, although the "
            "sweep was neither interrupted nor out of time: Ray Tune stopped without them (its "
            "reason is in the ray log). `raysweep show RUN` lists them as cancelled.")


def _stored_error_groups(root: str, sweep: str, run_id: str,
                         cancelled: bool) -> list[dict[str, Any]] | None:
    """The run's distinct errors as ``raysweep show RUN --errors`` groups them (None: unreadable)."""
    try:
        frame = group_stored_errors(load_trials(root, sweeps=sweep, runs=run_id,
                                                columns=["status", "error_type", "error_message"]),
                                    cancelled=cancelled)
    except RaysweepError:
        return None
    return [{"error_type": r.error_type or "", "error_message": r.error_message or "",
             "n_trials": int(r.n_trials)} for r in frame.itertuples()]
