"""The two-tower entry points on the session's real Ray: the Tune function trainable in a sweep (data
shared through ``tune.with_parameters`` and built from the config; crashed and retried), and the Ray
Train loop under a 2-worker ``TorchTrainer``, each checked against ground truth."""

from __future__ import annotations

import json
import os

import pytest
import torch
from ray import tune

from raysweep import Sweep, results, space
from raysweep.execution import run_sweep
from raysweep.workloads import train_two_tower_per_worker
from raysweep.workloads.recsys import TwoTowerTrainer, load_split, two_tower_epochs

from ._flaky import crash_two_tower_once_after_two_epochs

pytestmark = pytest.mark.slow

DATA = {"n_interactions": 5_000, "seed": 0, "max_eval_users": 300}
CONFIG = {"dim": 8, "tower_width": 16, "tower_depth": 1, "dropout": 0.1, "lr": 0.01, "n_negatives": 2,
          "batch_size": 512, "seed": 1, "data": DATA}
EXACT = ("val_ndcg", "val_ndcg_best", "val_recall", "train_loss", "epoch")


def _ground_truth(config: dict) -> list[dict]:
    """The Ray-free loop on one thread, as a one-CPU trial runs it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        split, evaluator = load_split(config["data"])
        return [{k: m[k] for k in EXACT} for _, m in two_tower_epochs(config, split, evaluator)]
    finally:
        torch.set_num_threads(threads)


def test_tune_trial_crashes_resumes_and_stores_the_ray_free_figures(ray_session, tmp_path):
    split, _ = load_split(DATA)
    sweep = Sweep(
        name="two_tower_retry",
        trainable=tune.with_parameters(crash_two_tower_once_after_two_epochs, split=split),
        space={**CONFIG, "epochs": 4, "data_from": space.grid(["object_store", "config"])},
        metric="val_ndcg", mode="max", searcher="grid", max_failures=1, resources={"cpu": 1},
    )
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished", summary.errors

    trials = results.load_trials(str(tmp_path), sweeps="two_tower_retry")
    assert sorted(json.loads(c)["data_from"] for c in trials["config_json"]) == ["config", "object_store"]
    assert list(trials["attempts"]) == [2, 2] and list(trials["iterations"]) == [4, 4]
    iterations = results.load_iterations(str(tmp_path), sweeps="two_tower_retry")
    truth = _ground_truth({**CONFIG, "epochs": 4})
    for trial_id, rows in iterations.groupby("trial_id"):
        rows = rows.sort_values("training_iteration")
        assert list(rows["attempt"]) == [1, 1, 2, 2]  # the retry resumed at epoch 3
        stored = [{k: float(r[k]) for k in EXACT} for _, r in rows.iterrows()]
        assert stored == [{k: float(v) for k, v in t.items()} for t in truth], trial_id
        assert (rows["samples_per_s"] > 0).all()


def _trainer(config: dict, storage: str, name: str):
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    return TorchTrainer(
        train_two_tower_per_worker, train_loop_config=config,
        scaling_config=ScalingConfig(num_workers=2, resources_per_worker={"CPU": 1}),
        run_config=RunConfig(storage_path=storage, name=name),
    )


def _lines(directory: str, rank: int) -> list[dict]:
    with open(os.path.join(directory, f"rank{rank}.jsonl"), encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_per_worker_loop_under_a_two_worker_torch_trainer(ray_session, tmp_path):
    truth = str(tmp_path / "truth")
    result = _trainer({**CONFIG, "epochs": 3, "ground_truth_dir": truth}, str(tmp_path / "store"),
                      "straight").fit()
    assert result.error is None

    ranks = [_lines(truth, 0), _lines(truth, 1)]
    assert [line["epoch"] for line in ranks[0]] == [1, 2, 3]
    assert ranks[0][0]["pid"] != ranks[1][0]["pid"]  # two processes
    for zero, one in zip(*ranks, strict=True):  # every rank reported the same metrics
        assert {k: v for k, v in zero.items() if k not in ("rank", "pid")} == \
               {k: v for k, v in one.items() if k not in ("rank", "pid")}
    assert {k: result.metrics[k] for k in EXACT} == {k: ranks[0][-1][k] for k in EXACT}
    assert ranks[0][-1]["train_loss"] < ranks[0][0]["train_loss"]

    # One checkpoint per epoch, from rank 0, with both ranks' generators.
    by_epoch = {metrics["epoch"]: ckpt for ckpt, metrics in result.best_checkpoints}
    assert sorted(by_epoch) == [1, 2, 3]
    with by_epoch[3].as_directory() as directory:
        final = TwoTowerTrainer.read(os.path.join(directory, "two_tower.pt"))
    assert final["epochs_done"] == 3 and final["world_size"] == 2 and len(final["rank_rng"]) == 2

    # Resumed from epoch 2's checkpoint for one epoch: exactly the straight run's epoch 3.
    resumed_truth = str(tmp_path / "resumed")
    resumed = _trainer({**CONFIG, "epochs": 3, "ground_truth_dir": resumed_truth,
                        "resume_from": by_epoch[2].path}, str(tmp_path / "store"), "resumed").fit()
    assert resumed.error is None
    tail = _lines(resumed_truth, 0)
    assert [line["epoch"] for line in tail] == [3]
    assert {k: tail[0][k] for k in EXACT} == {k: ranks[0][-1][k] for k in EXACT}
    with resumed.checkpoint.as_directory() as directory:
        again = TwoTowerTrainer.read(os.path.join(directory, "two_tower.pt"))
    for key, value in final["model"].items():
        assert torch.equal(value, again["model"][key]), key
