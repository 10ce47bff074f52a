"""A PBT member's result is a schedule: ``raysweep best`` prints it, ``show --lineage`` the exploits,
and ``raysweep replay`` retrains it from scratch as a new run whose curve is the member's, all on
the session's real local Ray and checked against the trainable's own log (the ground truth)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from raysweep import compare, results
from raysweep.execution import run_sweep
from tests._cli import invoke

pytestmark = pytest.mark.slow

_SWEEP = """
from raysweep import Sweep, schedulers, space
from tests.execution._pbt_trainables import numpy_model

SWEEP = Sweep(
    name="pbt_replay", trainable=numpy_model, metric="loss", mode="min", num_samples=4,
    space={{"lr": space.loguniform(1e-3, 0.3), "iters": 10, "log": {log!r}, "noise": 0.2}},
    scheduler=schedulers.pbt(2, {{"lr": space.loguniform(1e-3, 0.3)}}, seed=3),
    resources={{"cpu": 0.5}})
"""


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _truth(lines: list[dict], trial: str, upto: int | None, before: int) -> list[dict]:
    """``trial``'s effective history from the log alone: whose weights it trained on, by following
    the checkpoint each start came from (the checkpoint's saver and step), as of log line
    ``before``. Each segment: first step, lr, trainer, and the log position its values are read
    before (the moment its checkpoint was copied)."""
    starts = [(i, r) for i, r in enumerate(lines[:before]) if r["trial"] == trial and "start" in r
              and r["origin"] and r["origin"][0] != trial]
    if not starts:
        first = next(r for r in lines if r["trial"] == trial and "start" in r)
        return [{"from": 1, "lr": first["lr"], "trial": trial, "before": before}]
    at, start = starts[-1]
    owner, step = start["origin"]
    saved = max(i for i, r in enumerate(lines[:at]) if r["trial"] == owner and r.get("step") == step)
    head = [s for s in _truth(lines, owner, step, saved + 1) if s["from"] <= step]
    if upto is None or step + 1 <= upto:
        head.append({"from": step + 1, "lr": start["lr"], "trial": trial, "before": before})
    return head


def _truth_curve(lines: list[dict], segments: list[dict], last: int) -> list[float]:
    """The metric the replayed weights went through: for each step, what its trainer logged for it
    last before its checkpoint was copied."""
    curve = []
    for k, seg in enumerate(segments):
        end = segments[k + 1]["from"] - 1 if k + 1 < len(segments) else last
        for step in range(seg["from"], end + 1):
            curve.append(next(r["loss"] for r in reversed(lines[:seg["before"]])
                              if r["trial"] == seg["trial"] and r.get("step") == step))
    return curve


def test_best_prints_the_schedule_and_replay_retrains_it(ray_session, tmp_path, monkeypatch):
    log, root = tmp_path / "log.jsonl", str(tmp_path / "results")
    module = tmp_path / "pbt_replay.py"
    module.write_text(_SWEEP.format(log=str(log)))
    summary = run_sweep(str(module), results_root=root, progress=False)
    assert summary.status == "finished"
    run_id = summary.run_id
    trials = results.load_trials(root, sweeps="pbt_replay")
    ray_id = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    stored = results.load_perturbations(root, sweeps="pbt_replay")
    assert len(stored), "PBT never exploited: the test proves nothing"

    # raysweep best: the best member's schedule, equal to the one the log says it trained under
    shown = invoke(monkeypatch, "best", "pbt_replay", "--results", root)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    best = results.best_trial(trials, results.Objective("loss", "min")).iloc[0]
    assert (record["trial_id"], record["run"]) == (best["trial_id"], run_id)
    assert record["value"] == pytest.approx(best["metric_best"])
    lines = _log(log)
    truth = _truth(lines, ray_id[record["trial_id"]], int(best["iterations"]), len(lines))
    got = [(s["from_iteration"], s["config"]["lr"], ray_id[s["trial_id"]]) for s in record["schedule"]]
    assert [(t["from"], t["trial"]) for t in truth] == [(g[0], g[2]) for g in got]
    assert [g[1] for g in got] == pytest.approx([t["lr"] for t in truth])
    assert record == results.schedule(root, run_id)  # the Python API says the same

    # Every member's schedule against the log: the recursion through exploits, for all of them.
    for trial_id, row in trials.set_index("trial_id").iterrows():
        mine = results.schedule(root, run_id, trial_id)["schedule"]
        theirs = _truth(lines, ray_id[trial_id], int(row["iterations"]), len(lines))
        assert [(s["from_iteration"], ray_id[s["trial_id"]]) for s in mine] == \
            [(t["from"], t["trial"]) for t in theirs]

    # raysweep show --lineage: one line per exploit, naming both trials
    table = invoke(monkeypatch, "show", run_id, "--lineage", "--results", root)
    assert table.returncode == 0, table.stderr
    assert f"{len(stored)} PBT exploit(s)" in table.stdout
    for r in stored.itertuples():
        assert any(r.trial_id in line and r.source_trial_id in line and "lr:" in line
                   for line in table.stdout.splitlines())

    # compare: the run's compute counts every stored iteration and those an exploit made a copier
    # train again (the store keeps only the re-run's row of an iteration)
    comp = compare.load([run_id], root)
    counted = compare.run_summary(comp).iloc[0]
    again = compare.retrained_iterations(comp)
    stored_rows = len(results.load_iterations(root, sweeps="pbt_replay", runs=run_id))
    assert counted["iterations"] == stored_rows + len(again)
    trained = Counter((r["trial"], r["step"]) for r in lines if "step" in r)
    assert all(trained[(ray_id[t], i)] >= 2 for t, i in zip(again["trial_id"],
                                                           again["training_iteration"], strict=True))
    # ... at most what the trainable trained: Ray also restarts a member from an older checkpoint
    # of its own without an exploit (docs/pbt.md), which no stored row shows
    assert counted["iterations"] <= sum(trained.values())
    assert counted["best_value"] == pytest.approx(best["metric_best"])  # ranked by its best member
    # the report's population figure marks each stored exploit on the members' curves
    marks = next(t for t in compare.report_figures(comp, n_boot=50)["population"].data
                 if t.name.endswith(": exploit"))
    assert sorted(zip(marks.x, marks.y, strict=True)) == \
        sorted(zip(stored["training_iteration"], stored["value"], strict=True))

    # raysweep replay: a new one-trial run of the sweep, whose curve is the one the member's weights
    # went through (each value as logged before its checkpoint was copied)
    before = {r["trial"] for r in lines}
    replayed = invoke(monkeypatch, "replay", run_id, "--results", root, "--no-progress")
    assert replayed.returncode == 0, replayed.stderr
    runs = results.list_runs(root, sweeps="pbt_replay")
    new = runs[runs["run"] != run_id].iloc[0]
    assert new["replay_of"] == f"{run_id}/{record['trial_id']}" and new["scheduler"] == "pbt_replay"
    assert json.loads(new["replay_schedule"]) == record["schedule"]
    its = results.load_iterations(root, sweeps="pbt_replay", runs=new["run"])
    its = its.sort_values("training_iteration")
    assert its["training_iteration"].tolist() == list(range(1, int(best["iterations"]) + 1))
    expected = _truth_curve(lines, truth, int(best["iterations"]))
    assert its["loss"].tolist() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # effective_curve reads each trainer's latest stored value: the last it logged for that step
    stored_curve = results.effective_curve(root, run_id)
    latest = {(r["trial"], r["step"]): r["loss"] for r in lines if "step" in r}
    assert stored_curve["value"].tolist() == pytest.approx(
        [latest[(ray_id[t], i)] for t, i in zip(stored_curve["trial_id"],
                                                stored_curve["training_iteration"], strict=True)],
        rel=1e-9, abs=1e-12)
    # best of the replay run: the schedule it trained, not only its first config
    again_best = invoke(monkeypatch, "best", "pbt_replay", "--run", new["run"], "--results", root)
    replay_record = json.loads(again_best.stdout)
    assert replay_record["schedule"] == record["schedule"]
    assert replay_record["replay_of"] == new["replay_of"]
    assert replay_record["value"] == pytest.approx(min(expected))
    # ... trained with the schedule's lr at each step (the replay's own log lines)
    again = [r for r in _log(log) if r["trial"] not in before and "step" in r]
    lr_at = {s: seg["lr"] for k, seg in enumerate(truth)
             for s in range(seg["from"], (truth[k + 1]["from"] if k + 1 < len(truth)
                                          else int(best["iterations"]) + 1))}
    assert {r["step"]: r["lr"] for r in again} == pytest.approx(lr_at)


def test_replay_refuses_a_run_that_is_not_pbt(tmp_path, monkeypatch):
    root = str(tmp_path)
    writer = results.RunWriter(root, sweep="plain", run_id="r1")
    writer.write_run({"sweep": "plain", "run": "r1", "status": "finished", "scheduler": "asha",
                      "metric": "loss", "mode": "min"})
    writer.close()
    out = invoke(monkeypatch, "replay", "r1", "--results", root, no_ray=True)
    assert out.returncode == 2
    assert "scheduled by 'asha', not PBT/PB2" in out.stderr and "raysweep best plain" in out.stderr


def test_a_switch_at_a_result_without_checkpoint_is_an_error(ray_session, tmp_path):
    from ray import tune
    from ray.tune.error import TuneError

    from raysweep.execution.launch._replay_scheduler import ScheduleReplay
    from tests.execution._pbt_trainables import numpy_model

    log = tmp_path / "log.jsonl"
    config = {"lr": 0.05, "iters": 6, "log": str(log), "checkpoint_every": 2}
    tuner = tune.Tuner(numpy_model, param_space=config, tune_config=tune.TuneConfig(
        metric="loss", mode="min", scheduler=ScheduleReplay([(3, {**config, "lr": 0.1})])),
        run_config=tune.RunConfig(storage_path=str(tmp_path / "ray"), verbose=0))
    with pytest.raises(TuneError) as info:  # Tune wraps a scheduler's error; raysweep's run says it
        tuner.fit()
    assert "ReplayCheckpointError: The replay switches config after training_iteration=3, but the " \
        "trainable reported no checkpoint with that result" in str(info.value)
    # nothing trained under the next config
    assert {r["lr"] for r in _log(log) if "step" in r} == {0.05}
