"""The local Ray the benchmark scripts run on: 2 CPUs (the machine's), no dashboard, workers' output
kept off the terminal, and this checkout on the workers' path (they import ``sweeps.*`` and
``search_spaces.*`` from the repository root)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def init_local_ray(num_cpus: int = 2, **options: Any) -> Any:
    """``ray.init(address="local", ...)`` with the repository on the workers' ``PYTHONPATH``;
    ``options`` go to ``ray.init`` as they are. Returns the ``ray`` module."""
    import ray

    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}},
             **options)
    return ray
