"""One launch of a run (a new run, a resume, an extension): what it runs, where, and the process
state it needs. The launch sequence itself, shared by all three, is
:func:`raysweep.execution.launch._fit.start`."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray.cloudpickle
from rich.console import Console

from raysweep.results import resolve_root
from raysweep.sweep import LoadedSweep, Sweep, is_sweep_module, load_sweep

__all__ = ["Launch", "RayTarget", "as_loaded", "pickle_sweep_modules_by_value", "preserved_process_state",
           "project_paths", "resolve_results_root"]


@dataclass(frozen=True)
class RayTarget:
    """Where a launch runs: the cluster at ``address``, or an embedded local Ray of this size."""

    address: str | None = None
    num_cpus: int | None = None
    num_gpus: int | None = None


@dataclass
class Launch:
    """One launch of a run: a new run, or a resume (``restore_path`` and ``prior`` set)."""

    loaded: LoadedSweep
    run_id: str
    root: str
    live: bool
    console: Console
    restore_path: str | None = None
    prior: dict[str, dict[str, Any]] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    seeds: Any = None  # warm start: raysweep.warm_start.Seeds, or None
    total_trials: int | None = None  # the progress bar's total when not the sweep's (extend)
    cells: list[dict[str, Any]] | None = None  # grid --only-new: the cells to run, nothing else
    estimate: bool = False  # a fresh run: price it before it starts (run record, final summary)
    verbose: bool = False  # the trainables' prints on the terminal too (they always go to the log)
    scheduler: Any = None  # a Ray scheduler instead of the sweep's (replay: PBT's policy, _replay.py)

    @property
    def ray_storage(self) -> str:
        return f"{self.root.rstrip('/')}/_ray/{self.loaded.sweep.name}"


    @property
    def ray_dir(self) -> str:
        """The run's own directory of Ray's files."""
        return f"{self.ray_storage}/{self.run_id}"


@contextmanager
def preserved_process_state() -> Iterator[None]:
    """Restore ``sys.path`` and ``os.environ`` exactly as they were (a notebook runs many sweeps)."""
    path, environ = list(sys.path), dict(os.environ)
    try:
        yield
    finally:
        sys.path[:] = path
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        for key, value in environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


def resolve_results_root(results_root: str | None) -> str:
    """The results root as every launch uses it: a URI as given, a local path made absolute."""
    root = resolve_root(results_root)
    return root if "://" in root else str(Path(root).resolve())


def as_loaded(sweep: Sweep | LoadedSweep | str) -> LoadedSweep:
    """A sweep given as a name or path, a ``Sweep`` or a ``LoadedSweep``, as a ``LoadedSweep``."""
    if isinstance(sweep, LoadedSweep):
        return sweep
    if isinstance(sweep, str):
        return load_sweep(sweep)
    source = inspect.getsourcefile(sweep.trainable)
    return LoadedSweep(sweep, Path(source) if source else None, "", "")  # type: ignore[arg-type]


def project_paths(loaded: LoadedSweep) -> list[str]:
    """Directories workers need on sys.path: the project root holding sweeps/ and search_spaces/."""
    if loaded.path is None or not loaded.module_name:
        return []
    return [str(loaded.path.parent.parent)]


def pickle_sweep_modules_by_value(sweep: Sweep) -> None:
    """Ship the code of every sweep module by value: raysweep imports them by path (as
    ``raysweep_sweeps.<name>``), so workers cannot import them by name. Every loaded one, not only
    the trainable's: Ray's ``tune.with_parameters`` wraps a function in a class of its own module
    that refers to the function by its module, and a trainable may call helpers of another sweep
    module. ``sweep`` is the launched sweep (its module is loaded by then)."""
    for name, module in list(sys.modules.items()):
        if module is not None and is_sweep_module(name):
            ray.cloudpickle.register_pickle_by_value(module)
