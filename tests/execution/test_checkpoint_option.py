"""``Sweep(checkpoint=...)``: how many checkpoints a trial keeps on disk, and which."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from ray import tune

from raysweep import Sweep, checkpoints, space
from raysweep.execution import run_sweep

#: The loss each of the 4 reports carries: the best (lowest) is the second.
LOSSES = [0.5, 0.1, 0.4, 0.3]


def train(config):
    for step, loss in enumerate(LOSSES, start=1):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "state.json"), "w") as f:
                json.dump({"step": step}, f)
            tune.report({"loss": loss}, checkpoint=tune.Checkpoint.from_directory(directory))


def _kept_steps(root, run_id: str) -> list[int]:
    dirs = sorted((root / "_ray" / "ckpt" / run_id).glob("*/checkpoint_*"))
    return sorted(json.loads((d / "state.json").read_text())["step"] for d in dirs)


@pytest.mark.slow
@pytest.mark.parametrize(("keep", "expected"), [
    (checkpoints.keep(num_to_keep=1), [4]),  # the latest
    # The best by loss (step 2), and the latest, which Ray always keeps: resume continues from it.
    ({"num_to_keep": 1, "score": "loss"}, [2, 4]),
    (checkpoints.keep(num_to_keep=2, score="loss", order="max"), [1, 3, 4]),
])
def test_a_trial_keeps_the_checkpoints_the_spec_says(ray_session, tmp_path, keep, expected):
    sweep = Sweep(name="ckpt", trainable=train, space={"x": space.uniform(0.0, 1.0)}, metric="loss",
                  mode="min", num_samples=1, checkpoint=keep)
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished"
    assert _kept_steps(tmp_path, summary.run_id) == expected
