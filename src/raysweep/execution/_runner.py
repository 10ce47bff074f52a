"""Running a sweep on Ray Tune: the one place where specs become a Tuner."""

from __future__ import annotations

import inspect
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ray.cloudpickle
from ray import tune
from rich.console import Console

from raysweep._errors import ExecutionError
from raysweep.execution._convert import make_scheduler, make_search
from raysweep.execution._guard import NonFiniteGuard, guard_trainable
from raysweep.execution._interrupt import InterruptStopper, interrupt_guard
from raysweep.execution._progress import ProgressCallback
from raysweep.execution._quiet import route_ray_logs
from raysweep.execution._ray import check_fits, ray_runtime
from raysweep.execution._record import build_run_record
from raysweep.execution._store_callback import ParquetResultsCallback
from raysweep.execution._summary import RunSummary
from raysweep.execution._text import clean_error, error_groups, error_of, explain_fit_error
from raysweep.results import RunWriter, resolve_root
from raysweep.searchers import GridSearch
from raysweep.sweep import LoadedSweep, Sweep, load_sweep
from raysweep.sweep._loader import MODULE_PREFIX

__all__ = ["new_run_id", "run_sweep"]


def new_run_id(now: datetime | None = None) -> str:
    """A unique, sortable run id such as ``20261127T103634Z-3fa2c1``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_sweep(
    sweep: Sweep | LoadedSweep | str,
    *,
    results_root: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    write_results: bool = True,
    progress: bool | None = None,
    run_id: str | None = None,
    console: Console | None = None,
) -> RunSummary:
    """Run ``sweep`` to its end and return its summary.

    Uses the Ray this process already started if there is one; otherwise starts an embedded local Ray
    (``address=None``, ``num_cpus`` defaulting to every core) or joins the cluster at ``address``. Every
    trial's results stream to Parquet under ``results_root`` unless ``write_results=False``. Ray's own files
    go to ``<results_root>/_ray/<sweep>/<run_id>``.
    """
    loaded = _as_loaded(sweep)
    sweep = loaded.sweep
    run_id = run_id or new_run_id()
    root = _resolve_root(results_root)
    console = console or Console(stderr=True)
    live = console.is_terminal if progress is None else progress
    # The results root is checked (its partitions created) before Ray starts: a bad root fails in
    # milliseconds, not after Ray's start-up.
    writer = RunWriter(root, sweep=sweep.name, run_id=run_id) if write_results else None
    if live:  # ray.init takes seconds: say so rather than leave the terminal blank
        console.print("[dim]Starting Ray...[/]")
    with ray_runtime(address, num_cpus, num_gpus, pythonpath=_project_paths(loaded)):
        cluster = check_fits(sweep.resources)
        _pickle_sweep_modules_by_value(sweep)
        return _fit(loaded, run_id, root, cluster, writer, live, console)


def _fit(loaded: LoadedSweep, run_id: str, root: str, cluster: dict[str, float],
         writer: RunWriter | None, live: bool, console: Console) -> RunSummary:
    sweep = loaded.sweep
    started_at = datetime.now(UTC)
    record = build_run_record(loaded, run_id, started_at, cluster)
    store = _open_store(writer, loaded, run_id, record) if writer is not None else None
    ray_storage = f"{root.rstrip('/')}/_ray/{sweep.name}"
    param_space, search_alg = make_search(sweep)
    progress = ProgressCallback(sweep.n_trials, sweep.metric, sweep.mode, console, live=live,
                                asha_max_t=sweep.asha.max_t if sweep.asha else None)
    ray_dir = f"{ray_storage}/{run_id}"

    def notify(signum):
        console.print("[yellow]Stopping the sweep; results so far are kept. "
                      "Press Ctrl-C again to abort at once.[/]")

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables, our progress bar only
    clock = time.monotonic()
    fit_error: BaseException | None = None
    with interrupt_guard(notify) as interrupted, progress, route_ray_logs(ray_dir, console) as logs:
        tuner = tune.Tuner(
            # guard_trainable/NonFiniteGuard: a NaN or inf sweep metric errors its trial (_guard.py)
            tune.with_resources(guard_trainable(sweep.trainable, sweep.metric),
                                dict(sweep.resources)),
            param_space=param_space,
            tune_config=tune.TuneConfig(
                metric=sweep.metric, mode=sweep.mode, search_alg=search_alg,
                scheduler=NonFiniteGuard(make_scheduler(sweep), sweep.metric),
                num_samples=_num_samples(sweep),
                time_budget_s=sweep.time_budget_s, reuse_actors=True,
                trial_dirname_creator=lambda trial: trial.trial_id,
            ),
            run_config=tune.RunConfig(
                name=run_id,
                storage_path=ray_storage,
                verbose=0,
                callbacks=[progress] + ([store] if store else []),
                stop=InterruptStopper(interrupted),
                failure_config=tune.FailureConfig(max_failures=sweep.max_failures),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            ),
        )
        try:
            grid = tuner.fit()
        except Exception as exc:  # Tune aborts the whole experiment, e.g. a metric never reported
            fit_error, grid = exc, None
    elapsed = time.monotonic() - clock
    summary = _summarise(loaded, run_id, root, store, progress, grid, interrupted.is_set(),
                         fit_error, elapsed, ray_dir=ray_dir, log_path=logs.destination)
    if writer is not None:
        writer.write_run({**record, **store.summary(), "status": summary.status,
                          "ended_at": datetime.now(UTC)})
        writer.close()
    if fit_error is not None:
        raise ExecutionError(
            f"Sweep {sweep.name!r} (run {run_id}) stopped: "
            f"{explain_fit_error(fit_error, sweep.metric)}"
        ) from fit_error
    return summary


def _summarise(loaded: LoadedSweep, run_id: str, root: str, store: ParquetResultsCallback | None,
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
    errors = [] if grid is None else [clean_error(r.error) for r in grid if r.error is not None]
    groups = [] if grid is None else error_groups(error_of(r.error) for r in grid
                                                  if r.error is not None)
    n_trials = counts.get("trials", 0)
    if interrupted:
        status = "interrupted"
    elif fit_error is not None or (n_trials > 0 and counts.get("errored", 0) == n_trials):
        status = "failed"
    else:
        status = "finished"
    return RunSummary(
        sweep=sweep.name, run_id=run_id, status=status, metric=sweep.metric, mode=sweep.mode,
        counts=counts, best_value=best[0], best_config=best[1], best_trial_id=best[2],
        elapsed_s=elapsed, results_root=root if store is not None else None,
        ray_dir=ray_dir, errors=errors, error_groups=groups, log_path=log_path,
    )


def _open_store(writer: RunWriter, loaded: LoadedSweep, run_id: str,
                record: dict[str, Any]) -> ParquetResultsCallback:
    """Write the run row ('running') and make the callback that feeds the writer."""
    sweep = loaded.sweep
    writer.write_run(record)
    return ParquetResultsCallback(
        writer, sweep=sweep.name, run_id=run_id, metric=sweep.metric, mode=sweep.mode,
        asha_max_t=sweep.asha.max_t if sweep.asha else None,
        time_attr=sweep.asha.time_attr if sweep.asha else "training_iteration",
    )


def _num_samples(sweep: Sweep) -> int:
    """Ray's ``num_samples``: grid passes for grid search, trials otherwise."""
    if isinstance(sweep.searcher, GridSearch):
        return sweep.num_samples or 1
    return sweep.num_samples


def _resolve_root(results_root: str | None) -> str:
    root = resolve_root(results_root)
    return root if "://" in root else str(Path(root).resolve())


def _as_loaded(sweep: Sweep | LoadedSweep | str) -> LoadedSweep:
    if isinstance(sweep, LoadedSweep):
        return sweep
    if isinstance(sweep, str):
        return load_sweep(sweep)
    source = inspect.getsourcefile(sweep.trainable)
    return LoadedSweep(sweep, Path(source) if source else None, "", "")


def _project_paths(loaded: LoadedSweep) -> list[str]:
    """Directories workers need on sys.path: the project root holding sweeps/ and search_spaces/."""
    if loaded.path is None or not loaded.module_name:
        return []
    return [str(loaded.path.parent.parent)]


def _pickle_sweep_modules_by_value(sweep: Sweep) -> None:
    """Sweep modules are imported by path, so workers cannot import them: ship their code by value."""
    module = sys.modules.get(getattr(sweep.trainable, "__module__", ""))
    if module is not None and module.__name__.startswith(MODULE_PREFIX + "."):
        ray.cloudpickle.register_pickle_by_value(module)


