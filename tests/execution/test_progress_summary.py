"""The run summary box reads cleanly (issue 8): one total, then the non-zero statuses, each distinct
error once with its count, the trial lifetimes named for what they are."""

from __future__ import annotations

from rich.console import Console

from raysweep.cli._render import summary_panel
from raysweep.execution import RunSummary


def _render(summary: RunSummary) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(summary_panel(summary))
    return console.export_text()


def _summary(**kw) -> RunSummary:
    base = dict(
        sweep="demo", run_id="20261127T000000Z-abcdef", status="finished", metric="loss", mode="min",
        counts={"trials": 20, "completed": 5, "early_stopped": 12, "errored": 3, "cancelled": 0},
        best_value=0.25, best_config={"x": 0.3}, best_trial_id="t1", elapsed_s=12.5,
        results_root="/r", ray_dir="/r/_ray/demo/20261127T000000Z-abcdef",
        errors=["ValueError: bad"] * 3,
        error_groups=[{"error_type": "ValueError", "error_message": "bad", "n_trials": 2},
                      {"error_type": "NonFiniteMetricError",
                       "error_message": "loss was nan at iteration 2", "n_trials": 1}],
        log_path="/r/_ray/demo/20261127T000000Z-abcdef/raysweep.log", trial_lifetimes_s=40.25,
    )
    return RunSummary(**{**base, **kw})


def test_counts_read_as_one_total_and_the_statuses_that_happened():
    text = _render(_summary())
    assert "trials      20  (5 completed  12 early-stopped  3 errored)" in text
    assert "trials   trials" not in text and "cancelled" not in text
    assert "trial lifetimes summed 40.2 s" in text and "trial_seconds" not in text


def test_each_distinct_error_once_with_its_count_and_where_the_tracebacks_are():
    text = _render(_summary())
    assert "2 trials: ValueError: bad" in text
    assert "1 trial: NonFiniteMetricError: loss was nan at iteration 2" in text
    assert text.count("ValueError: bad") == 1
    assert "raysweep show 20261127T000000Z-abcdef --errors" in text
    assert "raysweep.log" in text


def test_no_errors_no_error_lines():
    text = _render(_summary(counts={"trials": 4, "completed": 4}, errors=[], error_groups=[]))
    assert "trials      4  (4 completed)" in text
    assert "error" not in text.replace("--errors", "")
