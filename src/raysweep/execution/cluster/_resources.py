"""The live cluster, node by node: which node runs a trial, and whether a trial fits on any node.

Ray schedules a trial on ONE node, so a cluster whose totals would hold a trial can still hold none
(two 2-CPU nodes, a 3-CPU trial): the check here is per node. How many fit is computed by the sweep
layer (:func:`raysweep.sweep.trials_on_node`), which ``raysweep plan`` uses too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ray

from raysweep._errors import ClusterError
from raysweep.execution._internals import actor_address, actor_id
from raysweep.sweep import Sweep, pack_trials, trials_on_node

__all__ = ["ActorNodes", "cluster_nodes", "require_a_node_fits", "require_a_trial_fits"]

_RAY_NAMES = {"cpu": "CPU", "gpu": "GPU", "memory": "memory"}
_HEAD = "node:__internal_head__"


def cluster_nodes() -> list[dict[str, Any]]:
    """Alive nodes of the connected cluster, head first: ``node_id`` (hex), ``node_ip``, ``resources``
    (Ray's names, without the ``node:<ip>`` markers)."""
    nodes = sorted((n for n in ray.nodes() if n.get("Alive")),
                   key=lambda n: (_HEAD not in n["Resources"], n["NodeID"]))
    return [{"node_id": n["NodeID"], "node_ip": n.get("NodeManagerAddress", ""),
             "resources": {k: float(v) for k, v in n["Resources"].items() if not k.startswith("node:")}}
            for n in nodes]


def require_a_trial_fits(sweep: Sweep, nodes: list[dict[str, Any]] | None = None) -> None:
    """Raise ``ClusterError`` before launch when the cluster cannot hold one trial of ``sweep`` (Ray
    would wait forever): its own reservation on a node, each of its trainer's workers on a node,
    and all of them at once."""
    nodes = cluster_nodes() if nodes is None else nodes
    trainer = sweep.trainer
    require_a_node_fits(sweep.resources or {}, nodes)
    if trainer is None:
        return
    fix = f"Lower {trainer.kind}'s ScalingConfig (num_workers, resources_per_worker), or run on a " \
          "cluster with such nodes (--address)."
    require_a_node_fits(trainer.per_worker, nodes, what=f"a worker of {trainer.kind}", fix=fix)
    if pack_trials(sweep.trial_bundles, [n["resources"] for n in nodes], 1) == 0:
        need = {k: v for k, v in sweep.trial_resources.items() if v}
        raise ClusterError(
            f"The cluster cannot hold one trial: it runs {trainer.num_workers} {trainer.kind} "
            f"worker(s) of {json.dumps(dict(trainer.per_worker))} at once, plus "
            f"{json.dumps(dict(sweep.resources or {}))} for the trial itself ({json.dumps(need)} in "
            f"all), and the {len(nodes)} node(s) hold fewer. {fix}"
        )


def require_a_node_fits(resources: Mapping[str, float], nodes: list[dict[str, Any]] | None = None,
                        what: str = "a trial", fix: str | None = None) -> None:
    """Raise ``ClusterError`` before launch when no alive node can hold ``what`` (Ray would wait
    forever), saying when the cluster's totals would have held it."""
    nodes = cluster_nodes() if nodes is None else nodes
    need = {_RAY_NAMES.get(k, k): float(v) for k, v in resources.items() if v and v > 0}
    if not need or any(trials_on_node(resources, n["resources"]) > 0 for n in nodes):
        return
    totals: dict[str, float] = {}
    for node in nodes:
        for key, value in node["resources"].items():
            totals[key] = totals.get(key, 0.0) + value
    largest = max(nodes, key=lambda n: tuple(n["resources"].get(k, 0.0) for k in need), default=None)
    have = {k: (largest["resources"].get(k, 0.0) if largest else 0.0) for k in need}
    why = (f" The cluster's totals {json.dumps({k: totals.get(k, 0.0) for k in need})} would hold one, "
           f"but Ray places {what} on a single node." if trials_on_node(resources, totals) > 0 else "")
    fix = fix or "Lower Sweep.resources, or run on a cluster with such nodes (--address)."
    raise ClusterError(
        f"No node can run {what}: each needs {json.dumps(need)}, the largest of the "
        f"{len(nodes)} node(s) has {json.dumps(have)}.{why} {fix}"
    )


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
        ident = actor_id(actor)
        if ident is None:  # Ray without actor ids (warned once): no node ids
            return None, None
        if ident not in self._by_actor:
            self._by_actor[ident] = _lookup(ident)
        return self._by_actor[ident]


def _lookup(ident: str) -> tuple[str | None, str | None]:
    try:
        address = actor_address(ident)
    except Exception:  # noqa: BLE001 - a GCS lookup that fails must never stop a sweep
        return None, None
    if address is None:  # Ray without the actor table (warned once)
        return None, None
    return address.get("NodeID") or None, address.get("IPAddress") or None
