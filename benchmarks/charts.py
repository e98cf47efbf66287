"""Plotly charts of a benchmark: accuracy against latency (with the Pareto front), memory, per-item CER, and a
concurrency sweep's throughput against latency.

The HTML report and the Benchmark tab draw the same figures. Each function returns None when the run has
nothing to draw (no ground truth, no memory figures), and the caller says so instead of showing an empty plot.
Titles, axes and legends are in the language asked for (benchmarks/report_strings.py), and so are the numbers on
the axes.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from benchmarks.report_strings import words
from core.numbers import separators

ACCURACY_AXES = (  # (summary column, axis title's key, lower is better), the first one the run has
    ("cer_mean", "axis_cer_mean", True),
    ("field_accuracy", "axis_field_accuracy", False),
)
CURVE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _layout(fig: go.Figure, lang: str, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(title=words(lang, title), xaxis_title=words(lang, x_title), yaxis_title=words(lang, y_title),
                      separators=separators(lang), template="plotly_white",
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


def pareto_chart(summary: pd.DataFrame, lang: str = "en") -> go.Figure | None:
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
        # A label reaches inwards from its point, so that the leftmost and rightmost stay inside the figure.
        textposition=["top right" if x <= data["latency_p50_s"].max() / 2 else "top left"
                      for x in data["latency_p50_s"]], name=words(lang, "legend_models"), cliponaxis=False,
        marker=dict(size=14, color=["#d62728" if m in front else "#7f7f7f" for m in data["model"]])))
    by_name = {name: (latency, accuracy) for name, latency, accuracy in points}
    fig.add_trace(go.Scatter(x=[by_name[m][0] for m in front], y=[by_name[m][1] for m in front],
                             mode="lines", line=dict(dash="dot", color="#d62728"),
                             name=words(lang, "legend_pareto")))
    # Room around the points for their labels: a third more to the right and above, so that neither the
    # rightmost nor the top label is cut off; the x axis from 0, so that the speed gap is seen to scale.
    latency, accuracy = data["latency_p50_s"], data[column]
    span = max(accuracy.max() - accuracy.min(), abs(accuracy.max()) * 0.2, 0.05)
    fig.update_xaxes(range=[0, max(latency.max(), 0.01) * 1.3])
    fig.update_yaxes(range=[accuracy.min() - span * 0.15, accuracy.max() + span * 0.3])
    _layout(fig, lang, "chart_pareto", "axis_latency_p50", y_title)
    fig.update_layout(margin=dict(l=60, r=40, t=70, b=60))
    return fig


def memory_chart(summary: pd.DataFrame, labels: dict[str, str] | None = None, lang: str = "en") -> go.Figure | None:
    columns = [c for c in summary.columns if c.startswith("mem_") and summary[c].notna().any()]
    if not columns:
        return None
    labels = labels or {}
    fig = go.Figure([go.Bar(name=labels.get(c, c), x=summary["model"], y=summary[c]) for c in columns])
    fig.update_layout(barmode="group")
    return _layout(fig, lang, "chart_memory", "axis_model", "axis_mib")


def cer_distribution_chart(results: pd.DataFrame, lang: str = "en") -> go.Figure | None:
    scored = results[(results["status"] == "ok") & results["cer"].notna()] if "cer" in results else results[:0]
    if scored.empty:
        return None
    fig = go.Figure([go.Box(y=group["cer"], name=model, boxpoints="all", jitter=0.4, pointpos=0,
                            text=group["item"], hovertemplate="%{text}: CER %{y:.3f}<extra></extra>")
                     for model, group in scored.groupby("model", sort=False)])
    return _layout(fig, lang, "chart_cer", "axis_model", "axis_cer_item")


def throughput_latency_chart(load: pd.DataFrame | None, lang: str = "en") -> go.Figure | None:
    """A concurrency sweep: latency p50 (solid) and p90 (dotted) against throughput, a line per model and a
    point per concurrency level (labelled c=N); buttons switch the x axis between pages/s and output tokens/s."""
    if load is None or load.empty or not {"pages_per_s", "latency_p50_s"} <= set(load.columns):
        return None
    data = load.dropna(subset=["pages_per_s", "latency_p50_s"])
    if data.empty:
        return None
    fig, by_pages, by_tokens = go.Figure(), [], []
    pages, tokens = words(lang, "axis_pages_s"), words(lang, "axis_tokens_s")
    for n, (model, group) in enumerate(data.groupby("model", sort=False)):
        group = group.sort_values("concurrency")
        color = CURVE_COLORS[n % len(CURVE_COLORS)]
        for percentile, dash in (("p50", "solid"), ("p90", "dot")):
            fig.add_trace(go.Scatter(
                x=group["pages_per_s"], y=group[f"latency_{percentile}_s"],
                name=words(lang, "legend_latency").format(model=model, percentile=percentile),
                mode="lines+markers+text" if percentile == "p50" else "lines+markers",
                text=[f"c={c}" for c in group["concurrency"]], textposition="top left", cliponaxis=False,
                line=dict(color=color, dash=dash), customdata=group[["concurrency", "output_tokens_per_s"]],
                hovertemplate=words(lang, "hover_load").format(
                    model=model, in_flight="%{customdata[0]}", pages_s="%{x:.3g}", tokens_s="%{customdata[1]:.4g}",
                    percentile=percentile, latency="%{y:.3g}") + "<extra></extra>"))
            by_pages.append(list(group["pages_per_s"]))
            by_tokens.append(list(group["output_tokens_per_s"]))
    fig.update_layout(updatemenus=[dict(type="buttons", direction="right", x=1.0, xanchor="right", y=1.12, buttons=[
        dict(label=pages, method="update", args=[{"x": by_pages}, {"xaxis.title.text": pages}]),
        dict(label=tokens, method="update", args=[{"x": by_tokens}, {"xaxis.title.text": tokens}])])])
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, lang, "chart_load", "axis_pages_s", "axis_load_latency")
