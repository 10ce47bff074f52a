"""``invoke``: ``raysweep ARGS`` in this process through click's CliRunner, for commands that start no
Ray (validate, plan, list, the store commands, and runs refused before Ray starts).

A subprocess costs seconds of imports (Ray, pyarrow, pandas) per call, more on a loaded machine;
in this process they are imported once. What a subprocess gave for free is restored afterwards:
the working directory, ``sys.path``, and the project's ``search_spaces`` and sweep modules in
``sys.modules`` (another test's project has its own).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

_PROJECT_MODULES = {"search_spaces", "raysweep_sweeps"}


def invoke(monkeypatch: pytest.MonkeyPatch, *args: str, cwd: Path | None = None,
           env: dict[str, str] | None = None, no_ray: bool = False) -> SimpleNamespace:
    """Run ``raysweep ARGS``; return its ``returncode``, ``stdout`` and ``stderr``.

    ``no_ray=True``: as in a fresh process, no Ray is initialized (the session's may be), and a
    call to ``ray.init`` fails the test: what the command refuses, it refuses before Ray starts.
    """
    from click.testing import CliRunner

    from raysweep.cli._main import raysweep

    if cwd is not None:
        monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [k for k in sys.modules if _project_module(k)]:
        monkeypatch.delitem(sys.modules, name)
    if no_ray:
        import ray

        monkeypatch.setattr(ray, "is_initialized", lambda: False)
        monkeypatch.setattr(ray, "init", _no_ray_init)
    try:
        result = CliRunner().invoke(raysweep, list(args), env=env)
    finally:
        for name in [k for k in sys.modules if _project_module(k)]:
            del sys.modules[name]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def _project_module(name: str) -> bool:
    return name.split(".")[0] in _PROJECT_MODULES


def _no_ray_init(*args, **kwargs):
    pytest.fail("ray.init was called: the command started (or joined) a Ray")
