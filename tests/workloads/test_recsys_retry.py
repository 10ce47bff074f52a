"""A recommendation trial that fails mid-training is retried by Ray and resumes from its checkpoint:
no epoch is trained twice and the store keeps exactly one row per iteration."""

from __future__ import annotations

import pytest

from raysweep import Sweep, results, space
from raysweep.execution import run_sweep

from ._flaky import crash_once_after_two_epochs

pytestmark = pytest.mark.slow

DATA = {"n_interactions": 5_000, "seed": 0, "max_eval_users": 500}


def test_retried_trial_resumes_from_its_checkpoint(ray_session, tmp_path):
    sweep = Sweep(
        name="recsys_retry", trainable=crash_once_after_two_epochs,
        space={"dim": 8, "lr": 0.05, "reg": 1e-4, "n_negatives": 1, "batch_size": 256,
               "init_scale": space.choice([0.1]), "epochs": 4, "data": DATA},
        metric="val_ndcg", mode="max", searcher="grid", max_failures=1,
    )
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished"

    trial = results.load_trials(str(tmp_path), sweeps="recsys_retry").iloc[0]
    assert trial["status"] == "completed"
    assert trial["attempts"] == 2
    assert trial["iterations"] == 4

    iterations = results.load_iterations(str(tmp_path), sweeps="recsys_retry")
    iterations = iterations.sort_values("training_iteration")
    assert list(iterations["training_iteration"]) == [1, 2, 3, 4]
    # Epochs 1-2 come from the first attempt; the retry resumed at epoch 3 instead of starting over.
    assert list(iterations["epoch"]) == [1, 2, 3, 4]
    assert list(iterations["attempt"]) == [1, 1, 2, 2]
