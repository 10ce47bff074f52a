"""Trainables for the fault tests; each appends every report to a ground-truth log (one JSON line per
report: trial key, pid, iteration, value) that the tests compare with the store."""

from __future__ import annotations

import json
import os
import sys
import time

from ray import tune


def _log(config, iteration, value):
    with open(config["log"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"x": config["x"], "pid": os.getpid(), "iteration": iteration,
                                 "value": repr(value)}) + "\n")


def diverges(config):
    """loss = x + 1/i, but NaN at iteration 2 when x > 0.7 and -inf at iteration 3 when x < 0.2."""
    for i in range(1, 5):
        loss = config["x"] + 1.0 / i
        if config["x"] > 0.7 and i == 2:
            loss = float("nan")
        elif config["x"] < 0.2 and i == 3:
            loss = float("-inf")
        _log(config, i, loss)
        tune.report({"loss": loss})


def stderr_chatter(config):
    """Writes to stderr for a second, reports, and writes on: lines still arrive while Ray shuts down."""
    def chatter(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            print(f"chatter line x={config['x']:.3f}", file=sys.stderr, flush=True)
            time.sleep(0.01)

    print(f"chatter print x={config['x']:.3f}", flush=True)  # stdout: the log, not the terminal
    chatter(1.0)
    tune.report({"loss": config["x"]})
    chatter(2.0)


def noisy_errors(config):
    """Prints on stdout; raises for x > 0.5 after one report (stderr gets Ray's traceback)."""
    print(f"healthy print x={config['x']:.3f}", flush=True)
    print(f"stderr line x={config['x']:.3f}", file=sys.stderr, flush=True)
    tune.report({"loss": config["x"]})
    if config["x"] > 0.5:
        raise ValueError("x above one half")
    tune.report({"loss": config["x"] / 2})
