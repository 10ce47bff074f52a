"""What the adapter needs from Ray's private code, declared once: the registry the contract test reads.

Every adapter module declares each private (or internal) name it touches with :func:`requirement` at
import time, next to the function that uses it. ``tests/execution/test_internals_contract.py``
iterates :data:`REQUIREMENTS` and checks each with :func:`verify`, without starting Ray, so the
declaration and the code cannot drift apart: a function that reaches a name it did not declare
fails the guard in ``tests/test_private_names.py`` only if that name is private, and the contract test
fails for a declared name a Ray version lacks.

When a name is missing at run time, the function that needs it either raises :func:`missing` (an
:class:`~raysweep.ExecutionError` naming the Ray version found and the supported range) or, where the
feature can degrade, calls :func:`degrade`, which warns once per name and process
(:class:`RayInternalsWarning`) and lets the caller return a neutral value.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import warnings
from dataclasses import dataclass
from typing import Any, Literal

from raysweep._errors import ExecutionError
from raysweep.execution._internals._versions import ray_version, supported_range

__all__ = ["REQUIREMENTS", "RayInternalsWarning", "Requirement", "degrade", "missing", "requirement",
           "resolve", "verify"]

#: ``function``: a module-level callable; ``method``: a callable on the class; ``property``: a
#: property on the class; ``class_attribute``: a value in the class's (or a base's) ``__dict__``;
#: ``attribute``: an instance attribute, assigned as ``self.<name>`` in the class's (or a base's)
#: source or annotated in its body; for a module owner, any attribute of the module.
Kind = Literal["function", "method", "property", "class_attribute", "attribute"]


@dataclass(frozen=True)
class Requirement:
    """One name of Ray (or of a library Ray wraps) that raysweep relies on.

    Args:
        owner: ``"package.module"`` or ``"package.module:Class"``.
        name: The attribute, method or function on ``owner``.
        kind: See :data:`Kind`.
        params: For a function or method: the leading parameter names raysweep passes (``self``
            excluded), in order.
        why: What raysweep uses it for (shown in errors and warnings).
    """

    owner: str
    name: str
    kind: Kind
    params: tuple[str, ...] = ()
    why: str = ""

    @property
    def label(self) -> str:
        """``module.Class.name`` as a reader would write it."""
        return f"{self.owner.replace(':', '.')}.{self.name}"


#: Every requirement an adapter module declared (filled at import; the package imports them all).
REQUIREMENTS: list[Requirement] = []
_WARNED: set[str] = set()


class RayInternalsWarning(UserWarning):
    """A Ray internal raysweep relies on is missing: a feature is off for this run."""


def requirement(owner: str, name: str, kind: Kind, *, params: tuple[str, ...] = (),
                why: str) -> Requirement:
    """Declare (and return) what an adapter function needs; see :class:`Requirement`."""
    req = Requirement(owner, name, kind, params, why)
    if req not in REQUIREMENTS:
        REQUIREMENTS.append(req)
    return req


def missing(req: Requirement, detail: str = "") -> ExecutionError:
    """The error for a requirement the installed Ray does not meet (for the caller to raise)."""
    found = _ray_version_or_unknown()
    extra = f" ({detail})" if detail else ""
    return ExecutionError(
        f"raysweep needs {req.label} from Ray to {req.why}, and Ray {found} has no such "
        f"{req.kind.replace('_', ' ')}{extra}. raysweep supports Ray {supported_range()}: install "
        "one of those (tests/execution/test_internals_contract.py checks a Ray version in seconds).")


def degrade(req: Requirement, consequence: str) -> None:
    """Warn, once per requirement and process, that ``req`` is missing and what is off because of it."""
    if req.label in _WARNED:
        return
    _WARNED.add(req.label)
    warnings.warn(
        f"raysweep: Ray {_ray_version_or_unknown()} has no {req.label} (used to {req.why}); "
        f"{consequence}. raysweep supports Ray {supported_range()}.",
        RayInternalsWarning, stacklevel=3)


def _ray_version_or_unknown() -> str:
    try:
        return ray_version()
    except Exception:  # noqa: BLE001 - an error message must not fail on its own details
        return "(unknown version)"


def resolve(owner: str) -> Any:
    """Import ``owner`` (``module`` or ``module:Qualified.Name``)."""
    module_name, _, qualname = owner.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        value = getattr(value, part)
    return value


def verify(req: Requirement) -> str | None:
    """What is wrong with ``req`` in the installed libraries, or None when it is met (no Ray started)."""
    try:
        owner = resolve(req.owner)
    except (ImportError, AttributeError) as exc:
        return f"{req.label}: cannot import its owner {req.owner} ({exc})"
    if inspect.ismodule(owner):
        if not hasattr(owner, req.name):
            return f"{req.label}: module {req.owner} has no {req.name}"
        value = getattr(owner, req.name)
        if req.kind == "function":
            return _check_params(req, value, skip_self=False)
        return None
    if not isinstance(owner, type):
        return f"{req.label}: {req.owner} is neither a module nor a class"
    if req.kind in ("method", "function"):
        static = _static(owner, req.name)
        if static is None or not callable(getattr(owner, req.name, None)):
            return f"{req.label}: {owner.__qualname__} has no method {req.name}"
        return _check_params(req, getattr(owner, req.name), skip_self=not isinstance(static, staticmethod))
    if req.kind == "property":
        if not isinstance(_static(owner, req.name), property):
            return f"{req.label}: {owner.__qualname__} has no property {req.name}"
        return None
    if req.kind == "class_attribute":
        return None if _static(owner, req.name) is not None else \
            f"{req.label}: no class attribute {req.name} on {owner.__qualname__} or its bases"
    if req.name in instance_attributes(owner):
        return None
    return f"{req.label}: no `self.{req.name} = ...` in {owner.__qualname__} or its bases"


def _static(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _check_params(req: Requirement, func: Any, skip_self: bool) -> str | None:
    try:
        names = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to compare
        return None
    if skip_self and names and names[0] in ("self", "cls"):
        names = names[1:]
    if tuple(names[: len(req.params)]) != req.params:
        return f"{req.label}: expected parameters {req.params}, found {tuple(names)}"
    return None


def instance_attributes(cls: type) -> set[str]:
    """Names assigned as ``self.<name>`` in the methods of ``cls`` and its bases, or annotated in
    their bodies (read from their source)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):  # a builtin or generated class: no source
            continue
        names.update(_self_assignments(tree))
    return names


def _self_assignments(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:  # `name: T` in the class body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                if (isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name)
                        and leaf.value.id == "self"):
                    names.add(leaf.attr)
    return names
