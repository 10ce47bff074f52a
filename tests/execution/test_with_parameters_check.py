"""``tune.with_parameters`` data Ray could not serialise is refused before Ray starts, naming the
keyword; serialisable data (a large array included) passes without being copied."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from ray import tune

from raysweep import ConfigError, Sweep, space
from raysweep.execution import check_trainable_data, run_sweep
from tests._cli import invoke


def train(config, data, big_lookup=None):
    tune.report({"score": float(np.asarray(data).sum())})


def _sweep(**data) -> Sweep:
    return Sweep(name="wp", trainable=tune.with_parameters(train, **data),
                 space={"x": space.uniform(0.0, 1.0)}, metric="score", mode="max",
                 searcher="random", num_samples=1)


def test_serialisable_data_passes(no_ray):
    check_trainable_data(_sweep(data=np.zeros(1000), big_lookup={"a": np.ones(3)}))


@pytest.fixture
def no_ray(monkeypatch):
    """As in a fresh process: no Ray is initialized (the session's may be), so ``with_parameters``
    keeps its data until a Ray starts, and a ``ray.init`` fails the test."""
    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda *a, **k: pytest.fail("ray.init was called"))


def test_unserialisable_data_is_refused_naming_the_keyword_before_ray_starts(tmp_path, no_ray):
    sweep = _sweep(data=np.zeros(3), big_lookup=threading.Lock())
    with pytest.raises(ConfigError, match=r"The 'tune.with_parameters\(\.\.\., big_lookup=\.\.\.\)' "
                                          r"parameter of Sweep 'wp' must be data Ray can serialise.*"
                                          r"lock.*instead of an open file"):
        check_trainable_data(sweep)
    with pytest.raises(ConfigError, match="big_lookup"):
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert not (tmp_path / "runs").exists()


def test_validate_reports_it(tmp_path, monkeypatch):
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "wp.py").write_text(
        "import threading\nfrom ray import tune\nfrom raysweep import Sweep, space\n"
        "def train(config, lock):\n    tune.report({'s': 1.0})\n"
        "SWEEP = Sweep(name='wp', trainable=tune.with_parameters(train, lock=threading.Lock()),\n"
        "              space={'x': space.uniform(0, 1)}, metric='s', mode='max', num_samples=1)\n")
    result = invoke(monkeypatch, "validate", "wp", cwd=tmp_path, no_ray=True)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "with_parameters(..., lock=...)" in result.stderr


RUN_TWICE = """
import sys
import numpy as np
from ray import tune
from raysweep import Sweep, space
from raysweep.execution import run_sweep


def train(config, data):
    tune.report({"score": float(data.sum()) * config["x"]})


sweep = Sweep(name="twice", trainable=tune.with_parameters(train, data=np.arange(10.0)),
              space={"x": space.uniform(0.0, 1.0)}, metric="score", mode="max",
              searcher="random", num_samples=1, seed=0)
for root in sys.argv[1:]:
    summary = run_sweep(sweep, results_root=root, progress=False, num_cpus=1)
    print(root, summary.status, summary.counts["completed"], flush=True)
"""


@pytest.mark.slow
def test_a_with_parameters_sweep_runs_twice_in_one_process_on_embedded_rays(tmp_path):
    """Each run starts and shuts down its own embedded Ray (a notebook's two cells): the second run
    puts the data in the new session's object store again."""
    import subprocess
    import sys

    from tests.execution._resume_harness import env

    script = tmp_path / "twice.py"
    script.write_text(RUN_TWICE)
    roots = [str(tmp_path / "first"), str(tmp_path / "second")]
    done = subprocess.run([sys.executable, str(script), *roots], env=env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split()[1:] for line in done.stdout.splitlines() if line.startswith(str(tmp_path))] \
        == [["finished", "1"], ["finished", "1"]]
