"""Trials spread over the nodes of a loopback cluster, and the store records where each one ran.

Ground truth: the trainable appends the node id Ray gives it (``get_runtime_context().get_node_id()``)
to a log at every report; the store's ``node_id`` of every trial and iteration row must equal it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from raysweep import results

from ._cluster import node_env

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

SWEEP = """
import json, os, time
import ray
from ray import tune
from raysweep import Sweep, space

LOG = {log!r}


def train(config):
    node = ray.get_runtime_context().get_node_id()
    for i in range(1, 4):
        time.sleep(0.4)
        with open(LOG, "a") as fh:
            fh.write(json.dumps({{"x": config["x"], "i": i, "node": node}}) + "\\n")
        tune.report({{"score": config["x"] * i}})


SWEEP = Sweep(name="spread", trainable=train, space={{"x": space.uniform(0.0, 1.0)}}, metric="score",
              mode="max", searcher="random", num_samples=4, resources={{"cpu": 1}})
"""


@pytest.fixture
def cluster(loopback):
    """Two one-CPU nodes: 2 CPUs in total, but no node holds a 2-CPU trial (the shared cluster)."""
    return loopback


def _cli(cluster, tmp_path, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "raysweep.cli", *args, "--address", cluster.address],
                          cwd=tmp_path, capture_output=True, text=True, timeout=timeout, env=node_env())


def _project(tmp_path, log, cpus=1):
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "spread.py").write_text(
        SWEEP.format(log=str(log)).replace('{"cpu": 1}', f'{{"cpu": {cpus}}}'))


def test_trials_run_on_two_nodes_and_rows_carry_the_node_id(cluster, tmp_path):
    log = tmp_path / "reports.jsonl"
    _project(tmp_path, log)
    # The node table, read through the cluster's GCS (this process never calls ray.init).
    nodes = [n for n in cluster.global_state.node_table() if n["Alive"]]
    node_ids = {n["NodeID"] for n in nodes}
    node_ips = {n["NodeManagerAddress"] for n in nodes}
    out = _cli(cluster, tmp_path, "run", "spread", "--no-progress", "--results", str(tmp_path / "results"))
    assert out.returncode == 0, out.stderr[-3000:]
    truth = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(truth) == 4 * 3
    ran_on = {row["node"] for row in truth}
    assert len(ran_on) == 2 and ran_on == node_ids  # one-CPU nodes, 4 trials: both nodes ran trials

    root = str(tmp_path / "results")
    trials = results.load_trials(root, sweeps="spread")
    iters = results.load_iterations(root, sweeps="spread")
    x_by_trial = dict(zip(trials["trial_id"], trials["config.x"], strict=True))
    truth_node = {(row["x"], row["i"]): row["node"] for row in truth}
    assert len(iters) == len(truth)
    for row in iters.itertuples():
        assert row.node_id == truth_node[(x_by_trial[row.trial_id], row.training_iteration)]
        assert row.node_ip in node_ips
    truth_trial_node = {row["x"]: row["node"] for row in truth}
    assert dict(zip(trials["config.x"], trials["node_id"], strict=True)) == truth_trial_node
    assert set(trials["node_ip"]) <= node_ips  # one IP for both: only the node id shows the spread
    assert trials["node_id"].nunique() == 2



def test_plan_against_the_live_cluster_shows_each_node(cluster, tmp_path):
    _project(tmp_path, tmp_path / "never.jsonl")
    out = _cli(cluster, tmp_path, "plan", "spread")
    assert out.returncode == 0, out.stderr
    assert "nodes" in out.stdout and "2 (on 2 nodes)" in out.stdout
    node_ids = [n["NodeID"][:12] for n in cluster.global_state.node_table() if n["Alive"]]
    assert all(node_id in out.stdout for node_id in node_ids)


def test_a_trial_no_node_holds_is_refused_before_launch_even_if_totals_would(cluster, tmp_path):
    log = tmp_path / "never.jsonl"
    _project(tmp_path, log, cpus=2)
    plan = _cli(cluster, tmp_path, "plan", "spread")
    assert plan.returncode == 0, plan.stderr
    assert "warning:" in plan.stderr and "No node can run a trial" in plan.stderr
    assert "totals" in plan.stderr
    run = _cli(cluster, tmp_path, "run", "spread", "--no-progress", "--results", str(tmp_path / "r"))
    assert run.returncode == 3, run.stderr
    assert "No node can run a trial" in run.stderr and "would hold one" in run.stderr
    assert not log.exists()  # no trial ever started
