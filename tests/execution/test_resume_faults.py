"""Retries, concurrent drivers, clean-up after a failure, and a process left as it was found."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import pytest
from ray import cloudpickle

from raysweep import Sweep, results
from raysweep.execution import resume_run, run_sweep
from raysweep.sweep import load_sweep

from . import _resume_harness as H

pytestmark = pytest.mark.slow

cloudpickle.register_pickle_by_value(sys.modules[__name__])

_FLAKY = """marker = os.path.join(LOG_DIR, trial + ".failed")
        if it == 3 and config["x"] < 0.6 and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("flaky once at iteration 3")"""


def test_retry_from_scratch_is_stored_exactly_once(ray_session, tmp_path):
    project, root = tmp_path / "project", tmp_path / "results"
    path, log_dir = H.write_sweep(project, "flaky", n=4, iters=5, sleep=0.05, checkpoint=False,
                                  searcher="searchers.random(seed=5)", max_failures=1,
                                  fail=_FLAKY)
    summary = run_sweep(load_sweep(str(path)), results_root=str(root), progress=False)
    assert summary.status == "finished"
    _, trials, iters = H.store(root)
    log = H.read_log(log_dir)
    retried = {p.stem for p in log_dir.glob("*.failed")}
    assert retried, "no trial failed: the test proves nothing"
    assert len(trials) == 4 and set(trials["status"]) == {"completed"}
    by_ray = trials.set_index("ray_trial_id")
    assert set(by_ray.loc[sorted(retried), "attempts"]) == {2}
    assert not iters.duplicated(["trial_id", "training_iteration"]).any()
    last = log.drop_duplicates(["trial", "it"], keep="last").set_index(["trial", "it"])["value"]
    for ray_id, row in by_ray.iterrows():
        mine = iters[iters["trial_id"] == row["trial_id"]]
        assert mine["training_iteration"].tolist() == [1, 2, 3, 4, 5]
        # A restart from scratch supersedes every row of the first attempt.
        assert set(mine["attempt"]) == ({2} if ray_id in retried else {1})
        assert mine["loss"].tolist() == [last[(ray_id, it)] for it in range(1, 6)]


def test_two_drivers_into_one_root_both_keep_every_row(ray_address, tmp_path):
    project, root = tmp_path / "project", tmp_path / "results"
    H.write_sweep(project, "twice", n=3, iters=4, sleep=0.1, checkpoint=False,
                  searcher="searchers.random(seed=1)")
    # Both drivers join the session's Ray (two jobs sharing its 2 CPUs) at the same time.
    procs = [H.cli("run", "twice", "--results", str(root), "--no-progress", cwd=project,
                   address=ray_address) for _ in range(2)]
    outs = [H.finish(proc, timeout=240) for proc in procs]
    assert [code for code, _ in outs] == [0, 0], outs
    runs, trials, iters = H.store(root)
    log = H.read_log(project / "logs")
    assert len(runs) == 2 and set(runs["status"]) == {"finished"}
    assert trials.groupby("run").size().tolist() == [3, 3]
    assert set(trials["ray_trial_id"]) == set(log["trial"])
    assert len(iters) == len(log) == 2 * 3 * 4
    merged = iters.merge(trials[["trial_id", "run", "ray_trial_id"]], on=["trial_id", "run"])
    logged = log.set_index(["trial", "it"])["value"]
    assert all(logged[(r, int(i))] == v for r, i, v in
               zip(merged["ray_trial_id"], merged["training_iteration"], merged["loss"],
                   strict=True))


_TWO_RUNS = textwrap.dedent(
    """
    import json, os, sys
    from raysweep.execution import run_sweep

    def state():
        return {"path": list(sys.path), "env": dict(os.environ)}

    before = state()
    seen = []
    for _ in range(2):
        summary = run_sweep(sys.argv[1], results_root=sys.argv[2], num_cpus=2, progress=False)
        seen.append(summary.status)
        after = state()
        changed = sorted(k for k in set(before["env"]) | set(after["env"])
                         if before["env"].get(k) != after["env"].get(k))
        print(json.dumps({"status": summary.status, "path_same": before["path"] == after["path"],
                          "env_changed": changed}))
    """
)


def test_two_sweeps_in_one_process_leave_it_as_found(tmp_path):
    """Two embedded Rays, one after the other, in one process (a notebook): kept embedded, since
    starting and stopping Ray is part of what must leave the process as it was."""
    project = tmp_path / "project"
    path, _ = H.write_sweep(project, "notebook", n=2, iters=2, sleep=0.01, checkpoint=False,
                            searcher="searchers.random(seed=2)")
    out = subprocess.run([sys.executable, "-c", _TWO_RUNS, str(path), str(tmp_path / "results")],
                         cwd=project, env=H.env(), capture_output=True, text=True, timeout=300)
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 2, out.stdout + out.stderr
    for line in lines:
        assert line == {"status": "finished", "path_same": True, "env_changed": []}


def test_a_failure_after_the_run_row_marks_the_run_failed(ray_session, tmp_path):
    lock = threading.Lock()  # cannot be pickled: Tune fails to ship the trainable

    def trainable(config):
        with lock:
            pass

    sweep = Sweep(name="unshippable", trainable=trainable, space={"x": 1}, metric="loss",
                  mode="min", num_samples=1)
    with pytest.raises(Exception) as info:
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
    runs = results.list_runs(str(tmp_path))
    assert runs.loc[0, "status"] == "failed"
    assert runs.loc[0, "ended_at"] is not None
    assert "lock" in str(info.value).lower() or "pickle" in str(info.value).lower()
    assert "unshippable" in runs.loc[0, "error_message"] or "pickle" in str(info.value)


def test_an_end_the_store_missed_is_repaired_from_tunes_files(ray_session, tmp_path):
    """The driver died after Tune's snapshot recorded a trial's end but before the store got it."""
    import pyarrow.parquet as pq

    from raysweep.results import RunWriter

    from .test_resume_refusals import _dead_pid

    project, root = tmp_path / "project", tmp_path / "results"
    path, log_dir = H.write_sweep(project, "repair", n=3, iters=4, sleep=0.01, checkpoint=False,
                                  searcher="searchers.random(seed=4)")
    run_sweep(load_sweep(str(path)), results_root=str(root), progress=False)
    runs, trials, _ = H.store(root)
    run_id, victim = runs.loc[0, "run"], trials.iloc[0]
    # Make the store what the crash would have left: the victim still running at iteration 2 ...
    for part in (root / "iterations").rglob("*.parquet"):
        table = pq.read_table(part)
        keep = [not (t == victim["trial_id"] and i > 2) for t, i in
                zip(table["trial_id"].to_pylist(), table["training_iteration"].to_pylist(),
                    strict=True)]
        pq.write_table(table.filter(keep), part)
    run_row = _no_nan(runs.iloc[0].drop(["sweep", "run"]).to_dict())
    with RunWriter(str(root), sweep="repair", run_id=run_id) as writer:
        trial_row = _no_nan(victim.drop(["sweep", "run", "updated_at"]).to_dict())
        writer.add_trial({**trial_row, "status": "running", "ended_at": None, "iterations": 2})
        # ... and the run row of a driver that died.
        writer.write_run({**run_row, "status": "running", "ended_at": None,
                          "driver_pid": _dead_pid()})
    lines_before = len(H.read_log(log_dir))

    summary = resume_run("repair", results_root=str(root), progress=False)

    assert summary.status == "finished" and summary.counts["trials"] == 3
    assert len(H.read_log(log_dir)) == lines_before  # nothing ran again
    _, trials, iters = H.store(root)
    repaired = trials.set_index("trial_id").loc[victim["trial_id"]]
    assert repaired["status"] == "completed" and repaired["iterations"] == 4
    mine = iters[iters["trial_id"] == victim["trial_id"]]
    log = H.read_log(log_dir).set_index(["trial", "it"])["value"]
    assert mine["training_iteration"].tolist() == [1, 2, 3, 4]
    assert mine["loss"].tolist() == [log[(victim["ray_trial_id"], i)] for i in range(1, 5)]


def _no_nan(row: dict) -> dict:
    import pandas as pd

    return {k: None if not isinstance(v, str | list | dict) and pd.isna(v) else v
            for k, v in row.items()}
