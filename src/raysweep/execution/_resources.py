"""The live cluster, node by node: which node runs a trial, and how many trials fit on each node.

Ray schedules a trial on ONE node, so a cluster whose totals would hold a trial can still hold none
(two 2-CPU nodes, a 3-CPU trial): every check here is per node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ray

__all__ = ["NodeFit", "ActorNodes", "node_fits", "live_nodes", "ray_resources"]

#: raysweep's resource names -> Ray's.
RAY_KEYS = {"cpu": "CPU", "gpu": "GPU", "memory": "memory"}
_SHOWN = ("CPU", "GPU", "memory")


@dataclass(frozen=True)
class NodeFit:
    """One alive node: its id (hex), IP, declared resources and how many trials fit on it at once."""

    node_id: str
    node_ip: str
    resources: dict[str, float]
    trials: int
    is_head: bool = False


def ray_resources(resources: Mapping[str, float]) -> dict[str, float]:
    """A trial's resources in Ray's names, zero entries dropped."""
    return {RAY_KEYS.get(k, k): float(v) for k, v in resources.items() if v and v > 0}


def live_nodes() -> list[dict[str, Any]]:
    """``ray.nodes()`` of the connected cluster, alive nodes only, head first then by node id."""
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return sorted(nodes, key=lambda n: ("node:__internal_head__" not in n["Resources"], n["NodeID"]))


def trials_on(node_resources: Mapping[str, float], need: Mapping[str, float]) -> int:
    """How many trials needing ``need`` (Ray names) fit at once on a node with ``node_resources``."""
    if not need:
        return 0
    return min(math.floor(node_resources.get(k, 0.0) / v + 1e-9) for k, v in need.items())


def node_fits(resources: Mapping[str, float], nodes: list[dict[str, Any]] | None = None) -> list[NodeFit]:
    """Per alive node: its resources and how many trials of ``resources`` fit there at once."""
    need = ray_resources(resources)
    fits = []
    for node in live_nodes() if nodes is None else nodes:
        have = node["Resources"]
        fits.append(NodeFit(
            node_id=node["NodeID"],
            node_ip=node.get("NodeManagerAddress", ""),
            resources={k: float(have[k]) for k in _SHOWN if k in have}
            | {k: float(have[k]) for k in need if k in have},
            trials=trials_on(have, need),
            is_head="node:__internal_head__" in have,
        ))
    return fits


class ActorNodes:
    """Which node a trial's actor runs on: one GCS lookup per new actor (a few ms), then cached.

    Ray's results carry the node's IP only; several raylets on one host (or containers behind one IP)
    share it, so the node id is looked up from the actor table, exactly where Ray placed the actor.
    """

    def __init__(self) -> None:
        self._by_actor: dict[str, tuple[str | None, str | None]] = {}

    def locate(self, trial: Any) -> tuple[str | None, str | None]:
        """(node id hex, node IP) of ``trial``'s actor, or (None, None) when unknown."""
        actor = getattr(getattr(trial, "temporary_state", None), "ray_actor", None)
        if actor is None:
            return None, None
        actor_id = actor._actor_id.hex()
        if actor_id not in self._by_actor:
            self._by_actor[actor_id] = _lookup(actor_id)
        return self._by_actor[actor_id]


def _lookup(actor_id: str) -> tuple[str | None, str | None]:
    try:
        address = ray._private.state.actors(actor_id).get("Address") or {}
    except Exception:  # noqa: BLE001 - a missing location must never stop a sweep
        return None, None
    return address.get("NodeID") or None, address.get("IPAddress") or None
