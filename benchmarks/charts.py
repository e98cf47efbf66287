"""Plotly charts of a benchmark: accuracy against latency (with the Pareto front), memory, and per-item CER.

The HTML report and the Benchmark tab draw the same figures. Each function returns None when the run has
nothing to draw (no ground truth, no memory figures), and the caller says so instead of showing an empty plot.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

ACCURACY_AXES = (  # (summary column, axis title, lower is better), the first one the run has
    ("cer_mean", "CER, mean (lower is better)", True),
    ("field_accuracy", "field accuracy (higher is better)", False),
)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, template="plotly_white",
                      height=420, margin=dict(l=60, r=20, t=60, b=60))
    return fig


def pareto_front(points: list[tuple[str, float, float]], lower_is_better: bool) -> list[str]:
    """The models no other model beats on both latency and accuracy, fastest first."""
    front, best = [], None
    for name, latency, accuracy in sorted(points, key=lambda p: (p[1], p[2] if lower_is_better else -p[2])):
        if best is None or (accuracy < best if lower_is_better else accuracy > best):
            front.append(name)
            best = accuracy
    return front


def pareto_chart(summary: pd.DataFrame, title: str = "Accuracy vs latency") -> go.Figure | None:
    axis = next((a for a in ACCURACY_AXES if a[0] in summary and summary[a[0]].notna().any()), None)
    if axis is None or "latency_p50_s" not in summary:
        return None
    column, y_title, lower_is_better = axis
    data = summary.dropna(subset=[column, "latency_p50_s"])
    points = list(zip(data["model"], data["latency_p50_s"], data[column]))
    front = pareto_front(points, lower_is_better)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=data["latency_p50_s"], y=data[column], mode="markers+text", text=data["model"],
        textposition="top center", name="models", cliponaxis=False,
        marker=dict(size=14, color=["#d62728" if m in front else "#7f7f7f" for m in data["model"]])))
    by_name = {name: (latency, accuracy) for name, latency, accuracy in points}
    fig.add_trace(go.Scatter(x=[by_name[m][0] for m in front], y=[by_name[m][1] for m in front],
                             mode="lines", line=dict(dash="dot", color="#d62728"), name="Pareto front"))
    fig.update_xaxes(rangemode="tozero")  # room for the labels, and the speed gap seen to scale
    return _layout(fig, title, "latency p50, s per page", y_title)


def memory_chart(summary: pd.DataFrame, labels: dict[str, str] | None = None,
                 title: str = "Memory, peak per model") -> go.Figure | None:
    columns = [c for c in summary.columns if c.startswith("mem_") and summary[c].notna().any()]
    if not columns:
        return None
    labels = labels or {}
    fig = go.Figure([go.Bar(name=labels.get(c, c), x=summary["model"], y=summary[c]) for c in columns])
    fig.update_layout(barmode="group")
    return _layout(fig, title, "model", "MB")


def cer_distribution_chart(results: pd.DataFrame, title: str = "CER per item") -> go.Figure | None:
    scored = results[(results["status"] == "ok") & results["cer"].notna()] if "cer" in results else results[:0]
    if scored.empty:
        return None
    fig = go.Figure([go.Box(y=group["cer"], name=model, boxpoints="all", jitter=0.4, pointpos=0,
                            text=group["item"], hovertemplate="%{text}: CER %{y:.3f}<extra></extra>")
                     for model, group in scored.groupby("model", sort=False)])
    return _layout(fig, title, "model", "CER (per item)")
