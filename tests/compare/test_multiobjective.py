"""Multi-objective comparison (compare/_multiobjective.py): fronts, hypervolumes, the bootstrap
over seeds and the report section, on hand-built runs with hand-computed answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from raysweep import ConfigError
from raysweep.compare import (
    Comparison,
    compare_hypervolumes,
    hypervolume_bands,
    objectives_of,
    reference_point,
    run_fronts,
    run_hypervolumes,
)

from ._frames import frames, make_run

OBJECTIVES = [["err", "min"], ["mb", "min"]]
# (err, mb) of each run's trials: the trials' final values.
POINTS = {
    ("A", "a1", 0): [(1, 3), (2, 1), (3, 3)],
    ("A", "a2", 1): [(1, 2), (3, 1)],
    ("B", "b1", 0): [(2, 2)],
    ("B", "b2", 1): [(2, 3), (3, 2)],
}


def _comparison(objectives_json: bool = True) -> Comparison:
    built = []
    for (sweep, run, seed), points in POINTS.items():
        run_row, trials, its = make_run(sweep, run, [[float(e)] for e, _ in points], metric="err",
                                        seed=seed)
        if objectives_json:
            run_row["objectives_json"] = json.dumps(OBJECTIVES)
        for trial, (err, mb) in zip(trials, points, strict=True):
            trial["last.err"], trial["last.mb"] = float(err), float(mb)
        built.append((run_row, trials, its))
    runs, trials, iterations = frames(*built)
    return Comparison.from_frames(runs, trials, iterations)


def test_default_reference_and_hypervolumes_by_hand():
    """Over all trials err and mb each span 1..3: the reference is 3 + 10 % of 2 = 3.2 on both.
    a1: front (1,3), (2,1) ((3,3) is dominated): strips (3.2-1)(3.2-3) = 0.44 and
    (3.2-2)(3-1) = 2.4: 2.84. a2: (1,2), (3,1): 2.2 * 1.2 = 2.64 and 0.2 * 1 = 0.2: 2.84.
    b1: (2,2): 1.2 * 1.2 = 1.44. b2: (2,3), (3,2): 1.2 * 0.2 = 0.24 and 0.2 * 1 = 0.2: 0.44."""
    comp = _comparison()
    assert objectives_of(comp) == [("err", "min"), ("mb", "min")]
    assert reference_point(comp) == pytest.approx((3.2, 3.2))
    hv = run_hypervolumes(comp)
    assert list(hv["run"]) == ["a1", "a2", "b1", "b2"]
    assert hv["hypervolume"].tolist() == pytest.approx([2.84, 2.84, 1.44, 0.44])
    assert hv["n_front"].tolist() == [2, 2, 1, 2] and hv["n_points"].tolist() == [3, 2, 1, 2]
    # a reference point given: (4, 4): a1 = 3 * 1 + 2 * 2 = 7
    assert run_hypervolumes(comp, reference=(4, 4))["hypervolume"].iloc[0] == pytest.approx(7.0)


def test_fronts_are_per_run():
    fronts = run_fronts(_comparison())
    a1 = fronts[fronts["run"] == "a1"]
    assert list(zip(a1["err"], a1["mb"], a1["on_front"], strict=True)) == [
        (1.0, 3.0, True), (2.0, 1.0, True), (3.0, 3.0, False)]
    # (2,2) of b1 is on b1's own front though a1's (2,1) dominates it
    assert fronts.loc[fronts["run"] == "b1", "on_front"].tolist() == [True]


def test_the_bootstrap_over_seeds_and_the_paired_comparison():
    comp = _comparison()
    bands = hypervolume_bands(comp, n_boot=200)
    assert bands["group"].tolist() == ["A", "B"]
    assert bands["median"].tolist() == pytest.approx([2.84, 0.94])
    assert bands["n_runs"].tolist() == [2, 2]
    # both of A's runs have 2.84: every resample's median is 2.84
    assert bands.loc[0, "lo"] == pytest.approx(2.84) and bands.loc[0, "hi"] == pytest.approx(2.84)
    tests = compare_hypervolumes(comp, n_boot=200)
    row = tests.iloc[0]
    assert (row["a"], row["b"], row["axis"], bool(row["paired"])) == ("A", "B", "hypervolume", True)
    # paired by seed: (2.84 - 1.44 + 2.84 - 0.44) / 2 = 1.9; two seeds are never distinguishable
    assert row["diff"] == pytest.approx(1.9) and not row["distinguishable"]


def test_mixed_modes_and_explicit_objectives():
    comp = _comparison(objectives_json=False)
    assert objectives_of(comp) == []  # one objective per run: not multi-objective
    with pytest.raises(ConfigError, match="two or more objectives"):
        run_hypervolumes(comp)
    # mb maximised: the reference is 1 - 0.2 = 0.8 on mb; a1's best point for (min err, max mb)
    pairs = [("err", "min"), ("mb", "max")]
    assert reference_point(comp, pairs) == pytest.approx((3.2, 0.8))
    # a1: (1, 3) dominates both others: (3.2 - 1) * (3 - 0.8) = 4.84
    assert run_hypervolumes(comp, pairs)["hypervolume"].iloc[0] == pytest.approx(4.84)


def test_bad_objectives_and_reference_are_refused():
    comp = _comparison()
    with pytest.raises(ConfigError, match="'objectives'"):
        run_hypervolumes(comp, [("err", "min")])
    with pytest.raises(ConfigError, match="'reference'"):
        run_hypervolumes(comp, reference=(1.0, np.nan))
    with pytest.raises(ConfigError, match="'reference'"):
        run_hypervolumes(comp, reference=(1.0, 2.0, 3.0))


def test_runs_that_disagree_on_their_objectives_need_them_named():
    comp = _comparison()
    runs = comp.runs.copy()
    runs.loc[0, "objectives_json"] = json.dumps([["err", "min"], ["latency", "min"]])
    mixed = Comparison.from_frames(runs.drop(columns=["label", "group"]), comp.trials,
                                   comp.iterations)
    with pytest.raises(ConfigError, match="different objectives"):
        objectives_of(mixed)
    assert objectives_of(mixed, [("err", "min"), ("mb", "min")]) == [("err", "min"), ("mb", "min")]


def test_the_report_has_the_hypervolume_section_and_the_fronts_figure():
    from raysweep.compare import render_report, report_figures

    comp = _comparison()
    figures = report_figures(comp, n_boot=50)
    so_far = figures["hypervolume"]
    a1 = next(t for t in so_far.data if t.name == "A#1")  # first panel: against trials
    assert list(a1.y) == pytest.approx([0.44, 2.84, 2.84])
    fronts = figures["fronts"]
    names = [t.name for t in fronts.data]
    assert "A#1 (HV 2.84)" in names and "reference point" in names
    ref = next(t for t in fronts.data if t.name == "reference point")
    assert (ref.x[0], ref.y[0]) == pytest.approx((3.2, 3.2))
    page = render_report(comp, n_boot=50)
    assert "Hypervolume: err (min), mb (min)" in page and "2.84" in page
    given = render_report(comp, n_boot=50, reference=(4, 4))
    assert "err = 4, mb = 4 (given" in given


@pytest.fixture
def store(tmp_path):
    """The runs above written through the results writer (objectives_json a run column)."""
    from raysweep.results import RunWriter

    root = str(tmp_path / "results")
    for (sweep, run, seed), points in POINTS.items():
        run_row, trials, its = make_run(sweep, run, [[float(e)] for e, _ in points], metric="err",
                                        seed=seed)
        with RunWriter(root, sweep=sweep, run_id=run) as writer:
            writer.write_run({**run_row, "objectives_json": json.dumps(OBJECTIVES)})
            for row in its:
                writer.add_iteration(row)
            for trial, (err, mb) in zip(trials, points, strict=True):
                writer.add_trial({**trial, "last.err": float(err), "last.mb": float(mb)})
    return root


def test_the_cli_prints_hypervolumes_from_the_store(store, tmp_path):
    from click.testing import CliRunner

    from raysweep.cli._compare import compare_cmd, report_cmd

    result = CliRunner().invoke(compare_cmd, ["A", "B", "--results", store, "--all-runs"],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Hypervolume (err min, mb min; reference err = 3.2, mb = 3.2" in result.output
    assert "2.84" in result.output and "0.94" in result.output  # a run's and B's median
    given = CliRunner().invoke(compare_cmd, ["A", "--results", store, "--all-runs",
                                             "--reference", "4,4"], terminal_width=200)
    assert given.exit_code == 0 and "7 " in given.output and "given" in given.output
    bad = CliRunner().invoke(compare_cmd, ["A", "--results", store, "--reference", "4,x"])
    assert bad.exit_code != 0 and "'reference'" in str(bad.exception or bad.output)
    out = tmp_path / "r.html"
    report = CliRunner().invoke(report_cmd, ["A", "B", "--results", store, "--all-runs",
                                             "--reference", "4,4", "-o", str(out)])
    assert report.exit_code == 0, report.output
    assert "Hypervolume: err (min), mb (min)" in out.read_text()


def test_hypervolume_so_far_and_at_equal_budget():
    """Each trial of these runs reports one iteration, one after another: on every axis a1's
    trials end at 1, 2, 3. a1 so far: (1,3) alone 2.2 * 0.2 = 0.44, with (2,1) 2.84, then 2.84.
    At the budget every run reached (1 trial: b1 has one), a1 0.44, a2 (1,2) 2.2 * 1.2 = 2.64,
    b1 (2,2) 1.44, b2 (2,3) 1.2 * 0.2 = 0.24: paired diff ((0.44 - 1.44) + (2.64 - 0.24)) / 2 = 0.7.
    """
    from raysweep.compare import hypervolume_curves, hypervolume_seed_bands

    comp = _comparison()
    for axis in ("trials", "iterations", "compute_seconds", "wall_seconds"):
        a1 = hypervolume_curves(comp, axis).query("run == 'a1'")
        assert a1["x"].tolist() == [1.0, 2.0, 3.0]
        assert a1["hypervolume"].tolist() == pytest.approx([0.44, 2.84, 2.84])
    tests = compare_hypervolumes(comp, axis="trials", n_boot=200)
    row = tests.iloc[0]
    assert row["budget"] == 1.0 and row["diff"] == pytest.approx(0.7)
    bands = hypervolume_seed_bands(comp, "trials", n_boot=200)
    a = bands[bands["group"] == "A"]
    assert a["x"].tolist() == [1.0, 2.0]  # the budget both of A's runs reached
    assert a["median"].tolist() == pytest.approx([(0.44 + 2.64) / 2, 2.84])
    with pytest.raises(ConfigError, match="'axis'"):
        hypervolume_curves(comp, "epochs")
