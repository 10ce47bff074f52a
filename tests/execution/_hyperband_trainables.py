"""Trainables for the HyperBand / BOHB end-to-end tests (importable by Ray workers).

Each writes one line per iteration it computes to ``config["log"]`` (a directory): the ground truth
of the work done, whatever Tune reports.
"""

from __future__ import annotations

import json
import os
import tempfile

from ray import tune


def _note(config, iteration):
    with open(os.path.join(config["log"], f"x={config['x']}.log"), "a") as f:
        f.write(f"{iteration}\n")


def ranked(config):
    """loss = x + 1/i: trials rank by x at every iteration. Reports no checkpoint."""
    for i in range(1, config["iters"] + 1):
        _note(config, i)
        tune.report({"loss": config["x"] + 1.0 / i})


def ranked_checkpointed(config):
    """:func:`ranked` that checkpoints every iteration and continues from ``tune.get_checkpoint()``."""
    start = 1
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as d, open(os.path.join(d, "state.json")) as f:
            start = json.load(f)["i"] + 1
    for i in range(start, config["iters"] + 1):
        _note(config, i)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "state.json"), "w") as f:
                json.dump({"i": i}, f)
            tune.report({"loss": config["x"] + 1.0 / i}, checkpoint=tune.Checkpoint.from_directory(d))


def bohb_quadratic(config):
    """A BOHB space's trainable: float, integer and categorical dimensions, one checkpoint per step."""
    start = 1
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as d, open(os.path.join(d, "state.json")) as f:
            start = json.load(f)["i"] + 1
    assert isinstance(config["n"], int) and config["kind"] in ("a", "b")
    for i in range(start, config["iters"] + 1):
        loss = (config["x"] - 0.3) ** 2 + 0.01 * config["n"] + (0.1 if config["kind"] == "b" else 0.0)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "state.json"), "w") as f:
                json.dump({"i": i}, f)
            tune.report({"loss": loss + 1.0 / i}, checkpoint=tune.Checkpoint.from_directory(d))
