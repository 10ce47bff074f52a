"""A multi-node Ray cluster on loopback that a test starts and stops itself (never another one).

Every node binds 127.0.0.1; the head's dashboard (Ray Jobs API) listens on a free loopback port when
asked. Ray's processes inherit this process's environment when they start: the venv's bin directory
goes first on PATH (a job's ``raysweep`` entrypoint) and the repository on PYTHONPATH (test modules).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"

#: The shape of the suite's shared loopback cluster (the ``loopback`` fixture): two one-CPU nodes,
#: 2 CPUs in all (this machine's cores), the head declaring one GPU (no hardware: Ray assigns GPU
#: ids all the same), with the dashboard (Ray Jobs API). Tests that add or remove nodes start their
#: own cluster instead.
SHARED_HEAD = {"num_cpus": 1, "num_gpus": 1}
SHARED_WORKERS = [{"num_cpus": 1}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def node_env() -> dict[str, str]:
    """The environment Ray's processes (and raysweep subprocesses) get."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    paths = [str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["RAY_AIR_NEW_OUTPUT"] = "0"
    return env


@contextmanager
def loopback_cluster(head: dict, workers: list[dict] = (), dashboard: bool = False) -> Iterator:
    """Start a head (plus ``workers``) on 127.0.0.1, yield the ``Cluster``, shut down only it.

    With ``dashboard=True`` the cluster's ``dashboard_url`` attribute holds ``http://127.0.0.1:PORT``.
    """
    from ray.cluster_utils import Cluster

    saved = dict(os.environ)
    os.environ.update(node_env())
    head_args = {"gcs_server_port": free_port(), **head}
    if dashboard:
        port = free_port()
        # The job agent's HTTP port defaults to 52365 on every machine: another local Ray may hold it.
        head_args.update(include_dashboard=True, dashboard_host=LOOPBACK, dashboard_port=port,
                         dashboard_agent_listen_port=free_port())
    cluster = None
    try:
        cluster = Cluster(initialize_head=True, head_node_args=head_args)
        for worker in workers:
            # Like `ray start` on one machine, every node shares the session's runtime_resources: a
            # worker node setting up a job's runtime env unpacks its working_dir again in the place
            # of the head's copy, the job driver's cwd (raysweep copes: launch/_workdir.py).
            cluster.add_node(**worker)
        cluster.wait_for_nodes()
        cluster.dashboard_url = f"http://{LOOPBACK}:{port}" if dashboard else None
        os.environ.clear()
        os.environ.update(saved)
        yield cluster
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if cluster is not None:
            cluster.shutdown()


class SharedCluster:
    """The suite's one loopback cluster: started on first use, stopped when the next test does not
    use it (tests/conftest.py runs the tests that use it one after another), started again if a
    later test asks for it."""

    def __init__(self) -> None:
        self._context = None
        self.cluster = None

    def get(self):
        if self.cluster is None:
            context = loopback_cluster(head=SHARED_HEAD, workers=SHARED_WORKERS, dashboard=True)
            self.cluster = context.__enter__()
            self._context = context
        return self.cluster

    def close(self) -> None:
        context, self._context, self.cluster = self._context, None, None
        if context is not None:
            context.__exit__(None, None, None)
