"""compare counts the iterations PBT's exploits made a copier train again (the store keeps only the
re-run's rows), and the report draws a PBT run's population with its exploits marked, on
hand-built frames with a known answer."""

from __future__ import annotations

import pandas as pd

from raysweep.compare import (
    Comparison,
    population_exploits,
    render_report,
    report_figures,
    retrained_iterations,
    run_summary,
)

from ._frames import T0, frames, make_run


def _pbt():
    run_row, trials, its = make_run("pbt", "r1", [[5.0, 4.0, 3.0, 2.0], [6.0, 5.5, 5.0, 1.0]],
                                    scheduler="pbt", iter_seconds=2.0)
    exploit = {"sweep": "pbt", "run": "r1", "time_attr": "training_iteration", "metric": "loss",
               "value": 5.0, "source_value": 3.0, "timestamp": T0 + pd.Timedelta(seconds=30),
               "operations_json": '{"x": "* 1.2"}', "config_json": '{"x": 9.0}'}
    return (run_row, trials, its), exploit


def test_a_copier_behind_its_source_is_not_counted_twice_and_one_ahead_is_counted_again():
    (run_row, trials, its), exploit = _pbt()
    perturbations = pd.DataFrame([
        # r1-t001 was at 4 and copied r1-t000's checkpoint of 2: it trained 3 and 4 twice
        {**exploit, "trial_id": "r1-t001", "source_trial_id": "r1-t000", "time_value": 4.0,
         "training_iteration": 4, "source_training_iteration": 2},
        # ... and a copier behind its source jumps forward: nothing trained again
        {**exploit, "trial_id": "r1-t000", "source_trial_id": "r1-t001", "time_value": 2.0,
         "training_iteration": 2, "source_training_iteration": 3},
    ])
    comp = Comparison.from_frames(*frames((run_row, trials, its)), perturbations=perturbations)
    again = retrained_iterations(comp)
    assert again["training_iteration"].tolist() == [3, 4]
    assert again["time_this_iter_s"].tolist() == [2.0, 2.0]  # the copier's median, estimated
    summary = run_summary(comp).iloc[0]
    assert summary["iterations"] == 8 + 2
    assert summary["compute_seconds"] == 2.0 * (8 + 2)
    assert summary["best_value"] == 1.0  # ranked by its best member, as any run
    # ... whose config is a schedule: r1-t000's weights up to 2, then its own config from 3
    assert summary["best_config"] == {"x": 1.0}  # only the config it started with
    assert summary["best_schedule"] == [(1, {"x": 0.0}), (3, {"x": 9.0})]
    plain = run_summary(Comparison.from_frames(*frames((run_row, trials, its)))).iloc[0]
    assert plain["iterations"] == 8 and plain["best_schedule"] is None


def test_the_report_draws_the_population_with_each_exploit_marked():
    run, exploit = _pbt()
    other = make_run("plain", "p1", [[4.0, 3.5, 3.0]])
    perturbations = pd.DataFrame([
        {**exploit, "trial_id": "r1-t001", "source_trial_id": "r1-t000", "time_value": 4.0,
         "training_iteration": 4, "source_training_iteration": 2, "value": 5.0,
         "source_value": 4.0}])
    comp = Comparison.from_frames(*frames(run, other), perturbations=perturbations)
    exploits = population_exploits(comp)
    assert exploits[["label", "trial_id", "changes"]].values.tolist() == \
        [["pbt", "r1-t001", "x * 1.2"]]
    figure = report_figures(comp, n_boot=50)["population"]
    assert [a.text for a in figure.layout.annotations] == ["pbt"]  # the PBT run only
    traces = {t.name: t for t in figure.data}
    # every member's stored curve
    assert list(traces["r1-t000"].y) == [5.0, 4.0, 3.0, 2.0]
    assert list(traces["r1-t001"].y) == [6.0, 5.5, 5.0, 1.0]
    # the exploit: a marker at the copier's (iteration, value), a line from the source's point
    assert (list(traces["pbt: exploit"].x), list(traces["pbt: exploit"].y)) == ([4], [5.0])
    line = traces["pbt: copied from"]
    assert (list(line.x), list(line.y)) == ([2, 4, None], [4.0, 5.0, None])
    page = render_report(comp, n_boot=50)
    assert page.count('id="raysweep-fig-5"') == 1  # the sixth figure, in the same offline page
    assert "PBT populations" in page
    assert "from 1: x=0.0; from 3: x=9.0" in page  # the runs table shows the best schedule
    assert "population" not in report_figures(Comparison.from_frames(*frames(other)), n_boot=50)
