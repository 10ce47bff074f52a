"""``resume_run``: continue a crashed or interrupted run with Ray's ``Tuner.restore``, same run id.

What is refused, before Ray starts (``ConfigError``, exit status 2): a finished run, a run whose
driver is still alive (or that another ``raysweep resume`` is resuming), a PBT or PB2 run (Tune
restores no scheduler state: ``_continue.refuse_population``), a run whose sweep module changed
since it started (``force=True`` overrides only this), a run whose Ray files are gone.
"""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from raysweep._errors import ConfigError
from raysweep.execution.launch._continue import (
    carried_columns,
    continue_run,
    load_unchanged,
    refuse_population,
    run_ray_dir,
    stored_int,
)
from raysweep.execution.launch._launch import (
    Launch,
    RayTarget,
    preserved_process_state,
    resolve_results_root,
)
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.tune._preflight import check_sweep
from raysweep.results import RunStatus, driver_alive, resolve_run

__all__ = ["refuse_unless_resumable", "resume_run"]


def resume_run(
    run: str,
    *,
    results_root: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    progress: bool | None = None,
    force: bool = False,
    console: Console | None = None,
    verbose: bool = False,
) -> RunSummary:
    """Continue ``run`` (a run id, or a sweep name for its latest run) to its end.

    The run keeps its id and partition; trials that ended before are never run again, trials that
    were running continue from their last checkpoint (or restart without one), and the searcher
    continues from Tune's saved state. ``force`` resumes even though the sweep module changed.
    """
    with preserved_process_state():
        root = resolve_results_root(results_root)
        row = resolve_run(root, run, owner="raysweep resume")
        sweep_name, run_id = str(row["sweep"]), str(row["run"])
        refuse_unless_resumable(row)
        refuse_population(row, "raysweep resume")  # Tune restores no PBT state (docs/pbt.md)
        loaded = load_unchanged(row, force)
        check_sweep(loaded.sweep)  # before Ray starts, as a new run does
        ray_dir = run_ray_dir(root, sweep_name, run_id)
        _require_ray_files(ray_dir, run_id)
        console = console or Console(stderr=True)
        live = console.is_terminal if progress is None else progress
        record = {**carried_columns(row, extended=stored_int(row.get("extensions")) > 0),
                  "resumes": stored_int(row.get("resumes")) + 1}
        return continue_run(root, row, RayTarget(address, num_cpus, num_gpus), lambda prior: Launch(
            loaded, run_id, root, live, console, restore_path=ray_dir, prior=prior, record=record,
            verbose=verbose))


def refuse_unless_resumable(row: pd.Series) -> None:
    """``ConfigError`` for a finished run, or one whose driver is still alive."""
    name = f"Run {row['run']} of sweep {row['sweep']!r}"
    status = str(row.get("status"))
    if status == RunStatus.FINISHED:
        raise ConfigError(f"{name} finished; there is nothing to resume. "
                          f"Start a new run with `raysweep run {row['sweep']}`.")
    if status == RunStatus.RUNNING and driver_alive(row):
        where = f"pid {stored_int(row.get('driver_pid'))} on {row.get('driver_host')}"
        raise ConfigError(f"{name} is still being written by a live driver ({where}). "
                          "Wait for it to end, or stop it (Ctrl-C) and resume then.")



def _require_ray_files(ray_dir: str, run_id: str) -> None:
    from ray import tune

    try:
        ok = tune.Tuner.can_restore(ray_dir)
    except Exception:  # noqa: BLE001 - an unreadable directory is as good as gone
        ok = False
    if not ok:
        raise ConfigError(
            f"Run {run_id} cannot be resumed: Ray's files for it ({ray_dir}) are gone. Its results "
            "so far stay in the store; start a new run to continue the search.")

