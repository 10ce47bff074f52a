"""A trainable for the ASHA rung tests: every report is appended to a ground-truth log first."""

from __future__ import annotations

import json

from ray import tune


def rising(config):
    """``score`` rises with the iteration towards ``x`` (max mode: larger x is better)."""
    for i in range(1, config["iters"] + 1):
        score = config["x"] * (1.0 - 1.0 / (i + 1))
        with open(config["log"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"x": config["x"], "iteration": i, "score": score}) + "\n")
        tune.report({"score": score})


def two_objectives(config):
    """Two objectives, both minimised: ``err`` falls with the iteration towards ``x``; ``mb`` is a
    size fixed by the config (``1 - x + y / 2``): small ``x`` trades a low error for a large size,
    ``y`` only makes a trial worse."""
    for i in range(1, config["iters"] + 1):
        err = round(config["x"] + 1.0 / (i + 1), 12)
        mb = round(1.0 - config["x"] + config["y"] / 2, 12)
        with open(config["log"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"x": config["x"], "iteration": i, "err": err, "mb": mb}) + "\n")
        tune.report({"err": err, "mb": mb})
