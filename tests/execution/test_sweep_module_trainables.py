"""Trainables defined in a sweep module run on Ray's workers, which cannot import the module by name
(raysweep imports it by path as ``raysweep_sweeps.<name>``): a function through Ray's own
``tune.with_parameters`` idiom, and a ``tune.Trainable`` subclass. Checked on the session's Ray."""

from __future__ import annotations

import textwrap

import pytest

from raysweep import results
from raysweep.execution import run_sweep
from raysweep.sweep import load_sweep

from .._cli import invoke

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

# Ray's BOHB example style: no reset_config, no save_checkpoint. Tune cannot reuse its actors; the
# trials that would have reused one were cancelled while the run said it finished (issue 22).
NO_RESET = TRAINABLE_CLASS.replace('''    def reset_config(self, new_config):
        self.setup(new_config)
        return True
''', "").replace('name="cls"', 'name="noreset"')


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("wp", WITH_PARAMETERS, lambda cfg: sum(range(1000)) * cfg["x"] * 2),
    ("cls", TRAINABLE_CLASS, lambda cfg: (cfg["x"] - 0.3) ** 2 / 2),
    ("noreset", NO_RESET, lambda cfg: (cfg["x"] - 0.3) ** 2 / 2),
], ids=["with_parameters", "Trainable subclass", "Trainable without reset_config"])
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


def test_a_run_whose_trials_never_ran_is_failed_not_finished(ray_session, tmp_path, monkeypatch):
    """Tune giving up on trials (here: forced actor reuse of a class without reset_config, what
    raysweep did before it checked) must never end in a run reported as finished."""
    from raysweep.execution.launch import _fit

    monkeypatch.setattr(_fit, "_reuse_actors", lambda trainable: True)
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / "noreset.py"
    path.write_text(textwrap.dedent(NO_RESET))
    summary = run_sweep(load_sweep(str(path)), results_root=str(tmp_path / "res"), progress=False)
    trials = results.load_trials(str(tmp_path / "res"))
    cancelled = int((trials["status"] == "cancelled").sum())
    assert cancelled >= 1  # the ground truth of this scenario: Tune cancelled what it could not reuse
    assert summary.status == "failed"
    assert any(f"{cancelled} of 3 trials never ran to their end" in e for e in summary.errors)
    assert results.list_runs(str(tmp_path / "res"))["status"].tolist() == ["failed"]
    # `show --errors` lists every trial the run counts against it, the cancelled ones included.
    shown = invoke(monkeypatch, "show", "noreset", "--errors", "--results", str(tmp_path / "res"))
    assert shown.returncode == 0, shown.stderr
    assert f"{cancelled} errored or cancelled trial(s)" in shown.stdout
    for trial_id in trials.loc[trials["status"] == "cancelled", "trial_id"]:
        assert trial_id in shown.stdout
    assert summary.error_groups and sum(g["n_trials"] for g in summary.error_groups) == cancelled
