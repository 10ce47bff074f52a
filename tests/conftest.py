"""Shared fixtures: one real local Ray for the whole session, and the repository layout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Tests must never attach to a cluster they did not start, nor print Ray's tables.
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
os.environ.setdefault("RAYSWEEP_SIZE", "tiny")


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
def repo() -> Path:
    """The repository root (holds sweeps/ and search_spaces/)."""
    return REPO
