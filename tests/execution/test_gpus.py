"""Fractional GPUs pack trials: ``{"cpu": 0.25, "gpu": 0.25}`` runs four trials at once on one GPU.

No GPU hardware needed: a loopback node declares ``num_gpus=1`` and Ray assigns GPU ids all the same
(the shared loopback cluster's head: one GPU, one CPU; the CPUs stay the machine's two).
Ground truth: each trial logs the GPU ids Ray gave it and waits until all four have started; a trial
that could not run alongside the others would wait in vain and say so.
"""

from __future__ import annotations

import json
import re
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

DIR = {dir!r}


def train(config):
    mine = os.path.join(DIR, f"started-{{config['k']}}")
    open(mine, "w").close()
    deadline = time.monotonic() + 60
    while len([f for f in os.listdir(DIR) if f.startswith("started-")]) < 4:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    together = len([f for f in os.listdir(DIR) if f.startswith("started-")]) >= 4
    with open(os.path.join(DIR, "log.jsonl"), "a") as fh:
        fh.write(json.dumps({{"k": config["k"], "gpu_ids": ray.get_gpu_ids(), "together": together,
                             "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}}) + "\\n")
    tune.report({{"score": float(config["k"])}})


SWEEP = Sweep(name="gpus", trainable=train, space={{"k": space.grid([0, 1, 2, 3])}}, metric="score",
              mode="max", searcher="grid", resources={{"cpu": 0.25, "gpu": 0.25}})
"""


@pytest.fixture
def cluster(loopback):
    # The shared loopback cluster: its head declares one GPU and one CPU (declared resources; the
    # other node has no GPU), so a quarter-CPU, quarter-GPU trial fits four times on the head.
    return loopback


def _cli(cluster, cwd, *args):
    return subprocess.run([sys.executable, "-m", "raysweep.cli", *args, "--address", cluster.address],
                          cwd=cwd, capture_output=True, text=True, timeout=240, env=node_env())


def _project(tmp_path):
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "marks").mkdir()
    (tmp_path / "sweeps" / "gpus.py").write_text(SWEEP.format(dir=str(tmp_path / "marks")))


def test_four_quarter_gpu_trials_share_one_gpu_at_once(cluster, tmp_path):
    _project(tmp_path)
    out = _cli(cluster, tmp_path, "run", "gpus", "--no-progress", "--results", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr[-3000:]
    log = [json.loads(line) for line in (tmp_path / "marks" / "log.jsonl").read_text().splitlines()]
    assert sorted(row["k"] for row in log) == [0, 1, 2, 3]
    assert all(row["together"] for row in log)  # all four were running at the same time
    assert all(row["gpu_ids"] == [0] for row in log)  # and shared GPU 0
    assert {row["cuda"] for row in log} == {"0"}
    trials = results.load_trials(str(tmp_path / "r"), sweeps="gpus")
    assert len(trials) == 4 and set(trials["status"]) == {"completed"}
    assert trials["node_id"].nunique() == 1


def test_plan_shows_trials_per_gpu(cluster, tmp_path):
    _project(tmp_path)
    out = _cli(cluster, tmp_path, "plan", "gpus")
    assert out.returncode == 0, out.stderr
    assert "trials per GPU   4" in out.stdout
    # Four at once on the cluster's two nodes: all four on the GPU node, none on the other.
    assert "4 (on 2 nodes)" in out.stdout
    for node in (n for n in cluster.global_state.node_table() if n["Alive"]):
        row = next(line for line in out.stdout.splitlines() if node["NodeID"][:12] in line)
        fits = 4 if node["Resources"].get("GPU") else 0
        assert re.findall(r"\d+", row)[-1] == str(fits), row
