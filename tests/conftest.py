"""Shared fixtures: one real local Ray for the whole session (which subprocess drivers join), one
shared loopback cluster, and the repository layout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.execution._cluster import SharedCluster

REPO = Path(__file__).resolve().parent.parent

# Tests must never attach to a cluster they did not start, nor print Ray's tables.
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
os.environ.setdefault("RAYSWEEP_SIZE", "tiny")
# Ray Train's preemption watcher polls a cloud's metadata service: one more actor per trial, no
# cloud here.
os.environ.setdefault("RAY_TRAIN_ENABLE_PREEMPTION_WATCHER", "0")


@pytest.fixture(scope="session")
def ray_session():
    """A real local Ray with 2 CPUs, started once per test session (``address="local"``)."""
    import ray

    # Ray workers inherit this environment: they import test trainables as tests.<pkg>.<module>.
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def ray_address(ray_session) -> str:
    """The GCS address of the session's Ray: a subprocess driver given ``--address`` joins it
    instead of starting a Ray of its own (seconds per driver). Its 2 CPUs are the machine's; the
    session's own driver (this process) runs nothing while a subprocess driver runs. A driver
    killed with SIGKILL takes only its own job with it (its trials' workers); the Ray stays up."""
    return ray_session.get_runtime_context().gcs_address


_SHARED_CLUSTER = SharedCluster()


@pytest.fixture
def loopback():
    """The suite's shared loopback cluster (tests/execution/_cluster.py: two one-CPU nodes, the head
    declaring a GPU, with the Jobs API at ``dashboard_url``). Tests that use it run one after
    another; it stops after the last of them."""
    return _SHARED_CLUSTER.get()


def pytest_collection_modifyitems(session, config, items):
    """Run the tests that use the shared loopback cluster one after another, where the first of
    them is, so that the cluster starts once."""
    users = [item for item in items if "loopback" in getattr(item, "fixturenames", ())]
    if users:
        chosen = set(users)
        others = [item for item in items if item not in chosen]
        first = items.index(users[0])
        items[:] = others[:first] + users + others[first:]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if "loopback" in getattr(item, "fixturenames", ()) and (
            nextitem is None or "loopback" not in getattr(nextitem, "fixturenames", ())):
        _SHARED_CLUSTER.close()


def pytest_sessionfinish(session, exitstatus):
    _SHARED_CLUSTER.close()


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root (holds sweeps/ and search_spaces/)."""
    return REPO
