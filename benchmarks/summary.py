"""The per-model summary: an aggregate of the per-item results, and nothing else.

`summarize(results)` takes the rows of results.csv and returns the rows of summary.csv, so the two files can
never disagree. Means and percentiles skip the items a metric does not apply to (no ground truth, or an error).
"""
from __future__ import annotations

import pandas as pd

from benchmarks.trackers import describe
from core.metrics import TEXT_METRICS
LAYOUT_METRICS = ("layout_overall", "layout_text_ed", "table_teds", "table_teds_s", "reading_order_ed",
                  "page_tests_passed")  # present on layout runs only (core/layout/reading.py)


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for key, group in results.groupby("key", sort=False):
        ok = group[group["status"] == "ok"]
        latency = describe(ok["latency_s"])
        total_latency = ok["latency_s"].sum()
        row = {
            "model": group["model"].iloc[0],
            "key": key,
            "items": len(group),
            "errors": int((group["status"] != "ok").sum()),
            **{f"{name}_mean": _mean(ok[name]) for name in TEXT_METRICS},
            "field_accuracy": _mean(ok["field_accuracy"]) if "field_accuracy" in ok else None,
            "latency_mean_s": latency.mean,
            "latency_p50_s": latency.p50,
            "latency_p90_s": latency.p90,
            "first_token_p50_s": describe(ok["first_token_s"]).p50,
            "tokens_per_s_mean": _mean(ok["tokens_per_s"]),
            "pages_per_s": len(ok) / total_latency if total_latency > 0 else None,
            "load_s": _max(group["load_s"]),
            "chars_mean": _mean(ok["chars"]),
            "output_tokens_mean": _mean(ok["output_tokens"]),
        }
        row |= {f"{name}_mean": _mean(ok[name]) for name in LAYOUT_METRICS if name in results.columns}
        for column in results.columns:
            if column.startswith("field_") and column != "field_accuracy":
                row[f"{column}_acc"] = _mean(ok[column])
            elif column.startswith("mem_"):
                row[column] = _max(ok[column])
        rows.append(row)
    summary = pd.DataFrame(rows)
    return summary.round(4)


def _mean(values: pd.Series) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.mean()) if len(values) else None


def _max(values: pd.Series) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.max()) if len(values) else None
