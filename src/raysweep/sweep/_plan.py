"""What a sweep will do, computed without Ray: the data behind ``raysweep plan``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from raysweep.schedulers import PB2, PBT
from raysweep.searchers import GridSearch
from raysweep.space import Categorical, Domain, flatten, grid_values
from raysweep.sweep import _checks
from raysweep.sweep._sweep import Sweep

__all__ = ["Dimension", "NodePlan", "Plan", "make_plan", "pack_trials", "trials_on_node"]

#: raysweep's resource names -> Ray's (nodes report Ray's names).
RAY_NAMES = {"cpu": "CPU", "gpu": "GPU", "memory": "memory"}


@dataclass(frozen=True)
class Dimension:
    """One leaf of the space: its dotted path, what it is, and how many values grid search tries."""

    path: str
    spec: str
    grid_values: int | None


@dataclass(frozen=True)
class NodePlan:
    """One alive node of the live cluster: its resources (Ray's names) and the trials that fit on it."""

    node_id: str
    node_ip: str
    resources: dict[str, float]
    trials: int


@dataclass(frozen=True)
class Plan:
    """What a sweep will run: trial count, searcher, scheduler, resources and how many trials fit at once."""

    sweep: str
    searcher: str
    searcher_params: dict
    scheduler: str
    scheduler_params: dict
    metric: str
    mode: str | None
    n_trials: int
    grid_cells: int | None
    resources_per_trial: dict
    concurrency_cap: int | None
    trials_at_once: int | None
    dimensions: list[Dimension]
    warnings: tuple[str, ...] = ()
    nodes: tuple[NodePlan, ...] = field(default=())
    trials_per_gpu: int | None = None
    #: A Ray Train trainer's workers per trial, e.g. ``"TorchTrainer: 2 workers x {'cpu': 1.0}"``.
    trainer: str | None = None
    #: Ray Tune's run options the sweep set, as lines to show (``stop``, ``callbacks``,
    #: ``checkpoint``, ``points to evaluate``): name -> text.
    options: dict[str, str] = field(default_factory=dict)
    #: Every objective as ``(metric, mode)``, and the constraints as written.
    objectives: tuple[tuple[str, str], ...] = ()
    constraints: tuple[str, ...] = ()


def make_plan(sweep: Sweep, cluster_cpus: float | None = None,
              cluster_gpus: float | None = None,
              nodes: Sequence[Mapping] | None = None) -> Plan:
    """Summarise ``sweep``; with the cluster's CPUs/GPUs, also how many trials fit at once.

    ``nodes`` (the live cluster, one mapping per alive node with ``node_id``, ``node_ip`` and
    ``resources`` in Ray's names) plans node by node instead of from totals: Ray places a trial on
    one node, so totals can hold a trial that no node holds.
    """
    points = sweep.searcher.grid_points if isinstance(sweep.searcher, GridSearch) else None
    is_grid = points is not None
    dims = []
    for path, value in flatten(sweep.space).items():
        if isinstance(value, Domain):
            n = len(grid_values(value, points)) if points is not None else None
            if points is None and isinstance(value, Categorical) and value.grid:
                n = len(value.values)  # crossed with every sample, as Ray's grid_search
            dims.append(Dimension(".".join(path), value.describe(), n))
        else:
            dims.append(Dimension(".".join(path), f"constant {value!r}", 1 if is_grid else None))
    cells: int | None = math.prod(d.grid_values or 1 for d in dims) if is_grid else None
    if not is_grid and sweep.crossed_cells > 1:
        cells = sweep.crossed_cells
    node_plans = tuple(
        NodePlan(str(n["node_id"]), str(n.get("node_ip", "")), dict(n["resources"]),
                 pack_trials(sweep.trial_bundles, [n["resources"]], sweep.n_trials))
        for n in nodes or ()
    )
    fit: int | None
    if nodes is not None:
        fit = _capped(sweep, pack_trials(sweep.trial_bundles, [n["resources"] for n in nodes],
                                         sweep.n_trials) if _needs(sweep) else sweep.n_trials)
    else:
        fit = _fit(sweep, cluster_cpus, cluster_gpus)
    return Plan(
        sweep=sweep.name,
        searcher=sweep.searcher_spec.name,
        searcher_params=sweep.searcher_spec.params(),
        scheduler=sweep.scheduler_spec.name,
        scheduler_params=sweep.scheduler_spec.params(),
        metric=sweep.metric,
        mode=sweep.mode,
        n_trials=sweep.n_trials,
        grid_cells=cells,
        resources_per_trial=sweep.trial_resources,
        concurrency_cap=sweep.concurrency_cap,
        trials_at_once=fit,
        dimensions=dims,
        warnings=_fit_warnings(sweep, fit, node_plans if nodes is not None else None,
                               cluster_cpus, cluster_gpus)
        # search helper: start-up >= num_samples, and how many trials a warm start would seed
        + _checks.plan_warnings(sweep) + sweep.definition_warnings(),
        nodes=node_plans,
        trials_per_gpu=_per_gpu(sweep),
        trainer=_trainer_line(sweep),
        options=_options(sweep),
        objectives=tuple((o.metric, o.mode) for o in sweep.objectives),
        constraints=tuple(sweep.constraints),
    )


def _options(sweep: Sweep) -> dict[str, str]:
    out: dict[str, str] = {}
    pbt = sweep.scheduler_spec
    if isinstance(pbt, PBT | PB2):  # num_samples is the population, every member trains to its end
        out["population"] = (
            f"{sweep.n_trials} members (num_samples), side by side (Ray time-shares them when fewer "
            f"fit at once); every "
            f"{pbt.perturbation_interval:g} {pbt.time_attr} the bottom {pbt.quantile_fraction:g} "
            f"copy the top's checkpoints and perturb {', '.join('.'.join(p) for p in pbt.mutated_paths())}")
    if sweep.stop:
        out["stop"] = json.dumps(dict(sweep.stop), sort_keys=True)
    if sweep.callbacks:
        out["callbacks"] = ", ".join(getattr(c, "name", None) or type(c).__qualname__
                                     for c in sweep.callbacks)
    keep = sweep.checkpoint_spec.params()
    out["checkpoint"] = json.dumps({k: v for k, v in keep.items() if v is not None}, sort_keys=True)
    if isinstance(pbt, PBT | PB2):
        out["checkpoint"] += f" - not applied: {pbt.name} keeps every checkpoint"
    if sweep.points_to_evaluate:
        n = len(sweep.points_to_evaluate)
        out["points to evaluate"] = f"{n} config{'s' * (n > 1)}, run first"
    return out


def pack_trials(bundles: Sequence[Mapping[str, float]], nodes: Sequence[Mapping[str, float]],
                limit: int) -> int:
    """How many whole trials (each ``bundles``, raysweep's names) Ray can hold at once on ``nodes``
    (Ray's names), at most ``limit``; 0 when the trials need nothing countable.

    A bundle lies on one node, a trial's bundles may lie on several (a Ray Train trainer's workers):
    each trial is placed bundle by bundle, largest first, on the first node with room.
    """
    needs = sorted((_ray_need(b) for b in bundles if _ray_need(b)),
                   key=lambda need: sorted(need.items()), reverse=True)
    if not needs:
        return 0
    free = [{k: float(v) for k, v in node.items()} for node in nodes]
    count = 0
    while count < limit:
        trial = [dict(node) for node in free]
        for need in needs:
            node = next((n for n in trial if all(n.get(k, 0.0) + 1e-9 >= v for k, v in need.items())),
                        None)
            if node is None:
                return count
            for key, amount in need.items():
                node[key] -= amount
        free, count = trial, count + 1
    return count


def trials_on_node(per_trial: Mapping[str, float], node: Mapping[str, float]) -> int:
    """How many trials needing ``per_trial`` (raysweep's names) fit at once on a node whose resources
    are ``node`` (Ray's names, as ``ray.nodes()`` reports them)."""
    need = _ray_need(per_trial)
    if not need:
        return 0
    return min(math.floor(float(node.get(k, 0.0)) / v + 1e-9) for k, v in need.items())


def _ray_need(per_trial: Mapping[str, float]) -> dict[str, float]:
    return {RAY_NAMES.get(k, k): float(v) for k, v in per_trial.items() if v and v > 0}


def _needs(sweep: Sweep) -> bool:
    return bool(_ray_need(sweep.trial_resources))


def _trainer_line(sweep: Sweep) -> str | None:
    trainer = sweep.trainer
    if trainer is None:
        return None
    own = json.dumps(dict(sweep.resources or {}), sort_keys=True)
    return (f"{trainer.kind}: {trainer.num_workers} worker(s) x "
            f"{json.dumps(dict(trainer.per_worker), sort_keys=True)}, plus {own} for the trial itself")


def _per_gpu(sweep: Sweep) -> int | None:
    """Trials (or a trainer's workers) sharing one GPU (``gpu: 0.25`` -> 4), or None when they use
    no GPU or whole GPUs."""
    trainer = sweep.trainer
    gpu = float((trainer.per_worker if trainer is not None else sweep.resources or {}).get("gpu", 0) or 0)
    return math.floor(1 / gpu + 1e-9) if 0 < gpu < 1 else (1 if gpu == 1 else None)


def _fit_warnings(sweep: Sweep, fit: int | None, nodes: tuple[NodePlan, ...] | None,
                  cpus: float | None, gpus: float | None) -> tuple[str, ...]:
    """Say so when not one trial fits (Ray would wait forever)."""
    if fit is None or fit > 0:
        return ()
    need = json.dumps(_ray_need(sweep.trial_resources), sort_keys=True)
    if nodes is None:
        have = json.dumps({"CPU": cpus, "GPU": gpus or 0.0})
        return (f"No trial fits: each trial needs {need}, the cluster has {have}. Lower "
                "Sweep.resources or plan for a larger cluster.",)
    if not nodes:
        return ("The cluster has no alive node.",)
    totals: dict[str, float] = {}
    for node in nodes:
        for key, value in node.resources.items():
            totals[key] = totals.get(key, 0.0) + value
    keys = _ray_need(sweep.trial_resources)
    largest = max(nodes, key=lambda n: tuple(n.resources.get(k, 0.0) for k in keys))
    have = json.dumps({k: largest.resources.get(k, 0.0) for k in keys})
    why = (" The cluster's totals would hold one, but Ray places each bundle (a trial, or a trainer's "
           "worker) on a single node." if trials_on_node(sweep.trial_resources, totals) > 0 else "")
    return (f"No node can run a trial: each trial needs {need}, the largest node has {have}.{why} "
            "Lower Sweep.resources or add larger nodes.",)


def _capped(sweep: Sweep, fit: int) -> int:
    for cap in (sweep.concurrency_cap, sweep.n_trials):
        if cap is not None:
            fit = min(fit, cap)
    return fit


def _fit(sweep: Sweep, cpus: float | None, gpus: float | None) -> int | None:
    """Trials that fit on the cluster at once (0 when one trial does not fit at all)."""
    if cpus is None:
        return None
    limits = []
    total = sweep.trial_resources
    for have, need in ((cpus, total.get("cpu", 0)), (gpus or 0, total.get("gpu", 0))):
        if need > 0:
            limits.append(math.floor(have / need + 1e-9))
    return _capped(sweep, min(limits) if limits else sweep.n_trials)
