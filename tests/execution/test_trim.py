"""Trimming Tune's per-trial state (execution/durability/_trim.py) changes nothing a user can see.

The same seeded sweep (random search + ASHA, one trial at a time so ASHA's decisions are
deterministic) runs with trimming on and off; the trainable logs every report to a ground-truth
file first. Trials, statuses, store rows and ASHA's rung decisions must be identical, both runs must
agree with the log, and Tune's own last experiment snapshot must show that trimming did happen
(and did not in the untrimmed run).
"""

from __future__ import annotations

import gc
import glob
import json
import os
import weakref

import pytest
from ray import tune
from ray.tune.experiment import Trial

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep
from raysweep.execution.durability._trim import TRIM_ENV, TrimCallback, lean_result_grid

from ._rung_trainables import rising

pytestmark = pytest.mark.slow

TRIAL_COLUMNS = ["trial_id", "trial_index", "status", "config_json", "metric_last", "metric_best",
                 "iterations", "attempts", "stopped_by_scheduler"]
RUNG_COLUMNS = ["trial_id", "milestone", "value", "cutoff", "rung_size", "decision"]


def _run(tmp_path, monkeypatch, trim: bool):
    monkeypatch.setenv(TRIM_ENV, "1" if trim else "0")
    log = tmp_path / "reports.jsonl"  # the same path in both runs: the configs (and ids) match
    sweep = Sweep(
        name="trim", trainable=rising, metric="score", mode="max",
        space={"x": space.uniform(0.0, 1.0), "iters": 4, "log": str(log)},
        searcher=searchers.random(seed=7), num_samples=10, max_concurrent=1,
        scheduler=schedulers.asha(max_t=4, grace_period=1, reduction_factor=2),
    )
    root = str(tmp_path / ("trimmed" if trim else "untrimmed"))
    summary = run_sweep(sweep, results_root=root, progress=False)
    reports = sorted(log.read_text().splitlines())
    log.unlink()
    return summary, root, reports


def _frame(frame, columns, keys):
    return frame[columns].sort_values(keys).reset_index(drop=True)


def _last_snapshot(ray_dir: str) -> list[list[str]]:
    newest = max(glob.glob(os.path.join(ray_dir, "experiment_state-*.json")), key=os.path.getmtime)
    with open(newest, encoding="utf-8") as handle:
        return json.load(handle)["trial_data"]


def _last_snapshot_results(ray_dir: str) -> list[dict]:
    return [json.loads(meta) for _, meta in _last_snapshot(ray_dir)]


def test_trimmed_sweep_equals_untrimmed_one(ray_session, tmp_path, monkeypatch):
    full, full_root, full_log = _run(tmp_path, monkeypatch, trim=False)
    trim, trim_root, trim_log = _run(tmp_path, monkeypatch, trim=True)

    assert full.status == trim.status == "finished"
    assert full.counts == trim.counts and full.counts["trials"] == 10
    assert full.counts["early_stopped"] > 0  # ASHA stopped some: its decisions are compared below
    assert (full.best_trial_id, full.best_value) == (trim.best_trial_id, trim.best_value)
    assert full_log == trim_log  # ground truth: the very same reports, in both runs

    def read(root, loader, columns, keys):
        return _frame(loader(root, sweeps="trim"), columns, keys)

    a = read(full_root, results.load_trials, TRIAL_COLUMNS, ["trial_id"])
    b = read(trim_root, results.load_trials, TRIAL_COLUMNS, ["trial_id"])
    assert a.equals(b)
    iteration_columns = ["trial_id", "training_iteration", "score"]
    a_it = read(full_root, results.load_iterations, iteration_columns, iteration_columns[:2])
    b_it = read(trim_root, results.load_iterations, iteration_columns, iteration_columns[:2])
    assert a_it.equals(b_it) and len(a_it) == len(full_log)
    assert read(full_root, results.load_rungs, RUNG_COLUMNS, ["trial_id", "milestone"]).equals(
        read(trim_root, results.load_rungs, RUNG_COLUMNS, ["trial_id", "milestone"]))

    # Tune's own files: the trimmed run's last snapshot holds trimmed trials, the other does not.
    kept = {"score", "training_iteration", "time_total_s", "done", "trial_id", "config"}
    trimmed = _last_snapshot_results(trim.ray_dir)
    untrimmed = _last_snapshot_results(full.ray_dir)
    assert len(trimmed) == len(untrimmed) == 10
    # A trial is trimmed once a forced snapshot holds its end: the trial(s) that ended after the
    # last one keep their full state in Tune's final snapshot.
    assert sum(set(m["last_result"]) <= kept and set(m["metric_analysis"]) <= kept
               and set(m["metric_n_steps"]) <= kept for m in trimmed) >= 8
    assert all("time_this_iter_s" in m["last_result"] and "time_this_iter_s" in m["metric_analysis"]
               for m in untrimmed)


def test_lean_result_grid_restores_tune():
    from ray.tune.analysis.experiment_analysis import ExperimentAnalysis

    originals = (ExperimentAnalysis._fetch_trial_dataframes, ExperimentAnalysis._load_trials)
    with lean_result_grid():
        assert ExperimentAnalysis._fetch_trial_dataframes(object()) == {}
        assert ExperimentAnalysis._load_trials(object()) == []
    assert (ExperimentAnalysis._fetch_trial_dataframes, ExperimentAnalysis._load_trials) == originals


class _Probe(tune.Callback):
    """Holds a weak reference to each ended trial; at the end counts those still alive."""

    def __init__(self) -> None:
        self.ended: list[weakref.ref] = []
        self.alive_at_end = -1

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.ended.append(weakref.ref(trial))

    def on_experiment_end(self, trials, **info):
        gc.collect()
        self.alive_at_end = sum(ref() is not None for ref in self.ended)


def _three_reports(config):
    for i in range(3):
        tune.report({"score": config["x"] + i})


@pytest.mark.parametrize("release", [True, False])
def test_released_trials_are_freed_and_still_in_tunes_snapshot(ray_session, tmp_path, release):
    # Ground truth for "bounded": the Trial objects themselves, not raysweep's count of releases.
    probe = _Probe()
    trim = TrimCallback("score", release=release)  # no store: trims at the end of the trial's step
    tuner = tune.Tuner(
        _three_reports, param_space={"x": tune.uniform(0, 1)},
        tune_config=tune.TuneConfig(metric="score", mode="max", num_samples=8, reuse_actors=True),
        run_config=tune.RunConfig(name="release", storage_path=str(tmp_path), verbose=0,
                                  callbacks=[trim, probe]),
    )
    with lean_result_grid():  # as raysweep runs it
        grid = tuner.fit()

    assert len(probe.ended) == 8 and trim.trimmed == 8
    if release:  # every ended trial was freed during the sweep; Tune's ResultGrid lists none
        assert (trim.released, probe.alive_at_end, len(grid)) == (8, 0, 0)
        assert trim._controller._trial_metadata.packed == 8  # their states kept deflated
    else:
        assert (trim.released, probe.alive_at_end, len(grid)) == (0, 8, 8)
    # Tune's last snapshot still holds every trial, trimmed: what `raysweep resume` restores.
    snapshot = _last_snapshot_results(os.path.join(tmp_path, "release"))
    assert len(snapshot) == 8
    assert all(set(m["last_result"]) <= {"score", "training_iteration", "time_total_s", "done",
                                         "trial_id", "config"} for m in snapshot)
    assert sorted(m["last_result"]["training_iteration"] for m in snapshot) == [3] * 8
    restored = [Trial.from_json_state(state) for state, _ in _last_snapshot(
        os.path.join(tmp_path, "release"))]
    assert sorted(t.trial_id for t in restored) == sorted(m["last_result"]["trial_id"] for m in snapshot)
    assert {t.status for t in restored} == {"TERMINATED"}
