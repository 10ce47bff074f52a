"""`raysweep extend`: N more trials in the same run, checked against the trainable's own log."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from raysweep import ConfigError, SweepNotFoundError
from raysweep.cli._main import raysweep as cli
from raysweep.execution import extend_run, run_sweep
from raysweep.results import RunWriter

from . import _resume_harness as H

N, MORE, ITERS = 3, 2, 2
SEARCHERS = {
    "tpe": "searchers.tpe(seed=3, n_initial_points=2)",
    "random": "searchers.random(seed=3)",
    "optuna": "searchers.optuna(seed=3, n_startup_trials=2)",
}
#: Columns of an earlier trial's row that extending the run must leave exactly as they were.
UNTOUCHED = ["trial_id", "ray_trial_id", "trial_index", "status", "config_json", "metric_best",
             "iterations", "updated_at"]


@pytest.mark.slow
@pytest.mark.parametrize("searcher", list(SEARCHERS))
def test_extend_runs_exactly_n_new_trials_and_leaves_earlier_ones_untouched(
        tmp_path, ray_session, searcher):
    name = f"ext_{searcher}"
    path, log_dir = H.write_sweep(tmp_path / "project", name, n=N, iters=ITERS, sleep=0.02,
                                  checkpoint=False, searcher=SEARCHERS[searcher])
    root = tmp_path / "results"
    first = run_sweep(str(path), results_root=str(root), progress=False)
    _, before, _ = H.store(root)
    log_before = H.read_log(log_dir)

    summary = extend_run(name, num_samples=MORE, results_root=str(root), progress=False)

    runs, trials, iters = H.store(root)
    log = H.read_log(log_dir)
    assert summary.run_id == first.run_id and summary.status == "finished"
    assert summary.counts["trials"] == N + MORE
    # One run, the same id, its row saying what happened.
    assert len(runs) == 1 and runs.loc[0, "run"] == first.run_id
    assert runs.loc[0, "status"] == "finished"
    assert int(runs.loc[0, "num_samples"]) == N + MORE and int(runs.loc[0, "extensions"]) == 1
    assert int(runs.loc[0, "n_trials"]) == N + MORE
    # Exactly N + MORE trials, unique ids, indices 0..N+MORE-1, and no config suggested twice.
    assert len(trials) == N + MORE and trials["trial_id"].is_unique
    assert sorted(trials["trial_index"]) == list(range(N + MORE))
    assert trials["config_json"].is_unique, trials["config_json"].tolist()
    assert set(trials["status"]) == {"completed"}
    # The earlier trials' rows were not rewritten.
    kept = trials.set_index("trial_id").loc[before["trial_id"], UNTOUCHED[1:]]
    assert kept.reset_index().equals(before[UNTOUCHED].reset_index(drop=True))
    # Ground truth: every stored trial ran, once, for its iterations; earlier ones never again.
    assert set(log["trial"]) == set(trials["ray_trial_id"])
    assert not log.duplicated(["trial", "it"]).any()
    assert (log.groupby("trial").size() == ITERS).all()
    for ray_id in before["ray_trial_id"]:
        assert (log["trial"] == ray_id).sum() == (log_before["trial"] == ray_id).sum()
    assert len(iters) == (N + MORE) * ITERS and not iters.duplicated(["trial_id", "training_iteration"]).any()

    if searcher == "random":  # a second extension numbers on (Ray's `_00000` suffixes restart at 0)
        extend_run(first.run_id, num_samples=1, results_root=str(root), progress=False)
        runs, trials, _ = H.store(root)
        assert int(runs.loc[0, "extensions"]) == 2 and int(runs.loc[0, "num_samples"]) == N + MORE + 1
        assert sorted(trials["trial_index"]) == list(range(N + MORE + 1))
        assert trials["config_json"].is_unique and set(H.read_log(log_dir)["trial"]) == set(
            trials["ray_trial_id"])


def _record(path, run_status="finished", **kw):
    row = {"status": run_status, "started_at": datetime.now(UTC) - timedelta(minutes=5),
           "ended_at": datetime.now(UTC), "metric": "loss", "mode": "min", "num_samples": 6,
           "sweep_path": str(path), "sweep_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
           "driver_host": socket.gethostname(), "driver_pid": os.getpid(), "resumes": 0}
    return {**row, **kw}


def _store(tmp_path, searcher="searchers.tpe(seed=3)", **kw):
    path, _ = H.write_sweep(tmp_path / "project", "ext", searcher=searcher)
    root = tmp_path / "results"
    with RunWriter(str(root), sweep="ext", run_id="r1") as writer:
        writer.write_run(_record(path, **kw))
    return root


def _refused(root, run="r1", n=2) -> str:
    with pytest.raises(ConfigError) as info:
        extend_run(run, num_samples=n, results_root=str(root), progress=False)
    return str(info.value)


def test_extend_refuses_a_run_whose_driver_is_alive(tmp_path):
    message = _refused(_store(tmp_path, run_status="running"))
    assert "still running" in message and str(os.getpid()) in message


@pytest.mark.parametrize("status", ["interrupted", "crashed"])
def test_extend_refuses_an_unfinished_run_and_points_to_resume(tmp_path, status):
    kw = {"run_status": "running", "driver_pid": _dead_pid()} if status == "crashed" else \
        {"run_status": status}
    message = _refused(_store(tmp_path, **kw))
    assert status in message and "raysweep resume r1" in message


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_extend_refuses_a_grid_sweep_and_points_to_only_new(tmp_path):
    message = _refused(_store(tmp_path, searcher="searchers.grid(grid_points=3)"))
    assert "grid" in message and "raysweep run ext --only-new" in message


def test_extend_refuses_fewer_than_one_trial_and_an_unknown_run(tmp_path):
    root = _store(tmp_path)
    for n in (0, -1, 1.5, True):
        assert "'num_samples' parameter of raysweep extend must be an integer >= 1" in _refused(root, n=n)
    with pytest.raises(SweepNotFoundError, match="'target' parameter of raysweep extend"):
        extend_run("r2", num_samples=1, results_root=str(root), progress=False)


def _never_run(config):
    raise AssertionError("refused before Ray starts")


def test_extend_refuses_a_python_sweep_of_another_name(tmp_path):
    from raysweep import Sweep, space

    root = _store(tmp_path)
    other = Sweep(name="other", trainable=_never_run, space={"x": space.uniform(0, 1)},
                  metric="loss", mode="min", searcher="tpe", num_samples=2)
    with pytest.raises(ConfigError, match="'sweep' parameter of raysweep extend must be the sweep of run r1"):
        extend_run("r1", num_samples=1, results_root=str(root), progress=False, sweep=other)


def test_cli_extend_exit_status_2_with_the_reason(tmp_path):
    root = _store(tmp_path)
    result = CliRunner().invoke(cli, ["extend", "r1", "--num-samples", "0", "--results", str(root)])
    assert result.exit_code == 2 and "must be an integer >= 1" in result.output
    result = CliRunner().invoke(cli, ["extend", "--help"])
    assert result.exit_code == 0 and "--only-new" in result.output and "--num-samples" in result.output
