"""Plotly figure builders. They only draw frames computed elsewhere in :mod:`raysweep.compare`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

__all__ = [
    "anytime_figure",
    "distribution_figure",
    "learning_figure",
    "marginal_figure",
    "parallel_figure",
]

_AXIS_TITLES = {
    "trials": "trials finished",
    "iterations": "iterations (compute)",
    "compute_seconds": "compute seconds (summed over trials)",
    "wall_seconds": "wall seconds",
}


def _colors(labels: Sequence[str]) -> dict[str, str]:
    palette = qualitative.Plotly
    return {label: palette[i % len(palette)] for i, label in enumerate(labels)}


def _rgba(color: str, alpha: float) -> str:
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def anytime_figure(
    curves: Mapping[str, pd.DataFrame],
    *,
    labels: Sequence[str],
    metric: str,
    bands: Mapping[str, pd.DataFrame] | None = None,
    group_of: Mapping[str, str] | None = None,
    targets: pd.Series | None = None,
    y_range: tuple[float, float] | None = None,
    title: str = "Anytime best",
) -> go.Figure:
    """Anytime-best of every run, one panel per axis (frames from ``anytime_best``).

    Runs of one group (sweep) share a colour. ``bands`` (frames from ``seed_bands``) add each
    multi-run group's median (thick) and band; ``targets`` (from ``target_values``) draws the
    target levels as dotted lines; ``y_range`` sets the initial y range (zoom out to see all).
    """
    axes = list(curves)
    cols = 2 if len(axes) > 1 else 1
    rows = math.ceil(len(axes) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_AXIS_TITLES[a] for a in axes],
                        horizontal_spacing=0.08, vertical_spacing=0.14)
    group_of = {label: (group_of or {}).get(label, label) for label in labels}
    group_color = _colors(list(dict.fromkeys(group_of.values())))
    color = {label: group_color[group_of[label]] for label in labels}
    several = {g for g in group_color if list(group_of.values()).count(g) > 1}
    for i, axis in enumerate(axes):
        row, col = i // cols + 1, i % cols + 1
        frame = curves[axis]
        for label in labels:
            c = frame[frame["label"] == label]
            fig.add_trace(go.Scatter(
                x=c["x"], y=c["best"], mode="lines", line_shape="hv", name=label,
                legendgroup=label, showlegend=i == 0,
                line={"color": _rgba(color[label], 0.55) if group_of[label] in several
                      else color[label], "width": 1 if group_of[label] in several else 2},
                hovertemplate=f"{label}<br>x=%{{x:.4g}}<br>best=%{{y:.5g}}<extra></extra>",
            ), row=row, col=col)
        band = (bands or {}).get(axis)
        if band is not None:
            for group, b in band.groupby("group", sort=False):
                if b["lo"].isna().all():
                    continue
                fill = _rgba(group_color.get(group, "#7f7f7f"), 0.2)
                name = f"{group} median (n={int(b['n_runs'].iloc[0])})"
                sx, shi, slo = _steps(b["x"].to_numpy(), b["hi"].to_numpy(), b["lo"].to_numpy())
                fig.add_trace(go.Scatter(
                    x=np.concatenate([sx, sx[::-1]]),
                    y=np.concatenate([shi, slo[::-1]]), fill="toself", fillcolor=fill,
                    line={"width": 0}, hoverinfo="skip", legendgroup=name, showlegend=False,
                    name=name,
                ), row=row, col=col)
                fig.add_trace(go.Scatter(
                    x=b["x"], y=b["median"], mode="lines", line_shape="hv", name=name,
                    legendgroup=name,
                    showlegend=i == 0, line={"color": group_color.get(group), "width": 3},
                ), row=row, col=col)
        if targets is not None:
            middle = float(np.nanmedian(targets.to_numpy(dtype=float)))
            for level, value in targets.items():
                if np.isfinite(value):
                    fig.add_hline(y=value, line={"dash": "dot", "color": "#888", "width": 1},
                                  annotation_text=f"{level:.0%}", row=row, col=col,
                                  annotation_position="top right" if value > middle
                                  else "bottom right")
        fig.update_yaxes(title_text=metric, row=row, col=col, range=y_range)
    fig.update_layout(title=title, height=360 * rows, hovermode="closest",
                      legend={"orientation": "h", "y": -0.08})
    return fig


def _steps(x: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Vertices of step functions (value held until the next x), for filled bands."""
    sx = np.repeat(x, 2)[1:]
    return (sx, *(np.repeat(y, 2)[:-1] for y in ys))


def distribution_figure(trials: pd.DataFrame, *, labels: Sequence[str], metric: str) -> go.Figure:
    """The metric's distribution over each run's trials (columns ``label``, ``value``).

    A run with more than ``BOX_POINTS_MAX`` trials is drawn from box statistics computed over
    all its trials, with only the points beyond the whiskers (``_downsample.box_summary``).
    """
    from ._downsample import BOX_POINTS_MAX, box_summary

    color = _colors(labels)
    fig = go.Figure()
    for label in labels:
        values = trials.loc[trials["label"] == label, "value"].dropna()
        if len(values) <= BOX_POINTS_MAX:
            fig.add_trace(go.Box(y=values, name=label, boxpoints="all", jitter=0.4, pointpos=0,
                                 marker={"color": color[label], "size": 4}, line={"width": 1}))
            continue
        box = box_summary(values.to_numpy(dtype=float))
        fig.add_trace(go.Box(
            x=[label], name=label, q1=[box["q1"]], median=[box["median"]], q3=[box["q3"]],
            lowerfence=[box["lowerfence"]], upperfence=[box["upperfence"]], mean=[box["mean"]],
            boxpoints=False, marker={"color": color[label]}, line={"width": 1},
            hovertemplate=f"{label}: {box['n']} trials<extra></extra>"))
        if box["outliers"].size:
            fig.add_trace(go.Scatter(
                x=[label] * box["outliers"].size, y=box["outliers"], mode="markers",
                name=f"{label}: beyond the whiskers", showlegend=False,
                marker={"color": color[label], "size": 4}))
    fig.update_layout(title=f"Distribution of {metric} per run (each trial's best)",
                      yaxis_title=metric, showlegend=False, height=420)
    return fig


def parallel_figure(top: pd.DataFrame, *, params: Sequence[str], metric: str,
                    labels: Sequence[str]) -> go.Figure:
    """Parallel coordinates of the top trials (frame from ``top_trials``), coloured by metric."""
    dims = [{"label": "run", "values": top["label"].map({lab: i for i, lab in enumerate(labels)}),
             "tickvals": list(range(len(labels))), "ticktext": list(labels),
             "range": [-0.5, len(labels) - 0.5]}]
    for name in params:
        column = top["config." + name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = column.astype(float)
            if (values > 0).all() and values.max() / values.min() > 100:
                dims.append({"label": f"log10 {name}", "values": np.log10(values)})
            else:
                dims.append({"label": name, "values": values})
        else:
            cats = sorted({str(v) for v in column})
            lookup = {c: i for i, c in enumerate(cats)}
            dims.append({"label": name, "values": column.astype(str).map(lookup),
                         "tickvals": list(range(len(cats))), "ticktext": cats})
    dims.append({"label": metric, "values": top["value"]})
    fig = go.Figure(go.Parcoords(
        dimensions=dims,
        line={"color": top["value"], "colorscale": "Viridis", "showscale": True,
              "colorbar": {"title": {"text": metric}}},
    ))
    fig.update_layout(title="Top trials (parallel coordinates)", height=460)
    return fig


def marginal_figure(effects: pd.DataFrame, *, labels: Sequence[str], metric: str) -> go.Figure:
    """Each parameter's marginal effect (frame from ``marginal_effects``), one panel each."""
    params = list(dict.fromkeys(effects["parameter"])) or ["(no parameters)"]
    cols = min(3, len(params))
    rows = math.ceil(len(params) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=params,
                        vertical_spacing=0.3 / rows, horizontal_spacing=0.08)
    color = _colors(labels)
    for i, name in enumerate(params):
        row, col = i // cols + 1, i % cols + 1
        e = effects[effects["parameter"] == name]
        for label in labels:
            d = e[e["label"] == label]
            if d.empty:
                continue
            fig.add_trace(go.Scatter(
                x=d["x"], y=d["median"], mode="lines+markers", name=label, legendgroup=label,
                showlegend=i == 0, line={"color": color[label]}, customdata=d[["x_label", "count"]],
                hovertemplate=(f"{label}<br>{name} %{{customdata[0]}}<br>median %{{y:.5g}}"
                               "<br>n=%{customdata[1]}<extra></extra>"),
            ), row=row, col=col)
        x = e["x"].astype(float)
        if len(x) and (x > 0).all() and x.max() / x.min() > 100:
            fig.update_xaxes(type="log", row=row, col=col)
        elif len(e) and not e["x_label"].str.startswith("[").any():
            ticks = e.drop_duplicates("x")
            fig.update_xaxes(tickvals=ticks["x"], ticktext=ticks["x_label"], row=row, col=col)
        fig.update_yaxes(title_text=f"median {metric}" if col == 1 else None, row=row, col=col)
    fig.update_layout(title="Marginal effect of each parameter (median per bin)",
                      height=300 * rows + 140, legend={"orientation": "h", "y": -0.15})
    return fig


def learning_figure(curves: pd.DataFrame, *, labels: Sequence[str], metric: str,
                    cutoffs: pd.DataFrame | None = None,
                    bands: pd.DataFrame | None = None) -> go.Figure:
    """Every trial's learning curve per run (frame from ``learning_curves``), stop points marked;
    ``cutoffs`` (frame from ``rung_cutoffs``) draws ASHA's cutoff at each rung as a dash.

    ``bands`` (frame from ``_downsample.curve_band``): for the runs it covers, the median and the
    25-75 % and 5-95 % bands of all their trials are drawn under the curves given.
    """
    bands = bands if bands is not None else pd.DataFrame(columns=["label"])
    shown = [lab for lab in labels if (curves["label"] == lab).any()
             or (bands["label"] == lab).any()] or list(labels[:1])
    fig = make_subplots(rows=len(shown), cols=1, subplot_titles=shown, shared_xaxes=True,
                        vertical_spacing=0.25 / max(len(shown), 1))
    color = _colors(labels)
    for i, label in enumerate(shown):
        c = curves[curves["label"] == label]
        _band_traces(fig, bands[bands["label"] == label], color[label], label, i + 1)
        xs: list = []
        ys: list = []
        for _, t in c.groupby(["trial_id", "attempt"], sort=False):
            xs += [*t["training_iteration"], None]
            ys += [*t["value"], None]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", name=label, legendgroup=label, connectgaps=False,
            line={"color": _rgba(color[label], 0.45), "width": 1}, showlegend=True,
        ), row=i + 1, col=1)
        stops = c[c["stopped"]]
        if not stops.empty:
            fig.add_trace(go.Scatter(
                x=stops["training_iteration"], y=stops["value"], mode="markers",
                name=f"{label}: early stop", legendgroup=label,
                marker={"symbol": "x", "size": 7, "color": "#d62728"},
                customdata=stops["trial_id"],
                hovertemplate="%{customdata}<br>stopped at %{x}<br>%{y:.5g}<extra></extra>",
            ), row=i + 1, col=1)
        cut = cutoffs[cutoffs["label"] == label] if cutoffs is not None else None
        if cut is not None and not cut.empty:
            fig.add_trace(go.Scatter(
                x=cut["milestone"], y=cut["cutoff"], mode="markers", name=f"{label}: ASHA cutoff",
                legendgroup=label,
                marker={"symbol": "line-ew-open", "size": 26, "color": "#222",
                        "line": {"width": 3}},
                customdata=cut[["bracket", "n_promoted", "n_stopped", "cutoff_min",
                                "cutoff_max"]],
                hovertemplate=("rung %{x} (bracket %{customdata[0]})<br>last cutoff %{y:.5g}"
                               "<br>range %{customdata[3]:.5g} .. %{customdata[4]:.5g}"
                               "<br>%{customdata[1]} promoted, %{customdata[2]} stopped"
                               "<extra></extra>"),
            ), row=i + 1, col=1)
        fig.update_yaxes(title_text=metric, row=i + 1, col=1)
    fig.update_xaxes(title_text="training iteration", row=len(shown), col=1)
    fig.update_layout(title="Learning curves (x: early stop)", height=max(320, 260 * len(shown)))
    return fig


def _band_traces(fig: go.Figure, band: pd.DataFrame, color: str, label: str, row: int) -> None:
    """Quantile bands (5-95 %, 25-75 %) and the median of all of a run's trials per iteration."""
    if band.empty:
        return
    x = band["training_iteration"].to_numpy()
    for lo, hi, alpha in (("q05", "q95", 0.12), ("q25", "q75", 0.25)):
        fig.add_trace(go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=np.concatenate([band[hi].to_numpy(), band[lo].to_numpy()[::-1]]),
            fill="toself", fillcolor=_rgba(color, alpha), line={"width": 0}, hoverinfo="skip",
            name=f"{label}: {int(lo[1:])}-{int(hi[1:])} % of trials", legendgroup=f"{label} band",
            showlegend=lo == "q05"), row=row, col=1)
    fig.add_trace(go.Scatter(
        x=x, y=band["q50"], mode="lines", name=f"{label}: median of all trials",
        legendgroup=f"{label} band", line={"color": color, "width": 2, "dash": "dash"},
        customdata=band[["n", "n_stopped"]],
        hovertemplate=("iteration %{x}<br>median %{y:.5g}<br>%{customdata[0]} trials reported"
                       "<br>%{customdata[1]} stopped early here<extra></extra>"),
    ), row=row, col=1)
