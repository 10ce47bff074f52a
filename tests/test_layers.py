"""The layers of docs/architecture.md, checked statically on every module of ``src/raysweep``.

- Only ``raysweep.execution`` and ``raysweep.workloads`` import Ray.
- No module imports another package's private modules (``raysweep.results._records`` from execution).
- ``raysweep.results`` depends on nothing else in raysweep but ``raysweep._errors``;
  ``raysweep.compare`` reads only through ``raysweep.results``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "raysweep"
RAY_LAYERS = {"execution", "workloads"}
# What each package may import from raysweep, besides itself and the shared private base modules.
ALLOWED = {
    "results": set(),
    "compare": {"results"},
}
SHARED = {"_errors", "_spec"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _package_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imports(source: str, dotted: str) -> list[str]:
    """Absolute names imported by module ``dotted`` (relative imports resolved against it)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = dotted.split(".")[: -node.level]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def _problems(package: str, imported: list[str]) -> list[str]:
    problems = set()
    for name in imported:
        parts = name.split(".")
        if parts[0] == "ray" and package not in RAY_LAYERS:
            problems.add(f"imports Ray ({name}); only {sorted(RAY_LAYERS)} may")
        if parts[0] != "raysweep" or len(parts) < 2:
            continue
        target = parts[1]
        if target != package and len(parts) > 2 and parts[2].startswith("_"):
            problems.add(f"imports a private module of raysweep.{target} ({name})")
        allowed = {package, *ALLOWED.get(package, ()), *SHARED}
        if package in ALLOWED and target not in allowed:
            problems.add(f"raysweep.{package} may not import raysweep.{target} ({name})")
    return sorted(problems)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_the_layers(path):
    dotted = ".".join(path.relative_to(SRC).with_suffix("").parts)
    assert _problems(_package_of(path), _imports(path.read_text(encoding="utf-8"), dotted)) == []


def test_the_layer_check_sees_each_kind_of_violation():
    source = "import ray\nfrom raysweep.results._records import x\nfrom ..execution import run_sweep\n"
    problems = _problems("compare", _imports(source, "raysweep.compare._probe"))
    assert any("imports Ray" in p for p in problems)
    assert any("private module of raysweep.results" in p for p in problems)
    assert any("may not import raysweep.execution" in p for p in problems)
