"""Trainables defined in a sweep module run on Ray's workers, which cannot import the module by name
(raysweep imports it by path as ``raysweep_sweeps.<name>``): a function through Ray's own
``tune.with_parameters`` idiom, and a ``tune.Trainable`` subclass. Checked on the session's Ray."""

from __future__ import annotations

import textwrap

import pytest

from raysweep import results
from raysweep.execution import run_sweep
from raysweep.sweep import load_sweep

pytestmark = pytest.mark.slow

WITH_PARAMETERS = '''
import numpy as np
from ray import tune

from raysweep import Sweep, space


def train(config, data):
    for epoch in range(1, 3):
        tune.report({"score": float(data.sum()) * config["x"] * epoch})


DATA = np.arange(1000, dtype=np.float64)

SWEEP = Sweep(name="wp", trainable=tune.with_parameters(train, data=DATA),
              space={"x": space.uniform(0.0, 1.0)}, metric="score", mode="max",
              searcher="random", num_samples=3, seed=0, resources={"cpu": 1})
'''

TRAINABLE_CLASS = '''
from ray import tune

from raysweep import Sweep, space


class Quadratic(tune.Trainable):
    def setup(self, config):
        self.x, self.steps = config["x"], 0

    def step(self):
        self.steps += 1
        return {"loss": (self.x - 0.3) ** 2 / self.steps, "done": self.steps >= 2}

    def reset_config(self, new_config):
        self.setup(new_config)
        return True


SWEEP = Sweep(name="cls", trainable=Quadratic, space={"x": space.uniform(0.0, 1.0)},
              metric="loss", mode="min", searcher="random", num_samples=3, seed=0,
              resources={"cpu": 1})
'''


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("wp", WITH_PARAMETERS, lambda cfg: sum(range(1000)) * cfg["x"] * 2),
    ("cls", TRAINABLE_CLASS, lambda cfg: (cfg["x"] - 0.3) ** 2 / 2),
], ids=["with_parameters", "Trainable subclass"])
def test_a_trainable_defined_in_a_sweep_module_runs_on_the_workers(ray_session, tmp_path, name,
                                                                   source, expected):
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    summary = run_sweep(load_sweep(str(path)), results_root=str(tmp_path / "res"), progress=False)
    trials = results.load_trials(str(tmp_path / "res"))
    assert summary.status == "finished", summary.errors
    assert sorted(trials["status"]) == ["completed"] * 3, trials[["status", "error_message"]]
    for row in trials.itertuples():
        config = __import__("json").loads(row.config_json)
        assert row.iterations == 2
        assert row.metric_last == pytest.approx(expected(config))
