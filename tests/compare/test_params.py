import numpy as np
import pytest

from raysweep import ConfigError
from raysweep.compare import (
    Comparison,
    best_params,
    learning_curves,
    marginal_effects,
    param_names,
    run_summary,
    top_trials,
    topk_overlap,
    topk_ranges,
)

from ._frames import frames, make_run

PARAMS_A = [{"lr": 0.1, "opt": "adam"}, {"lr": 0.01, "opt": "sgd"}, {"lr": 0.001, "opt": "adam"}]
PARAMS_B = [{"lr": 0.01, "opt": "sgd"}, {"lr": 0.5, "opt": "sgd"}, {"lr": 0.001, "opt": "adam"}]


def _comp():
    a = make_run("A", "ra", [[3.0], [1.0], [2.0]], params=PARAMS_A, mode="min")
    b = make_run("B", "rb", [[0.9, 0.8], [9.0, 7.0], [0.9, 0.7]], params=PARAMS_B, mode="min",
                 statuses=["completed", "early_stopped", "completed"], scheduler="asha")
    return Comparison.from_frames(*frames(a, b))


def test_constant_parameters_are_left_out():
    a = make_run("A", "ra", [[3.0], [1.0]], params=[{"lr": 0.1, "epochs": 8},
                                                   {"lr": 0.2, "epochs": 8}])
    comp = Comparison.from_frames(*frames(a))
    assert param_names(comp) == ["lr"]
    assert param_names(comp, constants=True) == ["epochs", "lr"]
    assert list(best_params(comp).index) == ["loss", "lr"]


def test_best_params_side_by_side():
    table = best_params(_comp())
    assert list(table.columns) == ["A", "B"]
    assert table.loc["loss", "A"] == 1.0 and table.loc["loss", "B"] == 0.7
    assert table.loc["lr", "A"] == 0.01 and table.loc["opt", "B"] == "adam"


def test_top_trials_rank_and_k():
    top = top_trials(_comp(), k=2)
    assert top.groupby("label")["rank"].max().to_dict() == {"A": 2, "B": 2}
    assert top[top["label"] == "A"]["value"].tolist() == [1.0, 2.0]
    with pytest.raises(ConfigError, match="'k' parameter"):
        top_trials(_comp(), k=0)


def test_topk_overlap_and_ranges():
    overlap = topk_overlap(_comp(), k=2).iloc[0]
    # A top-2: (0.01, sgd), (0.001, adam); B top-2: (0.001, adam), (0.01, sgd) -> identical sets
    assert overlap["shared"] == 2 and overlap["jaccard"] == 1.0
    assert overlap["range_overlap"] == pytest.approx(1.0)
    one = topk_overlap(_comp(), k=1).iloc[0]
    assert one["shared"] == 0 and one["jaccard"] == 0.0
    # lr ranges [0.01, 0.01] vs [0.001, 0.001]: disjoint
    assert one["range_overlap"] == 0.0
    ranges = topk_ranges(_comp(), k=3).set_index(["parameter", "label"])
    assert ranges.loc[("lr", "A"), "low"] == 0.001 and ranges.loc[("lr", "A"), "high"] == 0.1
    assert ranges.loc[("opt", "B"), "values"] == "adam, sgd"


def test_marginal_effects_categorical_and_numeric():
    eff = marginal_effects(_comp(), bins=2)
    opt = eff[(eff["parameter"] == "opt") & (eff["label"] == "A")].set_index("x_label")
    assert opt.loc["adam", "median"] == 2.5 and opt.loc["adam", "count"] == 2
    assert opt.loc["sgd", "median"] == 1.0
    lr = eff[eff["parameter"] == "lr"]
    assert set(lr["bin"]) == {0, 1}  # 4 distinct lr values > 2 bins -> quantile bins
    assert lr["count"].sum() == 6
    pooled = marginal_effects(_comp(), bins=2, by="group")
    assert set(pooled["label"]) == {"A", "B"}
    with pytest.raises(ConfigError, match="'by' parameter"):
        marginal_effects(_comp(), by="run")
    with pytest.raises(ConfigError, match="'bins' parameter"):
        marginal_effects(_comp(), bins=1)


def test_run_summary_numbers():
    s = run_summary(_comp(), levels=(0.95,)).set_index("label")
    assert s.loc["A", "n_trials"] == 3 and s.loc["B", "early_stopped"] == 1
    assert s.loc["B", "completed"] == 2
    assert s.loc["A", "best_value"] == 1.0 and s.loc["B", "best_config"] == {
        "lr": 0.001, "opt": "adam"}
    assert s.loc["B", "iterations"] == 6 and s.loc["B", "compute_seconds"] == 6.0
    assert s.loc["A", "wall_seconds"] == 3.0
    # values 3,1,2,0.8,7,0.7 -> best 0.7, median 1.5 -> t95 = 0.7 + 0.05 * 0.8 = 0.74
    assert s.loc["A", "target_95"] == pytest.approx(0.74)
    assert np.isnan(s.loc["A", "trials_to_95"])
    assert s.loc["B", "iterations_to_95"] == 6 and s.loc["B", "trials_to_95"] == 3


def test_learning_curves_mark_stop_points():
    lc = learning_curves(_comp())
    stopped = lc[lc["stopped"]]
    assert len(stopped) == 1
    assert stopped.iloc[0]["training_iteration"] == 2 and stopped.iloc[0]["value"] == 7.0
    assert len(lc) == 9


def test_topk_by_group_pools_a_sweeps_seeds():
    # sweep A has two runs (seeds), sweep B one: by="group" ranks A's trials over both runs
    a1 = make_run("A", "ra1", [[3.0], [1.0], [2.0]], params=PARAMS_A)
    a2 = make_run("A", "ra2", [[0.5], [4.0]], params=[{"lr": 0.5, "opt": "sgd"},
                                                      {"lr": 0.2, "opt": "adam"}], seed=1)
    b = make_run("B", "rb", [[0.9], [9.0], [0.7]], params=PARAMS_B)
    comp = Comparison.from_frames(*frames(a1, a2, b))
    top = top_trials(comp, k=2, by="group")
    assert top["label"].tolist() == ["A", "A", "B", "B"]
    assert top["value"].tolist() == [0.5, 1.0, 0.7, 0.9]  # A's best from ra2, then ra1
    assert top["run"].tolist()[:2] == ["ra2", "ra1"]
    overlap = topk_overlap(comp, k=2, by="group")
    assert overlap[["a", "b"]].values.tolist() == [["A", "B"]]  # one pair of sweeps, not 3 run pairs
    # A top-2: (0.5, sgd), (0.01, sgd); B top-2: (0.001, adam), (0.01, sgd) -> one shared of three
    assert overlap["shared"].iloc[0] == 1 and overlap["jaccard"].iloc[0] == pytest.approx(1 / 3)
    ranges = topk_ranges(comp, k=2, by="group").set_index(["parameter", "label"])
    assert ranges.loc[("lr", "A"), "low"] == 0.01 and ranges.loc[("lr", "A"), "high"] == 0.5
    assert len(topk_overlap(comp, k=2)) == 3  # by run: every pair of runs
    with pytest.raises(ConfigError, match="'by' parameter of top_trials"):
        top_trials(comp, by="sweep")


def test_best_params_by_group_is_each_sweeps_best_over_its_runs():
    a1 = make_run("A", "ra1", [[3.0], [1.0]], params=PARAMS_A[:2])
    a2 = make_run("A", "ra2", [[0.5]], params=[{"lr": 0.5, "opt": "sgd"}], seed=1)
    b = make_run("B", "rb", [[0.9]], params=PARAMS_B[:1])
    table = best_params(Comparison.from_frames(*frames(a1, a2, b)), by="group")
    assert list(table.columns) == ["A", "B"]
    assert table.loc["loss", "A"] == 0.5 and table.loc["lr", "A"] == 0.5  # from ra2, A's second seed
    assert table.loc["loss", "B"] == 0.9


def test_parameter_views_handle_the_absent_keys_of_a_conditional_space():
    # Two branches: 'svm' trials have model.C only, 'rf' trials model.depth only (absent: NaN).
    svm = [{"model.kind": "svm", "model.C": c} for c in (0.1, 1.0)]
    rf = [{"model.kind": "rf", "model.depth": d} for d in (3, 5)]
    a = make_run("A", "ra", [[4.0], [1.0], [2.0], [3.0]], params=[*svm, *rf], mode="min")
    b = make_run("B", "rb", [[1.0], [4.0], [2.0], [3.0]], params=[*svm, *rf], mode="min")
    comp = Comparison.from_frames(*frames(a, b))
    assert param_names(comp) == ["model.C", "model.depth", "model.kind"]
    best = best_params(comp)
    assert best.loc["model.C", "A"] == 1.0 and best.loc["model.C", "B"] == 0.1
    assert np.isnan(best.loc["model.depth", "A"])
    ranges = topk_ranges(comp, k=2).set_index(["parameter", "label"])
    assert ranges.loc[("model.depth", "A"), "low"] == 3 == ranges.loc[("model.depth", "B"), "high"]
    # A's top 2: (C=1.0, svm), (depth=3, rf); B's: (C=0.1, svm), (depth=3, rf): the rf config is
    # shared even though its C is absent (NaN is never equal to itself).
    assert topk_overlap(comp, k=2).iloc[0]["shared"] == 1
    effects = marginal_effects(comp)
    depth = effects[effects["parameter"] == "model.depth"]
    assert depth["count"].sum() == 4  # the rf trials of both runs; svm trials have no depth
