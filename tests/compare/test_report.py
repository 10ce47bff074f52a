import os
import re

import pytest

from raysweep import StorageError
from raysweep.compare import Comparison
from raysweep.compare._figures import anytime_figure
from raysweep.compare._report import render_report, write_report

from ._chromium import CHROMIUM, inspect_page
from ._frames import frames, make_run
from .test_stats import _seeded


def _comp():
    good = _seeded("good", 3, 0.0, 0.5)
    bad = _seeded("bad", 3, 3.0, 0.5, rng_seed=1)
    asha = make_run("asha", "as0", [[3.0, 2.0, 1.0], [9.0, 8.0], [2.5, 1.5, 0.5]],
                    statuses=["completed", "early_stopped", "completed"], scheduler="asha",
                    params=[{"lr": 0.1, "opt": "adam"}, {"lr": 0.01, "opt": "sgd"},
                            {"lr": 0.001, "opt": "adam"}])
    for run in (*good, *bad):
        for trial in run[1]:
            trial["config.lr"] = 0.05
            trial["config.opt"] = "sgd"
    return Comparison.from_frames(*frames(*good, *bad, asha))


def test_report_is_self_contained_html():
    text = render_report(_comp(), title="A <b>test</b>", n_boot=200)
    assert text.startswith("<!DOCTYPE html>")
    assert "A &lt;b&gt;test&lt;/b&gt;" in text
    # plotly.js inlined exactly once, no script loaded from anywhere
    assert len(re.findall(r"plotly\.js v\d", text)) == 1
    # nothing is fetched: no external script, stylesheet or image (plotly.js's bundle mentions map
    # tile URLs in unused code; the Chromium test checks that no request leaves the file)
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<(link|img)[^>]+(href|src)=[\"']?https?:", text)
    for i in range(5):
        assert f'id="raysweep-fig-{i}"' in text
    assert "Is the difference real?" in text and "<td>good</td>" in text


def test_report_is_deterministic():
    comp = _comp()
    assert render_report(comp, n_boot=100) == render_report(comp, n_boot=100)


def test_write_report_errors_are_storage_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="'output' parameter of report"):
        write_report(_comp(), blocker / "r.html", n_boot=50)


def test_anytime_figure_has_a_trace_per_run_and_axis():
    from raysweep.compare import AXES, anytime_best

    comp = _comp()
    fig = anytime_figure({a: anytime_best(comp, a) for a in AXES}, labels=list(comp.labels),
                         metric=comp.metric)
    assert len(fig.data) == len(AXES) * len(comp.labels)
    assert sum(t.showlegend is not False for t in fig.data) == len(comp.labels)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (.ci/run)")
def test_report_renders_offline_in_headless_chromium(tmp_path):
    path = write_report(_comp(), tmp_path / "report.html", n_boot=200)
    page = inspect_page(path)
    assert page.errors == []
    remote = [u for u in page.requests if not u.startswith(("file:", "data:", "blob:"))]
    assert remote == []
    assert page.plots >= 5  # every figure drew its SVG
    assert page.png.startswith(b"\x89PNG")
    assert page.pixels["nonWhite"] > 0.05 and page.pixels["colors"] > 50
