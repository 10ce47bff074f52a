"""Scale bounding of the store callback (docs/architecture.md, "Scale") on a real small ASHA sweep:
held trial rows, forced snapshots only where needed, ended trials' staged files pruned. Checked against
a trainable that logs every report to a file, and against Tune's own files on storage."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime

import pytest

from raysweep import results as R

tune = pytest.importorskip("ray.tune")
cloudpickle = pytest.importorskip("ray.cloudpickle")

cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.slow

N, MAX_T = 16, 4


def _logged(config):
    trial = tune.get_context().get_trial_id()
    for it in range(1, MAX_T + 1):
        score = round(config["x"] * it, 9)
        with open(os.path.join(config["log"], trial + ".log"), "a") as fh:
            fh.write(json.dumps({"trial": trial, "it": it, "score": score}) + "\n")
        tune.report({"score": score})


class _Records(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("share", [0.05, 0.0], ids=["shipped share", "spaced only"])
def test_held_rows_and_pruned_staging_keep_every_trial_and_asha_decision(ray_session, tmp_path,
                                                                        monkeypatch, share):
    """With the shipped share (trivial trials: some additions snapshotted at once, the rest held) and
    with a share of 0 (every addition after the first held for a spaced snapshot: what a long sweep
    of trivial trials does), the store is the trainable's log and Tune's files."""
    from raysweep.execution.recording import _store_callback
    from raysweep.execution.recording._store_callback import ParquetResultsCallback

    monkeypatch.setattr(_store_callback, "_SNAPSHOT_SHARE", share)

    root, log = str(tmp_path / "results"), tmp_path / "log"
    log.mkdir()
    writer = R.RunWriter(root, sweep="sc", run_id="r1", flush_interval_s=0.5)
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "score",
                      "mode": "max"})
    callback = ParquetResultsCallback(writer, sweep="sc", run_id="r1", metric="score", mode="max",
                                      asha_max_t=MAX_T)
    # Tune reports a failed copy of its experiment state here (a forced snapshot racing its own sync).
    tune_state_log = logging.getLogger("ray.tune.execution.experiment_state")
    failures = _Records(level=logging.ERROR)
    tune_state_log.addHandler(failures)
    grid = tune.Tuner(
        _logged,
        param_space={"x": tune.grid_search([float(N - i) for i in range(N)]), "log": str(log)},
        tune_config=tune.TuneConfig(
            metric="score", mode="max", reuse_actors=True, max_concurrent_trials=2,
            scheduler=tune.schedulers.ASHAScheduler(max_t=MAX_T, grace_period=1, reduction_factor=2)),
        run_config=tune.RunConfig(callbacks=[callback], storage_path=str(tmp_path / "ray"),
                                  name="exp", verbose=0),
    ).fit()
    tune_state_log.removeHandler(failures)
    callback.finalize(interrupted=False)
    writer.close()
    assert not failures.records, [r.getMessage() for r in failures.records]

    trials, iters = R.load_trials(root), R.load_iterations(root)
    lines = [json.loads(x) for f in log.glob("*.log") for x in f.read_text().splitlines()]
    # Every trial that ran is stored once, with every report it made, equal to the log.
    assert len(trials) == N and trials["trial_id"].is_unique
    assert set(trials["ray_trial_id"]) == {x["trial"] for x in lines}
    assert len(iters) == len(lines) and not iters.duplicated(["trial_id", "training_iteration"]).any()
    by_ray = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    logged = {(x["trial"], x["it"]): x["score"] for x in lines}
    for tid, it, score in zip(iters["trial_id"], iters["training_iteration"], iters["score"],
                              strict=True):
        assert logged[(by_ray[tid], int(it))] == score
    # ASHA's decisions, as Tune's own files on storage record them (pruning the driver's staged
    # copies lost none of them): each stored trial ran exactly as far as Tune says.
    tune_iters = {r.metrics["trial_id"]: len(r.metrics_dataframe) for r in grid}
    assert len(tune_iters) == N
    stored = dict(zip(trials["ray_trial_id"], trials["iterations"], strict=True))
    assert stored == tune_iters
    stopped = trials[trials["status"] == "early_stopped"]
    assert len(stopped) >= 1 and (stopped["iterations"] < MAX_T).all()
    assert set(trials["status"]) <= {"completed", "early_stopped"}
    assert (trials.loc[trials["status"] == "completed", "iterations"] == MAX_T).all()
    # Ended trials' staged files are gone from the driver (every trial ended before the last snapshot
    # but the ones of the final step); their files on storage are all there.
    staged = [r for r in grid if os.path.isdir(os.path.join(
        os.path.dirname(callback.gate.controller.experiment_state_path), r.metrics["trial_id"]))]
    assert len(staged) <= 2, [r.metrics["trial_id"] for r in staged]
    assert all(os.path.isfile(os.path.join(r.path, "result.json")) for r in grid)
    # Fewer forced snapshots than the two per trial of an every-event policy.
    print("forced snapshots:", callback.snapshots, f"({callback.snapshot_seconds:.2f} s) for", N,
          "trials; steps that added trials:", callback.additions_exact, "exact,",
          callback.additions_spaced, "held")
    assert callback.snapshots < 2 * N
    assert callback.additions_exact >= 1  # the first, within the share even at 0 (nothing spent)
    assert callback.snapshots >= callback.additions_exact  # each exact addition took its snapshot
    if share == 0.0:
        assert callback.additions_spaced >= 1


def _slow(config):
    for it in range(1, 3):
        time.sleep(0.5)
        tune.report({"score": config["x"] * it})


class _Events(tune.Callback):
    """Appends ("result", trial id) to ``events`` at every result Tune hands its callbacks."""

    def __init__(self, events: list) -> None:
        self.events = events

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.events.append(("result", trial.trial_id))


def test_every_addition_of_second_long_trials_is_snapshotted_at_once(ray_session, tmp_path,
                                                                      monkeypatch):
    """Trials of a second: forced snapshots stay far under the share, so every step that added a
    trial is snapshotted before the trial can report (what makes resume exact: test_resume.py).

    Ground truth: the trials each forced snapshot held (Tune's controller at that moment), in order
    with the results Tune delivered; every trial is in a snapshot taken before its first result."""
    from raysweep.execution.durability import _gate
    from raysweep.execution.recording._store_callback import ParquetResultsCallback

    events: list[tuple[str, object]] = []
    force = _gate.force_snapshot

    def recorded(controller):
        force(controller)
        events.append(("snapshot", {t.trial_id for t in controller.get_trials()}))

    monkeypatch.setattr(_gate, "force_snapshot", recorded)
    root = str(tmp_path / "results")
    writer = R.RunWriter(root, sweep="slow", run_id="r1", flush_interval_s=0.5)
    callback = ParquetResultsCallback(writer, sweep="slow", run_id="r1", metric="score", mode="max")
    tune.Tuner(
        _slow,
        param_space={"x": tune.grid_search([1.0, 2.0, 3.0, 4.0])},
        tune_config=tune.TuneConfig(metric="score", mode="max", reuse_actors=True,
                                    max_concurrent_trials=2),
        run_config=tune.RunConfig(callbacks=[callback, _Events(events)],
                                  storage_path=str(tmp_path / "ray"), name="exp", verbose=0),
    ).fit()
    callback.finalize(interrupted=False)
    writer.close()
    print("forced snapshots:", callback.snapshots, f"({callback.snapshot_seconds:.2f} s);",
          "steps that added trials:", callback.additions_exact, "exact,", callback.additions_spaced,
          "held")
    assert callback.additions_exact >= 1 and callback.additions_spaced == 0
    # Each step counted as an exact addition forced a snapshot (none counted without one) ...
    assert callback.snapshots >= callback.additions_exact
    # ... and every trial was in a snapshot before it reported anything.
    first_result = {}
    for index, (kind, what) in enumerate(events):
        if kind == "result":
            first_result.setdefault(what, index)
    assert len(first_result) == 4
    for trial_id, index in first_result.items():
        assert any(kind == "snapshot" and trial_id in what for kind, what in events[:index]), (
            trial_id, events)
    assert len(R.load_trials(root)) == 4


def test_an_end_the_store_never_saw_start_is_repaired_from_tunes_files(ray_session, tmp_path):
    """Held rows: the driver died after Tune's snapshot recorded a short trial's start and end, before
    the store got either (nor its iterations). The resume rebuilds it from Tune's files."""
    import pyarrow.parquet as pq

    from raysweep.execution import resume_run, run_sweep
    from raysweep.results import RunWriter
    from raysweep.sweep import load_sweep

    from . import _resume_harness as H
    from .test_resume_faults import _no_nan
    from .test_resume_refusals import _dead_pid

    project, root = tmp_path / "project", tmp_path / "results"
    path, log_dir = H.write_sweep(project, "unseen", n=3, iters=4, sleep=0.01, checkpoint=False,
                                  searcher="searchers.random(seed=4)")
    run_sweep(load_sweep(str(path)), results_root=str(root), progress=False)
    runs, trials, _ = H.store(root)
    run_id, victim = runs.loc[0, "run"], trials.iloc[0]
    for dataset in ("trials", "iterations"):  # the store never heard of the victim
        for part in (root / dataset).rglob("*.parquet"):
            table = pq.read_table(part)
            keep = [t != victim["trial_id"] for t in table["trial_id"].to_pylist()]
            pq.write_table(table.filter(keep), part)
    assert victim["trial_id"] not in set(H.store(root)[1]["trial_id"])
    with RunWriter(str(root), sweep="unseen", run_id=run_id) as writer:
        writer.write_run({**_no_nan(runs.iloc[0].drop(["sweep", "run"]).to_dict()),
                          "status": "running", "ended_at": None, "driver_pid": _dead_pid()})
    lines_before = len(H.read_log(log_dir))

    summary = resume_run("unseen", results_root=str(root), progress=False)

    assert summary.status == "finished" and summary.counts["trials"] == 3
    assert len(H.read_log(log_dir)) == lines_before  # nothing ran again
    _, trials, iters = H.store(root)
    repaired = trials.set_index("trial_id").loc[victim["trial_id"]]
    assert repaired["status"] == "completed" and repaired["iterations"] == 4
    assert repaired["ray_trial_id"] == victim["ray_trial_id"]
    mine = iters[iters["trial_id"] == victim["trial_id"]]
    log = H.read_log(log_dir).set_index(["trial", "it"])["value"]
    assert mine["training_iteration"].tolist() == [1, 2, 3, 4]
    assert mine["loss"].tolist() == [log[(victim["ray_trial_id"], i)] for i in range(1, 5)]
