"""The store on a real S3-protocol server (moto, loopback): writer, pyarrow.dataset reader, views."""

from __future__ import annotations

import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from raysweep import results as R

from ._store import write_run


@pytest.fixture
def s3_root(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(key, value)
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="raysweep-results")
    try:
        yield f"s3://raysweep-results/store?endpoint_override=127.0.0.1:{port}&scheme=http&region=us-east-1"
    finally:
        server.stop()


def test_s3_round_trip_with_partition_pruning_and_views(s3_root):
    ids = write_run(s3_root, "mf", "r1", n_trials=2, n_iter=3)
    write_run(s3_root, "mf", "r2", n_trials=2, n_iter=3, offset=1, scale=2.0)
    write_run(s3_root, "mlp", "r3", n_trials=1, n_iter=2, offset=2, mode="min")
    runs = R.list_runs(s3_root)
    assert list(runs["run"]) == ["r3", "r2", "r1"] and set(runs["status"]) == {"finished"}
    trials = R.load_trials(s3_root, sweeps="mf", runs="r1")
    assert list(trials["trial_id"]) == ids and list(trials["metric_best"]) == [3.0, 6.0]
    iters = R.load_iterations(s3_root, sweeps="mf", columns=["score"])
    assert len(iters) == 12 and set(iters["run"]) == {"r1", "r2"}
    assert R.best_config("mf", root=s3_root)[0] == {"lr": 0.01, "opt": {"dim": 32}}
