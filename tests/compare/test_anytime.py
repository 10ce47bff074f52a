import numpy as np
import pandas as pd
import pytest

from raysweep import ConfigError
from raysweep.compare import (
    Comparison,
    anytime_best,
    cost_to_target,
    running_best,
    target_values,
)

from ._frames import frames, make_run


def test_running_best_min_and_max():
    assert running_best([3, 1, 2], "min").tolist() == [3, 1, 1]
    assert running_best([3, 1, 2], "max").tolist() == [3, 3, 3]
    out = running_best([np.nan, 2, np.nan, 5], "max")
    assert np.isnan(out[0]) and out[1:].tolist() == [2, 2, 5]


def _comp(mode="min", sign=1.0):
    # run A: trials with final bests 3, 1, 2 (one iteration each); run B: 4, 0.5 (two iterations).
    a = make_run("A", "ra", [[3 * sign], [1 * sign], [2 * sign]], mode=mode)
    b = make_run("B", "rb", [[5 * sign, 4 * sign], [0.6 * sign, 0.5 * sign]], mode=mode,
                 iter_seconds=2.0)
    return Comparison.from_frames(*frames(a, b))


def test_anytime_trials_axis_is_completion_order():
    curves = anytime_best(_comp(), "trials")
    a = curves[curves["label"] == "A"]
    assert a["x"].tolist() == [1, 2, 3]
    assert a["best"].tolist() == [3, 1, 1]
    b = curves[curves["label"] == "B"]
    assert b["best"].tolist() == [4, 0.5]


def test_anytime_iteration_axes():
    comp = _comp()
    its = anytime_best(comp, "iterations")
    assert its[its["label"] == "B"]["best"].tolist() == [5, 4, 0.6, 0.5]
    secs = anytime_best(comp, "compute_seconds")
    assert secs[secs["label"] == "B"]["x"].tolist() == [2, 4, 6, 8]
    wall = anytime_best(comp, "wall_seconds")
    assert wall[wall["label"] == "A"]["x"].tolist() == [1, 2, 3]
    with pytest.raises(ConfigError, match="'axis' parameter"):
        anytime_best(comp, "epochs")


def test_targets_min_mode():
    # trial values: 3, 1, 2, 4, 0.5 -> best 0.5, median 2 -> t(p) = 0.5 + (1 - p) * 1.5
    t = target_values(_comp(), (0.95, 0.99))
    assert t[0.95] == pytest.approx(0.5 + 0.05 * 1.5)
    assert t[0.99] == pytest.approx(0.5 + 0.01 * 1.5)


def test_targets_max_mode_negative_values():
    # max of negatives: values -3, -1, -2, -4, -0.5 -> best -0.5, median -2
    t = target_values(_comp(mode="max", sign=-1.0), (0.95, 0.5))
    assert t[0.95] == pytest.approx(-0.5 - 0.05 * 1.5)
    assert t[0.5] == pytest.approx(-1.25)
    with pytest.raises(ConfigError, match="'levels' parameter"):
        target_values(_comp(), (95,))


def test_targets_are_mirror_images_across_modes():
    lo = target_values(_comp("min", 1.0), (0.9,))[0.9]
    hi = target_values(_comp("max", -1.0), (0.9,))[0.9]
    assert hi == pytest.approx(-lo)


def test_cost_to_target_by_hand():
    costs = cost_to_target(_comp(), (0.95, 0.5)).set_index(["label", "level"])
    # 95 %: target 0.575 -> only B reaches it, at its 4th iteration (8 s compute, 8 s wall)
    assert np.isnan(costs.loc[("A", 0.95), "trials"])
    b95 = costs.loc[("B", 0.95)]
    assert (b95["trials"], b95["iterations"], b95["compute_seconds"], b95["wall_seconds"]) == (
        2, 4, 8, 8
    )
    # 50 %: target 1.25 -> A at its 2nd trial (2 iterations, 2 s); B at iteration 3 (6 s)
    a50 = costs.loc[("A", 0.5)]
    assert (a50["trials"], a50["iterations"], a50["compute_seconds"]) == (2, 2, 2)
    assert costs.loc[("B", 0.5), "iterations"] == 3
    assert costs.loc[("B", 0.5), "compute_seconds"] == 6


def test_metric_override_uses_iterations():
    run_row, trials, its = make_run("A", "ra", [[1.0, 2.0]], metric="loss")
    for i, row in enumerate(its):
        row["acc"] = [0.5, 0.25][i]
    comp = Comparison.from_frames(*frames((run_row, trials, its)), metric="acc", mode="max")
    assert comp.trials["value"].tolist() == [0.5]
    with pytest.raises(ConfigError, match="Reported metrics: acc"):
        Comparison.from_frames(*frames((run_row, trials, its)), metric="nope", mode="max")
    with pytest.raises(ConfigError, match="'mode' parameter"):
        Comparison.from_frames(*frames((run_row, trials, its)), metric="acc")


def test_runs_with_different_metrics_need_override():
    a = make_run("A", "ra", [[1.0]], metric="loss")
    b = make_run("B", "rb", [[1.0]], metric="err")
    with pytest.raises(ConfigError, match="--metric"):
        Comparison.from_frames(*frames(a, b))


def test_labels_for_repeated_sweeps():
    a1 = make_run("A", "r1", [[1.0]], seed=0)
    a2 = make_run("A", "r2", [[2.0]], seed=1, start=pd.Timestamp("2026-01-02", tz="UTC"))
    comp = Comparison.from_frames(*frames(a1, a2))
    assert comp.labels == ("A#1", "A#2")
    assert comp.groups == ["A"]


def test_infinities_never_win_like_objective():
    # the same rule as raysweep.results.Objective: a diverged trial (inf) is never the best
    from raysweep.results import Objective

    out = running_best([np.inf, 1.0, -np.inf, 2.0], "max")
    assert np.isnan(out[0]) and out[1:].tolist() == [1.0, 1.0, 2.0]
    assert running_best([3.0, -np.inf, 1.0], Objective("loss", "min")).tolist() == [3, 3, 1]
    diverged = make_run("A", "ra", [[0.5, np.inf], [0.7], [-np.inf]], mode="max")
    comp = Comparison.from_frames(*frames(diverged))
    values = comp.trials["value"].tolist()
    assert values[:2] == [0.5, 0.7] and np.isnan(values[2])
    assert target_values(comp, (1.0,))[1.0] == 0.7
    assert comp.better(0.7, 0.5) and not comp.better(np.inf, 0.5)
