"""Starting or joining Ray, and checking that a trial fits before any trial is queued."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import ray

from raysweep._errors import ClusterError, ConfigError, invalid_parameter
from raysweep.execution._resources import require_a_node_fits

__all__ = ["check_fits", "quiet_worker_logs", "ray_runtime"]


@contextmanager
def ray_runtime(address: str | None = None, num_cpus: int | None = None,
                num_gpus: int | None = None, pythonpath: list[str] | None = None) -> Iterator[None]:
    """Use the running Ray if this process already has one; else start an embedded local Ray
    (``address=None``) or join the cluster at ``address``. Shuts down only what it started."""
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
    kwargs = {"num_cpus": num_cpus, "num_gpus": num_gpus} if address is None else {}
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


def quiet_worker_logs() -> None:
    """Runs in every worker: drop Ray Train's per-checkpoint INFO lines (one per epoch per trial),
    which drown the progress bar; users' own logging is untouched."""
    logging.getLogger("ray.train").setLevel(logging.WARNING)


def check_fits(resources: Mapping[str, float]) -> dict[str, float]:
    """Fail early when no node can hold one trial (Ray would wait forever); return cluster totals."""
    require_a_node_fits(resources)  # per node, not totals (execution/_resources.py)
    return {k: v for k, v in ray.cluster_resources().items() if not k.startswith("node:")}
