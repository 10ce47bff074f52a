"""The figures of multi-objective runs: a Pareto front, and the fronts of the compared runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._figures import _colors, _rgba

__all__ = ["fronts_figure", "pareto_figure"]


def pareto_figure(front: pd.DataFrame, *, objectives: Sequence[tuple[str, str]],
                  labels: Sequence[str]) -> go.Figure:
    """Trials over the first two objectives (frame from ``pareto_front``), the front joined."""
    (mx, mode_x), (my, mode_y) = objectives[0], objectives[1]
    color = _colors(labels)
    fig = go.Figure()
    for label in labels:
        d = front[front["label"] == label]
        if d.empty:
            continue
        fig.add_trace(go.Scatter(
            x=d[mx], y=d[my], mode="markers", name=label,
            marker={"color": color[label], "size": np.where(d["on_front"], 11, 6),
                    "line": {"width": np.where(d["on_front"], 1.5, 0), "color": "#111"}},
            customdata=d[["trial_id"]],
            hovertemplate=f"{label} %{{customdata[0]}}<br>{mx} %{{x:.5g}}<br>{my} %{{y:.5g}}"
                          "<extra></extra>",
        ))
    on = front[front["on_front"]].sort_values(mx)
    fig.add_trace(go.Scatter(x=on[mx], y=on[my], mode="lines", line_shape="hv",
                             name="Pareto front", line={"color": "#111", "dash": "dot"}))
    fig.update_layout(title=f"Pareto front: {mx} ({mode_x}) vs {my} ({mode_y})",
                      xaxis_title=f"{mx} ({mode_x})", yaxis_title=f"{my} ({mode_y})", height=460)
    return fig


def fronts_figure(fronts: pd.DataFrame, *, objectives: Sequence[tuple[str, str]],
                  labels: Sequence[str], reference: Sequence[float] | None = None,
                  hypervolumes: Mapping[str, float] | None = None) -> go.Figure:
    """Each run's own Pareto front on one plot (frame from ``run_fronts``), first two objectives.

    A run's front is drawn as its attainment staircase (the boundary of what it dominates),
    its other trials as faint points; ``reference`` marks the hypervolume's reference point and
    ``hypervolumes`` (label -> value) is added to the legend.
    """
    (mx, mode_x), (my, mode_y) = objectives[0], objectives[1]
    color = _colors(labels)
    fig = go.Figure()
    for label in labels:
        d = fronts[fronts["label"] == label]
        if d.empty:
            continue
        on = d[d["on_front"]].sort_values([mx, my], ascending=[mode_x == "min", mode_y == "min"])
        off = d[~d["on_front"]]
        hv = (hypervolumes or {}).get(label)
        name = label if hv is None else f"{label} (HV {hv:.4g})"
        fig.add_trace(go.Scatter(
            x=on[mx], y=on[my], mode="lines+markers", line_shape="hv", name=name, legendgroup=label,
            line={"color": color[label], "width": 2}, marker={"color": color[label], "size": 8},
            customdata=on[["trial_id"]],
            hovertemplate=f"{label} %{{customdata[0]}}<br>{mx} %{{x:.5g}}<br>{my} %{{y:.5g}}"
                          "<extra>front</extra>"))
        if not off.empty:
            fig.add_trace(go.Scatter(
                x=off[mx], y=off[my], mode="markers", name=f"{label}: dominated", legendgroup=label,
                showlegend=False, marker={"color": _rgba(color[label], 0.3), "size": 5},
                customdata=off[["trial_id"]],
                hovertemplate=f"{label} %{{customdata[0]}}<br>{mx} %{{x:.5g}}<br>{my} %{{y:.5g}}"
                              "<extra>dominated</extra>"))
    if reference is not None:
        fig.add_trace(go.Scatter(x=[reference[0]], y=[reference[1]], mode="markers",
                                 name="reference point", marker={"symbol": "x", "size": 10,
                                                                 "color": "#111"}))
    fig.update_layout(title=f"Pareto front of each run: {mx} ({mode_x}) vs {my} ({mode_y})",
                      xaxis_title=f"{mx} ({mode_x})", yaxis_title=f"{my} ({mode_y})", height=480)
    return fig
