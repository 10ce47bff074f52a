"""``Sweep(stop=...)``: Ray Tune's dict of stop criteria ends a trainable that loops forever."""

from __future__ import annotations

import pytest
from ray import tune

from raysweep import ConfigError, Sweep, results, space
from raysweep.execution import run_sweep


def forever(config):
    step = 0
    while True:
        step += 1
        tune.report({"score": step * config["x"]})


def _sweep(stop) -> Sweep:
    return Sweep(name="forever", trainable=forever, space={"x": space.uniform(0.5, 1.0)},
                 metric="score", mode="max", searcher="random", num_samples=2, seed=0, stop=stop)


@pytest.mark.slow
def test_stop_ends_each_trial_at_the_first_report_that_reaches_a_threshold(ray_session, tmp_path):
    summary = run_sweep(_sweep({"training_iteration": 3, "score": 1e9}), results_root=str(tmp_path),
                        progress=False)
    assert summary.status == "finished" and summary.counts["completed"] == 2
    iterations = results.load_iterations(str(tmp_path))
    assert sorted(iterations.groupby("trial_id")["training_iteration"].max()) == [3, 3]
    root = tmp_path / "by_metric"
    run_sweep(_sweep({"score": 2.0}), results_root=str(root), progress=False)
    for _, rows in results.load_iterations(str(root)).groupby("trial_id"):
        scores = rows.sort_values("training_iteration")["score"].tolist()
        assert scores[-1] >= 2.0 and all(s < 2.0 for s in scores[:-1])  # ended at the first >= 2


@pytest.mark.parametrize(("stop", "match"), [
    ({"training_iteration": "3"}, r"The \"stop\['training_iteration'\]\" parameter of Sweep must be a "
                                  r"finite number\. Got '3' instead\."),
    (lambda trial_id, result: False, r"The 'stop' parameter of Sweep must be a dict .*A stopper "
                                     r"function or object is not supported"),
    ({}, r"The 'stop' parameter of Sweep must be a dict"),
])
def test_bad_stop_criteria_are_refused_with_the_template(stop, match):
    with pytest.raises(ConfigError, match=match):
        _sweep(stop)
