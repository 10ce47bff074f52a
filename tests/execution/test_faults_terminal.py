"""Errored trials stay out of the terminal (issue 9 item 4), and the run output a new user reads
(issue 8): a real `raysweep run` in a subprocess, its stdout and stderr checked as a user sees them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from raysweep import results

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

SWEEP = """
from raysweep import Sweep, space
from tests.execution._fault_trainables import {trainable}

SWEEP = Sweep(name="noisy", trainable={trainable}, space={"x": space.uniform(0.0, 1.0)},
              metric="{metric}", mode="min", searcher="random", num_samples=6, seed=2,
              resources={"cpu": 1})
"""


def _run(tmp_path: Path, metric: str, trainable: str = "noisy_errors",
         address: str | None = None, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """With ``address`` the driver joins the session's Ray: what its workers print reaches it the
    same way (Ray forwards a job's worker output to that job's driver). Without, an embedded Ray."""
    (tmp_path / "sweeps").mkdir(exist_ok=True)
    (tmp_path / "sweeps" / "noisy.py").write_text(
        SWEEP.replace("{metric}", metric).replace("{trainable}", trainable))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
           "COLUMNS": "200"}
    env.pop("RAY_ADDRESS", None)
    return subprocess.run(
        [sys.executable, "-m", "raysweep.cli", "run", "noisy", "--results", str(tmp_path / "res"),
         *(["--address", address] if address else ["--num-cpus", "2"]), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


def test_errored_trials_print_no_traceback_and_one_line_per_distinct_error(ray_address, tmp_path):
    """With --verbose: the trainables' prints show, unprefixed; without, they go to the log only
    (test_worker_stderr_that_arrives_while_ray_shuts_down_stays_out_of_the_terminal)."""
    proc = _run(tmp_path, "loss", address=ray_address, args=("--verbose",))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    trials = results.load_trials(str(tmp_path / "res"), sweeps="noisy")
    errored = trials[trials["status"] == "errored"]
    assert len(errored) >= 2, "the seed must give several failing trials"
    # Nothing of Ray's tracebacks or the workers' stderr reaches the terminal ...
    assert "Traceback" not in out and "stderr line" not in out
    assert "Trial task failed" not in out
    # ... the user's own print does with --verbose, without Ray's "(train pid=...)" prefix, and
    # the summary names the error once.
    prints = [line for line in proc.stderr.splitlines() if "healthy print" in line]
    assert prints and all(line.startswith("healthy print") for line in prints)
    line = re.search(r"errors\s+(\d+) trials: ValueError: x above one half", proc.stdout)
    assert line and int(line.group(1)) == len(errored)
    assert re.search(r"trials\s+6\s+\(\d+ completed\s+\d+ errored\)", proc.stdout)
    # Every traceback is kept: in the store, and Ray's in the log the summary points at.
    assert errored["error_traceback"].str.contains("x above one half").all()
    log = Path(re.search(r"ray log\s+(\S+)", proc.stdout).group(1))
    text = log.read_text()
    assert text.count("Trial task failed") == len(errored) and "stderr line" in text
    assert text.count("healthy print") == len(prints)  # the log has every print too, prefixed


def test_a_metric_never_reported_names_the_reported_ones(ray_address, tmp_path):
    proc = _run(tmp_path, "los", address=ray_address)
    assert proc.returncode == 1
    assert "TUNE_DISABLE_STRICT_METRIC_CHECKING" not in proc.stderr + proc.stdout
    assert "never reported the sweep metric 'los'; it reported 'loss'. Did you mean 'loss'?" in (
        proc.stderr.replace("\n", " "))
    assert "Traceback" not in proc.stderr + proc.stdout


def test_worker_stderr_that_arrives_while_ray_shuts_down_stays_out_of_the_terminal(tmp_path):
    """The sweep aborts at its first result (the metric is never reported) while the other trial
    still writes to stderr: Ray forwards those lines until its log thread stops at shutdown, so the
    route to the log file spans the whole Ray session (execution/launch/_fit.py ``start``). An
    embedded Ray: its shutdown is what the test is about."""
    proc = _run(tmp_path, "los", trainable="stderr_chatter")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "chatter line" not in out and "Traceback" not in out
    log = next((tmp_path / "res" / "_ray" / "noisy").glob("*/raysweep.log"))
    assert "chatter line" in log.read_text()
    assert "chatter print" not in out and "chatter print" in log.read_text()  # prints: log only
