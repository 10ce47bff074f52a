"""Checkpointing trainables for PBT tests: a tiny numpy "model" whose whole state is in its checkpoint.

Each start and each report append a line to ``config["log"]`` (when set): Ray's trial id, the
trainable's own iteration, the config in effect, and whose checkpoint (trial id, iteration) it
started from. That
is the ground truth the PBT tests compare raysweep's records against.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
from ray import tune

TARGET = np.linspace(-1.0, 1.0, 8)


def numpy_model(config):
    """Gradient descent on ``|w - TARGET|^2``; ``loss`` falls faster with a better ``lr``."""
    context = tune.get_context()
    me = context.get_trial_id()
    w, step, origin = np.zeros_like(TARGET), 0, None
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as d:
            state = np.load(os.path.join(d, "state.npz"))
            w, step = state["w"], int(state["step"])
            origin = [str(state["owner"]), step]
    lr = float(config["lr"])
    if config.get("log"):  # every start, even one whose copied checkpoint leaves no step to run
        with open(config["log"], "a") as f:
            f.write(json.dumps({"trial": me, "start": step, "lr": lr, "origin": origin}) + "\n")
    while step < int(config.get("iters", 10)):
        step += 1
        w = w - lr * 2.0 * (w - TARGET) + config.get("noise", 0.0) * np.sin(step * w)
        loss = float(np.sum((w - TARGET) ** 2))
        if config.get("log"):
            with open(config["log"], "a") as f:
                f.write(json.dumps({"trial": me, "step": step, "lr": lr, "loss": loss,
                                    "config": {k: v for k, v in config.items() if k != "log"},
                                    "origin": origin}) + "\n")
        every = int(config.get("checkpoint_every", 1))
        if every and step % every == 0:
            with tempfile.TemporaryDirectory() as d:
                np.savez(os.path.join(d, "state.npz"), w=w, step=step, owner=me)
                tune.report({"loss": loss, "step": step}, checkpoint=tune.Checkpoint.from_directory(d))
        else:
            tune.report({"loss": loss, "step": step})
