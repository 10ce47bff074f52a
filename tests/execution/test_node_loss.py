"""A worker node lost mid-trial: the trial moves to another node and the store stays exact.

Ground truth: the trainable appends (trial, process, iteration, value) to its own log at every report,
and each value carries the reporting process's pid, so an iteration reported twice (once before the
node died, once after the trial restarted from its checkpoint) has two different values. The store must
hold exactly one row per (trial, iteration), equal to the LAST value the trainable reported for it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from raysweep import results

from .._wait import wait_until
from ._cluster import loopback_cluster, node_env

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

ITERATIONS = 6

SWEEP = """
import json, os, tempfile, time
from ray import tune
from raysweep import Sweep, space

LOG = {log!r}


def train(config):
    start = 1
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as directory:
            with open(os.path.join(directory, "state.json")) as fh:
                start = json.load(fh)["i"] + 1
    for i in range(start, {iterations} + 1):
        # A first attempt waits after iteration 2 (at most 2 minutes) for the test to remove the node
        # it runs on, and dies with it there: the node is lost mid-trial however slow the machine.
        # A restored attempt (from a checkpoint, in a new process) runs on.
        deadline = time.monotonic() + 120
        while i == 3 and start == 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        value = config["x"] * i + (os.getpid() % 1000) * 1e-6
        with open(LOG, "a") as fh:
            fh.write(json.dumps({{"x": config["x"], "i": i, "value": value, "pid": os.getpid()}}) + "\\n")
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "state.json"), "w") as fh:
                json.dump({{"i": i}}, fh)
            tune.report({{"score": value}}, checkpoint=tune.Checkpoint.from_directory(directory))


SWEEP = Sweep(name="nodeloss", trainable=train, space={{"x": space.uniform(0.0, 1.0)}}, metric="score",
              mode="max", searcher="random", num_samples=2, resources={{"cpu": 1}}, max_failures=3)
"""


def _log(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_worker_node_lost_mid_trial_keeps_the_store_equal_to_the_trainables_log(tmp_path):
    log = tmp_path / "reports.jsonl"
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "nodeloss.py").write_text(SWEEP.format(log=str(log), iterations=ITERATIONS))
    # The head holds the driver only (no CPU for trials): every trial runs on the worker that dies.
    with loopback_cluster(head={"num_cpus": 0}, workers=[{"num_cpus": 2}]) as cluster:
        doomed = cluster.list_all_nodes()[-1]
        driver = subprocess.Popen(
            [sys.executable, "-m", "raysweep.cli", "run", "nodeloss", "--address", cluster.address,
             "--no-progress", "--results", str(tmp_path / "results")],
            cwd=tmp_path, env=node_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Both trials reported iteration 2 and now wait for the node to go.
        wait_until(lambda: len({r["x"] for r in _log(log) if r["i"] == 2}) == 2, timeout=120,
                   what="both trials to report iteration 2", proc=driver)
        cluster.remove_node(doomed, allow_graceful=False)
        cluster.add_node(num_cpus=2, runtime_env_dir_name="runtime_resources_replacement")
        out, err = driver.communicate(timeout=240)
    assert driver.returncode == 0, out + err

    reports = _log(log)
    assert len({r["pid"] for r in reports}) >= 2, "the trials never moved to another process"
    # Both trials lost their node mid-trial: each reported iteration 3 only from a later process.
    first_pid = {r["x"]: r["pid"] for r in reversed(reports) if r["i"] == 1}
    assert all(r["pid"] != first_pid[r["x"]] for r in reports if r["i"] == 3)
    last = {}
    for r in reports:  # the log is in report order: later reports of an iteration win
        last[(round(r["x"], 12), r["i"])] = r["value"]

    trials = results.load_trials(tmp_path / "results", sweeps="nodeloss")
    iterations = results.load_iterations(tmp_path / "results", sweeps="nodeloss")
    assert len(trials) == 2 and set(trials["status"]) == {"completed"}
    assert (trials["attempts"] >= 2).any()
    x_of = {row.trial_id: round(row["config.x"], 12) for _, row in trials.iterrows()}
    stored = {(x_of[row.trial_id], int(row.training_iteration)): row.score
              for row in iterations.itertuples()}
    assert len(stored) == len(iterations), "an iteration is stored twice"
    assert set(stored) == {(x, i) for x in x_of.values() for i in range(1, ITERATIONS + 1)}
    assert stored == pytest.approx(last)
