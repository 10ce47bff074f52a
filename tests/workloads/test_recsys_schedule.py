"""A BPR-MF model restored from a checkpoint trains on under its trial's own lr/reg/... (a PBT
member that copied another's checkpoint carries perturbed values), keeping the checkpoint's shape."""

from __future__ import annotations

import numpy as np

from raysweep.workloads.recsys import BPRMF, BPRConfig
from raysweep.workloads.recsys._trainable import SCHEDULED_KEYS, load_split, with_schedule

DATA = {"n_interactions": 2_000, "seed": 0, "max_eval_users": 200}


def _trained_once() -> tuple[BPRMF, dict]:
    split, _ = load_split(DATA)
    model = BPRMF(split.train.n_users, split.train.n_items, BPRConfig(dim=8, lr=0.05, reg=1e-3, seed=3))
    model.fit_epoch(split.train)
    return model, model.state_dict()


def test_a_restored_model_takes_the_trials_scheduled_values_and_keeps_its_shape():
    _, state = _trained_once()
    restored = with_schedule(BPRMF.from_state(state), {"lr": 0.2, "reg": 0.01, "n_negatives": 4.0,
                                                       "batch_size": 512, "dim": 64, "seed": 9})
    assert (restored.config.lr, restored.config.reg, restored.config.n_negatives,
            restored.config.batch_size) == (0.2, 0.01, 4, 512)
    assert (restored.config.dim, restored.config.seed) == (8, 3)  # the checkpoint's shape and seed
    assert set(SCHEDULED_KEYS) == {"lr", "reg", "n_negatives", "batch_size"}


def test_the_next_epoch_follows_the_new_learning_rate():
    split, _ = load_split(DATA)
    _, state = _trained_once()
    same = BPRMF.from_state(state)
    same.fit_epoch(split.train)
    again = with_schedule(BPRMF.from_state(state), {"lr": 0.05})  # the checkpoint's own value
    again.fit_epoch(split.train)
    faster = with_schedule(BPRMF.from_state(state), {"lr": 0.5})
    faster.fit_epoch(split.train)
    np.testing.assert_array_equal(same.user_factors, again.user_factors)  # exact resume unchanged
    assert not np.allclose(same.user_factors, faster.user_factors)
