"""``replay_run``: retrain one PBT member's schedule from scratch, as a new one-trial run.

The schedule is the store's (``raysweep.results.schedule``: the member's effective history, through
the exploits it descends from). :class:`ScheduleReplay` (``_replay_scheduler.py``; why not Ray's
``PopulationBasedTrainingReplay`` is said there) switches the config after iteration
``from_iteration - 1`` of each entry, and the sweep's trainable runs as one trial of the same
sweep, starting with the schedule's first config, stopped at the member's last iteration. Its run
row says what it replays (``replay_of``: ``<run>/<trial_id>``, ``replay_schedule``: the schedule as
JSON) and ``scheduler = pbt_replay``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from raysweep._errors import ConfigError
from raysweep.execution.launch._continue import load_unchanged
from raysweep.execution.launch._fit import start
from raysweep.execution.launch._launch import (
    Launch,
    RayTarget,
    as_loaded,
    preserved_process_state,
    resolve_results_root,
)
from raysweep.execution.launch._replay_scheduler import ScheduleReplay
from raysweep.execution.launch._runner import new_run_id
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.tune._preflight import check_sweep
from raysweep.results import RunWriter, is_population, resolve_run, schedule
from raysweep.sweep import LoadedSweep, Sweep

__all__ = ["replay_run", "replay_sweep"]

#: What a replay says when the run's sweep module is gone or changed (launch/_continue.load_unchanged).
_REPLAYING = ("replayed", "Restore the file at that path.",
              "The replay would not train what the run trained. Restore the module, or pass --force "
              "to replay anyway.")


def replay_sweep(sweep: Sweep, record: dict[str, Any]) -> Sweep:
    """One trial of ``sweep`` with the schedule's first config as its (constant) space, random
    search, stopped at the replayed member's last iteration; no warm start, no preset points."""
    first = record["schedule"][0]["config"]
    stop = dict(sweep.stop or {})
    if record.get("iterations"):
        stop["training_iteration"] = int(record["iterations"])
    return dataclasses.replace(sweep, space=first, searcher="random", scheduler="fifo",
                               num_samples=1, warm_start=None, points_to_evaluate=None,
                               stop=stop or None)


def replay_run(
    run: str,
    trial: str | None = None,
    *,
    results_root: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    progress: bool | None = None,
    force: bool = False,
    console: Console | None = None,
    sweep: Sweep | LoadedSweep | None = None,
    run_id: str | None = None,
    verbose: bool = False,
) -> RunSummary:
    """Retrain the schedule of ``trial`` (default: the best member) of the PBT/PB2 run ``run`` (a
    run id, or a sweep name for its latest run) from scratch, as a new one-trial run of the same
    sweep; returns its summary. The sweep is the run's sweep module, reloaded (refused when it
    changed since the run started, unless ``force``); ``sweep`` passes it instead."""
    with preserved_process_state():
        root = resolve_results_root(results_root)
        row = resolve_run(root, run, owner="raysweep replay")
        if not is_population(row):
            raise ConfigError(
                f"Run {row['run']} of sweep {row['sweep']!r} was scheduled by {row.get('scheduler')!r}, "
                "not PBT/PB2: its trials kept one config each, so there is no schedule to replay. "
                f"`raysweep best {row['sweep']} --run {row['run']}` prints the best config; run it "
                "with that config instead.")
        record = schedule(root, str(row["run"]), trial)
        loaded = load_unchanged(row, force, _REPLAYING) if sweep is None else as_loaded(sweep)
        if loaded.sweep.name != row["sweep"]:
            raise ConfigError(f"The 'sweep' parameter of raysweep replay must be the sweep of run "
                              f"{row['run']} ({row['sweep']!r}). Got {loaded.sweep.name!r} instead.")
        replaying = replay_sweep(loaded.sweep, record)
        check_sweep(replaying)
        loaded = dataclasses.replace(loaded, sweep=replaying)
        console = console or Console(stderr=True)
        live = console.is_terminal if progress is None else progress
        run_id = run_id or new_run_id()
        segments = record["schedule"]
        console.print(f"[dim]Replaying trial {record['trial_id']} of run {record['run']}: "
                      f"{len(segments)} config(s), switching after iteration(s) "
                      f"{escape(str([s['from_iteration'] - 1 for s in segments[1:]]))}.[/]",
                      highlight=False)
        # one segment: its config never changed, FIFO runs it
        switches = [(int(s["from_iteration"]) - 1, s["config"]) for s in segments[1:]]
        launch = Launch(loaded, run_id, root, live, console, verbose=verbose,
                        scheduler=ScheduleReplay(switches) if switches else None, record={
            "scheduler": "pbt_replay",
            "scheduler_params": json.dumps({"replays": f"{record['run']}/{record['trial_id']}"}),
            "replay_of": f"{record['run']}/{record['trial_id']}",
            "replay_schedule": json.dumps(segments, sort_keys=True)})
        writer = RunWriter(root, sweep=replaying.name, run_id=run_id)
        try:
            return start(launch, writer, RayTarget(address, num_cpus, num_gpus))
        finally:
            writer.close()
