"""Private names of Ray, HyperOpt and Optuna appear only in ``raysweep.execution._internals``.

A static check over every module of ``src/raysweep`` outside the adapter (issue 20). It fails on:

- **imports** of a module or name with a ``_``-prefixed component under ``ray``, ``hyperopt`` or
  ``optuna`` (``from ray._private import worker``, ``from ray.tune.schedulers.async_hyperband import
  _Bracket``), also through ``importlib.import_module("...")`` / ``__import__("...")``;
- **attribute accesses** ``x._name`` on anything but ``self`` / ``cls`` (``controller._trials``,
  ``sys._getframe``, ``super()._setup``). One precise exception, raysweep's own objects: ``x`` is a
  parameter annotated with a raysweep class that itself declares ``_name`` (``comp: Comparison``
  reading ``comp._cache``);
- **string literals** naming a private attribute in ``getattr`` / ``setattr`` / ``hasattr`` /
  ``delattr``, or as a key of ``vars(x)`` / ``x.__dict__`` (``vars(s).get("_brackets")``), and any
  string equal to a private name of a library class the module imports (a monkeypatch table such as
  ``{"_fetch_trial_dataframes": ...}`` applied with ``setattr(ExperimentAnalysis, name, ...)``);
- **``self._name`` / ``cls._name`` inside a class that subclasses a Ray / HyperOpt / Optuna class**,
  where the base defines ``_name`` (in a class ``__dict__`` of its MRO, or assigned as
  ``self._name`` in its source, which the check reads), and class-body definitions that override
  such a name. A class whose base is computed at run time names its library base in
  :data:`DYNAMIC_BASES`; an unresolvable base not listed there is itself a failure.

Not checked, by rule: strings that merely name a private module without reaching code through it,
such as logger names passed to ``logging.getLogger("ray._private.runtime_env.packaging")``. They
configure logging; when Ray renames the module, the filter stops matching and nothing breaks.
Dunder names (``__dict__``, ``__name__``) are not private.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import inspect
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "raysweep"
ADAPTER = PACKAGE / "execution" / "_internals"
LIBRARIES = ("ray", "hyperopt", "optuna")
REACHING = {"getattr", "setattr", "hasattr", "delattr"}
DICT_KEY_METHODS = {"get", "pop", "setdefault", "__getitem__", "__contains__"}

#: Classes whose base is computed at run time -> the library class every such base subclasses.
DYNAMIC_BASES = {
    # bohb_searcher imports TuneBOHB when a BOHB sweep is built (it imports hpbandster, an extra).
    "raysweep.execution.tune._searchers:bohb_searcher.<locals>.BOHBCoded":
        "ray.tune.search.bohb.bohb_search.TuneBOHB",
    # guard_trainable's base is the user's Trainable class or Tune's wrap_function(fn): an
    # ImplicitFunc, whose private names are FunctionTrainable's (a class trainable's own private
    # names are the user's business).
    "raysweep.execution.tune._guard:guard_trainable.<locals>.Guarded":
        "ray.tune.trainable.function_trainable.FunctionTrainable",
    # releasing_workers' base is guard_trainable's class around a trainer's Tune function trial.
    "raysweep.execution.tune._trainer:releasing_workers.<locals>.ReleasingWorkers":
        "ray.tune.trainable.function_trainable.FunctionTrainable",
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _library(dotted: str) -> bool:
    return dotted.split(".")[0] in LIBRARIES


# ------------------------------------------------------------------------------ the source index


@dataclass
class Module:
    dotted: str
    tree: ast.Module
    imports: dict[str, str]  # local name -> absolute dotted name
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)  # top-level classes


def _import_map(tree: ast.Module, dotted: str, is_package: bool) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, dotted, is_package)
            for alias in node.names:
                names[alias.asname or alias.name] = f"{module}.{alias.name}"
    return names


def _absolute(node: ast.ImportFrom, dotted: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = dotted.split(".")
    base = parts[: len(parts) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def _parse(source: str, dotted: str, is_package: bool = False) -> Module:
    tree = ast.parse(source)
    module = Module(dotted, tree, _import_map(tree, dotted, is_package))
    module.classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    return module


def _dotted(path: Path) -> tuple[str, bool]:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


@functools.cache
def _index() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        dotted, is_package = _dotted(path)
        modules[dotted] = _parse(path.read_text(encoding="utf-8"), dotted, is_package)
    return modules


def _resolve(name: str, module: Module, index: dict[str, Module], depth: int = 0) -> str | None:
    """The absolute dotted name a local ``name`` (``tune.Callback``, ``Comparison``) stands for."""
    head, _, rest = name.partition(".")
    if head in module.imports:
        dotted = module.imports[head] + (f".{rest}" if rest else "")
    elif head in module.classes:
        dotted = f"{module.dotted}.{name}"
    elif hasattr(builtins, head):
        return f"builtins.{name}"
    else:
        return None
    return _follow(dotted, index, depth)


def _follow(dotted: str, index: dict[str, Module], depth: int = 0) -> str:
    """Follow raysweep re-exports (``raysweep.compare.Comparison`` -> ``raysweep.compare._load...``)."""
    owner, _, name = dotted.rpartition(".")
    module = index.get(owner)
    if module is None or name in module.classes or depth > 5 or name not in module.imports:
        return dotted
    return _follow(module.imports[name], index, depth + 1)


def _class(dotted: str, index: dict[str, Module]) -> tuple[Module, ast.ClassDef] | None:
    owner, _, name = dotted.rpartition(".")
    module = index.get(owner)
    if module is None or name not in module.classes:
        return None
    return module, module.classes[name]


def _own_private_names(node: ast.ClassDef) -> set[str]:
    """Private names a raysweep class declares itself: body assignments and defs, ``self._x = ...``."""
    names = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
        elif isinstance(item, ast.Assign):
            names.update(t.id for t in item.targets if isinstance(t, ast.Name))
    names.update(_self_assigned(node))
    return {n for n in names if _private(n)}


def _self_assigned(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                if (isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name)
                        and leaf.value.id in ("self", "cls")):
                    names.add(leaf.attr)
    return names


@functools.cache
def library_private_names(dotted: str) -> frozenset[str]:
    """Private names a Ray / HyperOpt / Optuna class defines: every ``_name`` in the ``__dict__`` of
    a library class of its MRO, and every ``self._name`` assigned in their source."""
    module_name, _, name = dotted.rpartition(".")
    cls = getattr(importlib.import_module(module_name), name)
    names: set[str] = set()
    for klass in cls.__mro__:
        if not _library(klass.__module__):
            continue
        names.update(n for n in vars(klass) if _private(n))
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        names.update(n for n in _self_assigned(tree) if _private(n))
    return frozenset(names)


# ------------------------------------------------------------------------------ the check


class _Checker(ast.NodeVisitor):
    def __init__(self, module: Module, index: dict[str, Module]) -> None:
        self.module, self.index = module, index
        self.problems: list[str] = []
        self.scope: list[str] = []  # qualname parts
        self.annotations: list[dict[str, str]] = [{}]  # parameter -> resolved annotation
        self.library_bases: list[frozenset[str]] = []  # private names of the enclosing class's bases

    @functools.cached_property
    def imported_library_privates(self) -> dict[str, str]:
        """Private name -> the library class (imported by this module) that defines it."""
        out: dict[str, str] = {}
        for dotted in sorted(set(self.module.imports.values())):
            if _library(dotted) and _is_class(dotted):
                for name in library_private_names(dotted):
                    out.setdefault(name, dotted)
        return out

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node.value.isidentifier() and _private(node.value):
            owner = self.imported_library_privates.get(node.value)
            if owner is not None:
                self.report(node, f"the string {node.value!r} names a private name of {owner}")

    def report(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"{self.module.dotted}:{getattr(node, 'lineno', '?')}: {what}")

    # -- imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = _absolute(node, self.module.dotted, False)
        self._check_module(node, module)
        if _library(module):
            for alias in node.names:
                if _private(alias.name):
                    self.report(node, f"imports the private name {module}.{alias.name}")

    def _check_module(self, node: ast.AST, dotted: str) -> None:
        if _library(dotted) and any(_private(part) for part in dotted.split(".")):
            self.report(node, f"imports the private module {dotted}")

    # -- classes and functions
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        privates = self._base_privates(node)
        self.library_bases.append(privates)
        if privates:
            for item in node.body:
                defined = []
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    defined = [item.name]
                elif isinstance(item, ast.Assign):
                    defined = [t.id for t in item.targets if isinstance(t, ast.Name)]
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    defined = [item.target.id]
                for name in defined:
                    if name in privates:
                        self.report(item, f"class {node.name} overrides {name}, a private name of "
                                          "its Ray/hyperopt/optuna base")
        self.generic_visit(node)
        self.library_bases.pop()
        self.scope.pop()

    def _base_privates(self, node: ast.ClassDef) -> frozenset[str]:
        names: set[str] = set()
        for base in node.bases:
            for dotted in self._library_bases(base, node):
                names |= library_private_names(dotted)
        return frozenset(names)

    def _library_bases(self, base: ast.expr, node: ast.ClassDef, depth: int = 0) -> list[str]:
        text = ast.unparse(base)
        dotted = _resolve(text, self.module, self.index) if isinstance(
            base, ast.Name | ast.Attribute) else None
        if dotted is None:
            qualname = f"{self.module.dotted}:{'.'.join(self.scope)}"
            if qualname in DYNAMIC_BASES:
                return [DYNAMIC_BASES[qualname]]
            self.report(node, f"class {qualname} has a base computed at run time ({text}): name its "
                              "library base in DYNAMIC_BASES")
            return []
        return self._library_of(dotted, depth)

    def _library_of(self, dotted: str, depth: int = 0) -> list[str]:
        if _library(dotted):
            return [dotted]
        found = _class(dotted, self.index)
        if found is None or depth > 5:
            return []
        module, cls = found
        out: list[str] = []
        for base in cls.bases:
            resolved = _resolve(ast.unparse(base), module, self.index)
            if resolved is not None:
                out += self._library_of(resolved, depth + 1)
        return out

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope += [node.name, "<locals>"]
        params = {}
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            annotation = arg.annotation
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                text = annotation.value
            elif isinstance(annotation, ast.Name | ast.Attribute):
                text = ast.unparse(annotation)
            else:
                continue
            resolved = _resolve(text, self.module, self.index)
            if resolved is not None:
                params[arg.arg] = resolved
        self.annotations.append(params)
        self.generic_visit(node)
        self.annotations.pop()
        del self.scope[-2:]

    visit_AsyncFunctionDef = visit_FunctionDef

    # -- attributes, getattr & co
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                if self.library_bases and node.attr in self.library_bases[-1]:
                    self.report(node, f"{owner.id}.{node.attr} is a private name of the class's "
                                      "Ray/hyperopt/optuna base")
            elif not self._own_object(owner, node.attr):
                self.report(node, f"accesses the private attribute {ast.unparse(node)}")
        self.generic_visit(node)

    def _own_object(self, owner: ast.expr, attr: str) -> bool:
        """``x._attr`` where parameter ``x`` is annotated with a raysweep class declaring ``_attr``."""
        if not isinstance(owner, ast.Name):
            return False
        dotted = self.annotations[-1].get(owner.id)
        found = _class(dotted, self.index) if dotted and dotted.startswith("raysweep.") else None
        return found is not None and attr in _own_private_names(found[1])

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        text = _string(node.args[1]) if len(node.args) > 1 else None
        if name in REACHING and text is not None and _private(text):
            self.report(node, f"{name}(..., {text!r}) names a private attribute")
        first = _string(node.args[0]) if node.args else None
        called = ast.unparse(func)
        if called in ("importlib.import_module", "import_module", "__import__") and first:
            self._check_module(node, first)
        if (isinstance(func, ast.Attribute) and func.attr in DICT_KEY_METHODS and first
                and _private(first) and _is_namespace(func.value)):
            self.report(node, f"{called}({first!r}) reads a private attribute through a namespace")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = _string(node.slice)
        if key and _private(key) and _is_namespace(node.value):
            self.report(node, f"{ast.unparse(node)} reads a private attribute through a namespace")
        self.generic_visit(node)


def _is_class(dotted: str) -> bool:
    owner, _, name = dotted.rpartition(".")
    if not owner:
        return False
    try:
        return inspect.isclass(getattr(importlib.import_module(owner), name, None))
    except ImportError:
        return False


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_namespace(node: ast.expr) -> bool:
    """``vars(x)``, ``x.__dict__`` or ``getattr(x, "__dict__", ...)``."""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "vars":
            return True
        return node.func.id == "getattr" and len(node.args) > 1 and _string(node.args[1]) == "__dict__"
    return False


def private_name_problems(module: Module, index: dict[str, Module]) -> list[str]:
    checker = _Checker(module, index)
    checker.visit(module.tree)
    return checker.problems


def _outside_adapter() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if ADAPTER not in p.parents]


@pytest.mark.parametrize("path", _outside_adapter(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_library_name_outside_the_adapter(path):
    index = _index()
    assert private_name_problems(index[_dotted(path)[0]], index) == []


def test_the_adapter_exists_and_is_skipped():
    assert (ADAPTER / "__init__.py").is_file()
    assert all(ADAPTER not in p.parents for p in _outside_adapter())


VIOLATIONS = '''
import importlib
import sys
from ray._private import worker
import ray._private.services
from ray.tune.schedulers.async_hyperband import _Bracket
from ray.tune.schedulers import AsyncHyperBandScheduler
from ray import tune
from ray.tune.analysis.experiment_analysis import ExperimentAnalysis
from raysweep.compare import Comparison

PATCHES = {"_fetch_trial_dataframes": lambda self: {}}

class Mine(AsyncHyperBandScheduler):
    def _brackets_too(self):  # an own private name: fine
        self._mine = 1
        return self._brackets  # the base's: a violation

    def _trial_info(self):  # overrides the base's private name
        return None

class Callback(tune.Callback):
    def setup(self, **info):
        self._controller = 1  # tune.Callback has no such name: fine

def find(controller, comp: Comparison, other):
    frame = sys._getframe(1)
    x = controller._trials
    y = getattr(controller, "_trial_metadata", None)
    setattr(controller, "_callbacks", [])
    z = vars(controller).get("_stopped_trials")
    w = controller.__dict__["_trials_to_cache"]
    m = importlib.import_module("ray._private.state")
    ok = comp._cache  # raysweep's own private attribute on its own object: fine
    bad = other._cache
    return frame, x, y, z, w, m, ok, bad

def dynamic(base):
    class Unknown(base):
        pass
    return Unknown
'''


def test_the_private_name_check_sees_each_kind_of_violation():
    index = dict(_index())
    module = _parse(VIOLATIONS, "raysweep.execution.tune._probe")
    index[module.dotted] = module
    problems = "\n".join(private_name_problems(module, index))
    for expected in (
        "imports the private module ray._private",  # from ray._private import worker
        "imports the private module ray._private.services",
        "imports the private name ray.tune.schedulers.async_hyperband._Bracket",
        "self._brackets is a private name of the class's Ray/hyperopt/optuna base",
        "class Mine overrides _trial_info",
        "accesses the private attribute sys._getframe",
        "accesses the private attribute controller._trials",
        "getattr(..., '_trial_metadata') names a private attribute",
        "setattr(..., '_callbacks') names a private attribute",
        "vars(controller).get('_stopped_trials') reads a private attribute",
        "controller.__dict__['_trials_to_cache'] reads a private attribute",
        "imports the private module ray._private.state",
        "accesses the private attribute other._cache",
        "has a base computed at run time (base)",
        "the string '_fetch_trial_dataframes' names a private name of "
        "ray.tune.analysis.experiment_analysis.ExperimentAnalysis",
    ):
        assert expected in problems, (expected, problems)
    for allowed in ("self._mine", "_brackets_too", "self._controller", "comp._cache"):
        assert allowed not in problems, (allowed, problems)


def test_library_private_names_come_from_the_base_source_and_dicts():
    names = library_private_names("ray.tune.schedulers.async_hyperband.AsyncHyperBandScheduler")
    assert {"_brackets", "_trial_info", "_metric_op", "_max_t"} <= names  # self._x in __init__
    assert "_metric" in names  # a base's (TrialScheduler) too
    assert "_name" in library_private_names("ray.tune.trainable.function_trainable.FunctionTrainable")
