"""Multi-node behaviour on loopback: cluster.yaml validates offline; `raysweep run --address` joins a
cluster of several raylets (the suite's shared loopback cluster, tests/execution/_cluster.py)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from raysweep import results

from ._cluster import node_env

REPO = Path(__file__).resolve().parents[2]

SWEEP = """
import time
from ray import tune
from raysweep import Sweep, space


def train(config):
    for i in range(1, 4):
        time.sleep(0.3)
        tune.report({"score": config["x"] * i})


SWEEP = Sweep(name="multi", trainable=train, space={"x": space.uniform(0.0, 1.0)}, metric="score",
              mode="max", searcher="random", num_samples=4, resources={"cpu": 1})
"""


def test_cluster_yaml_is_a_valid_cluster_launcher_config():
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((REPO / "cluster.yaml").read_text())
    validate_config(prepare_config(copy.deepcopy(config)))  # raises on any schema error
    assert config["cluster_name"] == "raysweep"
    assert config["provider"]["type"] == "local"


@pytest.mark.slow
@pytest.mark.cluster
def test_run_joins_a_multi_node_cluster_with_address(loopback, tmp_path):
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "multi.py").write_text(SWEEP)
    out = subprocess.run(
        [sys.executable, "-m", "raysweep.cli", "run", "multi", "--address", loopback.address,
         "--no-progress", "--results", str(tmp_path / "results")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=node_env(),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    runs = results.list_runs(str(tmp_path / "results"), sweeps="multi")
    assert runs.loc[0, "status"] == "finished"
    # The run record holds the joined cluster's resources: two 1-CPU nodes.
    assert '"CPU": 2.0' in runs.loc[0, "cluster_resources"]
    assert len(results.load_trials(str(tmp_path / "results"), sweeps="multi")) == 4
