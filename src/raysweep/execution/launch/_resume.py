"""``resume_run``: continue a crashed or interrupted run with Ray's ``Tuner.restore``, same run id.

What is refused, before Ray starts (``ConfigError``, exit status 2): a finished run, a run whose
driver is still alive (or that another ``raysweep resume`` is resuming), a run whose sweep module
changed since it started (``force=True`` overrides only this), a run whose Ray files are gone.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from raysweep._errors import ConfigError
from raysweep.execution.cluster._ray import check_fits, ray_runtime
from raysweep.execution.launch._record import build_run_record
from raysweep.execution.launch._runner import (
    Launch,
    _pickle_sweep_modules_by_value,
    _project_paths,
    _resolve_root,
    fit,
    preserved_process_state,
)
from raysweep.execution.launch._summary import RunSummary
from raysweep.results import (
    RunStatus,
    RunWriter,
    driver_alive,
    load_trials,
    local_path,
    resolve_run,
)
from raysweep.sweep import LoadedSweep, load_sweep

__all__ = ["resume_run"]

#: A driver on another host is presumed dead when its heartbeat is older than this.
#: Run-record fields compared when a sweep module's sha256 changed: what the message names.
_COMPARED = ("metric", "mode", "num_samples", "space_json", "searcher", "searcher_params",
             "scheduler", "scheduler_params", "max_failures", "resources_per_trial",
             "time_budget_s", "max_concurrent")


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
) -> RunSummary:
    """Continue ``run`` (a run id, or a sweep name for its latest run) to its end.

    The run keeps its id and partition; trials that ended before are never run again, trials that
    were running continue from their last checkpoint (or restart without one), and the searcher
    continues from Tune's saved state. ``force`` resumes even though the sweep module changed.
    """
    with preserved_process_state():
        root = _resolve_root(results_root)
        row = resolve_run(root, run, owner="raysweep resume")
        sweep_name, run_id = str(row["sweep"]), str(row["run"])
        refuse_unless_resumable(row)
        loaded = _load_unchanged(row, force)
        ray_dir = f"{root.rstrip('/')}/_ray/{sweep_name}/{run_id}"
        _require_ray_files(ray_dir, run_id)
        console = console or Console(stderr=True)
        live = console.is_terminal if progress is None else progress
        with _resume_lock(ray_dir, run_id):
            prior = _prior_trials(root, sweep_name, run_id)
            record = {**carried_columns(row, extended=_int(row.get("extensions")) > 0),
                      "resumes": _int(row.get("resumes")) + 1}
            launch = Launch(loaded, run_id, root, live, console, restore_path=ray_dir,
                            prior=prior, record=record)
            with RunWriter(root, sweep=sweep_name, run_id=run_id) as writer:
                with ray_runtime(address, num_cpus, num_gpus, pythonpath=_project_paths(loaded)):
                    cluster = check_fits(loaded.sweep.resources)
                    _pickle_sweep_modules_by_value(loaded.sweep)
                    return fit(launch, cluster, writer)


def refuse_unless_resumable(row: pd.Series) -> None:
    """``ConfigError`` for a finished run, or one whose driver is still alive."""
    name = f"Run {row['run']} of sweep {row['sweep']!r}"
    status = str(row.get("status"))
    if status == RunStatus.FINISHED:
        raise ConfigError(f"{name} finished; there is nothing to resume. "
                          f"Start a new run with `raysweep run {row['sweep']}`.")
    if status == RunStatus.RUNNING and driver_alive(row):
        where = f"pid {_int(row.get('driver_pid'))} on {row.get('driver_host')}"
        raise ConfigError(f"{name} is still being written by a live driver ({where}). "
                          "Wait for it to end, or stop it (Ctrl-C) and resume then.")


#: Run-row columns a later launch of the run (resume, extend) keeps from the stored row.
_CARRIED = ("started_at", "searcher_params", "seed", "num_samples", "n_warm_start", "warm_start_runs",
            "extensions", "trial_index_offset", "estimate_compute_s", "estimate_wall_s",
            "estimate_iterations", "estimate_runs", "n_skipped_cells", "resumes")


def carried_columns(row: pd.Series, extended: bool = True) -> dict[str, Any]:
    """The stored run row's columns a later launch keeps (``started_at`` as a datetime). The
    searcher's settings and trial count come from the module again unless the run was extended."""
    out: dict[str, Any] = {}
    for key in _CARRIED:
        if not extended and key in ("searcher_params", "seed", "num_samples"):
            continue
        value = row.get(key)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        out[key] = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    return out


def _load_unchanged(row: pd.Series, force: bool) -> LoadedSweep:
    """The run's sweep module, refused (unless ``force``) when it changed since the run started."""
    path = str(row.get("sweep_path") or "")
    if not path or not Path(path).is_file():
        raise ConfigError(
            f"Run {row['run']} cannot be resumed: its sweep module {path or '(none recorded)'!r} "
            "is gone. Restore the file at that path, or start a new run.")
    loaded = load_sweep(path)
    if loaded.sha256 != row.get("sweep_sha256") and not force:
        now = build_run_record(loaded, str(row["run"]), datetime.now(UTC), {})
        changed = [k for k in _COMPARED if k in row and not _same(row[k], now[k])]
        what = (f"these settings differ: {', '.join(changed)}" if changed
                else "its settings are the same; the code (e.g. the trainable) differs")
        raise ConfigError(
            f"The sweep module {path!r} changed since run {row['run']} started (sha256 "
            f"{str(row.get('sweep_sha256'))[:12]} then, {loaded.sha256[:12]} now): {what}. "
            "Resuming would mix two sweeps in one run. Restore the module, start a new run, or "
            "pass --force to resume anyway.")
    return loaded


def _same(stored: Any, now: Any) -> bool:
    if stored is None or (not isinstance(stored, str) and pd.isna(stored)):
        return now is None
    if isinstance(now, float | int) and not isinstance(now, bool):
        return float(stored) == float(now)
    return str(stored) == str(now)


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


@contextmanager
def _resume_lock(ray_dir: str, run_id: str) -> Iterator[None]:
    """One resume at a time: an exclusive lock file in the run's Ray directory (local roots).

    A lock left by a dead process on this host is taken over. On remote storage the run row's live
    driver check is the only guard.
    """
    local = local_path(ray_dir)
    if local is None:
        yield
        return
    path = local / ".raysweep-resume.lock"
    me = json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is not None:
                raise ConfigError(
                    f"Run {run_id} is being resumed by another driver ({holder}). "
                    "Wait for it to end; `raysweep runs` shows its status.") from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(me)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _lock_holder(path: Path) -> str | None:
    """Who holds the lock, or None when its holder is a dead process on this host."""
    try:
        holder = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if holder.get("host") != socket.gethostname():
        return f"pid {holder.get('pid')} on {holder.get('host')}"
    try:
        alive = driver_alive({"driver_host": holder["host"], "driver_pid": int(holder["pid"])})
    except (KeyError, TypeError, ValueError):
        alive = False
    return f"pid {holder['pid']}" if alive else None


def _prior_trials(root: str, sweep: str, run_id: str) -> dict[str, dict[str, Any]]:
    """The run's trial rows already stored, keyed by Ray's trial id."""
    trials = load_trials(root, sweeps=sweep, runs=run_id)
    keep = ["trial_id", "ray_trial_id", "trial_index", "status", "attempts", "metric_best",
            "config_json"]
    rows = trials.reindex(columns=keep).to_dict("records")
    return {str(r["ray_trial_id"]): r for r in rows if isinstance(r["ray_trial_id"], str)}


def _int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)
