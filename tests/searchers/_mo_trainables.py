"""Two-objective trainables that log every report to a file before reporting it (the ground truth)."""

from __future__ import annotations

import json
import math

from ray import tune


def zdt1(config):
    """ZDT1 in two dimensions (both objectives minimised), plus ``size = w`` (a dimension neither
    objective depends on, for constraints); one JSON line per report to ``config["log"]``."""
    x, y = config["x"], config["y"]
    g = 1.0 + 9.0 * y
    f1, f2 = x, g * (1.0 - math.sqrt(x / g))
    for i in range(1, config.get("iters", 1) + 1):
        report = {"f1": f1, "f2": f2 + 1.0 / i - 1.0 / config.get("iters", 1), "size": config.get("w", 0.0)}
        with open(config["log"], "a") as out:
            out.write(json.dumps({"i": i, **report, "config": config}) + "\n")
        tune.report(report)


def only_first(config):
    """Reports f1 but never f2."""
    tune.report({"f1": config["x"]})


def read_log(path) -> list[dict]:
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]
