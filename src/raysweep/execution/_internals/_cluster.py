"""Ray core internals raysweep uses around a cluster: where an actor runs, and which cluster
``--address auto`` means (``ray._private.state``, ``ray._private.services``, ``ActorHandle``)."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["actor_address", "actor_id", "find_cluster_address"]

_ACTOR_ID = requirement(
    "ray.actor:ActorHandle", "_actor_id", "property",
    why="look up the node a trial's actor runs on (Ray's results carry only an IP)")
_ACTORS = requirement(
    "ray._private.state", "actors", "function", params=("actor_id",),
    why="look up the node a trial's actor runs on, in the GCS actor table")
_ADDRESS = requirement(
    "ray._private.services", "get_ray_address_from_environment", "function", params=("addr", "temp_dir"),
    why="resolve --address auto (RAY_ADDRESS, then the cluster started on this machine) for the quick "
        "reachability check")
_NO_NODES = "the store records no node id for trials (their node IP still comes from the results)"


def actor_id(actor: Any) -> str | None:
    """The hex id of a Ray actor handle (``ActorHandle._actor_id``), or None (warned once)."""
    ident = getattr(actor, "_actor_id", None)
    if ident is None:
        degrade(_ACTOR_ID, _NO_NODES)
        return None
    return str(ident.hex())


def actor_address(actor_hex: str) -> dict[str, Any] | None:
    """The ``Address`` entry (``NodeID``, ``IPAddress``...) of the actor's row in the GCS actor table
    (``ray._private.state.actors(actor_id)``; one GCS call), {} when the table has none, or None
    (warned once) when Ray has no such function. The GCS call's own errors propagate."""
    try:
        from ray._private import state
    except ImportError:
        degrade(_ACTORS, _NO_NODES)
        return None
    actors = getattr(state, _ACTORS.name, None)
    if actors is None:
        degrade(_ACTORS, _NO_NODES)
        return None
    return dict(actors(actor_hex).get("Address") or {})


def find_cluster_address(address: str) -> str | None:
    """Ray's own resolution of ``address`` (``"auto"``: ``RAY_ADDRESS``, else the cluster started on
    this machine); raises what Ray raises when none is found (``ConnectionError``). None (warned
    once) when Ray has no such function: the caller then leaves the lookup to ``ray.init``."""
    try:
        from ray._private import services
    except ImportError:
        degrade(_ADDRESS, "the quick check of --address auto is skipped (ray.init looks for it)")
        return None
    resolve = getattr(services, _ADDRESS.name, None)
    if resolve is None:
        degrade(_ADDRESS, "the quick check of --address auto is skipped (ray.init looks for it)")
        return None
    found = resolve(address, None)
    return address if found is None else str(found)
