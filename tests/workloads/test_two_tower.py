"""The PyTorch two-tower model without Ray: config errors, determinism, exact resume, scores for the
Evaluator, and ``import raysweep.workloads`` without PyTorch."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from raysweep import ConfigError
from raysweep.workloads.recsys import (
    Evaluator,
    TwoTower,
    TwoTowerConfig,
    TwoTowerTrainer,
    load_split,
    two_tower_epochs,
)

DATA = {"n_interactions": 5_000, "seed": 0, "max_eval_users": 500}
# Dropout on, so that torch's generator matters to the resume test as much as numpy's.
CONFIG = {"dim": 8, "tower_width": 16, "tower_depth": 1, "dropout": 0.2, "lr": 0.01,
          "n_negatives": 2, "batch_size": 256, "seed": 3, "data": DATA}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    return load_split(DATA)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dim": 0}, "The 'dim' parameter of TwoTowerConfig must be an int >= 1. Got 0 instead."),
    ({"tower_depth": -1}, "The 'tower_depth' parameter of TwoTowerConfig must be an int >= 0. Got -1"),
    ({"batch_size": 2.5}, "The 'batch_size' parameter of TwoTowerConfig must be an int >= 1. Got 2.5"),
    ({"n_negatives": True}, "The 'n_negatives' parameter of TwoTowerConfig must be an int >= 1."),
    ({"lr": 0.0}, "The 'lr' parameter of TwoTowerConfig must be a float > 0. Got 0.0 instead."),
    ({"weight_decay": -1e-3}, "The 'weight_decay' parameter of TwoTowerConfig must be a float >= 0."),
    ({"dropout": 1.0}, "The 'dropout' parameter of TwoTowerConfig must be a float in [0, 1). Got 1.0"),
    ({"mixed_precision": "yes"}, "The 'mixed_precision' parameter of TwoTowerConfig must be True or"),
])
def test_config_errors_follow_the_template(kwargs, message):
    with pytest.raises(ConfigError) as raised:
        TwoTowerConfig(**kwargs)
    assert str(raised.value).startswith(message)


def test_integral_floats_from_searchers_become_ints():
    from raysweep.workloads.recsys._two_tower import two_tower_config

    config = two_tower_config({"dim": 16.0, "batch_size": 512.0, "lr": 0.1, "data": DATA})
    assert (config.dim, config.batch_size, config.lr) == (16, 512, 0.1)
    with pytest.raises(ConfigError, match="'dim' parameter"):
        two_tower_config({"dim": 16.5})


def test_score_has_the_evaluators_shape(data):
    split, evaluator = data
    model = TwoTower(split.train.n_users, split.train.n_items, TwoTowerConfig(dim=8, dropout=0.5))
    users = evaluator.users[:7]
    scores = model.score(users)
    assert scores.shape == (7, split.train.n_items) and scores.dtype == np.float32
    np.testing.assert_array_equal(scores, model.score(users))  # evaluation mode: no dropout
    assert model.training  # score leaves the mode as it found it
    metrics = evaluator.evaluate(model)
    assert 0.0 <= metrics["ndcg"] <= 1.0 and 0.0 <= metrics["recall"] <= 1.0


def test_training_learns_and_reports_documented_metrics(data):
    split, evaluator = data
    config = {**CONFIG, "dropout": 0.0, "epochs": 3}
    rows = [metrics for _, metrics in two_tower_epochs(config, split, evaluator)]
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert set(rows[0]) == {"val_ndcg", "val_ndcg_best", "val_recall", "train_loss", "epoch_seconds",
                            "samples_per_s", "epoch", "model_mb", "score_ms_per_1k_users"}
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] < math.log(2) + 1e-3
    assert rows[-1]["val_ndcg_best"] == max(row["val_ndcg"] for row in rows)
    assert all(row["samples_per_s"] > 0 for row in rows)


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_model_mb_counts_both_tables_and_both_towers_in_float32(data, depth):
    split, evaluator = data
    dim, width = 8, 16
    config = {**CONFIG, "dim": dim, "tower_width": width, "tower_depth": depth, "epochs": 1}
    rows = [metrics for _, metrics in two_tower_epochs(config, split, evaluator)]
    tables = (split.train.n_users + split.train.n_items) * dim
    # One tower: Linear(dim, width), depth - 1 x Linear(width, width), Linear(width, dim); none at 0.
    tower = 0 if depth == 0 else (dim * width + width) + (depth - 1) * (width * width + width) \
        + (width * dim + dim)
    assert rows[0]["model_mb"] == pytest.approx((tables + 2 * tower) * 4 / 2**20, rel=1e-12)
    latency = rows[0]["score_ms_per_1k_users"]
    assert math.isfinite(latency) and latency > 0


def test_the_latency_scores_the_documented_users_in_evaluation_mode(data):
    from raysweep.workloads.recsys._cost import LATENCY_REPEATS, score_ms_per_1k_users

    split, _ = data
    model = TwoTower(split.train.n_users, split.train.n_items, TwoTowerConfig(dim=8, dropout=0.5))
    calls = []

    class Recording:
        def score(self, users):
            calls.append(np.array(users))
            return model.score(users)

    before = torch.get_rng_state()
    assert score_ms_per_1k_users(Recording(), model.n_users) > 0
    assert torch.equal(before, torch.get_rng_state())  # no dropout draws: training's generator intact
    assert len(calls) == 1 + LATENCY_REPEATS
    for users in calls:
        np.testing.assert_array_equal(users, np.arange(1_000) % split.train.n_users)


def _weights(trainer: TwoTowerTrainer) -> dict[str, torch.Tensor]:
    return {key: value.clone() for key, value in trainer.model.state_dict().items()}


def test_same_seed_same_model_and_metrics(data):
    split, evaluator = data
    config = {**CONFIG, "epochs": 2}
    first = list(two_tower_epochs(config, split, evaluator))
    second = list(two_tower_epochs(config, split, evaluator))
    assert [_strip(m) for _, m in first] == [_strip(m) for _, m in second]
    for key, value in _weights(first[-1][0]).items():
        assert torch.equal(value, second[-1][0].model.state_dict()[key]), key
    other = list(two_tower_epochs({**config, "seed": 4}, split, evaluator))
    assert _strip(other[-1][1]) != _strip(first[-1][1])


def _strip(metrics: dict[str, float]) -> dict[str, float]:
    """The metrics that do not depend on wall time."""
    return {k: v for k, v in metrics.items()
            if k not in ("epoch_seconds", "samples_per_s", "score_ms_per_1k_users")}


def test_resume_from_checkpoint_continues_exactly(data, tmp_path):
    split, evaluator = data
    straight = list(two_tower_epochs({**CONFIG, "epochs": 3}, split, evaluator))

    partial = list(two_tower_epochs({**CONFIG, "epochs": 2}, split, evaluator))
    path = str(tmp_path / "two_tower.pt")
    partial[-1][0].save(path)
    torch.manual_seed(12345)  # the process's generators move on; the checkpoint must restore them
    np.random.default_rng(0).random(10)
    resumed = TwoTowerTrainer(split.train.n_users, split.train.n_items, partial[-1][0].config)
    resumed.load_state_dict(TwoTowerTrainer.read(path))
    assert resumed.epochs_done == 2 and resumed.best_ndcg == partial[-1][1]["val_ndcg_best"]
    tail = list(two_tower_epochs({**CONFIG, "epochs": 3}, split, evaluator, resumed))

    assert len(tail) == 1
    assert _strip(tail[0][1]) == _strip(straight[-1][1])
    final = straight[-1][0]
    for key, value in _weights(final).items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    for group, other in zip(final.optimizer.state_dict()["state"].values(),
                            resumed.optimizer.state_dict()["state"].values(), strict=True):
        assert all(torch.equal(group[k], other[k]) for k in group)


def test_a_restored_trainer_steps_with_its_own_lr_and_weight_decay(data, tmp_path):
    """Under PBT a member restores another's checkpoint with a perturbed lr: torch's optimiser
    state would bring back the checkpoint's lr; the trainer's config decides it."""
    split, evaluator = data
    (trained, _), = list(two_tower_epochs({**CONFIG, "epochs": 1}, split, evaluator))
    state = trained.state_dict()
    perturbed = dataclasses.replace(trained.config, lr=0.05, weight_decay=0.001)
    copier = TwoTowerTrainer(split.train.n_users, split.train.n_items, perturbed)
    copier.load_state_dict(state)
    assert [(g["lr"], g["weight_decay"]) for g in copier.optimizer.param_groups] == [(0.05, 0.001)]
    assert state["optimizer"]["param_groups"][0]["lr"] == CONFIG["lr"]  # the checkpoint's own
    same = TwoTowerTrainer(split.train.n_users, split.train.n_items, trained.config)
    same.load_state_dict(state)
    assert same.optimizer.state_dict()["param_groups"] == state["optimizer"]["param_groups"]


def test_checkpoint_of_other_data_is_refused(data, tmp_path):
    split, _ = data
    trainer = TwoTowerTrainer(split.train.n_users, split.train.n_items, TwoTowerConfig(dim=8))
    other = TwoTowerTrainer(split.train.n_users + 1, split.train.n_items, TwoTowerConfig(dim=8))
    with pytest.raises(ConfigError, match="The checkpoint was trained on other data"):
        other.load_state_dict(trainer.state_dict())


def test_ranks_train_on_disjoint_equal_shares(data):
    split, _ = data
    config = TwoTowerConfig(dim=8, batch_size=10_000)
    seen = []
    for rank in range(3):
        trainer = TwoTowerTrainer(split.train.n_users, split.train.n_items, config, rank=rank,
                                  world_size=3)
        order = np.random.default_rng(config.seed).permutation(len(split.train))
        stats = trainer.fit_epoch(split.train)
        share = len(split.train) // 3
        assert stats.samples == share and stats.triples == share * config.n_negatives
        seen.append(set(order[rank * share:(rank + 1) * share].tolist()))
    assert not (seen[0] & seen[1]) and not (seen[1] & seen[2]) and not (seen[0] & seen[2])


def test_evaluator_scores_the_same_users_as_bpr_mf(data):
    split, evaluator = data
    from raysweep.workloads.recsys._two_tower_trainable import _evaluator_for

    rebuilt = _evaluator_for(split, DATA)
    np.testing.assert_array_equal(rebuilt.users, evaluator.users)
    assert isinstance(rebuilt, Evaluator)


def test_workloads_import_without_torch_and_name_the_extra():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        "import raysweep.workloads as w\n"
        "assert 'train_two_tower' in w.__all__\n"
        "try:\n"
        "    w.train_two_tower\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=True)
    assert 'pip install "raysweep[torch]"' in result.stdout
    assert "raysweep.workloads.train_two_tower needs PyTorch" in result.stdout
