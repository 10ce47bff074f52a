"""Resume and extend of a population-based training run are refused before Ray starts, and why.

Ray Tune's experiment snapshot holds no scheduler; ``Tuner.restore`` unpickles the PBT that
``tuner.pkl`` saved when the run started (no member's perturbation time, score or ranked checkpoint,
its random draws from the start). ``benchmarks/pbt_resume.py`` measures what resuming anyway does
(docs/pbt.md, "Resume"); the last test here pins the fact the refusal rests on, on a real run.
"""

from __future__ import annotations

import json
import pickle
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from raysweep import ConfigError, Sweep, results, schedulers, space
from raysweep.cli._main import raysweep as cli
from raysweep.execution import extend_run, resume_run, run_sweep
from raysweep.execution.launch._record import build_run_record
from raysweep.execution.tune._pbt import recording_pbt
from raysweep.results import RunWriter
from raysweep.sweep import load_sweep

from . import _resume_harness as H
from ._pbt_trainables import numpy_model

SCHEDULERS = {
    "pbt": 'schedulers.pbt(2, {"x": space.uniform(0.0, 1.0)}, seed=5)',
    "pb2": 'schedulers.pb2(2, {"x": space.uniform(0.0, 1.0)}, seed=5)',
}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _population_run(tmp_path, scheduler: str, **kw):
    """The run row a ``raysweep run`` of a PBT/PB2 sweep module writes, its driver dead since."""
    path, _ = H.write_sweep(tmp_path / "project", "pop", searcher="searchers.random(seed=3)",
                            scheduler=SCHEDULERS[scheduler])
    root = tmp_path / "results"
    row = build_run_record(load_sweep(str(path)), "r1", datetime.now(UTC) - timedelta(minutes=5), {})
    row.update({"driver_host": socket.gethostname(), "driver_pid": _dead_pid(), **kw})
    with RunWriter(str(root), sweep="pop", run_id="r1") as writer:
        writer.write_run(row)
    return root


@pytest.mark.parametrize("scheduler", ["pbt", "pb2"])
def test_resume_of_a_population_run_is_refused_with_the_reason_and_what_to_do(tmp_path, scheduler):
    root = _population_run(tmp_path, scheduler)
    with pytest.raises(ConfigError) as info:
        resume_run("r1", results_root=str(root), progress=False)
    message = str(info.value)
    assert message.startswith("The 'run' parameter of raysweep resume must be a run whose scheduler "
                              "Ray Tune can continue (not schedulers.pbt or schedulers.pb2). Got "
                              f"\"r1 (sweep 'pop', schedulers.{scheduler})\" instead.")
    assert "Resuming population-based training is not supported" in message
    assert "without any member's perturbation time, score or saved checkpoint" in message
    assert "`raysweep run pop`" in message and "`raysweep replay r1`" in message
    # refused before the Ray files are looked at (there are none here) and before Ray starts
    assert "Ray's files" not in message
    result = CliRunner().invoke(cli, ["resume", "r1", "--results", str(root)])
    assert result.exit_code == 2 and "Resuming population-based training" in result.output


def test_extend_of_a_population_run_is_refused(tmp_path):
    for status in ("finished", "interrupted"):  # not sent to `raysweep resume` first
        root = _population_run(tmp_path / status, "pbt", status=status)
        with pytest.raises(ConfigError) as info:
            extend_run("r1", num_samples=2, results_root=str(root), progress=False)
        message = str(info.value)
        assert message.startswith("The 'run' parameter of raysweep extend must be a run whose "
                                  "scheduler Ray Tune can continue")
        assert "Extending population-based training is not supported" in message
        assert "raysweep resume" not in message and "`raysweep run pop`" in message
    result = CliRunner().invoke(cli, ["extend", "r1", "-n", "2", "--results", str(root)])
    assert result.exit_code == 2 and "Extending population-based training" in result.output


@pytest.mark.slow
def test_tune_restores_pbt_from_the_first_launch_not_from_the_snapshot(ray_session, tmp_path):
    """What the refusal rests on: after a run whose members exploited each other, the newest
    experiment snapshot holds no scheduler, and tuner.pkl (what Tuner.restore unpickles) holds the
    PBT as it was before the first trial."""
    log = tmp_path / "log.jsonl"
    sweep = Sweep(
        name="pbt_state", trainable=numpy_model, metric="loss", mode="min", num_samples=3,
        space={"lr": space.loguniform(1e-3, 0.3), "iters": 4, "log": str(log)},
        scheduler=schedulers.pbt(2, {"lr": space.loguniform(1e-3, 0.3)}, seed=5),
        resources={"cpu": 0.5})
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished"
    exploits = results.load_perturbations(str(tmp_path), sweeps=sweep.name)
    assert len(exploits) > 0, "no exploit: nothing to restore"
    ray_dir = tmp_path / "_ray" / sweep.name / summary.run_id
    snapshot = json.loads(max(ray_dir.glob("experiment_state-*.json")).read_text())
    assert not [k for k in snapshot["runner_data"] if "scheduler" in k]
    with open(ray_dir / "tuner.pkl", "rb") as f:
        restored = recording_pbt(pickle.load(f)["_tune_config"].scheduler)
    assert restored is not None
    assert vars(restored)["_trial_state"] == {} and vars(restored)["_num_perturbations"] == 0
    # its random draws start over: the stream it holds is the fresh one of its seed
    import random

    assert restored.random_streams.python == random.Random(5).getstate()


_KILLED_MODULE = '''
from raysweep import Sweep, schedulers, space
from tests.execution._pbt_trainables import numpy_model

SWEEP = Sweep(
    name="pbt_killed", trainable=numpy_model, metric="loss", mode="min", num_samples=4,
    space={{"lr": space.loguniform(1e-3, 0.3), "iters": 12, "log": {log!r}, "sleep": 0.3}},
    scheduler=schedulers.pbt(2, {{"lr": space.loguniform(1e-3, 0.3)}}, seed=5),
    resources={{"cpu": 0.5}}, seed=3)
'''


@pytest.mark.slow
def test_a_sigkilled_pbt_run_is_refused_by_raysweep_resume_and_nothing_runs(ray_address, tmp_path):
    """The whole path: `raysweep run` of a PBT sweep SIGKILLed once the store holds an exploit; its
    run reads crashed, resuming it is refused with the reason and runs nothing (the trainable's
    log does not grow), and every value the store kept is the logged one."""
    project, root, log = tmp_path / "project", tmp_path / "results", tmp_path / "log.jsonl"
    (project / "sweeps").mkdir(parents=True)
    (project / "sweeps" / "pbt_killed.py").write_text(_KILLED_MODULE.format(log=str(log)))
    driver = H.cli("run", "pbt_killed", "--results", str(root), "--no-progress", cwd=project,
                   address=ray_address)

    def exploited():
        _, trials, _ = H.store(root)
        return (not trials.empty and (root / "perturbations").is_dir()
                and len(results.load_perturbations(str(root))) > 0)

    try:
        H.wait_until(exploited, timeout=180, proc=driver, interval=0.2, what="a stored exploit")
    finally:
        H.kill_group(driver)
    runs = results.list_runs(str(root))
    assert list(runs["status"]) == ["crashed"]
    lines = log.read_text().splitlines()
    with pytest.raises(ConfigError, match="Resuming population-based training is not supported"):
        resume_run("pbt_killed", results_root=str(root), progress=False)  # the CLI: exit 2, above
    assert log.read_text().splitlines() == lines  # nothing ran
    assert list(results.list_runs(str(root))["status"]) == ["crashed"]
    # every stored value is one the trainable logged for that (trial, iteration): the store never
    # runs ahead of the log, but the driver's last unflushed rows died with it, among them a
    # member's re-run of an iteration after an exploit (no resume supersedes them: docs/pbt.md)
    logged = [json.loads(line) for line in lines]
    truth: dict[tuple[str, int], list[float]] = {}
    for r in logged:
        if "step" in r:
            truth.setdefault((r["trial"], r["step"]), []).append(r["loss"])
    trials = results.load_trials(str(root))
    ray_id = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    its = results.load_iterations(str(root))
    assert len(its) > 0
    for t, i, v in zip(its["trial_id"], its["training_iteration"], its["loss"], strict=True):
        assert any(v == pytest.approx(x) for x in truth[(ray_id[t], int(i))]), (t, i, v)
