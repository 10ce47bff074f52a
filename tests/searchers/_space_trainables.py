"""Trainables for the conditional and Ray-domain space tests: a score from whichever branch ran."""

from __future__ import annotations

import math

from ray import tune


def branch_loss(config):
    """Loss of a conditional config: ``model`` is an 'svm' (``C``) or an 'rf' (``depth``) branch."""
    model = config["model"]
    if model["kind"] == "svm":
        loss = (math.log10(model["C"]) - 1.0) ** 2
    else:
        loss = (model["depth"] - 4) ** 2 / 10 + model["min_leaf"] / 100
    tune.report({"loss": loss + config.get("x", 0.0)})


def plain_loss(config):
    """Loss of a flat config with ``x``, ``k`` and a grid key ``opt``."""
    tune.report({"loss": (config["x"] - 0.3) ** 2 + config["k"] + len(config["opt"])})
