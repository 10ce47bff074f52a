"""Crashed runs: derived on read from the driver's host, pid and heartbeat; never written."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from raysweep import results as R

from ._store import run_record

HERE = socket.gethostname()


def _running_run(root: str, **driver):
    writer = R.RunWriter(root, sweep="s", run_id="r")
    writer.write_run({**run_record("s", "r"), **driver})
    return writer


def _stored_status(root) -> str:
    path = f"{root}/runs/sweep=s/run=r/run.parquet"
    return pq.read_table(path, partitioning=None).column("status")[0].as_py()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid no longer exists
    return proc.pid


def test_same_host_dead_pid_is_crashed_at_once(tmp_path):
    pid = _dead_pid()
    _running_run(str(tmp_path), driver_host=HERE, driver_pid=pid)
    runs = R.list_runs(str(tmp_path))
    assert runs.loc[0, "status"] == R.RunStatus.CRASHED == "crashed"
    assert not R.driver_alive(runs.iloc[0])
    assert _stored_status(tmp_path) == "running"  # readers never rewrite the row


def test_same_host_live_pid_is_running(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _running_run(str(tmp_path), driver_host=HERE, driver_pid=proc.pid)
        runs = R.list_runs(str(tmp_path))
        assert runs.loc[0, "status"] == "running" and R.driver_alive(runs.iloc[0])
        proc.kill()
        proc.wait()
        assert R.list_runs(str(tmp_path)).loc[0, "status"] == "crashed"
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_started_after_the_heartbeat_is_not_the_driver(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:  # a recycled pid: the process is younger than the run's last heartbeat
        row = {"driver_host": HERE, "driver_pid": proc.pid,
               "updated_at": datetime.now(UTC) - timedelta(minutes=5)}
        assert not R.driver_alive(row)
        assert R.driver_alive({**row, "updated_at": datetime.now(UTC) + timedelta(minutes=5)})
    finally:
        proc.kill()
        proc.wait()


def test_other_host_uses_the_heartbeat(tmp_path):
    writer = _running_run(str(tmp_path), driver_host="elsewhere.invalid", driver_pid=1)
    assert R.list_runs(str(tmp_path)).loc[0, "status"] == "running"
    now = datetime.now(UTC)
    old = {"driver_host": "elsewhere.invalid", "driver_pid": 1, "updated_at": now}
    assert R.driver_alive(old, now=now + timedelta(seconds=R.HEARTBEAT_TIMEOUT_S - 1))
    assert not R.driver_alive(old, now=now + timedelta(seconds=R.HEARTBEAT_TIMEOUT_S + 1))
    path = tmp_path / "runs" / "sweep=s" / "run=r" / "run.parquet"
    table = pq.read_table(path, partitioning=None)
    idx = table.schema.get_field_index("updated_at")
    old_heartbeat = pa.array([now - timedelta(minutes=5)], table.column("updated_at").type)
    table = table.set_column(idx, "updated_at", old_heartbeat)
    pq.write_table(table, path)
    assert R.list_runs(str(tmp_path)).loc[0, "status"] == "crashed"
    writer.close()


def test_ended_runs_are_never_crashed(tmp_path):
    _running_run(str(tmp_path), driver_host=HERE, driver_pid=_dead_pid(), status="finished")
    assert R.list_runs(str(tmp_path)).loc[0, "status"] == "finished"


def test_v1_row_without_driver_columns_falls_back_to_the_heartbeat():
    now = datetime.now(UTC)
    assert R.driver_alive({"updated_at": now}, now=now)
    assert not R.driver_alive({"updated_at": None})
    assert not R.driver_alive({}, now=now)


def test_missing_values_of_any_kind_fall_back_to_the_heartbeat():
    now = datetime.now(UTC)
    for missing in (None, float("nan"), pd.NA, pd.NaT):
        row = {"driver_host": HERE, "driver_pid": missing, "updated_at": pd.Timestamp(now)}
        assert R.driver_alive(row, now=now)
        assert not R.driver_alive({**row, "updated_at": missing}, now=now)
