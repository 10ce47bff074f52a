"""Results on S3: a real S3-protocol server (moto) on 127.0.0.1 with its own fake credentials.

The endpoint reaches pyarrow, boto3 and Ray only through the standard ``AWS_ENDPOINT_URL`` variable:
the code path is the production one. Ground truth: the trainable logs every report to a local file.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from raysweep import StorageError
from raysweep.results import RunWriter
from raysweep.results._probe import PROBE_TIMEOUT_S

from .._cli import invoke
from ._cluster import free_port, node_env

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

BUCKET = "sweeps"

SWEEP = """
import json
from ray import tune
from raysweep import Sweep, space

LOG = {log!r}


def train(config):
    for i in range(1, 4):
        value = config["x"] * i
        with open(LOG, "a") as fh:
            fh.write(json.dumps({{"x": config["x"], "i": i, "score": value}}) + "\\n")
        tune.report({{"score": value}})


SWEEP = Sweep(name="{name}", trainable=train, space={{"x": space.uniform(0.0, 1.0)}}, metric="score",
              mode="max", searcher=__import__("raysweep").searchers.random(seed={seed}), num_samples=3,
              resources={{"cpu": 1}})
"""


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on a free loopback port and the environment that points clients at it."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "raysweep-test",
           "AWS_SECRET_ACCESS_KEY": "raysweep-test-secret", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield env, client
    finally:
        server.stop()


def _cli(args, cwd, env, timeout=240):
    return subprocess.run([sys.executable, "-m", "raysweep.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**node_env(), **env})


def _keys(client, prefix):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


@pytest.mark.slow
def test_a_sweep_writes_store_and_ray_files_to_s3_and_reads_back(s3, tmp_path, monkeypatch):
    env, client = s3
    for key, value in env.items():  # this process reads S3 too (pyarrow, DuckDB)
        monkeypatch.setenv(key, value)
    root = f"s3://{BUCKET}/team/results"
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "s3a.py").write_text(SWEEP.format(log=str(tmp_path / "s3a.jsonl"), name="s3a",
                                                             seed=1))
    out = _cli(["run", "s3a", "--results", root, "--num-cpus", "1", "--no-progress"], tmp_path, env)
    assert out.returncode == 0, out.stderr[-3000:]

    keys = _keys(client, "team/results/")
    assert any(k.startswith("team/results/_ray/s3a/") for k in keys)  # Ray's own files, on S3 too
    assert not [k for k in keys if k.endswith(".tmp") or ".raysweep-probe-" in k]
    for dataset in ("trials", "iterations"):  # compacted: one part file per dataset and run
        parts = [k for k in keys if k.startswith(f"team/results/{dataset}/sweep=s3a/")
                 and not k.endswith("/")]  # pyarrow's directory markers
        assert len(parts) == 1 and parts[0].endswith(".parquet"), parts

    # Exactly once, equal to what the trainable reported (read straight from S3 by pyarrow).
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    fs, base = pafs.FileSystem.from_uri(root)
    iters = ds.dataset(f"{base}/iterations/sweep=s3a", filesystem=fs, format="parquet").to_table()
    truth = [json.loads(line) for line in (tmp_path / "s3a.jsonl").read_text().splitlines()]
    assert iters.num_rows == len(truth) == 9
    assert sorted(iters.column("score").to_pylist()) == sorted(r["score"] for r in truth)

    # DuckDB over the same Arrow dataset (its httpfs extension needs a download; pyarrow.fs does not).
    import duckdb

    trials_ds = ds.dataset(f"{base}/trials", filesystem=fs, format="parquet", partitioning="hive")
    con = duckdb.connect()
    con.register("trials", trials_ds)
    counts = dict(con.execute("select sweep, count(*) from trials group by sweep").fetchall())
    assert counts == {"s3a": 3}

    # The store commands read S3 in this process (no Ray: click's CliRunner, the same env).
    from click.testing import CliRunner

    from raysweep.cli._main import raysweep

    runs = CliRunner().invoke(raysweep, ["runs", "--results", root])
    assert runs.exit_code == 0, runs.output
    assert "s3a" in runs.stdout and "finished" in runs.stdout
    show = CliRunner().invoke(raysweep, ["show", "s3a", "--results", root])
    assert show.exit_code == 0, show.output
    best = max(r["score"] for r in truth)
    assert f"{best:.4g}"[:4] in show.stdout
    compare = CliRunner().invoke(raysweep, ["compare", "s3a", "--results", root])
    assert compare.exit_code == 0, compare.output
    assert "Best configuration" in compare.stdout


def test_an_unreachable_endpoint_fails_fast_with_a_storage_error(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    for key, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y"),
                       ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(key, value)
    with pytest.raises(StorageError, match="results root 's3://nowhere/r'") as info:
        RunWriter("s3://nowhere/r", sweep="s", run_id="r1")
    _assert_from_the_probe(str(info.value))


def test_a_missing_bucket_fails_fast_with_a_storage_error(s3, monkeypatch):
    env, _ = s3
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(StorageError, match="no-such-bucket") as info:
        RunWriter("s3://no-such-bucket/prefix", sweep="s", run_id="r1")
    _assert_from_the_probe(str(info.value))


def _assert_from_the_probe(message: str) -> None:
    """Fast by construction: the error is the write probe's (results/_probe.py), which gives up
    after PROBE_TIMEOUT_S, not a client's own retries, nor a failure at a later write."""
    assert "is not writable: " in message or \
        f"did not answer within {PROBE_TIMEOUT_S:g} s" in message, message


def test_run_with_an_unusable_s3_root_fails_before_ray_starts(s3, tmp_path, monkeypatch):
    env, _ = s3
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "s3x.py").write_text(SWEEP.format(log=str(tmp_path / "x.jsonl"), name="s3x",
                                                             seed=0))
    # In this process with no Ray up; a ray.init would fail the test (tests/_cli.py).
    out = invoke(monkeypatch, "run", "s3x", "--results", "s3://no-such-bucket/p", "--num-cpus", "1",
                 "--no-progress", cwd=tmp_path, no_ray=True)
    assert out.returncode == 1, out.stderr
    assert "no-such-bucket" in out.stderr and "Traceback" not in out.stderr
    _assert_from_the_probe(out.stderr.replace("\n", " "))
    assert not (tmp_path / "x.jsonl").exists()  # no trial ran


@pytest.mark.slow
def test_extend_on_an_s3_root_keeps_its_lock_and_ray_files_off_the_local_disk(s3, tmp_path,
                                                                              monkeypatch):
    """``Path("s3://b/x")`` is the local path ``s3:/b/x``: extend once made an ``s3:`` directory
    (and its resume lock) in the working directory instead of leaving S3 paths to pyarrow."""
    env, client = s3
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    root = f"s3://{BUCKET}/extend/results"
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "s3e.py").write_text(SWEEP.format(log=str(tmp_path / "s3e.jsonl"),
                                                             name="s3e", seed=2))
    first = _cli(["run", "s3e", "--results", root, "--num-cpus", "1", "--no-progress"], tmp_path, env)
    assert first.returncode == 0, first.stderr[-3000:]

    out = _cli(["extend", "s3e", "--num-samples", "2", "--results", root, "--num-cpus", "1",
                "--no-progress"], tmp_path, env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert not list(tmp_path.glob("s3:*")), sorted(p.name for p in tmp_path.iterdir())
    assert not [p for p in tmp_path.rglob("*") if "s3:" in p.parts or p.name.startswith("s3:")]

    from raysweep import results as R

    runs = R.list_runs(root, sweeps="s3e")
    assert len(runs) == 1 and runs.loc[0, "status"] == "finished"
    assert int(runs.loc[0, "extensions"]) == 1
    trials = R.load_trials(root, sweeps="s3e")
    assert len(trials) == 5 and trials["trial_id"].is_unique
    truth = [json.loads(line) for line in (tmp_path / "s3e.jsonl").read_text().splitlines()]
    assert len(truth) == 5 * 3  # every trial ran once, three reports each
    keys = _keys(client, "extend/results/_ray/s3e/")
    assert keys and not [k for k in keys if k.endswith(".raysweep-resume.lock")]


CHECKPOINTING_SWEEP = """
import json, os, tempfile
from ray import tune
from raysweep import Sweep, space


def train(config):
    for i, base in enumerate([0.5, 0.1, 0.4], start=1):
        loss = base * (1 + config["x"])
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "state.json"), "w") as f:
                json.dump({{"x": config["x"], "step": i}}, f)
            tune.report({{"loss": loss}}, checkpoint=tune.Checkpoint.from_directory(directory))


SWEEP = Sweep(name="{name}", trainable=train, space={{"x": space.grid([0.6, 0.2])}}, metric="loss",
              mode="min", searcher="grid", checkpoint={{"num_to_keep": 1, "score": "loss"}},
              resources={{"cpu": 1}})
"""


@pytest.mark.slow
def test_best_checkpoint_on_an_s3_root_is_an_s3_uri_that_loads(s3, tmp_path, monkeypatch):
    env, client = s3
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    root = f"s3://{BUCKET}/ckpt/results"
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "s3c.py").write_text(CHECKPOINTING_SWEEP.format(name="s3c"))
    out = _cli(["run", "s3c", "--results", root, "--num-cpus", "1", "--no-progress"], tmp_path, env)
    assert out.returncode == 0, out.stderr[-3000:]

    best = _cli(["best", "s3c", "--checkpoint", "--results", root], tmp_path, env, timeout=60)
    assert best.returncode == 0, best.stderr[-3000:]
    uri = best.stdout.strip()
    assert uri.startswith(f"{root}/_ray/s3c/") and uri.rsplit("/", 1)[1].startswith("checkpoint_")
    assert _keys(client, uri.removeprefix(f"s3://{BUCKET}/") + "/")  # Ray kept it on S3

    from ray import tune

    with tune.Checkpoint(uri).as_directory() as directory:  # pyarrow's S3, the same endpoint
        with open(f"{directory}/state.json") as f:
            state = json.load(f)
    assert state == {"x": 0.2, "step": 2}  # the best trial's best report
