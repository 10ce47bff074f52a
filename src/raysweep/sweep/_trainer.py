"""A Ray Train trainer given as a sweep's trainable, described without importing Ray.

``Sweep(trainable=TorchTrainer(loop, scaling_config=ScalingConfig(num_workers=2)))`` sweeps the
trainer's ``train_loop_config``: each trial runs the trainer with the trial's config merged over the
trainer's own (the execution layer builds that trial; ``execution/tune/_trainer.py``). This module only
reads what the sweep layer needs to validate and plan it, from the trainer's public attributes:
``train_loop_per_worker``, ``train_loop_config`` and ``scaling_config`` (``num_workers``,
``num_cpus_per_worker``, ``num_gpus_per_worker``, ``additional_resources_per_worker``).
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from raysweep._errors import invalid_parameter

__all__ = ["TrainerFacts", "describe_trainer", "loop_reads", "trainer_problems"]

_OWNER = "Sweep"


@dataclass(frozen=True)
class TrainerFacts:
    """What a sweep needs to know of a Ray Train trainer: its loop, base config and workers."""

    kind: str  #: the trainer's class name, e.g. ``"TorchTrainer"``
    v2: bool  #: a Ray Train V2 trainer (its class comes from ``ray.train.v2``)
    loop: Callable[..., Any]
    base_config: Mapping[str, Any]
    num_workers: int
    #: One worker's resources in raysweep's names (``cpu``, ``gpu``, custom names as Ray spells them).
    per_worker: Mapping[str, float]

    def bundles(self) -> list[dict[str, float]]:
        """One resource bundle per worker (Ray places each on a node of its own choosing)."""
        return [dict(self.per_worker) for _ in range(self.num_workers)]


def is_trainer(value: Any) -> bool:
    """A Ray Train trainer instance (duck-typed: a loop, a scaling config and ``fit``)."""
    return (not inspect.isclass(value) and callable(getattr(value, "fit", None))
            and hasattr(value, "train_loop_per_worker") and hasattr(value, "scaling_config"))


def describe_trainer(value: Any) -> TrainerFacts | None:
    """The facts of a trainer instance, or None when ``value`` is not a trainer."""
    if not is_trainer(value):
        return None
    scaling = value.scaling_config
    workers = getattr(scaling, "max_workers", getattr(scaling, "num_workers", 1))
    per_worker: dict[str, float] = {}
    for key, attr in (("cpu", "num_cpus_per_worker"), ("gpu", "num_gpus_per_worker")):
        amount = float(getattr(scaling, attr, 0) or 0)
        if amount > 0:
            per_worker[key] = amount
    for key, amount in dict(getattr(scaling, "additional_resources_per_worker", None) or {}).items():
        if amount:
            per_worker[str(key)] = float(amount)
    return TrainerFacts(
        kind=type(value).__name__,
        v2=any(cls.__module__.startswith("ray.train.v2.") for cls in type(value).__mro__),
        loop=value.train_loop_per_worker,
        base_config=dict(value.train_loop_config or {}),
        num_workers=int(workers) if isinstance(workers, int) else 1,
        per_worker=per_worker,
    )


def trainer_problems(facts: TrainerFacts) -> list[str]:
    """What keeps a trainer from being a sweep's trial (a message per problem)."""
    errors = []
    if not facts.v2:
        errors.append(invalid_parameter(
            "trainable", _OWNER, "a Ray Train V2 trainer", f"a {facts.kind} of Ray Train V1",
            "raysweep runs trainers the way Train V2 prescribes (a Tune trial that calls fit()). "
            "Set RAY_TRAIN_V2_ENABLED=1 in the environment before ray.train is imported (the default "
            "on the newest Ray releases)."))
        return errors
    if facts.num_workers < 1:
        errors.append(invalid_parameter(
            "trainable", _OWNER, "a trainer with ScalingConfig(num_workers >= 1)",
            f"{facts.kind} with num_workers={facts.num_workers}",
            "num_workers=0 runs the loop in the trial's own process: give the loop as the "
            "trainable instead, with its resources in Sweep.resources."))
    n_params = len(inspect.signature(facts.loop).parameters)
    if n_params != 1:
        errors.append(invalid_parameter(
            "trainable", _OWNER, "a trainer whose train_loop_per_worker takes the config dict",
            f"{facts.kind}({getattr(facts.loop, '__name__', facts.loop)!r}) with {n_params} parameters",
            "Define the loop as def train_loop_per_worker(config): ...; the sweep's space becomes "
            "its config."))
    for key, amount in facts.per_worker.items():
        if not math.isfinite(amount) or amount < 0:
            errors.append(invalid_parameter(f"scaling_config.resources_per_worker[{key!r}]",
                                            facts.kind, "a number >= 0", amount))
    return errors


def loop_reads(loop: Callable[..., Any]) -> set[str] | None:
    """The config keys ``loop`` reads (``config["k"]``, ``config.get("k")``), or None when that cannot
    be told: no source, or the config is used otherwise (passed on, iterated, unpacked)."""
    try:
        source = textwrap.dedent(inspect.getsource(loop))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    function = next((node for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)), None)
    if function is None or not function.args.args:
        return None
    name = function.args.args[0].arg
    reads: set[str] = set()
    parents = {child: parent for parent in ast.walk(function) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(function):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        key = _key_read(node, parents)
        if key is None:
            return None  # the config goes somewhere we cannot follow
        reads.add(key)
    return reads


def _key_read(node: ast.Name, parents: Mapping[ast.AST, ast.AST]) -> str | None:
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        index = parent.slice
        return index.value if isinstance(index, ast.Constant) and isinstance(index.value, str) else None
    if isinstance(parent, ast.Attribute) and parent.value is node and parent.attr == "get":
        call = parents.get(parent)
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant) \
                and isinstance(call.args[0].value, str):
            return call.args[0].value
    return None
