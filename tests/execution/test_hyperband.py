"""HyperBand and BOHB end to end on the session's real local Ray, checked against ground truth: the
milestones Ray's brackets give each trial (``HyperBand.trial_iterations``), the iterations stored per
trial, and the iterations each trainable actually computed (its own log)."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep

from ._hyperband_trainables import bohb_quadratic, ranked, ranked_checkpointed

pytestmark = pytest.mark.slow

XS = [0.1, 0.2, 0.3, 0.6, 0.4, 0.5]  # grid order = trial order: brackets fill with trials 0-2, 3-5


def _run(tmp_path: Path, trainable, name: str):
    log = tmp_path / "log"
    log.mkdir()
    band = schedulers.hyperband(max_t=4, reduction_factor=2)
    sweep = Sweep(name=name, trainable=trainable, metric="loss", mode="min",
                  space={"x": space.choice(XS), "iters": 6, "log": str(log)},
                  searcher=searchers.grid(), scheduler=band, resources={"cpu": 1})
    summary = run_sweep(sweep, results_root=str(tmp_path / "store"), progress=False)
    root = str(tmp_path / "store")
    trials = results.load_trials(root, sweeps=name).sort_values("trial_index")
    trials["x"] = trials["config_json"].map(lambda c: json.loads(c)["x"])
    stored = results.load_iterations(root, sweeps=name).groupby("trial_id")["training_iteration"].max()
    computed = {float(p.name[2:-4]): [int(v) for v in p.read_text().split()] for p in log.iterdir()}
    return band, summary, trials, stored, computed


def _truth(band) -> dict[float, list[int]]:
    """Each x's milestones: bracket by bracket in trial order, the best (lowest x) promoted first."""
    reached = band.trial_iterations(len(XS))
    out, start = {}, 0
    for bracket in band.brackets():
        members = sorted(XS[start:start + bracket.size])
        for x, milestones in zip(members, reached[start:start + bracket.size], strict=True):
            out[x] = milestones
        start += bracket.size
        if start >= len(XS):
            break
    return out


def _check_scheduling(band, summary, trials, stored):
    truth = _truth(band)
    assert summary.status == "finished" and len(trials) == len(XS) == summary.counts["trials"]
    assert {row.x: int(stored[row.trial_id]) for row in trials.itertuples()} == \
        {x: m[-1] for x, m in truth.items()}
    assert truth[0.6] == [2]  # the worst of the second bracket, stopped at its first milestone
    status = dict(zip(trials["x"], trials["status"], strict=True))
    assert {x for x, s in status.items() if s == "early_stopped"} == {0.6}
    assert {s for x, s in status.items() if x != 0.6} == {"completed"}
    return truth


def test_hyperband_without_checkpoints_restarts_promoted_trials(ray_session, tmp_path):
    band, summary, trials, stored, computed = _run(tmp_path, ranked, "hb_restart")
    truth = _check_scheduling(band, summary, trials, stored)
    # A paused trial that reported no checkpoint starts again from iteration 1 at its promotion; the
    # one whose result completed the bracket was never paused and runs straight on.
    restarted = 0
    for x, milestones in truth.items():
        again = [i for m in milestones for i in range(1, m + 1)]
        assert computed[x] in (again, list(range(1, milestones[-1] + 1))), x
        restarted += len(milestones) > 1 and computed[x] == again
    promoted = sum(len(m) > 1 for m in truth.values())
    assert promoted == 2 and restarted >= promoted - 1
    assert sum(map(len, computed.values())) <= band.expected_iterations(len(XS), resumed=False) * len(XS)
    runs = results.list_runs(str(tmp_path / "store"), sweeps="hb_restart")
    assert runs.loc[0, "scheduler"] == "hyperband"
    assert json.loads(runs.loc[0, "scheduler_params"])["max_t"] == 4


def test_hyperband_with_checkpoints_continues_promoted_trials(ray_session, tmp_path):
    band, summary, trials, stored, computed = _run(tmp_path, ranked_checkpointed, "hb_resume")
    truth = _check_scheduling(band, summary, trials, stored)
    for x, milestones in truth.items():
        assert computed[x] == list(range(1, milestones[-1] + 1)), x  # each iteration once
    assert sum(map(len, computed.values())) == band.expected_iterations(len(XS)) * len(XS)


@pytest.mark.skipif(importlib.util.find_spec("hpbandster") is None
                    or importlib.util.find_spec("ConfigSpace") is None,
                    reason="BOHB needs hpbandster and ConfigSpace (pip install 'raysweep[bohb]')")
def test_bohb_end_to_end(ray_session, tmp_path):
    band = schedulers.hyperband_for_bohb(max_t=4, reduction_factor=2)
    sweep = Sweep(name="bohb_e2e", trainable=bohb_quadratic, metric="loss", mode="min",
                  space={"x": space.uniform(0.0, 1.0), "n": space.randint(1, 4),
                         "kind": space.choice(["a", "b"]), "iters": 6},
                  searcher=searchers.bohb(seed=0), scheduler=band, num_samples=7,
                  resources={"cpu": 1})
    root = str(tmp_path)
    summary = run_sweep(sweep, results_root=root, progress=False)
    assert summary.status == "finished"
    trials = results.load_trials(root, sweeps="bohb_e2e")
    assert len(trials) == 7 == summary.counts["trials"]
    stored = results.load_iterations(root, sweeps="bohb_e2e").groupby("trial_id")["training_iteration"]
    iterations = stored.max().to_dict()
    # BOHB fills its largest bracket first: 4 trials at milestones 1, 2, 4 (2 then 1 kept), then 3
    # at 2, 4 (2 kept). Stored iterations are milestones; a trial stopped below max_t is early_stopped.
    assert set(iterations.values()) <= {1, 2, 4}
    assert Counter(iterations.values())[4] >= 1 and min(iterations.values()) < 4
    for row in trials.itertuples():
        assert (row.status == "early_stopped") == (iterations[row.trial_id] < 4), row
    for cfg in trials["config_json"].map(json.loads):
        assert 0.0 <= cfg["x"] <= 1.0 and cfg["n"] in (1, 2, 3) and cfg["kind"] in ("a", "b")
        assert cfg["iters"] == 6
    runs = results.list_runs(root, sweeps="bohb_e2e")
    assert (runs.loc[0, "searcher"], runs.loc[0, "scheduler"]) == ("bohb", "hyperband_for_bohb")
