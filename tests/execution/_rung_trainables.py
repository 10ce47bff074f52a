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
