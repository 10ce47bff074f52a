"""The figure of a PBT/PB2 run: every member's curve, each exploit marked."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

__all__ = ["population_figure"]


def population_figure(curves: pd.DataFrame, exploits: pd.DataFrame, *,
                      labels: Sequence[str], metric: str) -> go.Figure:
    """PBT runs' populations: each member's stored curve (``learning_curves``' frame) in its own
    colour, one panel per run with exploits (``population_exploits``' frame). Each exploit is a
    marker at the copier's result that ranked it low and a dotted line to it from the source's
    point whose checkpoint it copied."""
    shown = [lab for lab in labels if (exploits["label"] == lab).any()] or list(labels[:1])
    fig = make_subplots(rows=len(shown), cols=1, subplot_titles=shown,
                        vertical_spacing=0.25 / max(len(shown), 1))
    palette = qualitative.Plotly
    for i, label in enumerate(shown):
        c = curves[curves["label"] == label]
        members = sorted(c["trial_id"].astype(str).unique())
        color = {m: palette[k % len(palette)] for k, m in enumerate(members)}
        for member in members:
            t = c[c["trial_id"].astype(str) == member].sort_values("training_iteration")
            fig.add_trace(go.Scatter(
                x=t["training_iteration"], y=t["value"], mode="lines", name=member,
                legendgroup=f"{label}:{member}", line={"color": color[member], "width": 1.5},
                hovertemplate=f"{member}<br>iteration %{{x}}<br>%{{y:.5g}}<extra></extra>",
            ), row=i + 1, col=1)
        e = exploits[exploits["label"] == label]
        if e.empty:
            continue
        xs: list = []
        ys: list = []
        for r in e.itertuples(index=False):
            xs += [r.source_training_iteration, r.training_iteration, None]
            ys += [r.source_value, r.value, None]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", name=f"{label}: copied from", legendgroup=f"{label}:exploits",
            line={"color": "#555", "width": 1, "dash": "dot"}, hoverinfo="skip",
        ), row=i + 1, col=1)
        fig.add_trace(go.Scatter(
            x=e["training_iteration"], y=e["value"], mode="markers", name=f"{label}: exploit",
            legendgroup=f"{label}:exploits",
            marker={"symbol": "triangle-down", "size": 9, "color": "#d62728"},
            customdata=e[["trial_id", "source_trial_id", "source_training_iteration", "changes"]],
            hovertemplate=("%{customdata[0]} copied %{customdata[1]} (its iteration "
                           "%{customdata[2]})<br>at iteration %{x}, value %{y:.5g}"
                           "<br>%{customdata[3]}<extra></extra>"),
        ), row=i + 1, col=1)
        fig.update_yaxes(title_text=metric, row=i + 1, col=1)
    fig.update_xaxes(title_text="training iteration", row=len(shown), col=1)
    fig.update_layout(title="PBT populations (triangle: an exploit; dotted: from the copied "
                      "checkpoint)", height=max(320, 300 * len(shown)))
    return fig
