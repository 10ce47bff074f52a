"""Starting or joining Ray, and checking that a trial fits before any trial is queued."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ray

from raysweep._errors import ClusterError, ConfigError, invalid_parameter
from raysweep.execution._internals import find_cluster_address, require_supported_ray
from raysweep.execution.cluster._resources import cluster_nodes, require_a_trial_fits
from raysweep.sweep import Sweep

__all__ = ["check_fits", "check_reachable", "live_nodes", "quiet_worker_logs", "ray_runtime"]

#: Seconds a TCP connect to a cluster address may take before the address counts as unreachable.
CONNECT_TIMEOUT_S = 5.0
_CLIENT_PORT, _GCS_PORT = 10001, 6379


@contextmanager
def ray_runtime(address: str | None = None, num_cpus: int | None = None,
                num_gpus: int | None = None, pythonpath: list[str] | None = None) -> Iterator[None]:
    """Use the running Ray if this process already has one; else start an embedded local Ray
    (``address=None``) or join the cluster at ``address``. Shuts down only what it started.

    Fails first, before Ray starts or is joined, with an :class:`~raysweep.ExecutionError` when the
    installed Ray is outside the range raysweep supports (``execution/_internals/_versions.py``)."""
    require_supported_ray()
    if ray.is_initialized():
        yield
        return
    if address is None and num_cpus is not None and num_cpus > (os.cpu_count() or 1):
        raise ConfigError(
            invalid_parameter("num_cpus", "raysweep run", f"at most the machine's {os.cpu_count()} "
                              "CPUs for an embedded Ray", num_cpus,
                              "Use --address to run on a cluster with more CPUs.")
        )
    if pythonpath:  # worker processes of an embedded Ray inherit the driver's environment
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [*pythonpath, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        )
    check_reachable(address)
    kwargs: dict[str, Any] = {"num_cpus": num_cpus, "num_gpus": num_gpus} if address is None else {}
    try:
        ray.init(address=address or "local", include_dashboard=False,
                 logging_level=logging.ERROR,
                 runtime_env={"worker_process_setup_hook": quiet_worker_logs}, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"Could not start or reach Ray at {address or 'an embedded local Ray'}: "
                           f"{exc}") from exc
    try:
        yield
    finally:
        ray.shutdown()


def check_reachable(address: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail in seconds when nothing answers at ``address`` (Ray's own client retries for minutes).

    ``None``/``"local"`` start an embedded Ray and need no check; ``"auto"`` must find a running
    cluster on this machine (or in ``RAY_ADDRESS``); ``host:port`` (the GCS port, 6379 if omitted)
    and ``ray://host:port`` (the client port, 10001 if omitted) must accept a TCP connection.
    """
    if address is None or address == "local":
        return
    target = address
    if address == "auto":
        try:
            found = find_cluster_address(address)
        except (ConnectionError, ValueError) as exc:
            raise ClusterError(_unreachable(address, "no running Ray cluster was found on this "
                                            f"machine ({exc})".replace("..", "."))) from exc
        if found is None:  # Ray without the lookup (warned once): ray.init looks for the cluster
            return
        target = found
    host, port = _host_port(target)
    clock = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        waited = time.monotonic() - clock
        raise ClusterError(_unreachable(
            address, f"nothing answers at {host}:{port} ({exc.strerror or exc}; "
                     f"gave up after {waited:.1f} s)")) from exc


def _host_port(address: str) -> tuple[str, int]:
    client = address.startswith("ray://")
    rest = address.removeprefix("ray://").split("/", 1)[0]
    host, _, port = rest.rpartition(":") if ":" in rest else (rest, "", "")
    default = _CLIENT_PORT if client else _GCS_PORT
    try:
        return host.strip("[]") or "127.0.0.1", int(port) if port else default
    except ValueError as exc:
        raise ClusterError(_unreachable(address, f"{port!r} is not a port number")) from exc


def _unreachable(address: str, why: str) -> str:
    return (f"Could not reach a Ray cluster at --address {address!r}: {why}. Start the cluster "
            "('ray start --head' prints its address), check the host and port, or omit --address "
            "to run on an embedded local Ray.")


def quiet_worker_logs() -> None:
    """Runs in every worker: drop Ray Train's per-checkpoint INFO lines (one per epoch per trial),
    which drown the progress bar; users' own logging is untouched."""
    logging.getLogger("ray.train").setLevel(logging.WARNING)


def check_fits(sweep: Sweep) -> dict[str, float]:
    """Fail early when the cluster cannot hold one trial (Ray would wait forever); return its totals."""
    require_a_trial_fits(sweep)  # per node, not totals (execution/cluster/_resources.py)
    return {k: v for k, v in ray.cluster_resources().items() if not k.startswith("node:")}


def live_nodes(address: str) -> list[dict[str, Any]]:
    """The alive nodes of the cluster at ``address`` (joined for the call only), as
    :func:`~raysweep.execution.cluster._resources.cluster_nodes` gives them: what
    ``raysweep plan --address`` plans against."""
    with ray_runtime(address):
        return cluster_nodes()
