"""Checkpointing trainables for PBT tests: a tiny numpy "model" whose whole state is in its checkpoint.

Each start and each report append a line to ``config["log"]`` (when set): Ray's trial id, the
trainable's own iteration, the config in effect, and whose checkpoint (trial id, iteration) it
started from. That is the ground truth the PBT tests compare raysweep's records against.
``config["sleep"]`` slows each step; ``config["fail_once_copied"]`` (a marker path) makes the first
member whose checkpoint another member started from raise at its next step (logged first).
"""

from __future__ import annotations

import json
import os
import tempfile
import time

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
        time.sleep(float(config.get("sleep", 0.0)))  # a slower member: a driver can be killed mid-run
        w = w - lr * 2.0 * (w - TARGET) + config.get("noise", 0.0) * np.sin(step * w)
        loss = float(np.sum((w - TARGET) ** 2))
        if config.get("fail_once_copied") and _copied_by_another(config["log"], me) \
                and _first_to_fail(config["fail_once_copied"]):
            with open(config["log"], "a") as f:
                f.write(json.dumps({"trial": me, "failed": step}) + "\n")
            raise RuntimeError(f"member {me} fails at step {step}, after another copied it")
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


def _copied_by_another(log: str, me: str) -> bool:
    """Whether the log shows another member starting from one of ``me``'s checkpoints."""
    with open(log) as f:
        starts = [json.loads(line) for line in f if '"start"' in line]
    return any(r["origin"] and r["origin"][0] == me and r["trial"] != me for r in starts)


def _first_to_fail(marker: str) -> bool:
    """True for the one member that creates ``marker`` first (so exactly one member fails)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
