"""BPR-MF learns, beats the popularity baseline, and resumes exactly from its state."""

from __future__ import annotations

import numpy as np
import pytest

from raysweep import ConfigError
from raysweep.workloads.recsys import (
    BPRMF,
    BPRConfig,
    Evaluator,
    PopularityModel,
    generate_interactions,
    leave_last_out,
    train_epochs,
)

# The best configuration recsys_mf_tpe_asha found at full size (docs/workloads.md), rounded.
TUNED = BPRConfig(dim=64, lr=0.0223, reg=0.0107, n_negatives=4, batch_size=256, init_scale=0.126)


@pytest.fixture(scope="module")
def split():
    return leave_last_out(generate_interactions(100_000, seed=0))


def test_tuned_model_beats_popularity_baseline(split):
    evaluator = Evaluator(split)
    baseline = evaluator.evaluate(PopularityModel(split.train))
    model = BPRMF(split.train.n_users, split.train.n_items, TUNED)
    losses, scores = [], []
    for _ in range(4):
        losses.append(model.fit_epoch(split.train))
        scores.append(evaluator.evaluate(model))
    assert losses[-1] < losses[0] < np.log(2)  # below the loss of a random ranking
    best_ndcg = max(s["ndcg"] for s in scores)
    best_recall = max(s["recall"] for s in scores)
    assert best_ndcg > 1.5 * baseline["ndcg"]
    assert best_recall > 1.3 * baseline["recall"]


def test_state_round_trip_resumes_exactly(split):
    config = BPRConfig(dim=8, batch_size=4096, seed=3)
    straight = BPRMF(split.train.n_users, split.train.n_items, config)
    straight.fit_epoch(split.train)
    straight.fit_epoch(split.train)

    first = BPRMF(split.train.n_users, split.train.n_items, config)
    first.fit_epoch(split.train)
    state = {key: np.array(value) for key, value in first.state_dict().items()}
    resumed = BPRMF.from_state(state)
    assert resumed.epochs_done == 1
    resumed.fit_epoch(split.train)
    np.testing.assert_array_equal(resumed.item_factors, straight.item_factors)
    np.testing.assert_array_equal(resumed.user_factors, straight.user_factors)


def test_train_epochs_reports_documented_metrics():
    config = {"dim": 8, "epochs": 2, "data": {"n_interactions": 5_000, "seed": 0}}
    rows = [metrics for _, metrics in train_epochs(config)]
    assert [row["epoch"] for row in rows] == [1, 2]
    for row in rows:
        assert set(row) == {"val_ndcg", "val_ndcg_best", "val_recall", "train_loss", "epoch_seconds",
                            "epoch", "model_mb", "score_ms_per_1k_users"}
        assert 0.0 <= row["val_ndcg"] <= 1.0 and 0.0 <= row["val_recall"] <= 1.0


def test_val_ndcg_best_is_the_running_best_and_survives_a_resume():
    # A high learning rate over-fits the 5k-interaction data within a few epochs.
    config = {"dim": 32, "lr": 0.2, "reg": 1e-4, "epochs": 6, "init_scale": 0.3,
              "data": {"n_interactions": 5_000, "seed": 0}}
    rows = [metrics for _, metrics in train_epochs(config)]
    ndcg = [row["val_ndcg"] for row in rows]
    assert [row["val_ndcg_best"] for row in rows] == [max(ndcg[: i + 1]) for i in range(len(ndcg))]
    # Resumed after 3 epochs with the best so far: the running best continues, it does not restart.
    head = list(train_epochs({**config, "epochs": 3}))
    model, best = head[-1][0], head[-1][1]["val_ndcg_best"]
    tail = [metrics for _, metrics in train_epochs(config, model, best)]
    assert [row["val_ndcg_best"] for row in tail] == [row["val_ndcg_best"] for row in rows[3:]]


@pytest.mark.parametrize(
    ("field", "value"), [("dim", 0), ("lr", -1.0), ("reg", -0.1), ("batch_size", 2.5)]
)
def test_bad_hyperparameters_are_config_errors(field, value):
    with pytest.raises(ConfigError, match=f"'{field}' parameter of BPRConfig"):
        BPRConfig(**{field: value})
