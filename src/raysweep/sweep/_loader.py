"""Finding and importing sweep modules: ``sweeps/<name>.py`` or a path to a ``.py`` file."""

from __future__ import annotations

import difflib
import hashlib
import importlib.machinery
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from raysweep._errors import ConfigError, RaysweepError, SweepNotFoundError
from raysweep.sweep._sweep import Sweep

__all__ = ["LoadedSweep", "list_sweeps", "load_sweep", "resolve_sweep_path"]

#: Sweep modules are imported under this package name so that they never shadow user modules.
MODULE_PREFIX = "raysweep_sweeps"


def is_sweep_module(module_name: str) -> bool:
    """Whether ``module_name`` is a sweep module raysweep imported by path (workers cannot import it)."""
    return module_name.startswith(MODULE_PREFIX + ".")


@dataclass(frozen=True)
class LoadedSweep:
    """A sweep with where it came from: recorded with every run for reproducibility."""

    sweep: Sweep
    path: Path
    sha256: str
    module_name: str


def resolve_sweep_path(ref: str, sweeps_dir: str | Path = "sweeps") -> Path:
    """``ref`` as a path to a sweep module: an existing ``.py`` file, or a name under ``sweeps_dir``."""
    candidate = Path(ref)
    if ref.endswith(".py"):
        if candidate.is_file():
            return candidate.resolve()
        raise SweepNotFoundError(f"Sweep file {ref!r} does not exist.")
    directory = Path(sweeps_dir)
    path = directory / f"{ref}.py"
    if path.is_file():
        return path.resolve()
    names = [p.stem for p in _sweep_files(directory)]
    close = difflib.get_close_matches(ref, names, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    available = ", ".join(names) if names else f"none: {str(directory)!r} has no sweep modules"
    raise SweepNotFoundError(
        f"Unknown sweep {ref!r}.{hint} Sweeps under {str(directory)!r}: {available}. "
        "Pass a name from 'raysweep list' or a path to a .py file."
    )


def load_sweep(ref: str | Path, sweeps_dir: str | Path = "sweeps") -> LoadedSweep:
    """Import a sweep module and return its validated ``SWEEP``.

    The module's grandparent directory (the project root holding ``sweeps/`` and ``search_spaces/``) is put
    on ``sys.path`` so that sweeps can import shared search spaces.
    """
    path = resolve_sweep_path(str(ref), sweeps_dir)
    source = path.read_bytes()
    module_name = f"{MODULE_PREFIX}.{path.stem}"
    root = str(path.parent.parent)  # not sweeps/ itself: a sweeps/random.py must not shadow stdlib
    if root not in sys.path:
        sys.path.insert(0, root)
    module = _import(path, module_name)
    sweep = getattr(module, "SWEEP", None)
    if sweep is None:
        raise ConfigError(
            f"Sweep module {str(path)!r} defines no SWEEP. "
            "Add SWEEP = raysweep.Sweep(...) at module level."
        )
    if not isinstance(sweep, Sweep):
        raise ConfigError(
            f"The 'SWEEP' of {str(path)!r} must be a raysweep.Sweep. "
            f"Got {type(sweep).__name__} instead."
        )
    return LoadedSweep(sweep, path, hashlib.sha256(source).hexdigest(), module_name)


def list_sweeps(sweeps_dir: str | Path = "sweeps") -> list[Path]:
    """Sweep module files under ``sweeps_dir``, sorted by name."""
    return _sweep_files(Path(sweeps_dir))


def _sweep_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


def _import(path: Path, module_name: str) -> ModuleType:
    if MODULE_PREFIX not in sys.modules:
        package = importlib.util.module_from_spec(
            importlib.machinery.ModuleSpec(MODULE_PREFIX, None, is_package=True)
        )
        package.__path__ = []
        sys.modules[MODULE_PREFIX] = package
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise SweepNotFoundError(
            f"Cannot import {str(path)!r} as a Python module: a sweep module is a '.py' file."
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        where = exc.filename if exc.filename and Path(exc.filename) != path else str(path)
        imported = "" if where == str(path) else f" (imported by sweep module {str(path)!r})"
        raise ConfigError(
            f"Module {where!r}{imported} has a syntax error at line {exc.lineno}: {exc.msg}. "
            "Fix the module, then run 'raysweep validate' again."
        ) from None
    except RaysweepError as exc:
        del sys.modules[module_name]
        raise type(exc)(f"In sweep module {str(path)!r}: {exc}") from None
    except Exception as exc:
        del sys.modules[module_name]
        where = _user_frame(exc, path)
        raise ConfigError(
            f"Sweep module {str(path)!r} raised {type(exc).__name__} while loading{where}: {exc}"
        ) from exc
    return module


def _user_frame(exc: BaseException, path: Path) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return f" (line {frames[-1].lineno})" if frames else ""
