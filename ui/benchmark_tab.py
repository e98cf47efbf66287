"""The Benchmark tab: a bundled or uploaded dataset, several models, the summary table, charts and report files.

It runs `benchmarks.runner.run_benchmark` on the app's own pool (warm models stay warm) and writes the same
files as `python -m benchmarks run`, which it also appends to the benchmark history.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from benchmarks import charts, history
from core.dataset import DatasetError, extract_dataset_zip, load_dataset, offered_datasets
from core.metrics import Normalization
from benchmarks.report import overhead, results_frame, run_record, write_report
from benchmarks.runner import BenchmarkSettings, run_benchmark
from benchmarks.summary import summarize
from ui.i18n import text
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
                self.models = gr.CheckboxGroup(choices=[(m.name, m.key) for m in self.config.models],
                                               value=self.config.app.default_models, label=i18n("ar_models"),
                                               elem_id="bench-models")
                with gr.Row():
                    self.repeats = gr.Number(1, label=i18n("bench_repeats"), minimum=1, maximum=20, precision=0,
                                             elem_id="bench-repeats")
                    self.warmup = gr.Number(0, label=i18n("bench_warmup"), minimum=0, maximum=10, precision=0,
                                            elem_id="bench-warmup")
                    self.limit = gr.Number(0, label=i18n("bench_limit"), minimum=0, precision=0,
                                           elem_id="bench-limit")
                self.casefold = gr.Checkbox(False, label=i18n("bench_casefold"), elem_id="bench-casefold")
                self.run_button = gr.Button(i18n("bench_run"), variant="primary", elem_id="bench-run")
        self.status = gr.Markdown(elem_id="bench-status")
        self.summary = gr.DataFrame(label=i18n("bench_summary"), interactive=False, wrap=True,
                                    elem_id="bench-summary")
        with gr.Row():
            self.pareto_plot = gr.Plot(label=i18n("bench_chart_pareto"), elem_id="bench-pareto")
            self.memory_plot = gr.Plot(label=i18n("bench_chart_memory"), elem_id="bench-memory")
        self.cer_plot = gr.Plot(label=i18n("bench_chart_cer"), elem_id="bench-cer")
        self.files = gr.File(label=i18n("bench_files"), file_count="multiple", interactive=False,
                             elem_id="bench-files")
        # Uploading a zip means "benchmark this one".
        self.upload.change(lambda path: gr.update(value=UPLOADED) if path else gr.update(), inputs=[self.upload],
                           outputs=[self.dataset], api_visibility="private")
        self.run_button.click(
            self.run, inputs=[self.dataset, self.upload, self.models, self.repeats, self.warmup, self.limit,
                              self.casefold],
            outputs=[self.status, self.summary, self.pareto_plot, self.memory_plot, self.cer_plot, self.files],
            api_name="run_benchmark", concurrency_limit=1, concurrency_id="benchmark")

    def run(self, dataset_name: str, upload: str | None, models: list[str] | None, repeats: float | None,
            warmup: float | None, limit: float | None, casefold: bool, request: gr.Request = None,
            progress: gr.Progress = gr.Progress()):
        """Benchmark the chosen models on a dataset; returns the summary, charts and report files."""
        lang = self.language(request)
        selected = self.selected_models(models)
        if not selected:
            raise gr.Error(text(lang, "err_no_models"))
        try:
            settings = BenchmarkSettings(repeats=int(repeats or 1), warmup=int(warmup or 0),
                                         limit=int(limit) if limit else None,
                                         normalization=Normalization(casefold=bool(casefold)))
            dataset = load_dataset(self._dataset_folder(dataset_name, upload, lang))
        except (DatasetError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

        def on_progress(done: int, total: int, description: str) -> None:
            progress((done, total), desc=description, unit="runs")

        run = run_benchmark(self.pool, selected, dataset, settings, on_progress)
        out = self.exports.folder_for(f"benchmark-{run.run_id}")
        paths = write_report(run, out)
        results = results_frame(run)
        summary = summarize(results)
        history.record_run(self.config.app.benchmark_history_path(), run_record(run, summary), out)
        ratio = overhead(run)
        status = text(lang, "bench_done").format(
            run_id=run.run_id, dataset=dataset.name, items=len(run.dataset.items), wall=run.wall_s,
            overhead=f"×{ratio:.2f}" if ratio else "—")
        if run.dataset.problems:
            status += "\n\n" + "\n".join(f"- {p}" for p in run.dataset.problems)
        shown = summary[[c for c in SHOWN_COLUMNS if c in summary]]
        return (status, shown.rename(columns={c: text(lang, k) for c, k in SHOWN_COLUMNS.items()}),
                charts.pareto_chart(summary, text(lang, "bench_chart_pareto")),
                charts.memory_chart(summary, run.memory_labels, text(lang, "bench_chart_memory")),
                charts.cer_distribution_chart(results, text(lang, "bench_chart_cer")),
                [str(paths[name]) for name in ("report.html", "summary.csv", "results.csv", "results.json",
                                               "report.md")])

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


def _dataset_label(name: str, folder: Path) -> str:
    """The name and item count; a configured folder that cannot be read says so instead of breaking the tab."""
    try:
        return f"{name} ({len(load_dataset(folder).items)})"
    except DatasetError as exc:
        return f"{name} ({exc})"
