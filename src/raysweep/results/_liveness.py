"""Is a run's driver alive? The evidence a run row carries: driver host, pid and heartbeat.

Rule (documented in docs/results.md):

* same host (``socket.gethostname() == driver_host``) and a ``driver_pid``: alive iff that process
  exists, is not a zombie, and did not start after the run's last heartbeat (a recycled pid);
* otherwise: alive iff the heartbeat (``updated_at``) is younger than ``HEARTBEAT_TIMEOUT_S``.

A ``running`` run whose driver is not alive is reported as ``crashed``. Nothing here writes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

#: A ``running`` run whose heartbeat is older than this (and whose driver cannot be checked by pid
#: on this host) is ``crashed``. The writer refreshes the heartbeat at most every 10 s.
HEARTBEAT_TIMEOUT_S = 60.0


def _value(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    try:
        missing = value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        missing = False
    return None if missing else value


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return None
    return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp).to_pydatetime()


def _process_start(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux ``/proc``), or None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/stat", encoding="ascii") as proc:
            boot = next(int(line.split()[1]) for line in proc if line.startswith("btime "))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    ticks = int(fields[19])  # field 22 of stat; fields here start at field 3 (state)
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), tz=UTC)


def _pid_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def pid_alive(pid: int, since: datetime | None = None) -> bool:
    """Whether process ``pid`` on this host is alive (not a zombie) and started before ``since``."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if _pid_state(pid) in ("Z", "X"):
        return False
    started = _process_start(pid)
    # 2 s of slack: /proc start times are rounded to clock ticks and boot time to seconds.
    return not (since is not None and started is not None and (started - since).total_seconds() > 2)


def driver_alive(run_row: Mapping[str, Any], *, now: datetime | None = None) -> bool:
    """Whether the driver that wrote ``run_row`` (a row of :func:`list_runs`, or a dict) is alive.

    On the driver's own host a dead (or recycled) ``driver_pid`` means dead at once; elsewhere, or
    for rows without host/pid (schema v1), a heartbeat (``updated_at``) older than
    ``HEARTBEAT_TIMEOUT_S`` (60 s) means dead. Says nothing about the stored status.
    """
    heartbeat = _timestamp(_value(run_row, "updated_at"))
    host, pid = _value(run_row, "driver_host"), _value(run_row, "driver_pid")
    if host is not None and pid is not None and str(host) == socket.gethostname():
        return pid_alive(int(pid), since=heartbeat)
    if heartbeat is None:
        return False
    now = now or datetime.now(UTC)
    return (now - heartbeat).total_seconds() <= HEARTBEAT_TIMEOUT_S
