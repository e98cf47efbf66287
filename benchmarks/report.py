"""A benchmark run's files: results.csv, summary.csv, results.json, report.md and report.html.

report.html is written in the language asked for (English or Russian: its words, table headers, numbers and
charts); report.md and the CSV/JSON files stay in English, with the column names the scripts that read them know.
"""
from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from benchmarks import charts, load_report
from benchmarks.html_parts import HTML_STYLE, PLOTLY_JS, html_table, write_plotly_js
from benchmarks.report_strings import column, words
from benchmarks.runner import BenchmarkRun
from benchmarks.summary import summarize
from core import memory_words as memory_word_source
from core.exports import write_csv, write_json
from core.numbers import number

REPORT_FILES = ("summary.csv", "results.csv", "results.json", "report.md", "report.html")
MARKDOWN_COLUMNS = ("model", "items", "errors", "cer_mean", "cer_folded_mean", "wer_mean", "word_f1_mean",
                    "field_accuracy", "layout_overall_mean", "table_teds_mean", "reading_order_ed_mean", "page_tests_passed_mean",
                    "latency_p50_s", "latency_p90_s", "pages_per_s", "load_s", "chars_mean")


def results_frame(run: BenchmarkRun) -> pd.DataFrame:
    return pd.DataFrame(run.rows)


def overhead(run: BenchmarkRun) -> float | None:
    """The benchmark's wall time over the time the engines reported: 1.0 would be no overhead at all."""
    return run.wall_s / run.engine_s if run.engine_s > 0 else None


def run_record(run: BenchmarkRun, summary: pd.DataFrame) -> dict:
    """Everything about the run except the per-item rows: results.json's header and the history's record."""
    return {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "dataset": {"name": run.dataset.name, "folder": str(run.dataset.folder), "items": len(run.dataset.items),
                    "problems": run.dataset.problems},
        "models": run.models,
        "settings": {**asdict(run.settings), "normalization": asdict(run.settings.normalization)},
        "normalization": run.settings.normalization.describe(),
        "wall_s": round(run.wall_s, 3),
        "engine_s": round(run.engine_s, 3),
        "overhead": _round(overhead(run)),
        "memory_labels": run.memory_labels,
        "summary": _records(summary),
        **load_report.load_record(run, with_requests=False),
    }


def write_report(run: BenchmarkRun, out: Path, lang: str = "en", memory_words: dict[str, str] | None = None
                 ) -> dict[str, Path]:
    """Write every report file into `out` (created if needed), report.html in `lang`; returns them by name.
    `memory_words`: the engines' memory labels (English) in `lang`, from the caller's own table."""
    out.mkdir(parents=True, exist_ok=True)
    results = results_frame(run)
    summary = summarize(results)
    paths = {name: out / name for name in REPORT_FILES}
    write_csv(paths["results.csv"], results)
    write_csv(paths["summary.csv"], summary)
    items = [{**row, "text": run.texts[(row["key"], row["item"])], "runs": run.runs[(row["key"], row["item"])]}
             for row in _records(results)]
    record = {**run_record(run, summary), **load_report.load_record(run, with_requests=True), "items": items}
    write_json(paths["results.json"], record)
    paths["report.md"].write_text(markdown_report(run, summary, results), encoding="utf-8")
    paths["report.html"].write_text(html_report(run, summary, results, lang, memory_words), encoding="utf-8")
    paths[PLOTLY_JS] = write_plotly_js(out)
    return paths | load_report.write_load_files(run, out)


def _header_lines(run: BenchmarkRun, lang: str = "en") -> list[str]:
    """What ran, in Markdown (report.html drops the marks)."""
    s = run.settings
    ratio = overhead(run)
    return [
        words(lang, "run_line").format(run_id=f"`{run.run_id}`", started=run.started_at),
        words(lang, "dataset_line").format(
            dataset=f"**{run.dataset.name}**", items=len(run.dataset.items), folder=f"`{run.dataset.folder}`",
            task=f"`{s.task}`", warmup=s.warmup, repeats=s.repeats, normalization=s.normalization.describe()),
        words(lang, "wall_line").format(wall=number(lang, run.wall_s, 1), engine=number(lang, run.engine_s, 1))
        + (words(lang, "overhead").format(ratio=number(lang, ratio, 3)) if ratio else "") + ".",
        *load_report.header_line(run, lang),
    ]


def markdown_report(run: BenchmarkRun, summary: pd.DataFrame, results: pd.DataFrame) -> str:
    lines = [f"# Benchmark: {run.dataset.name}", "", *_header_lines(run), "", "## Summary", "",
             summary[[c for c in MARKDOWN_COLUMNS if c in summary]].to_markdown(index=False, floatfmt=".4g"), ""]
    field_columns = [c for c in summary.columns if c.startswith("field_") and c.endswith("_acc")]
    if field_columns:
        per_field = summary[["model", *field_columns]].rename(columns=lambda c: c.removeprefix("field_")
                                                              .removesuffix("_acc"))
        lines += ["## Field accuracy per field", "", per_field.to_markdown(index=False, floatfmt=".3g"), ""]
    memory_columns = [c for c in summary.columns if c.startswith("mem_")]
    if memory_columns:
        memory = summary[["model", *memory_columns]].rename(columns=lambda c: run.memory_labels.get(c, c))
        lines += ["## Memory (MiB, peak)", "", memory.to_markdown(index=False, floatfmt=".1f"), ""]
    lines += load_report.load_markdown(run)
    errors = results[results["status"] != "ok"]
    if not errors.empty:
        lines += ["## Errors", ""] + [f"- **{r.model}**, `{r.item}` ({r.status}): {r.message}"
                                      for r in errors.itertuples()] + [""]
    return "\n".join(lines)


def html_report(run: BenchmarkRun, summary: pd.DataFrame, results: pd.DataFrame, lang: str = "en",
                memory_words: dict[str, str] | None = None) -> str:
    memory_labels = memory_headers(run, memory_words, lang)
    figures = [charts.pareto_chart(summary, lang), charts.memory_chart(summary, memory_labels, lang),
               charts.cer_distribution_chart(results, lang)]
    plots = "".join(fig.to_html(full_html=False, include_plotlyjs=False) for fig in figures if fig is not None)
    header = "".join(f"<p>{html.escape(line.replace('**', '').replace('`', ''))}</p>"
                     for line in _header_lines(run, lang))
    summary_table = html_table(summary[[c for c in MARKDOWN_COLUMNS if c in summary]], lang)
    sections = [f"<h2>{words(lang, 'summary')}</h2>{summary_table}"]
    field_columns = [c for c in summary.columns if c.startswith("field_") and c.endswith("_acc")]
    if field_columns:
        per_field = summary[["model", *field_columns]].rename(columns=lambda c: c.removeprefix("field_")
                                                              .removesuffix("_acc"))
        sections.append(f"<h2>{words(lang, 'per_field')}</h2>{html_table(per_field, lang, 3)}")
    memory_columns = [c for c in summary.columns if c.startswith("mem_")]
    if memory_columns:
        memory = summary[["model", *memory_columns]].rename(columns=lambda c: memory_labels.get(c, c))
        sections.append(f"<h2>{words(lang, 'memory')}</h2>{html_table(memory, lang, 1)}")
    errors = results[results["status"] != "ok"][["model", "item", "status", "message"]]
    error_rows = "".join(f"<tr><td>{html.escape(str(r.model))}</td><td>{html.escape(str(r.item))}</td>"
                         f"<td>{html.escape(str(r.status))}</td><td class=\"message\">"
                         f"{html.escape('' if pd.isna(r.message) else str(r.message))}</td></tr>"
                         for r in errors.itertuples())
    error_headers = "".join(f"<th>{html.escape(column(lang, name))}</th>" for name in errors.columns)
    errors_html = (f'<div class="wide"><table><tr>{error_headers}</tr>{error_rows}</table></div>' if error_rows
                   else f"<p>{words(lang, 'none')}</p>")
    title = words(lang, "title")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} {html.escape(run.run_id)}</title>
<style>{HTML_STYLE}</style><script src="{PLOTLY_JS}"></script></head>
<body><h1>{title}: {html.escape(run.dataset.name)}</h1>{header}
<p id="no-plotly" hidden>{words(lang, "no_plotly").format(file=PLOTLY_JS)}</p>
<script>if (!window.Plotly) document.getElementById("no-plotly").hidden = false;</script>
{''.join(sections)}
{plots}
{load_report.load_html(run, lang)}
<h2>{words(lang, "errors")}</h2>{errors_html}
<p>{words(lang, "files_note")}</p>
</body></html>
"""


def memory_headers(run: BenchmarkRun, memory_words: dict[str, str] | None = None,
                   lang: str = "en") -> dict[str, str]:
    """Each memory column's label, in the caller's words where it gave them; the pool's own figures (keys such as
    mem_app_shared) in `lang` otherwise."""
    words_for = {**(memory_word_source.RU if lang == "ru" else memory_word_source.EN), **(memory_words or {})}
    return {column: words_for.get(label, label) for column, label in run.memory_labels.items()}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None (not NaN) for missing values, ready for JSON."""
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
