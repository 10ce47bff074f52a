"""Small real trainables for execution tests (importable by Ray workers through this package path)."""

from __future__ import annotations

from ray import tune


def quadratic(config):
    """Loss falls with iterations; the floor depends on x (optimum x=0.3)."""
    for i in range(1, config.get("iters", 6) + 1):
        tune.report({"loss": (config["x"] - 0.3) ** 2 + 1.0 / i, "step_value": float(i)})


def always_fails(config):
    raise ValueError(f"bad x={config['x']:.3f}")


def reports_wrong_metric(config):
    tune.report({"not_the_metric": 1.0})
