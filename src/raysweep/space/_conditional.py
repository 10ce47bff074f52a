"""Conditional spaces: a choice between sub-spaces, each with its own dimensions (no Ray here).

``space.choice([{"kind": "svm", "C": space.loguniform(1e-3, 1e3)}, {"kind": "rf", "depth":
space.randint(2, 12)}])`` is one :class:`Conditional` dimension. A trial's config holds the active
branch only (``{"kind": "rf", "depth": 7}``), so branches must be told apart by their config: by
their keys, or by a constant with a different value (``"kind"`` above). The store records which
branch each trial took in a ``branch.<path>`` column (the index in the choice's list).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, raise_all
from raysweep.space._domains import Categorical, Domain
from raysweep.space._tree import Path, space_problems, space_to_dict

__all__ = ["Conditional", "branch_columns", "conditional_paths", "holds_dimension"]

_OWNER = "space.choice"


def holds_dimension(value: Any) -> bool:
    """True for a dict (at any depth) holding a dimension: a branch of a conditional space."""
    return isinstance(value, Mapping) and any(
        isinstance(v, Domain) or holds_dimension(v) for v in value.values())


@dataclass(frozen=True, eq=True)
class Conditional(Domain):
    """A choice between sub-spaces (``branches``): random, TPE and Optuna pick a branch and sample its
    dimensions; grid search enumerates every branch's cells."""

    branches: tuple[Mapping[str, Any], ...]
    kind: str = field(default="choice", compare=False)

    def __post_init__(self) -> None:
        problems: list[str | None] = []
        for i, branch in enumerate(self.branches):
            if not isinstance(branch, Mapping) or not branch:
                problems.append(invalid_parameter(
                    f"values[{i}]", _OWNER, "a non-empty dict (a sub-space) when another value is "
                    "a dict holding dimensions", branch,
                    "A conditional space chooses between dicts; write a constant branch as a dict "
                    "too, e.g. {'kind': 'none'}."))
                continue
            problems += [f"{p} (in branch {i} of {_OWNER})" for p in space_problems(branch, _OWNER)]
            problems += _nested_grid(branch, i)
        raise_all(problems, _OWNER)
        for i, j in itertools.combinations(range(len(self.branches)), 2):
            if not _separable(self.branches[i], self.branches[j]):
                raise ConfigError(invalid_parameter(
                    "values", _OWNER, "sub-spaces a trial's config tells apart (different keys, or a "
                    "constant with a different value)", f"branches {i} and {j} alike",
                    "Add a constant that differs, e.g. {'kind': 'svm', ...} and {'kind': 'rf', ...}: "
                    "the store and the trainable read the branch from the config."))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "choice", "branches": [space_to_dict(b) for b in self.branches]}

    def describe(self) -> str:
        return f"choice of {len(self.branches)} sub-spaces"

    def branch_index(self, value: Any) -> int | None:
        """Which branch a config value came from (None: from none of them)."""
        for i, branch in enumerate(self.branches):
            if _matches(branch, value):
                return i
        return None


def _nested_grid(branch: Mapping[str, Any], i: int) -> list[str]:
    out = []
    for path, leaf in _leaves(branch, ()):
        if isinstance(leaf, Categorical) and leaf.grid:
            out.append(invalid_parameter(
                f"values[{i}]['{'.'.join(path)}']", _OWNER, "a dimension other than space.grid",
                leaf.describe(),
                "space.grid (Ray's grid_search) inside a conditional branch is not supported: it "
                "would cross every trial with a grid only one branch has. Use space.choice there "
                "(grid search still enumerates it)."))
    return out


def _leaves(node: Mapping[str, Any], prefix: Path) -> Iterator[tuple[Path, Any]]:
    for key, value in node.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _matches(node: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, Mapping) or set(node) != set(value):
        return False
    for key, leaf in node.items():
        got = value[key]
        if isinstance(leaf, Conditional):
            if leaf.branch_index(got) is None:
                return False
        elif isinstance(leaf, Mapping):
            if not _matches(leaf, got):
                return False
        elif not isinstance(leaf, Domain) and _json(leaf) != _json(got):
            return False
    return True


def _separable(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when no config can come from both ``a`` and ``b`` (judged on keys and constants)."""
    if set(a) != set(b):
        return True
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, Domain) or isinstance(y, Domain):
            continue
        if isinstance(x, Mapping) and isinstance(y, Mapping):
            if _separable(x, y):
                return True
        elif isinstance(x, Mapping) or isinstance(y, Mapping) or _json(x) != _json(y):
            return True
    return False


def conditional_paths(space: Mapping[str, Any]) -> list[Path]:
    """Paths of the space's conditional dimensions (top level and nested sub-spaces alike)."""
    out: list[Path] = []
    for path, leaf in _leaves(space, ()):
        if isinstance(leaf, Conditional):
            out.append(path)
            for branch in leaf.branches:
                out.extend((*path, *sub) for sub in conditional_paths(branch))
    return list(dict.fromkeys(out))


def branch_columns(space: Mapping[str, Any], config: Mapping[str, Any],
                   prefix: str = "branch.") -> dict[str, int | None]:
    """``{"branch.<path>": index}`` for every conditional dimension a trial's ``config`` went
    through: the index of its active branch in the choice's list (None if the config fits none)."""
    out: dict[str, int | None] = {}
    for path, leaf in _leaves(space, ()):
        if not isinstance(leaf, Conditional):
            continue
        value: Any = config
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        index = leaf.branch_index(value)
        name = ".".join(path)
        out[f"{prefix}{name}"] = index
        if index is not None:
            out.update(branch_columns(leaf.branches[index], value, f"{prefix}{name}."))
    return out
