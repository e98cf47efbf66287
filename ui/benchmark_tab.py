"""The Benchmark tab: a bundled or uploaded dataset, several models, the summary table, charts and report files.

It runs `benchmarks.runner.run_benchmark` on the app's own pool (warm models stay warm) and writes the same
files as `python -m benchmarks run`, which it also appends to the benchmark history. With a concurrency ("4" or
"1,4,16"), each model then serves the dataset with that many requests in flight: the throughput table and the
throughput-latency curve are drawn by a second step from the run's load summary, so the API's answer keeps its
six values.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from benchmarks import charts, history
from benchmarks.load import MAX_CONCURRENCY, ConcurrencyError, LoadSettings, parse_levels
from benchmarks.load_report import summary_frame as load_summary_frame
from core.dataset import DatasetError, extract_dataset_zip, load_dataset, offered_datasets
from core.metrics import Normalization
from benchmarks.report import memory_headers, overhead, results_frame, run_record, write_report
from benchmarks.runner import BenchmarkSettings, run_benchmark
from benchmarks.summary import summarize
from benchmarks.trackers import RSS_PEAK
from core.numbers import number
from ui.i18n import memory_label, text
from ui.messages import failure_lines
from ui.model_choices import default_models, labelled_choices
from ui.numbers import counted_word, localized
from ui.toasts import error
from ui.tab import Tab

UPLOADED = "__upload__"
SHOWN_COLUMNS = {  # summary column -> i18n key of its header in the tab
    "model": "col_model", "items": "bench_col_items", "errors": "bench_col_errors", "cer_mean": "col_cer",
    "wer_mean": "col_wer", "word_f1_mean": "bench_col_word_f1", "field_accuracy": "bench_col_fields",
    "layout_overall_mean": "bench_col_layout_overall", "table_teds_mean": "bench_col_teds",
    "reading_order_ed_mean": "bench_col_order", "page_tests_passed_mean": "bench_col_page_tests",
    "latency_p50_s": "bench_col_p50", "latency_p90_s": "bench_col_p90", "pages_per_s": "bench_col_pages_s",
    "load_s": "col_load_s", "chars_mean": "bench_col_chars",
}
LOAD_COLUMNS = {  # load summary column -> i18n key of its header
    "model": "col_model", "concurrency": "bench_col_concurrency", "errors": "bench_col_errors",
    "pages_per_s": "bench_col_pages_s", "output_tokens_per_s": "bench_col_tokens_s",
    "goodput_pages_per_s": "bench_col_goodput", "ttft_p50_s": "bench_col_ttft_p50", "ttft_p99_s": "bench_col_ttft_p99",
    "tpot_p50_s": "bench_col_tpot_p50", "tpot_p99_s": "bench_col_tpot_p99", "itl_p50_s": "bench_col_itl_p50",
    "itl_p99_s": "bench_col_itl_p99", "latency_p50_s": "bench_col_p50", "latency_p90_s": "bench_col_p90",
    "latency_p99_s": "bench_col_p99", "batching": "bench_col_batching",
}
REPORT_FILES = ("report.html", "plotly.min.js", "summary.csv", "results.csv", "results.json", "report.md",
                "load_summary.csv", "load_results.csv")


class BenchmarkTab(Tab):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.datasets = offered_datasets(self.config.app.benchmark_datasets)

    def build(self) -> None:
        i18n = self.i18n
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                choices = [(_dataset_label(name, path), name) for name, path in self.datasets.items()]
                self.dataset = gr.Radio(choices=choices + [(i18n("bench_uploaded"), UPLOADED)],
                                        value=choices[0][1] if choices else UPLOADED,
                                        label=i18n("bench_dataset"), elem_id="bench-dataset")
                self.upload = gr.File(label=i18n("bench_upload"), file_types=[".zip"], type="filepath",
                                      elem_id="bench-upload")
            with gr.Column(scale=1, min_width=320):
                self.models = gr.CheckboxGroup(
                    choices=labelled_choices(self.pool, self.forced_language, ["ocr"]),
                    value=default_models(self.pool, self.config.app.default_models, ["ocr"]),
                    label=i18n("ar_models"), info=i18n("mc_legend"), elem_id="bench-models")
                with gr.Row():
                    self.repeats = gr.Number(1, label=i18n("bench_repeats"), minimum=1, maximum=20, precision=0,
                                             elem_id="bench-repeats")
                    self.warmup = gr.Number(0, label=i18n("bench_warmup"), minimum=0, maximum=10, precision=0,
                                            elem_id="bench-warmup")
                    self.limit = gr.Number(0, label=i18n("bench_limit"), minimum=0, precision=0,
                                           elem_id="bench-limit")
                with gr.Row():
                    self.concurrency = gr.Textbox("", label=i18n("bench_concurrency"), placeholder="1,4,16",
                                                  elem_id="bench-concurrency")
                    self.slo = gr.Number(0, label=i18n("bench_slo"), minimum=0, elem_id="bench-slo")
                self.casefold = gr.Checkbox(False, label=i18n("bench_casefold"), elem_id="bench-casefold")
                self.run_button = gr.Button(i18n("bench_run"), variant="primary", elem_id="bench-run")
        self.status = gr.Markdown(elem_id="bench-status")
        self.summary = gr.DataFrame(label=i18n("bench_summary"), interactive=False, wrap=True,
                                    elem_id="bench-summary")
        with gr.Row():
            self.pareto_plot = gr.Plot(label=i18n("bench_chart_pareto"), elem_id="bench-pareto")
            self.memory_plot = gr.Plot(label=i18n("bench_chart_memory"), elem_id="bench-memory")
        self.cer_plot = gr.Plot(label=i18n("bench_chart_cer"), elem_id="bench-cer")
        self.load_table = gr.DataFrame(label=i18n("bench_load_table"), interactive=False, wrap=True, visible=False,
                                       elem_id="bench-load")
        self.load_plot = gr.Plot(label=i18n("bench_chart_load"), visible=False, elem_id="bench-load-chart")
        self.load_summary = gr.State(None)  # the last run's load summary (records), for the second step
        self.files = gr.File(label=i18n("bench_files"), file_count="multiple", interactive=False,
                             elem_id="bench-files")
        # Uploading a zip means "benchmark this one".
        self.upload.change(lambda path: gr.update(value=UPLOADED) if path else gr.update(), inputs=[self.upload],
                           outputs=[self.dataset], api_visibility="private")
        run = self.run_button.click(
            self.run, inputs=[self.dataset, self.upload, self.models, self.repeats, self.warmup, self.limit,
                              self.casefold, self.concurrency, self.slo],
            outputs=[self.status, self.summary, self.pareto_plot, self.memory_plot, self.cer_plot, self.files,
                     self.load_summary],
            api_name="run_benchmark", concurrency_limit=1, concurrency_id="benchmark",
        )
        run.success(self.show_load, inputs=[self.load_summary], outputs=[self.load_table, self.load_plot],
                    api_visibility="private")
        self.status_signal.announce(run)
        self.status_signal.redraw(self.redraw_models, inputs=[], outputs=[self.models])

    def redraw_models(self, request: gr.Request = None):
        return gr.update(choices=labelled_choices(self.pool, self.language(request), ["ocr"]))

    def run(self, dataset_name: str, upload: str | None, models: list[str] | None, repeats: float | None,
            warmup: float | None, limit: float | None, casefold: bool, concurrency: str | None = "",
            slo_s: float | None = 0, request: gr.Request = None, progress: gr.Progress = gr.Progress()):
        """Benchmark the chosen models on a dataset; returns the summary, charts and report files (and, for the
        second step, the load summary of a concurrency sweep)."""
        lang = self.language(request)
        selected = self.selected_models(models)
        if not selected:
            raise error(lang, text(lang, "err_no_models"))
        load = load_settings(concurrency, slo_s, lang)
        try:
            settings = BenchmarkSettings(repeats=int(repeats or 1), warmup=int(warmup or 0),
                                         limit=int(limit) if limit else None,
                                         normalization=Normalization(casefold=bool(casefold)))
            dataset = load_dataset(self._dataset_folder(dataset_name, upload, lang))
        except (DatasetError, ValueError) as exc:
            raise error(lang, str(exc)) from None

        def on_progress(done: int, total: int, description: str) -> None:
            # Gradio writes "done/total unit": the unit agrees with the total ("5/6 прогонов").
            progress((done, total), desc=description, unit=progress_unit(lang, total))

        run = run_benchmark(self.pool, selected, dataset, settings, on_progress, load, lang)
        out = self.exports.folder_for(f"benchmark-{run.run_id}")
        # The engines label memory in English: report.html and the chart take the page language's words.
        memory_words = {label: memory_label(lang, label) for label in run.memory_labels.values()}
        memory_words[RSS_PEAK] = text(lang, "bench_rss_peak")
        paths = write_report(run, out, lang, memory_words)
        results = results_frame(run)
        summary = summarize(results)
        history.record_run(self.config.app.benchmark_history_path(), run_record(run, summary), out)
        ratio = overhead(run)
        status = text(lang, "bench_done").format(
            run_id=run.run_id, dataset=dataset.name, items=len(run.dataset.items), wall=number(lang, run.wall_s, 1),
            overhead=f"×{number(lang, ratio, 2)}" if ratio else "—")
        if load:
            status += " " + text(lang, "bench_load_done").format(levels=",".join(map(str, load.levels)),
                                                                 wall=number(lang, run.load_wall_s, 1))
        if run.dataset.problems:
            status += "\n\n" + "\n".join(f"- {p}" for p in run.dataset.problems)
        # The models' own failures (a dataset problem is listed above and carries no code), one line per message.
        failed = failure_lines(lang, [(r["model"], r["status"], r["code"], r["message"]) for r in run.rows
                                      if r["status"] != "ok" and r["code"]])
        status += f"\n\n{failed}" if failed else ""
        shown = summary[[c for c in SHOWN_COLUMNS if c in summary]]
        under_load = load_summary_frame(run)
        return (status, localized(shown.rename(columns={c: text(lang, k) for c, k in SHOWN_COLUMNS.items()}), lang),
                charts.pareto_chart(summary, lang),
                charts.memory_chart(summary, memory_headers(run, memory_words), lang),
                charts.cer_distribution_chart(results, lang),
                [str(paths[name]) for name in REPORT_FILES if name in paths],
                None if under_load is None else under_load.to_dict(orient="records"))

    def show_load(self, records: list[dict] | None, request: gr.Request = None):
        """The throughput table and curve of the last run's concurrency sweep (hidden when it had none)."""
        if not records:
            return gr.update(value=None, visible=False), gr.update(value=None, visible=False)
        table, figure = load_view(pd.DataFrame(records), self.language(request))
        return gr.update(value=table, visible=True), gr.update(value=figure, visible=True)

    def _dataset_folder(self, dataset_name: str, upload: str | None, lang: str) -> Path:
        if dataset_name == UPLOADED:
            if not upload:
                raise DatasetError(text(lang, "bench_err_no_upload"))
            limit = int(self.config.app.max_upload_mb * 2**20) * 10  # a zip of scans hardly compresses
            return extract_dataset_zip(upload, Path(tempfile.mkdtemp(dir=self.exports.root, prefix="dataset-")),
                                       max_bytes=limit)
        if dataset_name not in self.datasets:
            raise DatasetError(f"unknown dataset {dataset_name}")
        return self.datasets[dataset_name]


def load_settings(concurrency: str | None, slo_s: float | None, lang: str) -> LoadSettings | None:
    """The concurrency sweep the form asks for: none when the field is empty; a bad value is a gr.Error in the
    user's language."""
    levels_text = (concurrency or "").strip()
    slo = float(slo_s) if slo_s else None
    if not levels_text:
        if slo is not None:
            raise error(lang, text(lang, "bench_err_slo_alone"))
        return None
    try:
        levels = parse_levels(levels_text)
    except ConcurrencyError as exc:
        raise error(lang, text(lang, "bench_err_concurrency").format(max=MAX_CONCURRENCY, value=exc.value)) from None
    if slo is not None and slo < 0:
        raise error(lang, text(lang, "bench_err_slo").format(value=f"{slo:g}"))
    return LoadSettings(levels, slo)


def load_view(summary: pd.DataFrame, lang: str):
    """The load summary as the tab shows it: translated headers and batching notes, and the curve."""
    shown = summary[[c for c in LOAD_COLUMNS if c in summary]].dropna(axis=1, how="all")
    shown = shown.assign(batching=shown["batching"].map(lambda code: text(lang, f"bench_{code}")))
    return (localized(shown.rename(columns={c: text(lang, k) for c, k in LOAD_COLUMNS.items()}), lang),
            charts.throughput_latency_chart(summary, lang))


def progress_unit(lang: str, total: int) -> str:
    """The word after "done/total" in the progress bar, in the form the total takes: "runs", "прогонов"."""
    return counted_word(lang, total, "m_runs")


def _dataset_label(name: str, folder: Path) -> str:
    """The name and item count; a configured folder that cannot be read says so instead of breaking the tab."""
    try:
        return f"{name} ({len(load_dataset(folder).items)})"
    except DatasetError as exc:
        return f"{name} ({exc})"
