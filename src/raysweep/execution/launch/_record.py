"""The run record: what was launched, from which code, on what — stored with every run."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ray

from raysweep.callbacks import CallbackSpec
from raysweep.results import SCHEMA_VERSION, RunStatus
from raysweep.sweep import LoadedSweep, Sweep, trainable_name

__all__ = ["build_run_record", "git_state"]


def git_state(path: Path | None) -> tuple[str | None, bool | None]:
    """The commit and dirty flag of the repository holding ``path``, or (None, None)."""
    if path is None:
        return None, None
    cwd = path.parent if path.is_file() else path
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", str(path)], cwd=cwd,
                               capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(dirty.strip())


def build_run_record(loaded: LoadedSweep, run_id: str, started_at: datetime,
                     cluster_resources: dict[str, float]) -> dict[str, Any]:
    """Every run-level column of the ``runs`` dataset, with status 'running'."""
    from raysweep import __version__

    sweep = loaded.sweep
    # Sweep normalises string shorthands to specs when it is built.
    searcher, scheduler = sweep.searcher_spec, sweep.scheduler_spec
    commit, dirty = git_state(loaded.path)
    return {
        "sweep": sweep.name,
        "run": run_id,
        "status": RunStatus.RUNNING.value,
        "started_at": started_at.astimezone(UTC),
        "ended_at": None,
        "searcher": searcher.name,
        "searcher_params": json.dumps(_searcher_params(loaded)),
        "scheduler": scheduler.name,
        "scheduler_params": json.dumps(scheduler.params()),
        "metric": sweep.metric,
        "mode": sweep.mode,
        "objectives_json": json.dumps([[o.metric, o.mode] for o in sweep.objectives]),
        "constraints_json": json.dumps(list(sweep.constraints)) if sweep.constraints else None,
        "num_samples": sweep.n_trials,
        "seed": sweep.seed,
        "space_json": sweep.space_json(),
        "sweep_path": str(loaded.path) if loaded.path else "",
        "sweep_sha256": loaded.sha256,
        "git_commit": commit,
        "git_dirty": dirty,
        "raysweep_version": __version__,
        "ray_version": ray.__version__,
        "python_version": platform.python_version(),
        "cluster_resources": json.dumps(cluster_resources, sort_keys=True),
        "resources_per_trial": json.dumps(sweep.resources, sort_keys=True),
        "max_concurrent": sweep.concurrency_cap,
        "time_budget_s": None if sweep.time_budget_s is None else float(sweep.time_budget_s),
        "max_failures": sweep.max_failures,
        "description": sweep.description,
        "tags": json.dumps(sweep.tags, sort_keys=True),
        "schema_version": SCHEMA_VERSION,
        # Who writes this run: a reader sees a dead pid on this host (or a stale heartbeat
        # elsewhere) as a crashed driver; `raysweep resume` refuses a run whose driver is alive.
        "driver_host": socket.gethostname(),
        "driver_pid": os.getpid(),
        "resumes": 0,
        # Set by `raysweep submit` in the job's environment (execution/cluster/_submit.py); None otherwise.
        "job_id": os.environ.get("RAYSWEEP_JOB_ID"),
        "submitted_from": os.environ.get("RAYSWEEP_SUBMITTED_FROM"),
        # What trains: `raysweep plan` estimates cost from runs of other sweeps with the same one.
        "trainable": trainable_name(sweep),
        **_tune_options(sweep),
    }


def _tune_options(sweep: Sweep) -> dict[str, Any]:
    """Ray Tune's run options the sweep set, as JSON (null when not set): what ran is in the run row."""
    points = sweep.points_to_evaluate
    return {
        "stop": json.dumps(dict(sweep.stop), sort_keys=True) if sweep.stop else None,
        "callbacks": json.dumps([_callback(c) for c in sweep.callbacks]) if sweep.callbacks else None,
        "checkpoint_policy": json.dumps(sweep.checkpoint_spec.params(), sort_keys=True),
        "points_to_evaluate": json.dumps([dict(p) for p in points], sort_keys=True, default=str)
        if points else None,
    }


def _callback(callback: Any) -> dict[str, Any]:
    """A callback spec's name and parameters; a user's own ``tune.Callback`` by its class."""
    if isinstance(callback, CallbackSpec):
        return {"callback": callback.name, **callback.params()}
    kind = type(callback)
    return {"callback": f"{kind.__module__}.{kind.__qualname__}"}


def _searcher_params(loaded: LoadedSweep) -> dict[str, Any]:
    """The searcher's parameters with the seed it really uses (a ``None`` seed takes the sweep's)."""
    params = loaded.sweep.searcher_spec.params()
    if "seed" in params:
        params["seed"] = loaded.sweep.searcher_seed
    return params
