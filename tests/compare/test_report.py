import base64
import gzip
import os
import re

import numpy as np
import pandas as pd
import pytest

from raysweep import StorageError, compare
from raysweep.compare import Comparison
from raysweep.compare._figures import anytime_figure
from raysweep.compare._report import render_report, write_report

from ._chromium import CHROMIUM, inspect_page
from ._frames import T0, frames, make_run
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
    # plotly.js embedded exactly once (gzipped), no script loaded from anywhere
    assert text.count("id='raysweep-plotly-gz'") == 1
    # nothing is fetched: no external script, stylesheet or image (plotly.js's bundle mentions map
    # tile URLs in unused code; the Chromium test checks that no request leaves the file)
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<(link|img)[^>]+(href|src)=[\"']?https?:", text)
    for i in range(5):
        assert text.count(f'id="raysweep-fig-{i}"') == 1
        assert text.count(f'id="raysweep-fig-{i}-json"') == 1  # each figure's data once
    assert "Is the difference real?" in text and "title=\"good\">good</div>" in text


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


def test_report_embeds_plotly_gzipped_and_says_why_it_is_that_size():
    from plotly.offline import get_plotlyjs

    text = render_report(_comp(), n_boot=50)
    bundle = get_plotlyjs()
    packed = re.search(r"id='raysweep-plotly-gz'>([A-Za-z0-9+/=]+)</script>", text)
    assert packed is not None
    assert gzip.decompress(base64.b64decode(packed.group(1))).decode() == bundle
    assert len(text) < 0.6 * len(bundle)  # the whole report is smaller than plotly.js inlined
    assert "plotly.js" in text[text.index("<footer>"):text.index("</footer>")]


def _recsys_like():
    """Three sweeps x 3 seeds with long names and a six-parameter configuration (the
    layout that overflowed a 1,400-pixel window)."""
    rng = np.random.default_rng(0)
    runs = []
    for sweep in ("recsys_mf_grid", "recsys_mf_random_asha", "recsys_mf_tpe_asha"):
        for s in range(3):
            params = [{"dim": int(rng.choice([16, 32, 64])), "lr": float(rng.uniform(5e-3, 0.2)),
                       "reg": float(rng.uniform(1e-4, 0.1)), "n_negatives": int(rng.choice([1, 4])),
                       "batch_size": int(rng.choice([256, 2048])),
                       "init_scale": float(rng.uniform(0.01, 0.3))} for _ in range(12)]
            curves = [[float(rng.random() * 0.14 * (1 - 0.5 ** (e + 1))) for e in range(4)]
                      for _ in range(12)]
            runs.append(make_run(sweep, f"{sweep}-{s}", curves, params=params, seed=s, mode="max",
                                 metric="val_ndcg", start=T0 + pd.Timedelta(hours=s)))
    return Comparison.from_frames(*frames(*runs))


_LAYOUT = """(() => {
  const tables = [...document.querySelectorAll('table')];
  const runs = tables[0];
  const config = [...runs.querySelectorAll('td:last-child div')];
  return {pageWidth: document.documentElement.scrollWidth,
          tableRight: Math.max(...tables.map(t => t.getBoundingClientRect().right)),
          rowHeight: Math.max(...[...runs.rows].map(r => r.getBoundingClientRect().height)),
          configTitles: config.map(d => d.title)};
})()"""


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (.ci/run)")
def test_report_fits_a_1400_pixel_window(tmp_path):
    comp = _recsys_like()
    path = write_report(comp, tmp_path / "report.html", n_boot=50)
    page = inspect_page(path, width=1400, height=900, probe=_LAYOUT, settle_s=0.2,
                        wait_for="document.body.dataset.figuresDrawn === 'true'")
    assert page.errors == [] and page.plots >= 5
    layout = page.probed
    assert layout["pageWidth"] <= 1400 and layout["tableRight"] <= 1400
    assert layout["rowHeight"] < 80  # at most three lines of configuration per row
    # the full configuration is on hover, even where the cell cuts it
    best = compare.run_summary(comp)["best_config"]
    assert len(layout["configTitles"]) == len(best)
    for title, config in zip(layout["configTitles"], best, strict=True):
        assert all(f"{name}=" in title for name in config)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (.ci/run)")
def test_report_renders_offline_in_headless_chromium(tmp_path):
    path = write_report(_comp(), tmp_path / "report.html", n_boot=200)
    page = inspect_page(path, wait_for="document.body.dataset.figuresDrawn === 'true'")
    assert page.errors == []
    remote = [u for u in page.requests if not u.startswith(("file:", "data:", "blob:"))]
    assert remote == []
    assert page.plots >= 5  # every figure drew its SVG
    assert page.png.startswith(b"\x89PNG")
    assert page.pixels["nonWhite"] > 0.05 and page.pixels["colors"] > 50
