"""An address nothing answers at fails fast with a ClusterError naming it (issue 9 item 3)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from raysweep import ClusterError
from raysweep.execution.cluster._ray import check_reachable

REPO = Path(__file__).resolve().parents[2]


def _unused_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["", "ray://"], ids=["gcs", "client"])
def test_unreachable_address_is_a_cluster_error_naming_it(scheme):
    address = f"{scheme}127.0.0.1:{_unused_loopback_port()}"
    clock = time.monotonic()
    with pytest.raises(ClusterError, match="Could not reach a Ray cluster") as info:
        check_reachable(address)
    assert time.monotonic() - clock < 15
    assert repr(address) in str(info.value)


def test_raysweep_run_with_an_unreachable_address_exits_within_15_seconds(tmp_path):
    """The whole CLI, as a user runs it: exit status 3, one clear line, no traceback, and within
    15 s of the time Python needs to import raysweep's execution layer."""
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "tiny.py").write_text(
        "from ray import tune\nfrom raysweep import Sweep, space\n\n"
        "def train(config):\n    tune.report({'loss': config['x']})\n\n"
        "SWEEP = Sweep(name='tiny', trainable=train, space={'x': space.uniform(0, 1)},\n"
        "              metric='loss', mode='min', searcher='random', num_samples=1)\n")
    address = f"127.0.0.1:{_unused_loopback_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(tmp_path)])}
    env.pop("RAY_ADDRESS", None)
    # Importing Ray and pyarrow alone takes seconds on a loaded machine: measure it, then the run.
    clock = time.monotonic()
    subprocess.run([sys.executable, "-c", "import raysweep.cli._sweeps, raysweep.execution"],
                   cwd=tmp_path, env=env, check=True, timeout=120)
    imports = time.monotonic() - clock
    clock = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "raysweep.cli", "run", "tiny", "--address", address,
         "--results", str(tmp_path / "res"), "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - clock
    assert proc.returncode == 3, proc.stderr
    assert elapsed - imports < 15, (elapsed, imports)
    assert address in proc.stderr and "Could not reach a Ray cluster" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
