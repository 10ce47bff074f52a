"""An address nothing answers at fails fast with a ClusterError naming it (issue 9 item 3)."""

from __future__ import annotations

import socket

import pytest

from raysweep import ClusterError
from raysweep.execution.cluster._ray import CONNECT_TIMEOUT_S, check_reachable

from .._cli import invoke


def _unused_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["", "ray://"], ids=["gcs", "client"])
def test_unreachable_address_is_a_cluster_error_naming_it(scheme, monkeypatch):
    port = _unused_loopback_port()
    address = f"{scheme}127.0.0.1:{port}"
    attempts = []
    connect = socket.create_connection

    def spy(target, timeout=None, *args, **kwargs):
        attempts.append((target, timeout))
        return connect(target, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    with pytest.raises(ClusterError, match="Could not reach a Ray cluster") as info:
        check_reachable(address)
    # Fast: one connection attempt, bounded by the connect timeout, and no retry (Ray's own
    # client retries for minutes).
    assert attempts == [(("127.0.0.1", port), CONNECT_TIMEOUT_S)]
    assert repr(address) in str(info.value)


def test_raysweep_run_with_an_unreachable_address_exits_at_the_first_refused_connect(tmp_path,
                                                                                   monkeypatch):
    """The whole command (in this process, no Ray up, as in a fresh one): exit status 3, one clear
    line, no traceback, and the error is the reachability check's (one refused connect): Ray's
    own connect, which retries for minutes, never ran."""
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "tiny.py").write_text(
        "from ray import tune\nfrom raysweep import Sweep, space\n\n"
        "def train(config):\n    tune.report({'loss': config['x']})\n\n"
        "SWEEP = Sweep(name='tiny', trainable=train, space={'x': space.uniform(0, 1)},\n"
        "              metric='loss', mode='min', searcher='random', num_samples=1)\n")
    port = _unused_loopback_port()
    address = f"127.0.0.1:{port}"
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    proc = invoke(monkeypatch, "run", "tiny", "--address", address, "--results",
                  str(tmp_path / "res"), "--no-progress", cwd=tmp_path, no_ray=True)
    assert proc.returncode == 3, proc.stderr
    assert address in proc.stderr and "Could not reach a Ray cluster" in proc.stderr
    assert f"nothing answers at 127.0.0.1:{port}" in proc.stderr  # check_reachable's message
    assert "Traceback" not in proc.stderr + proc.stdout
