"""`raysweep submit`: a sweep as a Ray job on a loopback cluster whose dashboard the suite started.

Checked locally first (exit 2, nothing uploaded, no cluster needed); then real submissions through Ray's
Job Submission SDK that run `raysweep run` on the head and write the store the test reads back.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from raysweep import ConfigError, results
from raysweep.execution import build_submit_request
from raysweep.sweep import load_sweep

from .._cli import invoke
from .._wait import wait_until
from . import _resume_harness as H
from ._cluster import free_port, node_env

SWEEP = """
import json, os
from ray import tune
from raysweep import Sweep, space

# Written by the job's driver when it imports this module: what the job's working_dir holds.
with open({listing!r}, "w") as fh:
    json.dump(sorted(os.listdir(".")), fh)


def train(config):
    if config["x"] > {fail_above}:
        tune.report({{"not_the_metric": 1.0}})  # Tune aborts the whole sweep at this first result
        return
    for i in range(1, 3):
        tune.report({{"score": config["x"] * i}})


SWEEP = Sweep(name="{name}", trainable=train, space={{"x": space.uniform(0.0, 1.0)}}, metric="score",
              mode="max", searcher="random", num_samples=3, resources={{"cpu": 1}}, max_failures=0)
"""


def _project(root: Path, name: str = "tiny", fail_above: float = 2.0) -> Path:
    """A user's project: sweeps/, search_spaces/, plus things that must not be uploaded."""
    (root / "sweeps").mkdir(parents=True)
    (root / "search_spaces").mkdir()
    (root / "search_spaces" / "__init__.py").write_text("")
    (root / "sweeps" / f"{name}.py").write_text(
        SWEEP.format(listing=str(root.parent / f"{name}-listing.json"), fail_above=fail_above,
                     name=name))
    (root / "results").mkdir()
    (root / "results" / "old.parquet").write_bytes(b"x" * 1000)
    (root / ".venv").mkdir()
    (root / ".venv" / "big.bin").write_bytes(b"x" * 1000)
    (root / "scratch.tmp").write_text("ignored by .gitignore")
    (root / ".gitignore").write_text("# local junk\n*.tmp\n")
    return root


def _submit(project: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "raysweep.cli", "submit", *args], cwd=project,
                          capture_output=True, text=True, timeout=timeout, env=node_env())


# ----------------------------------------------------------------- checked locally, no cluster
def test_request_uploads_the_project_without_results_venv_git_and_gitignored(tmp_path):
    project = _project(tmp_path / "proj")
    loaded = load_sweep("tiny", project / "sweeps")
    request = build_submit_request(loaded, address="127.0.0.1:8265", results="s3://bucket/pre",
                                   env=["A=1", "B=x=y"], pip=["raysweep==0.1.0"])
    assert request.address == "http://127.0.0.1:8265"
    assert request.working_dir == str(project)
    assert request.entrypoint == ("raysweep run sweeps/tiny.py --address auto --no-progress "
                                  "--results s3://bucket/pre")
    assert {"results/", ".venv/", ".git/", "*.tmp"} <= set(request.excludes)
    assert "# local junk" not in request.excludes
    env = request.runtime_env()
    assert env["pip"] == ["raysweep==0.1.0"] and env["working_dir"] == str(project)
    assert env["env_vars"]["A"] == "1" and env["env_vars"]["B"] == "x=y"
    assert env["env_vars"]["RAYSWEEP_JOB_ID"] == request.submission_id
    assert env["env_vars"]["RAYSWEEP_SUBMITTED_FROM"].endswith(f":{project}")


@pytest.mark.parametrize(("address", "env"), [("ray://head:10001", []), ("", []),
                                              ("http://head:8265", ["NOEQUALS"]),
                                              ("http://head:8265", ["1BAD=x"])])
def test_bad_address_or_env_is_a_config_error(tmp_path, address, env):
    loaded = load_sweep("tiny", _project(tmp_path / "proj") / "sweeps")
    with pytest.raises(ConfigError, match="raysweep submit"):
        build_submit_request(loaded, address=address, env=env)


def test_invalid_sweep_exits_2_before_contacting_the_cluster(tmp_path, monkeypatch):
    project = _project(tmp_path / "proj")
    (project / "sweeps" / "broken.py").write_text(
        "from raysweep import Sweep\nSWEEP = Sweep(name='b', trainable=print, space={}, "
        "metric='m', mode='maximise')\n")
    # A socket that listens but never answers: the test sees whether submit ever connected to it.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        out = invoke(monkeypatch, "submit", "broken", "--address", f"http://127.0.0.1:{port}",
                     cwd=project, no_ray=True)
        assert out.returncode == 2, out.stderr
        assert "mode" in out.stderr and "Submitted" not in out.stderr
        with pytest.raises(BlockingIOError):  # no connection is waiting: the cluster was never contacted
            listener.accept()


def test_unreachable_dashboard_is_a_cluster_error(tmp_path, monkeypatch):
    project = _project(tmp_path / "proj")
    out = invoke(monkeypatch, "submit", "tiny", "--address", f"http://127.0.0.1:{free_port()}",
                 cwd=project, no_ray=True)
    assert out.returncode == 3, out.stderr
    assert "Could not reach the Ray Jobs API" in out.stderr and "Traceback" not in out.stderr


def test_without_ray_default_the_error_names_the_cluster_extra(tmp_path, monkeypatch):
    project = _project(tmp_path / "proj")
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # cannot be imported (brought by ray[default])
    out = invoke(monkeypatch, "submit", "tiny", "--address", f"http://127.0.0.1:{free_port()}",
                 cwd=project, no_ray=True)
    assert out.returncode == 3, out.stderr
    assert 'pip install "raysweep[cluster]"' in out.stderr and "Traceback" not in out.stderr


# ----------------------------------------------------------------- real jobs
@pytest.fixture
def cluster(loopback):
    """Two one-CPU nodes with the Jobs API at ``dashboard_url`` (the shared loopback cluster)."""
    return loopback


@pytest.mark.slow
@pytest.mark.cluster
def test_submit_runs_the_sweep_as_a_job_to_its_end(cluster, tmp_path):
    project = _project(tmp_path / "proj")
    store = tmp_path / "store"
    out = _submit(project, "tiny", "--address", cluster.dashboard_url, "--results", str(store))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    job_id = out.stderr.split("Submitted job ")[1].split()[0]
    assert f"{cluster.dashboard_url}/#/jobs/{job_id}" in out.stderr
    assert f"ray job status|logs|stop {job_id} --address {cluster.dashboard_url}" in out.stderr
    assert "sweep tiny" in out.stdout  # the job's own output (raysweep run's summary), followed live

    runs = results.list_runs(str(store), sweeps="tiny")
    assert len(runs) == 1 and runs.loc[0, "status"] == "finished"
    assert runs.loc[0, "job_id"] == job_id
    assert runs.loc[0, "submitted_from"].endswith(f":{project}")
    assert len(results.load_trials(str(store), sweeps="tiny")) == 3
    assert '"CPU": 2.0' in runs.loc[0, "cluster_resources"]  # it ran on the cluster, not embedded

    uploaded = set(json.loads((tmp_path / "tiny-listing.json").read_text()))
    assert {"sweeps", "search_spaces"} <= uploaded
    assert not uploaded & {"results", ".venv", "scratch.tmp"}


@pytest.mark.slow
@pytest.mark.cluster
def test_a_checkpointing_sweep_on_both_nodes_finishes_with_every_trial_stored(cluster, tmp_path):
    """Reported: every trial ran and was stored, then the job failed with ``[Errno 2] No such file
    or directory`` (no file named). The worker node, sharing the machine's runtime_resources with
    the head, unpacked the job's working_dir again in the place of the driver's cwd when it started
    the job's workers; Tune's ``os.path.relpath`` at the end of ``fit`` needs a cwd."""
    project = tmp_path / "proj"
    H.write_sweep(project, "crashy", n=8, iters=3, sleep=0.05, searcher='"random"')
    store = tmp_path / "store"
    out = _submit(project, "crashy", "--address", cluster.dashboard_url, "--results", str(store))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]

    runs = results.list_runs(str(store), sweeps="crashy")
    assert len(runs) == 1 and runs.loc[0, "status"] == "finished", runs.loc[0, "error_message"]
    trials = results.load_trials(str(store), sweeps="crashy")
    assert len(trials) == 8 and set(trials["status"]) == {"completed"}
    assert (trials["iterations"] == 3).all()
    kept = list((store / "_ray" / "crashy" / runs.loc[0, "run"]).glob("*/checkpoint_*"))
    assert len(kept) == 8  # the last checkpoint of every trial (num_to_keep=1), in the store's _ray
    log = H.read_log(project / "logs")  # exactly what the trainables reported, each trial once
    assert set(log["trial"]) == set(trials["ray_trial_id"]) and len(log) == 8 * 3


@pytest.mark.slow
@pytest.mark.cluster
def test_a_failed_sweep_fails_the_job_and_submit_exits_1(cluster, tmp_path):
    project = _project(tmp_path / "proj", name="fails", fail_above=-1.0)  # no trial reports the metric
    out = _submit(project, "fails", "--address", cluster.dashboard_url, "--results",
                  str(tmp_path / "store"))
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-2000:]
    assert "failed" in out.stderr
    runs = results.list_runs(str(tmp_path / "store"), sweeps="fails")
    assert runs.loc[0, "status"] == "failed"


@pytest.mark.slow
@pytest.mark.cluster
def test_no_wait_returns_after_submission(cluster, tmp_path):
    from ray.job_submission import JobStatus, JobSubmissionClient

    project = _project(tmp_path / "proj", name="later")
    out = _submit(project, "later", "--address", cluster.dashboard_url, "--no-wait", "--results",
                  str(tmp_path / "store"))
    assert out.returncode == 0, out.stderr
    job_id = out.stderr.split("Submitted job ")[1].split()[0]
    client = JobSubmissionClient(cluster.dashboard_url)
    assert client.get_job_status(job_id) in {JobStatus.PENDING, JobStatus.RUNNING}
    client.stop_job(job_id)
    ended = wait_until(lambda: (status := client.get_job_status(job_id)) in {
        JobStatus.STOPPED, JobStatus.FAILED, JobStatus.SUCCEEDED} and status,
        timeout=60, what="the stopped job to end", interval=0.2)
    assert ended == JobStatus.STOPPED


def test_cluster_yaml_commented_aws_block_is_a_valid_config():
    """docs/clusters.md tells users to uncomment it: it must validate as `ray up` would (offline)."""
    import copy

    import yaml
    from ray.autoscaler._private.util import prepare_config, validate_config

    text = (Path(__file__).resolve().parents[2] / "cluster.yaml").read_text()
    block = text.split("# AWS instead")[1].split("\n", 3)[3]
    lines = [line[2:] if line.startswith("# ") else "" for line in block.splitlines()]
    aws = yaml.safe_load("\n".join(lines))
    assert aws["provider"]["type"] == "aws"
    assert "g5" in aws["available_node_types"]["gpu_worker"]["node_config"]["InstanceType"]
    config = {**yaml.safe_load(text), **aws}
    config.pop("min_workers")  # per node type with available_node_types
    validate_config(prepare_config(copy.deepcopy(config)))
