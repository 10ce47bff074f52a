"""What `raysweep resume` refuses, before Ray starts, with a clear error and exit status 2."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from raysweep import ConfigError
from raysweep.cli._main import raysweep as cli
from raysweep.execution import resume_run
from raysweep.results import RunWriter

from . import _resume_harness as H


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _record(path, **kw):
    row = {"status": "running", "started_at": datetime.now(UTC) - timedelta(minutes=5),
           "metric": "loss", "mode": "min", "num_samples": 6, "sweep_path": str(path),
           "sweep_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
           "driver_host": socket.gethostname(), "driver_pid": _dead_pid(), "resumes": 0}
    return {**row, **kw}


@pytest.fixture
def crashed(tmp_path):
    """A run whose driver died (dead pid on this host), its sweep module unchanged."""
    path, _ = H.write_sweep(tmp_path / "project", "crashy")
    root = tmp_path / "results"
    with RunWriter(str(root), sweep="crashy", run_id="r1") as writer:
        writer.write_run(_record(path))
    return root, path


def _refused(root, run="r1", **kw) -> str:
    with pytest.raises(ConfigError) as info:
        resume_run(run, results_root=str(root), progress=False, **kw)
    return str(info.value)


def test_a_finished_run_is_refused(crashed):
    root, path = crashed
    with RunWriter(str(root), sweep="crashy", run_id="r1") as writer:
        writer.write_run(_record(path, status="finished"))
    assert "finished; there is nothing to resume" in _refused(root)


def test_a_run_with_a_live_driver_is_refused(crashed):
    root, path = crashed
    with RunWriter(str(root), sweep="crashy", run_id="r1") as writer:
        writer.write_run(_record(path, driver_pid=os.getpid()))
    message = _refused(root)
    assert "still being written by a live driver" in message and str(os.getpid()) in message


def test_a_driver_elsewhere_is_alive_until_its_heartbeat_is_old(crashed):
    root, path = crashed
    with RunWriter(str(root), sweep="crashy", run_id="r1") as writer:
        writer.write_run(_record(path, driver_host="another-host", driver_pid=1))
    assert "live driver (pid 1 on another-host)" in _refused(root)


def test_a_changed_sweep_module_is_refused_and_says_what_changed(crashed):
    root, path = crashed
    path.write_text(path.read_text().replace("num_samples=6", "num_samples=9"))
    message = _refused(root)
    assert "changed since run r1 started" in message and "num_samples" in message
    assert "--force" in message
    # --force overrides only this check: the next refusal is the missing Ray files.
    assert "Ray's files for it" in _refused(root, force=True)


def test_a_run_whose_ray_files_are_gone_is_refused(crashed):
    root, _ = crashed
    assert "Ray's files for it" in _refused(root) and "are gone" in _refused(root)


def test_a_run_being_resumed_is_refused(crashed):
    root, _ = crashed
    ray_dir = root / "_ray" / "crashy" / "r1"
    ray_dir.mkdir(parents=True)
    (ray_dir / "tuner.pkl").write_bytes(b"")
    (ray_dir / "experiment_state-x.json").write_text("{}")
    (ray_dir / ".raysweep-resume.lock").write_text(
        json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
    assert "is being resumed by another driver" in _refused(root)


def test_unknown_run_suggests_and_cli_exits_2(crashed):
    root, _ = crashed
    assert "Did you mean 'crashy'" in _refused(root, run="crashi")
    result = CliRunner().invoke(cli, ["resume", "crashi", "--results", str(root)])
    assert result.exit_code == 2
