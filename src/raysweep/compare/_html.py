"""HTML pieces of the report: tables that fit a laptop window, and plotly.js embedded once, gzipped.

The report must open offline, so plotly.js travels inside the file. Inlined as is, the minified
bundle alone is about 4.8 MB; gzipped and base64-encoded it is about 2 MB, and the browser unpacks
it with ``DecompressionStream`` (Chrome/Edge 80+, Firefox 113+, Safari 16.4+) before drawing the
figures from their JSON. Figures' data are embedded once each, as JSON.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["figure_block", "page", "table"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:1.5em;overflow-wrap:anywhere}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{padding:3px 8px;border:1px solid #ddd;text-align:right;vertical-align:top}
td{white-space:nowrap} th{background:#f4f4f4;font-weight:600} th.brk{overflow-wrap:anywhere}
td:first-child,th:first-child,td.text,th.text{text-align:left}
.clip{max-width:22em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.clip.wide{max-width:24em;white-space:normal;overflow-wrap:anywhere;display:-webkit-box;
-webkit-box-orient:vertical;-webkit-line-clamp:3;line-clamp:3}
.note{color:#555;font-size:.9em;max-width:60em} .fig{margin:1em 0;min-height:2em}
footer{color:#777;font-size:.8em;margin-top:3em;max-width:60em}
#plotly-missing{display:none;color:#a00}
"""

# Unpack plotly.js, then draw every figure from its JSON. Runs once; no network.
_LOADER = """
(async () => {
  const fail = (why) => { const m = document.getElementById('plotly-missing');
    m.textContent = why; m.style.display = 'block'; };
  if (typeof DecompressionStream === 'undefined') {
    fail('This browser cannot unpack the embedded plotly.js (it needs DecompressionStream: ' +
         'Chrome/Edge 80+, Firefox 113+, Safari 16.4+). The tables above are complete.');
    return;
  }
  const b64 = document.getElementById('raysweep-plotly-gz').textContent.trim();
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const script = document.createElement('script');
  script.text = await new Response(stream).text();
  document.head.appendChild(script);
  for (const div of document.querySelectorAll('div[data-figure]')) {
    const fig = JSON.parse(document.getElementById(div.dataset.figure).textContent);
    await Plotly.newPlot(div, fig.data, fig.layout, {displaylogo: false, responsive: true});
  }
  document.body.dataset.figuresDrawn = 'true';
})();
"""


@functools.cache
def _plotly_gz_b64() -> str:
    """plotly.js (the bundle shipped with the installed plotly), gzipped, base64 (cached)."""
    from plotly.offline import get_plotlyjs

    return base64.b64encode(gzip.compress(get_plotlyjs().encode(), 9, mtime=0)).decode("ascii")


def _script_json(text: str) -> str:
    """JSON safe inside a ``<script>`` element."""
    return text.replace("</", "<\\/")


def figure_block(fig: go.Figure, div_id: str) -> str:
    """An empty div the loader draws ``fig`` into, and the figure's JSON next to it."""
    data = _script_json(pio.to_json(fig, validate=False))
    return (f"<div class='fig'><div id=\"{div_id}\" data-figure=\"{div_id}-json\"></div>"
            f"<script type='application/json' id=\"{div_id}-json\">{data}</script></div>")


def page(title: str, sections: Sequence[str], footer: str) -> str:
    """The whole document: sections, footer, plotly.js once (gzipped), and the loader."""
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>\n{body}\n<p id='plotly-missing'></p>\n"
        f"<footer>{html.escape(footer)}</footer>\n"
        f"<script type='application/octet-stream' id='raysweep-plotly-gz'>{_plotly_gz_b64()}"
        f"</script>\n<script>{_LOADER}</script>\n</body></html>\n"
    )


def _cell(value: object, *, clip: str | None = None) -> str:
    if isinstance(value, float | np.floating):
        return "<td>\u2013</td>" if np.isnan(value) else f"<td>{value:.5g}</td>"
    if value is None or (not isinstance(value, str | bool | dict) and pd.isna(value)):
        return "<td>\u2013</td>"
    text = html.escape(str(value))
    if clip is not None:  # cut to the column's width; the full text on hover
        return f"<td class='text'><div class='{clip}' title=\"{text}\">{text}</div></td>"
    numeric = isinstance(value, int | np.integer) and not isinstance(value, bool)
    return f"<td>{text}</td>" if numeric else f"<td class='text'>{text}</td>"


def table(
    frame: pd.DataFrame, *, index: bool = False, clip: Sequence[str] = (),
    wide: Sequence[str] = (),
) -> str:
    """``frame`` as a table, in a div that scrolls sideways if it ever is too wide.

    Columns in ``clip`` (names) are cut with an ellipsis at a fixed width; columns in ``wide``
    (long text, such as a configuration) wrap within a fixed width and are cut after three lines.
    Both show their full text on hover.
    """
    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    kinds = [("clip wide" if c in wide else "clip" if c in clip else None) for c in frame.columns]
    left = {"", *clip, *wide}

    def th(h: str) -> str:  # an index table's column headers are run labels: let them break
        kind = "text" if h in left and not index else "brk" if index else ""
        return f"<th class='{kind}'>{html.escape(h)}</th>" if kind else f"<th>{html.escape(h)}</th>"

    rows = ["<tr>" + "".join(th(h) for h in head) + "</tr>"]
    for key, row in frame.iterrows():
        cells = ([f"<th>{html.escape(str(key))}</th>"] if index else []) + [
            _cell(v, clip=kind) for v, kind in zip(row, kinds, strict=True)
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<div class='scroll'><table>" + "".join(rows) + "</table></div>"
