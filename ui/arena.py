"""The Arena tab: one document, several models, their outputs side by side as they arrive."""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr

from backends.base import OcrRequest, Status
from backends.pool import ModelPool, Progress, Result
from benchmarks.metrics import char_diff
from ui import charts
from ui.arena_run import ArenaRun, merge_pages, page_header
from ui.document_input import page_selector, preview, read_pages
from ui.i18n import memory_label, request_language, text
from ui.overlay import draw_boxes

UI_UPDATE_INTERVAL_S = 0.15  # streaming text is batched: each yield re-renders every column
# Symbols that DejaVu has, so they render on a bare Linux box too (colour emoji often do not).
STATUS_ICONS = {"queued": "…", "loading": "…", "running": "…", "ok": "✓", "error": "✗", "unavailable": "⚠",
                "timeout": "✗"}
ARENA_TASKS = ("ocr", "layout")  # what one image and no question can ask of every model
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


class ExportFolder:
    """A private temp folder for this app's run exports, keeping only the newest runs."""

    def __init__(self, keep: int = 50):
        self.root = Path(tempfile.mkdtemp(prefix="ocr-arena-exports-"))
        self.keep = keep

    def folder_for(self, run_id: str) -> Path:
        runs = sorted(self.root.iterdir(), key=lambda p: p.stat().st_mtime)
        for old in runs[: max(0, len(runs) - self.keep + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        return self.root / run_id

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class ModelColumn:
    """The components of one model's column. One exists per configured model; unselected ones are hidden."""

    key: str
    name: str
    column: gr.Column
    header: gr.Markdown
    text: gr.Textbox
    metrics: gr.Markdown
    diff: gr.HighlightedText

    def components(self) -> list:
        """What a run updates. Visibility is left to the model selector: layout updates are costly per yield."""
        return [self.header, self.text, self.metrics, self.diff]


def diff_colours(lang: str) -> dict[str, str]:
    """The diff legend in the run's language (the legend lists every colour-map key)."""
    return {text(lang, "diff_missing"): "red", text(lang, "diff_extra"): "green"}


def _header(name: str, state: str, lang: str, cut: bool = False, note: str = "") -> str:
    label = text(lang, f"st_{state}") + (f" · {text(lang, 'st_cut')}" if cut else "")
    # A long load (a server starting) says what it is doing; engines report it in English.
    note = f"\n\n<small>{note}</small>" if note else ""
    return f"### {name}\n{STATUS_ICONS.get(state, '')} {label}{note}"


def _metrics_line(result: Result, lang: str) -> str:
    m = result.metrics
    parts = []
    if m.load_s is not None:
        parts.append(f"{text(lang, 'm_warm')}" if m.warm else f"{text(lang, 'm_load')} {m.load_s:.2f} s")
    if m.latency_s is not None:
        parts.append(f"{text(lang, 'm_latency')} {m.latency_s:.2f} s")
    if result.status == Status.OK:
        parts.append(f"{m.chars:,} {text(lang, 'm_chars')}")
        if result.boxes:
            parts.append(f"{len(result.boxes)} {text(lang, 'm_lines')}")
    if m.first_token_s is not None:
        parts.append(f"{text(lang, 'm_first_token')} {m.first_token_s:.2f} s")
    if m.output_tokens is not None:
        parts.append(f"{m.output_tokens:,} {text(lang, 'm_tokens')}")
    if m.tokens_per_s:
        parts.append(f"{m.tokens_per_s:.1f} {text(lang, 'm_tokens_s')}")
    parts += [f"{memory_label(lang, label)} {value:,.0f} MiB" for label, value in m.memory_mb.items()]
    lines = [" · ".join(parts)]
    # How the model ran (device, attention, processor, evictions): engines report these in English.
    lines += [f"{memory_label(lang, label)}: {value}" for label, value in result.details.items()]
    if result.message:
        lines.append(f"**{result.message}**")
    return "\n\n".join(lines)


def _result_cells(column: ModelColumn, result: Result, lang: str) -> list[str]:
    """A finished model's header, text and metrics line."""
    return [_header(column.name, result.status.value, lang, result.cut), result.text, _metrics_line(result, lang)]


class ArenaTab:
    def __init__(self, pool: ModelPool, forced_language: str, i18n: gr.I18n):
        self.pool = pool
        self.config = pool.config
        self.forced_language = forced_language
        self.i18n = i18n
        self.exports = ExportFolder()

    # ----- layout -----
    def build(self) -> None:
        i18n, settings = self.i18n, self.config.app
        choices = [(m.name, m.key) for m in self.config.models]
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                self.document = gr.File(label=i18n("ar_document"), file_types=["image", ".pdf"],
                                        elem_id="arena-document", type="filepath")
                # Custom values let API clients name any page; load_pages checks it against the document.
                self.page = gr.Dropdown(choices=["1"], value="1", label=i18n("ar_page"), visible=False,
                                        allow_custom_value=True, elem_id="arena-page")
                self.preview = gr.Image(label=i18n("ar_preview"), interactive=False, height=260,
                                        elem_id="arena-preview")
            with gr.Column(scale=1, min_width=320):
                self.models = gr.CheckboxGroup(choices=choices, value=settings.default_models,
                                               label=i18n("ar_models"), elem_id="arena-models")
                self.task = gr.Radio(choices=[(i18n(f"task_{t}"), t) for t in ARENA_TASKS],
                                     value="ocr", label=i18n("ar_task"), elem_id="arena-task")
                self.ground_truth = gr.Textbox(label=i18n("ar_ground_truth"), lines=4, elem_id="arena-truth")
                self.run_button = gr.Button(i18n("ar_run"), variant="primary", elem_id="arena-run")
                self.run_status = gr.Markdown(elem_id="arena-run-status")
        self._examples()
        with gr.Row(equal_height=False, elem_id="arena-columns"):
            self.columns = [self._model_column(m.key, m.name, m.key in settings.default_models)
                            for m in self.config.models]
        with gr.Accordion(i18n("ar_results"), open=True):
            self.table = gr.DataFrame(label=i18n("ar_table"), interactive=False, elem_id="arena-table", wrap=True)
            with gr.Row():
                self.speed_plot = gr.Plot(label=i18n("ar_chart_speed"), elem_id="arena-speed-chart")
                self.output_plot = gr.Plot(label=i18n("ar_chart_output"), elem_id="arena-output-chart")
                self.accuracy_plot = gr.Plot(label=i18n("ar_chart_accuracy"), elem_id="arena-accuracy-chart",
                                             visible=False)
            self.overlays = gr.Gallery(label=i18n("ar_overlays"), columns=3, height=520, object_fit="contain",
                                       format="jpeg", elem_id="arena-overlays")
            self.export_files = gr.File(label=i18n("ar_export"), file_count="multiple", interactive=False,
                                        elem_id="arena-export")
            with gr.Accordion(i18n("ar_raw"), open=False):
                self.results_json = gr.JSON(elem_id="arena-json")
        self.last_run = gr.State()  # (ArenaRun, image) of this browser session's latest run, for the files
        with gr.Accordion(i18n("ar_model_status"), open=False):
            self.status_table = gr.DataFrame(value=self._status_frame(self.forced_language), interactive=False,
                                             elem_id="arena-model-status", wrap=True)
            refresh = gr.Button(i18n("ar_refresh"), size="sm")
        self._wire(refresh)

    def _model_column(self, key: str, name: str, visible: bool) -> ModelColumn:
        i18n = self.i18n
        with gr.Column(visible=visible, min_width=300, elem_id=f"col-{key}", elem_classes=["model-column"]) as col:
            header = gr.Markdown(f"### {name}", elem_id=f"col-{key}-header")
            body = gr.Textbox(label=i18n("ar_text"), lines=14, max_lines=30, interactive=False,
                              buttons=["copy"], elem_id=f"col-{key}-text")
            metrics = gr.Markdown(elem_id=f"col-{key}-metrics")
            diff = gr.HighlightedText(label=i18n("ar_diff"), combine_adjacent=True, show_legend=True,
                                      visible=False, elem_id=f"col-{key}-diff",
                                      color_map=diff_colours("en"))
        return ModelColumn(key, name, col, header, body, metrics, diff)

    def _examples(self) -> None:
        candidates = [
            ("phototest.tif · EN", "en_printed_pages", "tesseract_phototest", ".tif"),
            ("licence_01.png · RU", "ru_licences", "licence_01", ".png"),
            ("eurotext.tif · EN/DE/FR", "en_printed_pages", "tesseract_eurotext", ".tif"),
        ]
        rows, labels = [], []
        for label, folder, stem, suffix in candidates:
            image, truth = SAMPLES / folder / "images" / f"{stem}{suffix}", SAMPLES / folder / "gt" / f"{stem}.gt.txt"
            if image.exists() and truth.exists():
                rows.append([str(image), truth.read_text(encoding="utf-8")])
                labels.append(label)
        if rows:
            # Labels instead of a header row: Gradio's example headers are not translated.
            gr.Examples(rows, inputs=[self.document, self.ground_truth], label=self.i18n("ar_examples"),
                        example_labels=labels)

    def _status_frame(self, lang: str):
        import pandas as pd

        lang = lang if lang != "auto" else "en"
        rows = []
        for m in self.config.models:
            status = self.pool.availability(m.key)
            rows.append({text(lang, "col_key"): m.key, text(lang, "col_model"): m.name,
                         text(lang, "col_engine"): m.engine,
                         text(lang, "col_languages"): ", ".join(m.languages),
                         text(lang, "col_ready"): text(lang, "yes" if status.ok else "no"),
                         text(lang, "col_message"): status.message or m.notes})
        return pd.DataFrame(rows)

    # ----- events -----
    def _outputs(self) -> list:
        fixed = [self.results_json, self.table, self.speed_plot, self.output_plot, self.accuracy_plot,
                 self.run_status, self.last_run]
        return fixed + [c for column in self.columns for c in column.components()]

    def _wire(self, refresh: gr.Button) -> None:
        self.run_button.click(
            self.run_arena, inputs=[self.document, self.models, self.ground_truth, self.task, self.page],
            outputs=self._outputs(),
            api_name="run_arena", concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena",
        ).then(self.show_run_files, inputs=[self.last_run], outputs=[self.overlays, self.export_files],
               api_visibility="private")
        self.models.change(self.show_columns, inputs=[self.models],
                           outputs=[c.column for c in self.columns], api_visibility="private")
        self.document.change(self.choose_pages, inputs=[self.document], outputs=[self.page, self.preview],
                             api_visibility="private")
        self.page.input(self.preview_document, inputs=[self.document, self.page], outputs=[self.preview],
                        api_visibility="private")
        refresh.click(self.refresh_status, outputs=[self.status_table], api_visibility="private")

    def _language(self, request: gr.Request | None) -> str:
        return request_language(request, self.forced_language)

    def refresh_status(self, request: gr.Request):
        return self._status_frame(self._language(request))

    def show_columns(self, selected: list[str]):
        return [gr.update(visible=c.key in (selected or [])) for c in self.columns]

    def choose_pages(self, path: str | None, request: gr.Request = None):
        """A PDF shows its page selector (one page, or all of them); an image hides it."""
        return page_selector(path, self._language(request)), preview(path, "1", self.config.app)

    def preview_document(self, path: str | None, page: str | None = "1"):
        return preview(path, page, self.config.app)

    def run_arena(self, document: str | None, models: list[str] | None, ground_truth: str | None,
                  task: str | None = "ocr", page: str | None = "1", request: gr.Request = None):
        """Run the selected models on the document concurrently, streaming each column as it fills.

        A PDF is read at the chosen page, or page after page for "all" (every model finishes a page before the
        next starts); each column then shows the pages under their headers, and the export keeps each page."""
        lang = self._language(request)
        if not document:
            raise gr.Error(text(lang, "err_no_document"))
        selected = [k for k in (models or []) if k in self.config.keys()]
        if not selected:
            raise gr.Error(text(lang, "err_no_models"))
        pages = read_pages(document, page, self.config.app)

        task = task or "ocr"  # the Radio rejects anything but ARENA_TASKS
        run = ArenaRun(document=Path(document).name, ground_truth=ground_truth or "", task=task)
        live: dict[str, Progress] = {k: Progress(k, "queued") for k in selected}
        done_text = {k: "" for k in selected}  # the pages each model has finished, under their headers
        started = time.perf_counter()
        yield self._first_render(run, selected, lang)
        last_yield = time.perf_counter()
        for index, (number, image) in enumerate(pages):
            header = f"{page_header(number, len(pages))}\n" if len(pages) > 1 else ""
            page_results = run.page_results.setdefault(number, {})
            for key, event in self.pool.run_many(selected, OcrRequest(image=image, task=task)):
                if isinstance(event, Progress):
                    live[key] = replace(event, text=done_text[key] + header + event.text)
                else:
                    page_results[key] = event
                    done_text[key] += f"{header}{event.text}\n\n" if header else event.text
                    if index + 1 == len(pages):
                        run.results[key] = merge_pages(key, event.name, [(n, run.page_results[n][key])
                                                                          for n, _ in pages], len(pages))
                    else:
                        live[key] = Progress(key, "running", done_text[key])
                if len(run.results) == len(selected):
                    break  # the final render follows at once
                now = time.perf_counter()
                if isinstance(event, Result) or now - last_yield >= UI_UPDATE_INTERVAL_S:
                    last_yield = now
                    yield self._render(run, live, selected, lang, started)
        run.results = {k: run.results[k] for k in selected}
        yield self._final_render(run, pages[0][1] if len(pages) == 1 else None, lang, started)

    # Yields send plain values: in Gradio 6 each gr.update() rebuilds its component, which costs ~1 ms per
    # output and per yield. Updates are used only where visibility changes, on the first and last yields.
    def _first_render(self, run: ArenaRun, selected: list[str], lang: str) -> list:
        fixed = [None, None, None, None, gr.update(value=None, visible=run.has_truth),
                 f"… 0/{len(selected)}", None]
        columns = []
        for column in self.columns:
            chosen = column.key in selected
            columns += [_header(column.name, "queued", lang) if chosen else "", "", "",
                        gr.update(value=None, visible=chosen and run.has_truth)]
        return fixed + columns

    def _render(self, run: ArenaRun, live: dict, selected: list[str], lang: str, started: float) -> list:
        status = f"… {len(run.results)}/{len(selected)} · {time.perf_counter() - started:.1f} s"
        columns = []
        for column in self.columns:
            if column.key not in selected:
                columns += ["", "", "", None]
                continue
            result = run.results.get(column.key)
            if result is None:
                progress = live[column.key]
                columns += [_header(column.name, progress.phase, lang, note=progress.note), progress.text, "", None]
            else:
                columns += [*_result_cells(column, result, lang), None]
        return [None] * 5 + [status, None] + columns

    def _final_render(self, run: ArenaRun, image, lang: str, started: float) -> list:
        status = f"✓ {len(run.results)}/{len(run.results)} · {time.perf_counter() - started:.1f} s"
        fixed = [
            run.to_json(),
            run.table(lang),
            charts.speed_chart(run, lang),
            charts.output_chart(run, lang),
            charts.accuracy_chart(run, lang) if run.has_truth else None,
            status,
            (run, image),
        ]
        columns = []
        for column in self.columns:
            result = run.results.get(column.key)
            if result is None:
                columns += ["", "", "", None]
                continue
            diff = None
            if run.has_truth and result.status == Status.OK:
                diff = [(seg, text(lang, f"diff_{label}") if label else None)
                        for seg, label in char_diff(run.ground_truth, run.scored_text(column.key))]
            columns += [*_result_cells(column, result, lang), gr.update(value=diff, color_map=diff_colours(lang))]
        return fixed + columns

    def show_run_files(self, last_run):
        """Box overlays and the CSV/JSON export, sent after the results so they never delay them."""
        if not last_run:
            return None, None
        run, image = last_run
        # Boxes are drawn on a single page; a multi-page run keeps them per page in its JSON.
        overlays = [(draw_boxes(image, r.boxes), r.name) for r in run.results.values() if r.boxes and image is not None]
        return overlays, run.export(self.exports.folder_for(run.run_id))
