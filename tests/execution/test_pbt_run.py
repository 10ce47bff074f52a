"""schedulers.pbt end to end on the session's real local Ray: a population whose members copy each
other's checkpoints under a bounded ``num_to_keep`` (all complete, raysweep's retention bounds the
checkpoints kept), a member that errors after another copied it, and a trainable without
checkpoints, which fails the run at the first perturbation with the fix."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import defaultdict
from contextlib import contextmanager

import numpy as np
import pytest

from raysweep import ExecutionError, Sweep, checkpoints, results, schedulers, space
from raysweep.execution import run_sweep

from ._pbt_trainables import numpy_model

pytestmark = pytest.mark.slow


def _sweep(log, name, checkpoint_every=1, population=6, **kw):
    return Sweep(
        name=name, trainable=numpy_model, metric="loss", mode="min", num_samples=population,
        space={"lr": space.loguniform(1e-3, 0.3), "iters": 10, "log": str(log),
               "checkpoint_every": checkpoint_every},
        scheduler=schedulers.pbt(2, {"lr": space.loguniform(1e-3, 0.3)}, seed=5),
        # all 6 members train at once on the session's 2 CPUs
        resources={"cpu": 0.33}, checkpoint=checkpoints.keep(num_to_keep=1), **kw)


def _log(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_population_completes_under_a_bounded_num_to_keep(ray_session, tmp_path):
    log = tmp_path / "log.jsonl"
    sweep = _sweep(log, "pbt_keep")
    with _peak_checkpoints(tmp_path / "_ray") as peak:
        summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)

    assert summary.status == "finished"
    assert summary.counts == {"trials": 6, "completed": 6, "early_stopped": 0, "errored": 0,
                              "cancelled": 0}
    logged = _log(log)
    rows = [r for r in logged if "step" in r]
    # Every member reached step 10; exploits happened (a member restarted from another's checkpoint)
    last = defaultdict(int)
    for row in rows:
        last[row["trial"]] = max(last[row["trial"]], row["step"])
    assert sorted(last.values()) == [10] * 6
    # the ground truth: each start from another member's checkpoint, with the lr it then trained with
    exploits = sorted((r["trial"], r["origin"][0], r["origin"][1], r["lr"]) for r in logged
                      if "start" in r and r["origin"] and r["origin"][0] != r["trial"])
    assert exploits, "PBT never exploited: the test proves nothing"
    # each copied checkpoint was the source's own at that step, taken at a multiple of the interval
    saved = {(r["trial"], r["step"]) for r in rows}
    assert all((source, step) in saved and step % 2 == 0 for _, source, step, _ in exploits)
    _check_lineage(tmp_path, sweep.name, exploits, rows)
    _check_retention(tmp_path, sweep.name, rows, peak)


@contextmanager
def _peak_checkpoints(ray_dir):
    """The most checkpoint directories seen at once under ``ray_dir`` while the block runs (sampled:
    the true peak is at least this)."""
    peak, done = {"dirs": 0}, threading.Event()

    def sample():
        while not done.wait(0.05):
            peak["dirs"] = max(peak["dirs"], sum(1 for _ in ray_dir.rglob("checkpoint_*")))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def _check_retention(root, name, rows, peak):
    """raysweep's PBT retention (tune/_retention.py): of the checkpoints the members wrote (one per
    logged step here), at most 3 per member are left (its latest, the one PBT last ranked it with,
    its best), and each trial's stored checkpoint_path and its final checkpoint are among them."""
    kept = sorted((root / "_ray").rglob("checkpoint_*"))
    by_member = defaultdict(list)
    for d in kept:
        by_member[d.parent.name].append(d)
    assert len(by_member) == 6 and all(len(ds) <= 3 for ds in by_member.values()), by_member
    trials = results.load_trials(str(root), sweeps=name)
    for row in trials.itertuples():
        assert (root / row.checkpoint_path).is_dir(), row.checkpoint_path
        last = max(by_member[row.ray_trial_id], key=lambda d: int(d.name.split("_")[-1]))
        state = np.load(last / "state.npz")  # its final checkpoint: the last step it trained
        assert int(state["step"]) == 10 and str(state["owner"]) == row.ray_trial_id
    written = len(rows)  # a checkpoint with every report
    used = sum(f.stat().st_size for d in kept for f in d.rglob("*") if f.is_file())
    print(f"PBT retention: {written} checkpoints written, {len(kept)} kept, {used / 1024:.1f} KiB "
          f"kept (all written: ~{used / len(kept) * written / 1024:.0f} KiB)")
    print(f"PBT retention: at most {peak['dirs']} checkpoints on disk at once (sampled)")
    # latest, ranked and best per member, and one being written that the driver has not seen yet
    assert len(kept) < written and peak["dirs"] <= 4 * 6


def _check_lineage(root, name, exploits, rows):
    """The store's ``perturbations`` rows are exactly the exploits the trainable saw, and every
    stored iteration value is the last one the trainable logged for that (trial, iteration)."""
    trials = results.load_trials(str(root), sweeps=name)
    ray_id = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    stored = results.load_perturbations(str(root), sweeps=name)
    assert len(stored) == len(exploits)
    seen = sorted((ray_id[r.trial_id], ray_id[r.source_trial_id], r.source_training_iteration,
                   json.loads(r.config_json)["lr"]) for r in stored.itertuples())
    assert [s[:3] for s in seen] == [e[:3] for e in exploits]
    assert [s[3] for s in seen] == pytest.approx([e[3] for e in exploits])
    for r in stored.itertuples():
        before, after = json.loads(r.config_before_json), json.loads(r.config_json)
        source = json.loads(r.source_config_json)
        assert r.metric == "loss" and r.value >= r.source_value  # the copier ranked below (min)
        assert r.training_iteration == r.time_value and r.time_attr == "training_iteration"
        ops = json.loads(r.operations_json)
        assert set(ops) == {"lr"} and json.loads(r.resampled) + json.loads(r.perturbed) == ["lr"]
        if ops["lr"] == "resample":
            assert 1e-3 <= after["lr"] <= 0.3
        else:  # Ray's own words: "* 1.2" or "* 0.8", applied to the source's value
            assert after["lr"] == pytest.approx(source["lr"] * float(ops["lr"].split()[-1]))
        assert {k: v for k, v in after.items() if k != "lr"} == \
            {k: v for k, v in before.items() if k != "lr"}
    # iterations are keyed by Ray's training_iteration, which continues from the copied checkpoint's
    truth = {}
    for row in rows:  # file order: a re-run step's later value wins, as in the store
        truth[(row["trial"], row["step"])] = row["loss"]
    its = results.load_iterations(str(root), sweeps=name)
    got = {(ray_id[t], int(i)): v for t, i, v in zip(its["trial_id"], its["training_iteration"],
                                                      its["loss"], strict=True)}
    assert got.keys() == truth.keys()
    assert [got[k] for k in sorted(got)] == pytest.approx([truth[k] for k in sorted(truth)])


def test_a_trainable_without_checkpoints_fails_at_the_first_perturbation(ray_session, tmp_path):
    sweep = _sweep(tmp_path / "log.jsonl", "pbt_bare", checkpoint_every=0, population=4)
    with pytest.raises(ExecutionError) as info:
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
    text = str(info.value)
    # the first perturbation at which a member ranked top (and so was saved) is drawn to be copied:
    # 2 or 4 here, depending on which results reach Ray's PBT first
    assert re.search(r"PBT could not exploit at training_iteration=(2|4): trial \S+ was to copy", text)
    assert "reported no checkpoint with its result at that training_iteration" in text
    assert "must report one at least every perturbation_interval=2 training_iteration" in text
    assert "tune.get_checkpoint()" in text
    runs = results.list_runs(str(tmp_path), sweeps=sweep.name)
    assert runs.loc[0, "status"] == "failed"


def test_pb2_runs_and_records_its_exploits(ray_session, tmp_path):
    sweep = Sweep(
        name="pb2_run", trainable=numpy_model, metric="loss", mode="min", num_samples=4,
        space={"lr": space.uniform(1e-3, 0.3), "iters": 8, "log": str(tmp_path / "log.jsonl")},
        scheduler=schedulers.pb2(2, {"lr": space.uniform(1e-3, 0.3)}, seed=1),
        resources={"cpu": 0.5})
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.counts["completed"] == 4
    logged = _log(tmp_path / "log.jsonl")
    exploits = [r for r in logged if "start" in r and r["origin"] and r["origin"][0] != r["trial"]]
    stored = results.load_perturbations(str(tmp_path), sweeps=sweep.name)
    assert exploits and len(stored) == len(exploits)
    for r in stored.itertuples():
        assert json.loads(r.operations_json) == {"lr": "pb2"} and json.loads(r.perturbed) == ["lr"]
        assert 1e-3 <= json.loads(r.config_json)["lr"] <= 0.3  # PB2 keeps to its bounds


def test_a_member_that_errors_after_it_was_copied_leaves_its_copiers_intact(ray_session, tmp_path):
    """The first member whose checkpoint another started from raises at its next step (the
    trainable logs it first): it is stored errored with its iterations up to then, and every copier
    of it completes, its rows and lineage equal to the log (its copied checkpoint stays readable)."""
    log = tmp_path / "log.jsonl"
    sweep = _sweep(log, "pbt_err", population=4)
    sweep = dataclasses.replace(sweep, space={**sweep.space, "iters": 8,
                                              "fail_once_copied": str(tmp_path / "failed")})
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    logged = _log(log)
    failed = [r for r in logged if "failed" in r]
    assert len(failed) == 1, "no member was copied before the end: the test proves nothing"
    victim = failed[0]["trial"]
    assert summary.status == "finished" and summary.counts["errored"] == 1
    assert summary.counts["completed"] == 3
    rows = [r for r in logged if "step" in r]
    exploits = sorted((r["trial"], r["origin"][0], r["origin"][1], r["lr"]) for r in logged
                      if "start" in r and r["origin"] and r["origin"][0] != r["trial"])
    copiers = {e[0] for e in exploits if e[1] == victim}
    assert copiers and victim not in copiers
    _check_lineage(tmp_path, sweep.name, exploits, rows)  # every row and exploit, the victim's too
    trials = results.load_trials(str(tmp_path), sweeps=sweep.name).set_index("ray_trial_id")
    assert trials.loc[victim, "status"] == "errored"
    assert f"member {victim} fails at step {failed[0]['failed']}" in trials.loc[victim, "error_message"]
    assert trials.loc[victim, "iterations"] == failed[0]["failed"] - 1
    for copier in copiers:  # each trained to its end from the victim's checkpoint, with its own rows
        assert trials.loc[copier, "status"] == "completed" and trials.loc[copier, "iterations"] == 8
        assert max(r["step"] for r in rows if r["trial"] == copier) == 8
        assert (tmp_path / trials.loc[copier, "checkpoint_path"]).is_dir()
