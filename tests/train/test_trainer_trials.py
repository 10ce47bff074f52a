"""Ray Train trainers as trials, on the session's 2-CPU Ray: real DDP over gloo with 2 CPU workers
per trial, checked against the ground truth every rank writes before it reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raysweep import results
from raysweep.execution import run_sweep
from raysweep.sweep import load_sweep
from tests._wait import wait_until
from tests.train._ddp_sweep import sweep_source

pytest.importorskip("torch")
pytestmark = pytest.mark.slow


def _run(tmp_path: Path, **options):
    gt = tmp_path / "gt"
    gt.mkdir()
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / f"{options.get('name', 'ddp')}.py"
    path.write_text(sweep_source(str(gt), **options))
    root = str(tmp_path / "res")
    summary = run_sweep(load_sweep(str(path)), results_root=root, progress=False)
    return summary, root, gt


def _ground_truth(gt: Path) -> dict[str, dict[int, list[dict]]]:
    """{train run (= Ray trial id): {rank: [line, ...]}} in the order written."""
    truth: dict[str, dict[int, list[dict]]] = {}
    for path in sorted(gt.glob("*-r*.jsonl")):
        run, rank = path.stem.rsplit("-r", 1)
        truth.setdefault(run, {})[int(rank)] = [json.loads(line) for line in path.read_text().splitlines()]
    return truth


def _stored(root: str) -> dict[str, list[dict]]:
    """{Ray trial id: its stored iterations, in order}."""
    trials = results.load_trials(root)
    iterations = results.load_iterations(root)
    ray_id = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    out: dict[str, list[dict]] = {}
    for row in iterations.sort_values(["trial_id", "attempt", "training_iteration"]).to_dict("records"):
        out.setdefault(ray_id[row["trial_id"]], []).append(row)
    return out


def test_distributed_trials_run_one_at_a_time_and_store_one_row_per_rank0_report(ray_session, tmp_path):
    summary, root, gt = _run(tmp_path, num_samples=2)
    assert summary.status == "finished", summary.errors
    truth, stored = _ground_truth(gt), _stored(root)
    assert len(truth) == 2 and set(stored) == set(truth)
    for run, ranks in truth.items():
        assert sorted(ranks) == [0, 1]  # both workers of the DDP group trained every epoch
        assert [line["epoch"] for line in ranks[1]] == [1, 2, 3]
        rows = stored[run]
        assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
        assert [r["loss"] for r in rows] == [line["loss"] for line in ranks[0]]
    # 2 workers of 1 CPU each on 2 CPUs: one trial's workers at a time, never interleaved.
    spans = sorted((min(line["at"] for lines in ranks.values() for line in lines),
                    max(line["at"] for lines in ranks.values() for line in lines))
                   for ranks in truth.values())
    assert spans[0][1] < spans[1][0]


def test_asha_stops_end_the_whole_worker_group_and_release_its_cpus(ray_session, tmp_path):
    import psutil

    summary, root, gt = _run(tmp_path, name="ddpasha", num_samples=3, epochs=3,
                             scheduler="schedulers.asha(max_t=3, grace_period=1, reduction_factor=2)")
    assert summary.status == "finished", summary.errors
    trials = results.load_trials(root)
    assert len(trials) == 3 and bool(trials["stopped_by_scheduler"].any())
    truth, stored = _ground_truth(gt), _stored(root)
    for run, ranks in truth.items():
        reported = [line["loss"] for line in ranks[0]]
        rows = [r["loss"] for r in stored[run]]
        # Every stored row is a rank-0 report, in order. A stopped trial's workers go on until its
        # stop reaches them (an epoch or two here); Tune stores nothing after the stop.
        assert rows and rows == reported[:len(rows)]
    pids = {line["pid"] for ranks in truth.values() for lines in ranks.values() for line in lines}
    wait_until(lambda: not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                               for pid in pids), timeout=60, what="every Train worker to end")
    wait_until(lambda: ray_session.available_resources().get("CPU", 0) == 2, timeout=60,
               what="the workers' CPUs to be free again")


def test_a_dead_worker_is_retried_from_the_last_checkpoint(ray_session, tmp_path):
    summary, root, gt = _run(tmp_path, name="ddpdie", num_samples=1, max_failures=1, epochs=4,
                             die=(1, 3))
    assert summary.status == "finished", summary.errors
    assert (gt / "died").exists()
    (run, ranks), = _ground_truth(gt).items()
    epochs = [line["epoch"] for line in ranks[0]]
    restart = next(i for i in range(1, len(epochs)) if epochs[i] <= epochs[i - 1])
    # The retry started after a checkpoint of the first attempt, not from scratch.
    assert epochs[restart] > 1 and epochs[-1] == 4
    rows = _stored(root)[run]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]  # once each: none lost, none repeated
    assert sorted({int(r["attempt"]) for r in rows}) == [1, 2]
    assert int(results.load_trials(root)["attempts"].iloc[0]) == 2


def test_resume_after_a_driver_sigkill_continues_distributed_trials_from_their_checkpoints(
        ray_address, tmp_path):
    from raysweep.execution import resume_run
    from tests.execution import _resume_harness as H

    project, root, gt = tmp_path / "project", tmp_path / "res", tmp_path / "gt"
    (project / "sweeps").mkdir(parents=True)
    gt.mkdir()
    (project / "sweeps" / "ddpkill.py").write_text(
        sweep_source(str(gt), name="ddpkill", num_samples=1, epochs=5))
    driver = H.cli("run", "ddpkill", "--results", str(root), "--no-progress", cwd=project,
                   address=ray_address)
    try:
        wait_until(lambda: len(H.store(root)[2]) >= 2, timeout=240, proc=driver,
                   what="two stored reports before the kill")
    finally:
        H.kill_group(driver)  # the driver only: Ray ends its job, the trial's workers with it
    summary = resume_run("ddpkill", results_root=str(root), progress=False)
    assert summary.status == "finished", summary.errors
    (run, ranks), = _ground_truth(gt).items()
    epochs = [line["epoch"] for line in ranks[0]]
    restart = next(i for i in range(1, len(epochs)) if epochs[i] <= epochs[i - 1])
    assert epochs[restart] > 1 and epochs[-1] == 5  # continued from a checkpoint, not from scratch
    rows = _stored(str(root))[run]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5]  # none lost, none repeated
    assert [r["loss"] for r in rows][-1] == ranks[0][-1]["loss"]


def test_workers_no_node_holds_fail_the_launch_before_any_trial(ray_session, tmp_path):
    from raysweep import ClusterError

    source = sweep_source(str(tmp_path), name="ddpbig").replace(
        "ScalingConfig(num_workers=2)", 'ScalingConfig(num_workers=2, resources_per_worker={"CPU": 3})')
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / "ddpbig.py"
    path.write_text(source)
    with pytest.raises(ClusterError, match=r"No node can run a worker of TorchTrainer: each needs "
                                           r"\{\"CPU\": 3\.0\}.*Lower TorchTrainer's ScalingConfig"):
        run_sweep(load_sweep(str(path)), results_root=str(tmp_path / "res"), progress=False)


def test_a_failing_rank_is_named_in_the_summary_and_its_traceback_stays_off_the_terminal(
        ray_session, tmp_path):
    import io

    from rich.console import Console

    source = sweep_source(str(tmp_path / "gt"), name="ddpraise", num_samples=1).replace(
        "    for epoch in range(start + 1, config[\"epochs\"] + 1):",
        "    if rank == 1:\n        raise RuntimeError('rank one cannot train')\n"
        "    for epoch in range(start + 1, config[\"epochs\"] + 1):", 1)
    (tmp_path / "gt").mkdir()
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / "ddpraise.py"
    path.write_text(source)
    terminal = io.StringIO()
    summary = run_sweep(load_sweep(str(path)), results_root=str(tmp_path / "res"), progress=False,
                        console=Console(file=terminal, width=200))
    assert summary.status == "failed" and summary.counts["errored"] == 1
    errors = " ".join(str(e) for e in summary.errors)
    assert "rank 1: RuntimeError: rank one cannot train" in errors
    assert "Traceback" not in terminal.getvalue()
    trials = results.load_trials(str(tmp_path / "res"))
    assert "rank one cannot train" in trials["error_message"].iloc[0]
