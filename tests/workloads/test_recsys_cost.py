"""The recsys models' cost figures: ``model_mb`` is the parameter count times 4 bytes (counted here
from the shapes, independently of the models), ``score_ms_per_1k_users`` a positive, finite median
measured on the documented users, and measuring it leaves exact resume intact."""

from __future__ import annotations

import math

import numpy as np
import pytest

from raysweep.workloads.recsys import BPRMF, BPRConfig, load_split, train_epochs
from raysweep.workloads.recsys._cost import LATENCY_REPEATS, score_ms_per_1k_users

DATA = {"n_interactions": 5_000, "seed": 0, "max_eval_users": 300}
MIB = 2**20


@pytest.fixture(scope="module")
def split():
    return load_split(DATA)[0]


class _Recording:
    """A real model whose ``score`` calls are recorded (the users each call scored)."""

    def __init__(self, model) -> None:
        self.model, self.calls = model, []

    def score(self, users: np.ndarray) -> np.ndarray:
        self.calls.append(np.array(users))
        return self.model.score(users)


@pytest.mark.parametrize("dim", [4, 16, 128])
def test_bpr_mf_model_mb_is_its_parameters_in_float32(split, dim):
    n_users, n_items = split.train.n_users, split.train.n_items
    rows = [m for _, m in train_epochs({"dim": dim, "epochs": 1, "data": DATA})]
    expected = (n_users * dim + n_items * dim + n_items) * 4 / MIB  # user, item factors; item biases
    assert rows[0]["model_mb"] == pytest.approx(expected, rel=1e-12)
    model = BPRMF(n_users, n_items, BPRConfig(dim=dim))
    stored = model.user_factors.nbytes + model.item_factors.nbytes + model.item_bias.nbytes
    assert rows[0]["model_mb"] == pytest.approx(stored / MIB, rel=1e-12)  # float32 in memory too


def test_latency_is_the_median_over_the_documented_users(split):
    model = _Recording(BPRMF(split.train.n_users, split.train.n_items, BPRConfig(dim=8)))
    value = score_ms_per_1k_users(model, split.train.n_users)
    assert math.isfinite(value) and value > 0
    assert len(model.calls) == 1 + LATENCY_REPEATS  # one warm-up, then the timed repeats
    documented = np.arange(1_000) % split.train.n_users
    for users in model.calls:
        np.testing.assert_array_equal(users, documented)


def test_fewer_users_than_1000_are_cycled():
    model = _Recording(BPRMF(7, 5, BPRConfig(dim=2)))
    score_ms_per_1k_users(model, 7, repeats=1)
    users = model.calls[0]
    assert users.size == 1_000 and set(users.tolist()) == set(range(7))
    np.testing.assert_array_equal(users[:14], [0, 1, 2, 3, 4, 5, 6] * 2)


def test_reported_latency_is_positive_and_finite_every_epoch():
    rows = [m for _, m in train_epochs({"dim": 8, "epochs": 2, "data": DATA})]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["score_ms_per_1k_users"]) and r["score_ms_per_1k_users"] > 0
               for r in rows)
    assert rows[0]["model_mb"] == rows[1]["model_mb"]  # the size does not change while it trains


def test_measuring_leaves_exact_resume_intact():
    config = {"dim": 8, "lr": 0.1, "epochs": 3, "seed": 2, "data": DATA}
    straight = list(train_epochs(config))
    head = list(train_epochs({**config, "epochs": 2}))
    state = {key: np.array(value) for key, value in head[-1][0].state_dict().items()}
    tail = list(train_epochs(config, BPRMF.from_state(state), head[-1][1]["val_ndcg_best"]))
    assert len(tail) == 1
    final, resumed = straight[-1][0], tail[0][0]
    np.testing.assert_array_equal(final.user_factors, resumed.user_factors)
    np.testing.assert_array_equal(final.item_factors, resumed.item_factors)
    np.testing.assert_array_equal(final.item_bias, resumed.item_bias)
    timed = ("epoch_seconds", "score_ms_per_1k_users")
    assert {k: v for k, v in tail[0][1].items() if k not in timed} == \
           {k: v for k, v in straight[-1][1].items() if k not in timed}
