"""A trainable that logs every report to a file: the ground truth searcher tests check against."""

from __future__ import annotations

import json
import os
import time

from ray import tune


def logged_quadratic(config):
    """Loss falls with iterations, floor (x - 0.3)^2; appends one JSON line per report to config["log"]."""
    start = time.time()
    for i in range(1, config["iters"] + 1):
        time.sleep(config.get("sleep", 0.0))
        loss = (config["x"] - 0.3) ** 2 + 1.0 / i
        with open(config["log"], "a") as out:
            out.write(json.dumps({"pid": os.getpid(), "start": start, "time": time.time(), "i": i,
                                  "loss": loss, "config": config}) + "\n")
        tune.report({"loss": loss})


def read_log(path) -> list[dict]:
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]
