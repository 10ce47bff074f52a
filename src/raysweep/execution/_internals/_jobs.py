"""What ``raysweep submit`` needs from Ray's Job Submission SDK beyond its public API."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["cluster_ray_version"]

_SERVER_VERSION = requirement(
    "ray.dashboard.modules.dashboard_sdk:SubmissionClient", "_server_ray_version", "attribute",
    why="refuse, before upload, a cluster whose Ray is outside the supported range")

#: Seconds the fallback ``GET /api/version`` may take.
_VERSION_TIMEOUT_S = 10.0


def cluster_ray_version(client: Any) -> str | None:
    """The Ray version the cluster's head runs, as its Jobs API told ``client``; None if unknown.

    Needs from Ray (2.50 to 2.60): ``JobSubmissionClient.__init__`` GETs the head's
    ``/api/version`` to check that the Jobs API exists and keeps that answer's ``ray_version`` in the
    private attribute ``_server_ray_version``. The public ``get_version()`` returns the Jobs API's
    own version (``"3"``), not Ray's. Without the attribute this asks ``/api/version`` again at the
    public ``get_address()``; that request carries none of the client's cookies or auth headers, so
    on a head that wants them the version stays unknown.
    """
    if not hasattr(client, _SERVER_VERSION.name):
        degrade(_SERVER_VERSION, "the head's version is asked of its /api/version instead")
    version = getattr(client, _SERVER_VERSION.name, None)
    if isinstance(version, str) and version:
        return version
    try:
        import requests

        answer = requests.get(f"{client.get_address()}/api/version", timeout=_VERSION_TIMEOUT_S)
        answer.raise_for_status()
        found = answer.json().get("ray_version")
    except Exception:  # noqa: BLE001 - an unknown version is reported as such, never raised
        return None
    return found if isinstance(found, str) and found else None
