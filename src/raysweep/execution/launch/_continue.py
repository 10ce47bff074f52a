"""A later launch of a stored run (``raysweep resume``, ``raysweep extend``): what both share.

Both find the run in the store, reload its sweep module (refused when it changed), take the run's
lock, read the trials the store already holds, and launch into the run's own partition.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.execution.launch._fit import start
from raysweep.execution.launch._launch import Launch, RayTarget
from raysweep.execution.launch._record import build_run_record
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.recording._identity import ENDED
from raysweep.results import (
    RESERVED_COLUMNS,
    RunWriter,
    driver_alive,
    load_iterations,
    load_trials,
    local_path,
)
from raysweep.sweep import LoadedSweep, load_sweep

__all__ = ["POPULATION_SCHEDULERS", "carried_columns", "continue_run", "load_unchanged", "refuse_population",
           "run_lock", "stored_int"]

#: Run-record fields compared when a sweep module's sha256 changed: what the message names.
_COMPARED = ("metric", "mode", "num_samples", "space_json", "searcher", "searcher_params",
             "scheduler", "scheduler_params", "max_failures", "resources_per_trial",
             "time_budget_s", "max_concurrent")



def continue_run(root: str, row: pd.Series, target: RayTarget,
                 make_launch: Callable[[dict[str, dict[str, Any]]], Launch]) -> RunSummary:
    """Launch ``make_launch(prior)`` into the stored run ``row``, one launch of the run at a time.

    ``prior`` is the run's trial rows already in the store, keyed by Ray's trial id, read under the
    run's lock (:func:`run_lock`).
    """
    sweep_name, run_id = str(row["sweep"]), str(row["run"])
    with run_lock(run_ray_dir(root, sweep_name, run_id), run_id):
        launch = make_launch(_prior_trials(root, sweep_name, run_id))
        with RunWriter(root, sweep=sweep_name, run_id=run_id) as writer:
            return start(launch, writer, target)


#: Schedulers whose state Ray Tune does not restore: a run of one is never resumed nor extended.
POPULATION_SCHEDULERS = ("pbt", "pb2")


def refuse_population(row: pd.Series, action: str) -> None:
    """``ConfigError`` for ``raysweep resume`` / ``extend`` (``action``) of a PBT or PB2 run.

    Ray Tune's experiment snapshot holds no scheduler (``TuneController.__getstate__`` leaves it
    out); ``Tuner.restore`` unpickles the one ``tuner.pkl`` holds, saved when the run started. A
    resumed population would have lost every member's perturbation time, score and ranked
    checkpoint, and PBT's random draws would start over (docs/pbt.md, "Resume", measures it). An
    extension would be a second population that never meets the first.
    """
    scheduler = str(row.get("scheduler") or "")
    if scheduler not in POPULATION_SCHEDULERS:
        return
    run, sweep = str(row["run"]), str(row["sweep"])
    if action == "raysweep resume":
        why = ("Resuming population-based training is not supported: Ray Tune restores the "
               f"schedulers.{scheduler} pickled when the run started, without any member's "
               "perturbation time, score or saved checkpoint, and with its random draws from the start, "
               "so the resumed population would perturb every member again at its first result and its "
               "lineage would not continue the stored one.")
    else:
        why = ("Extending population-based training is not supported: the new members would be a "
               "second population with a fresh scheduler, which never copies the ended members.")
    raise ConfigError(invalid_parameter(
        "run", action, "a run whose scheduler Ray Tune can continue (not schedulers.pbt or schedulers.pb2)",
        f"{run} (sweep {sweep!r}, schedulers.{scheduler})",
        f"{why} Its results so far stay in the store. Start a new run with `raysweep run {sweep}`, or "
        f"retrain the best member's schedule from scratch with `raysweep replay {run}`."))


def run_ray_dir(root: str, sweep: str, run_id: str) -> str:
    """The run's directory of Ray's files under ``root`` (a local path or a URI, kept a URI)."""
    return f"{root.rstrip('/')}/_ray/{sweep}/{run_id}"


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


_RESUMING = ("resumed", "Restore the file at that path, or start a new run.",
             "Resuming would mix two sweeps in one run. Restore the module, start a new run, or "
             "pass --force to resume anyway.")


def load_unchanged(row: pd.Series, force: bool,
                   words: tuple[str, str, str] = _RESUMING) -> LoadedSweep:
    """The run's sweep module, refused (unless ``force``) when it changed since the run started.

    ``words``: what is done with the run (``"resumed"``), the fix when its module is gone, and
    why a changed module is refused and what to do; ``raysweep replay`` passes its own."""
    verb, gone_fix, changed_fix = words
    path = str(row.get("sweep_path") or "")
    if not path or not Path(path).is_file():
        raise ConfigError(
            f"Run {row['run']} cannot be {verb}: its sweep module {path or '(none recorded)'!r} "
            f"is gone. {gone_fix}")
    loaded = load_sweep(path)
    if loaded.sha256 != row.get("sweep_sha256") and not force:
        now = build_run_record(loaded, str(row["run"]), datetime.now(UTC), {})
        changed = [k for k in _COMPARED if k in row and not _same(row[k], now[k])]
        what = (f"these settings differ: {', '.join(changed)}" if changed
                else "its settings are the same; the code (e.g. the trainable) differs")
        raise ConfigError(
            f"The sweep module {path!r} changed since run {row['run']} started (sha256 "
            f"{str(row.get('sweep_sha256'))[:12]} then, {loaded.sha256[:12]} now): {what}. "
            f"{changed_fix}")
    return loaded


def _same(stored: Any, now: Any) -> bool:
    if stored is None or (not isinstance(stored, str) and pd.isna(stored)):
        return now is None
    if isinstance(now, float | int) and not isinstance(now, bool):
        return float(stored) == float(now)
    return str(stored) == str(now)


@contextmanager
def run_lock(ray_dir: str, run_id: str) -> Iterator[None]:
    """One later launch (resume, extend) of a run at a time: an exclusive lock file in the run's Ray
    directory (local and ``file://`` roots).

    A lock left by a dead process on this host is taken over. On remote storage the run row's live
    driver check is the only guard.
    """
    local = local_path(ray_dir)
    if local is None:
        yield
        return
    local.mkdir(parents=True, exist_ok=True)
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
    last = _last_metrics(root, sweep, run_id, {str(r["trial_id"]) for r in rows
                                               if r.get("status") not in ENDED})
    return {str(r["ray_trial_id"]): {**r, **last.get(str(r["trial_id"]), {})}
            for r in rows if isinstance(r["ray_trial_id"], str)}


def _last_metrics(root: str, sweep: str, run_id: str, trial_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Each unfinished trial's last stored value of every metric it reported, as ``last.<name>``: a
    resumed trial continues with them (a metric reported only before the driver died stays in its
    row, and the sweep's constraints read it)."""
    if not trial_ids:
        return {}
    iterations = load_iterations(root, sweeps=sweep, runs=run_id)
    if iterations.empty:
        return {}
    iterations = iterations[iterations["trial_id"].isin(trial_ids)]
    metrics = [c for c in iterations.columns if c not in RESERVED_COLUMNS]
    ordered = iterations.sort_values(["trial_id", "attempt", "training_iteration"])
    last = ordered.groupby("trial_id")[metrics].last()  # the last non-null value of each
    return {str(trial_id): {f"last.{name}": value for name, value in row.items() if pd.notna(value)}
            for trial_id, row in last.iterrows()}


def stored_int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)
