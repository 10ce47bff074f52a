"""Which metrics a sweep's constraints read that a trial never reported, and the message that stops
the sweep then (no Ray: the real run is in tests/searchers/test_multi_objective_ray.py)."""

from __future__ import annotations

from raysweep.execution.tune._constraints import Constraints, unreported_message


def test_config_values_are_not_metrics_and_last_reads_the_metric():
    constraints = Constraints(["config.dim <= 64", "last.latency_ms <= 5", "model_mb <= 200"])
    assert constraints.unreported({"latency_ms": 3.0, "model_mb": 10.0}) == []
    assert constraints.unreported({"model_mb": 10.0}) == [("last.latency_ms <= 5", "latency_ms")]
    assert constraints.unreported({}) == [("last.latency_ms <= 5", "latency_ms"),
                                          ("model_mb <= 200", "model_mb")]


def test_the_message_names_the_constraint_what_was_reported_a_close_name_and_the_fix():
    message = unreported_message("latncy_ms <= 5", "latncy_ms", "t3",
                                 {"val_ndcg": 0.1, "latency_ms": 3.0})
    assert message == (
        "The constraint 'latncy_ms <= 5' of Sweep(constraints=[...]) reads 'latncy_ms', which trial "
        "t3 never reported although it ran to its end; it reported 'val_ndcg', 'latency_ms'. Did you "
        "mean 'latency_ms'? Report it (tune.report({'latncy_ms': value, ...})) or name a reported "
        "metric in the constraint.")
    assert "it reported no metric at all." in unreported_message("x <= 1", "x", "t1", {})
