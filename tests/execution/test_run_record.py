"""The run row records Ray Tune's run options the sweep set (stop, callbacks, checkpoint policy,
points to evaluate): what ran can be read back from the store alone. No Ray started."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ray import tune

from raysweep import Sweep, callbacks, checkpoints, space
from raysweep.execution.launch._launch import as_loaded
from raysweep.execution.launch._record import build_run_record


def train(config):
    tune.report({"loss": config["lr"]})


class Printing(tune.Callback):
    pass


def _record(**options):
    sweep = Sweep(name="opts", trainable=train, space={"lr": space.loguniform(1e-4, 1e-1)},
                  metric="loss", mode="min", searcher="optuna", num_samples=4, **options)
    return build_run_record(as_loaded(sweep), "r1", datetime.now(UTC), {"CPU": 2.0})


def test_the_options_set_are_in_the_run_row_as_json():
    record = _record(stop={"training_iteration": 5}, points_to_evaluate=[{"lr": 0.01}],
                     callbacks=[callbacks.tensorboard(), Printing()],
                     checkpoint=checkpoints.keep(num_to_keep=2, score="loss"))
    assert json.loads(record["stop"]) == {"training_iteration": 5}
    assert json.loads(record["points_to_evaluate"]) == [{"lr": 0.01}]
    names = [c["callback"] for c in json.loads(record["callbacks"])]
    assert names == ["tensorboard", f"{__name__}.Printing"]
    policy = json.loads(record["checkpoint_policy"])
    assert policy["num_to_keep"] == 2 and policy["score"] == "loss"


def test_options_not_set_are_null_and_the_default_policy_is_recorded():
    record = _record()
    assert record["stop"] is None and record["callbacks"] is None
    assert record["points_to_evaluate"] is None
    assert json.loads(record["checkpoint_policy"])["num_to_keep"] == 1
