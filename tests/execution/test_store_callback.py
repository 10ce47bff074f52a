"""ParquetResultsCallback on real (small) Ray Tune runs: statuses, errors, retries, SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from datetime import UTC, datetime

import pytest

from raysweep import results as R

from .._wait import wait_until

tune = pytest.importorskip("ray.tune")
cloudpickle = pytest.importorskip("ray.cloudpickle")

# Workers cannot import this test module: ship its trainables by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.slow


def _fit(root, trainable, space, *, asha_max_t=None, max_failures=0, time_budget_s=None,
         scheduler=None, run_id="r1", tmp_path=None, max_concurrent=2):
    from raysweep.execution.recording._store_callback import ParquetResultsCallback

    writer = R.RunWriter(root, sweep="cb", run_id=run_id, flush_interval_s=0.5)
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "score",
                      "mode": "max"})
    callback = ParquetResultsCallback(writer, sweep="cb", run_id=run_id, metric="score",
                                      mode="max", asha_max_t=asha_max_t)
    tuner = tune.Tuner(
        trainable,
        param_space=space,
        tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=scheduler,
                                    reuse_actors=True, time_budget_s=time_budget_s,
                                    max_concurrent_trials=max_concurrent),
        run_config=tune.RunConfig(
            callbacks=[callback], storage_path=str(tmp_path / "ray"), name=f"exp_{run_id}",
            failure_config=tune.FailureConfig(max_failures=max_failures), verbose=0),
    )
    tuner.fit()
    callback.finalize(interrupted=False)
    summary = callback.summary()
    writer.write_run({"status": "finished", "started_at": datetime.now(UTC), **summary})
    writer.close()
    return summary


def _asha_trainable(config):
    for i in range(1, 10):
        if config["x"] == 2 and i == 4:
            return  # a top trial (never below a rung's cut) ends on its own: completed
        score = 100 * i if config["x"] <= 2 else (10 - config["x"]) * i
        tune.report({"score": score, "nested": {"a": float(i)}})


def test_asha_early_stopped_vs_completed(ray_session, tmp_path):
    root = str(tmp_path / "results")
    scheduler = tune.schedulers.ASHAScheduler(max_t=9, grace_period=1, reduction_factor=2)
    summary = _fit(root, _asha_trainable, {"x": tune.grid_search(list(range(1, 9)))},
                   asha_max_t=9, scheduler=scheduler, tmp_path=tmp_path)
    trials = R.load_trials(root)
    assert len(trials) == 8 and list(trials["trial_index"]) == list(range(8))
    by_x = trials.set_index("config.x")
    assert by_x.loc[2, "status"] == "completed" and by_x.loc[2, "iterations"] == 3
    assert not by_x.loc[2, "stopped_by_scheduler"]
    assert by_x.loc[1, "status"] == "completed" and by_x.loc[1, "iterations"] == 9
    assert by_x.loc[1, "stopped_by_scheduler"]  # ASHA stops at max_t too: still completed
    full = trials[trials["iterations"] == 9]
    assert set(full["status"]) == {"completed"}
    stopped = trials[trials["status"] == "early_stopped"]
    assert len(stopped) >= 1
    assert (stopped["iterations"] < 9).all() and stopped["stopped_by_scheduler"].all()
    assert summary["n_early_stopped"] == len(stopped)
    assert summary["n_completed"] + summary["n_early_stopped"] == 8
    best = trials.loc[trials["metric_best"].idxmax()]
    assert summary["best_value"] == best["metric_best"]
    assert summary["best_trial_id"] == best["trial_id"]
    assert summary["best_config"] == {"x": int(best["config.x"])}
    iters = R.load_iterations(root)
    assert len(iters) == trials["iterations"].sum()
    assert "nested/a" in iters.columns and "last.nested/a" in trials.columns
    assert iters["hostname"].notna().all() and iters["node_id"].notna().all()
    runs = R.list_runs(root)
    assert runs.loc[0, "n_early_stopped"] == len(stopped)
    assert runs.loc[0, "best_config"] == f'{{"x":{int(best["config.x"])}}}'


def _failing_trainable(config):
    marker = os.path.join(config["dir"], f"failed_{config['x']}")
    for i in range(1, 5):
        if config["x"] == 3 and i == 3:
            raise ValueError("\x1b[31mboom\x1b[0m at step 3")
        if config["x"] == 4 and i == 2 and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("flaky once")
        tune.report({"score": float(config["x"] * i)})


def test_errored_and_retried_trials_exactly_once(ray_session, tmp_path):
    root = str(tmp_path / "results")
    space = {"x": tune.grid_search([1, 3, 4]), "dir": str(tmp_path)}
    summary = _fit(root, _failing_trainable, space, max_failures=1, tmp_path=tmp_path)
    trials = R.load_trials(root).set_index("config.x")
    err = trials.loc[3]
    assert err["status"] == "errored" and err["attempts"] == 2
    assert err["error_type"] == "ValueError"
    assert err["error_message"] == "boom at step 3"
    assert "\x1b" not in err["error_traceback"] and "_failing_trainable" in err["error_traceback"]
    flaky = trials.loc[4]
    assert flaky["status"] == "completed" and flaky["attempts"] == 2
    assert pd_isna(flaky["error_type"])
    assert trials.loc[1, "attempts"] == 1
    iters = R.load_iterations(root)
    assert not iters.duplicated(["trial_id", "training_iteration"]).any()
    flaky_iters = iters[iters["trial_id"] == flaky["trial_id"]]
    assert flaky_iters["training_iteration"].tolist() == [1, 2, 3, 4]
    assert set(flaky_iters["attempt"]) == {2}
    assert summary["n_errored"] == 1 and summary["n_completed"] == 2


def pd_isna(value):
    import pandas as pd

    return bool(pd.isna(value))


def _slow_trainable(config):
    for i in range(1, 100):
        time.sleep(0.2)
        tune.report({"score": float(i)})


def test_time_budget_leaves_cancelled_trials(ray_session, tmp_path):
    root = str(tmp_path / "results")
    summary = _fit(root, _slow_trainable, {"x": tune.grid_search([1, 2, 3, 4])},
                   time_budget_s=8, tmp_path=tmp_path, max_concurrent=None)
    trials = R.load_trials(root)
    assert summary["n_trials"] == 4 == len(trials)  # 2 running + 2 pending when time ran out
    assert summary["n_cancelled"] == 4 and set(trials["status"]) == {"cancelled"}
    never_started = trials[trials["attempts"] == 0]
    assert never_started["started_at"].isna().all() and never_started["trial_seconds"].isna().all()
    started = trials[trials["attempts"] == 1]
    assert len(started) + len(never_started) == 4  # how many started depends on machine load
    assert started["trial_seconds"].notna().all() and started["started_at"].notna().all()


_DRIVER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    import ray
    from ray import tune
    from raysweep.results import RunWriter
    from raysweep.execution.recording._store_callback import ParquetResultsCallback

    def slow(config):
        for i in range(1, 200):
            time.sleep(0.1)
            tune.report({"score": float(config["x"] * i)})

    root, storage, address = sys.argv[1], sys.argv[2], sys.argv[3]
    ray.init(address=address, logging_level="ERROR")  # the session's Ray: the test kills only this
    writer = RunWriter(root, sweep="killed", run_id="r1", flush_interval_s=0.5)
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "score",
                      "mode": "max"})
    cb = ParquetResultsCallback(writer, sweep="killed", run_id="r1", metric="score", mode="max")
    tune.Tuner(slow, param_space={"x": tune.grid_search([1, 2, 3])},
               tune_config=tune.TuneConfig(reuse_actors=True),
               run_config=tune.RunConfig(callbacks=[cb], storage_path=storage, verbose=0)).fit()
    """
)


def test_driver_sigkill_leaves_readable_store(ray_address, tmp_path):
    root = str(tmp_path / "results")
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, root, str(tmp_path / "ray"), ray_address],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )

    def stored() -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(R.load_iterations(root)) if os.path.isdir(root) else 0

    try:
        seen = wait_until(lambda: (n := stored()) >= 20 and n, timeout=120, proc=proc,
                          what="20 stored iterations before the kill", interval=0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver's own session: the driver only
        proc.wait()
    assert seen >= 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iters = R.load_iterations(root)
        trials = R.load_trials(root)
        runs = R.list_runs(root)
    assert len(iters) >= seen
    assert not iters.duplicated(["trial_id", "training_iteration"]).any()
    assert set(trials["status"]) == {"running"}
    assert runs["status"].tolist() == ["running"]
