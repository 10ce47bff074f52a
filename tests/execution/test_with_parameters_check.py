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


def test_serialisable_data_passes():
    check_trainable_data(_sweep(data=np.zeros(1000), big_lookup={"a": np.ones(3)}))


def test_unserialisable_data_is_refused_naming_the_keyword_before_ray_starts(tmp_path):
    import ray

    sweep = _sweep(data=np.zeros(3), big_lookup=threading.Lock())
    with pytest.raises(ConfigError, match=r"The 'tune.with_parameters\(\.\.\., big_lookup=\.\.\.\)' "
                                          r"parameter of Sweep 'wp' must be data Ray can serialise.*"
                                          r"lock.*instead of an open file"):
        check_trainable_data(sweep)
    started = ray.is_initialized()
    with pytest.raises(ConfigError, match="big_lookup"):
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert ray.is_initialized() == started  # refused before any Ray start
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
