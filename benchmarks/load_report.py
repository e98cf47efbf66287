"""A concurrency sweep in the report files: load_results.csv, load_summary.csv, its part of results.json, and its
sections of report.md and report.html. A run without a sweep has none of them."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from benchmarks import charts
from benchmarks.html_parts import html_table
from benchmarks.report_strings import words
from benchmarks.load_summary import load_summary, request_rows
from benchmarks.runner import BenchmarkRun
from core.exports import write_csv
from core.numbers import number

LOAD_FILES = ("load_summary.csv", "load_results.csv")
LOAD_MARKDOWN_COLUMNS = ("model", "concurrency", "requests", "errors", "pages_per_s", "output_tokens_per_s",
                         "goodput_pages_per_s", "ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "itl_p50_s",
                         "itl_p99_s", "latency_p50_s", "latency_p90_s", "latency_p99_s", "batching")
BATCHING = ("batched", "queued", "single")  # the codes of load_summary.csv's batching column, words in report_strings


def summary_frame(run: BenchmarkRun) -> pd.DataFrame | None:
    return load_summary(run.levels, run.load.slo_s) if run.load and run.levels else None


def write_load_files(run: BenchmarkRun, out: Path) -> dict[str, Path]:
    """load_summary.csv and load_results.csv, when the run had a sweep."""
    summary = summary_frame(run)
    if summary is None:
        return {}
    paths = {name: out / name for name in LOAD_FILES}
    write_csv(paths["load_summary.csv"], summary)
    write_csv(paths["load_results.csv"], request_rows(run.levels))
    return paths


def load_record(run: BenchmarkRun, with_requests: bool) -> dict:
    """The sweep's part of results.json (every request with its chunk times) or of the history (the summary)."""
    if not run.load:
        return {}
    summary = summary_frame(run)
    record = {"levels": list(run.load.levels), "slo_s": run.load.slo_s, "wall_s": round(run.load_wall_s, 3),
              "skipped": run.load_skipped,
              "summary": [] if summary is None else json.loads(summary.to_json(orient="records"))}
    if with_requests:
        record["requests"] = [{"key": level.key, "concurrency": level.concurrency, **r}
                              for level in run.levels for r in level.records]
    return {"load": record}


def header_line(run: BenchmarkRun, lang: str = "en") -> list[str]:
    if not run.load:
        return []
    target = words(lang, "sweep_target").format(slo=f"{run.load.slo_s:g}") if run.load.slo_s else ""
    return [words(lang, "sweep_line").format(levels=", ".join(map(str, run.load.levels)), target=target,
                                             wall=number(lang, run.load_wall_s, 1))]


def _shown(summary: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    shown = summary[[c for c in LOAD_MARKDOWN_COLUMNS if c in summary]].dropna(axis=1, how="all")
    return shown.assign(batching=shown["batching"].map(lambda code: words(lang, code) if code in BATCHING else code))


def load_markdown(run: BenchmarkRun) -> list[str]:
    summary = summary_frame(run)
    lines = [] if summary is None else [
        "## Throughput under load", "",
        "Per model and concurrency level (requests in flight): throughput over the level's wall time; TTFT, TPOT "
        "(per output token after the first) and ITL (between stream chunks) from the stream as the client saw it.",
        "", _shown(summary).to_markdown(index=False, floatfmt=".4g"), ""]
    if run.load_skipped:
        lines += [f"- not swept: **{key}**: {why}" for key, why in run.load_skipped.items()] + [""]
    return lines


def load_html(run: BenchmarkRun, lang: str = "en") -> str:
    """The sweep's section of report.html (in `lang`), whose head loads plotly.js."""
    summary = summary_frame(run)
    if summary is None:
        return ""
    figure = charts.throughput_latency_chart(summary, lang)
    plot = figure.to_html(full_html=False, include_plotlyjs=False) if figure is not None else ""
    table = html_table(_shown(summary, lang), lang)
    skipped = "".join(f"<p>{html.escape(words(lang, 'not_swept').format(key=key, why=why))}</p>"
                      for key, why in run.load_skipped.items())
    return f'<h2>{words(lang, "load_section")}</h2>{plot}{table}{skipped}'
