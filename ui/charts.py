"""Plotly figures for an arena run. Plotly is imported on first use, not at app start."""
from __future__ import annotations

from core.arena_run import ArenaRun
from core.numbers import number, separators
from ui.i18n import text


def _layout(fig, lang: str, title: str, y_title: str):
    # Every figure here is a count or a duration: the y axis starts at 0, so a zero bar reads as zero. The axis
    # ticks write numbers as the language does ("0,5" in Russian).
    fig.update_layout(title=title, yaxis_title=y_title, barmode="stack", height=340, separators=separators(lang),
                      margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(rangemode="tozero")
    return fig


def speed_chart(run: ArenaRun, lang: str):
    """Load and inference seconds per model, stacked: a cold model's bar shows what loading cost."""
    import plotly.graph_objects as go

    rows = [r for r in run.rows() if r["latency_s"] is not None]
    names = [r["model"] for r in rows]
    fig = go.Figure([
        go.Bar(name=text(lang, "ch_load"), x=names, y=[r["load_s"] or 0 for r in rows]),
        go.Bar(name=text(lang, "ch_inference"), x=names, y=[r["latency_s"] for r in rows]),
    ])
    return _layout(fig, lang, text(lang, "ar_chart_speed"), text(lang, "ch_seconds"))


def output_chart(run: ArenaRun, lang: str):
    """Characters per model, beside the ground truth's length when there is one (more is not better)."""
    import plotly.graph_objects as go

    rows = [r for r in run.rows() if r["status"] == "ok"]
    names, values = [r["model"] for r in rows], [r["chars"] for r in rows]
    if run.has_truth:
        names.append(text(lang, "ch_truth_chars"))
        values.append(len(run.ground_truth))
    fig = go.Figure([go.Bar(x=names, y=values, marker_color=["#636efa"] * len(rows) + ["#00cc96"] * run.has_truth)])
    return _layout(fig, lang, text(lang, "ar_chart_output"), text(lang, "ch_chars"))


def accuracy_chart(run: ArenaRun, lang: str):
    import plotly.graph_objects as go

    rows = [r for r in run.rows() if r["cer"] is not None]
    names = [r["model"] for r in rows]
    rates = [("CER", "cer"), ("WER", "wer")]
    if any(r.get("cer_folded") is not None for r in rows):
        rates.insert(1, (text(lang, "tb_cer_folded"), "cer_folded"))
    # A perfect reading (0) still gets a sliver of a bar, its value written above it, and the axis runs from
    # 0 to at least 0.1: an all-zero chart is not blank, nor centred on 0 from -1 to 1.
    top = max([r.get(key) or 0 for r in rows for _, key in rates] + [0.1])
    fig = go.Figure([go.Bar(name=label, x=names, y=[max(r.get(key) or 0, top / 200) for r in rows],
                            text=["" if r.get(key) is None else number(lang, r[key], 3) for r in rows],
                            textposition="outside", cliponaxis=False, hoverinfo="x+text+name")
                     for label, key in rates])
    _layout(fig, lang, text(lang, "ar_chart_accuracy"), text(lang, "ch_error_rate"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, top * 1.2])
    return fig
