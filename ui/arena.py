"""The Arena tab: one document, several models, their outputs side by side as they arrive."""
from __future__ import annotations

import time
from pathlib import Path

import gradio as gr

from backends.contracts.results import ModelResult
from core.arena_run import ARENA_TASKS, ArenaRun
from core.arena_session import ArenaSession
from core.layout.scoring import LayoutTruth
from core.samples import text_samples
from ui import charts
from ui.arena_view import ModelColumn, comparison_table, diff_cell, header_cell, result_cells, status_frame
from ui.diff_view import MODES, SCROLL_WITH_TEXT_JS, TEXT_BOX_LINES
from ui.document_picker import DocumentPicker, read_pages
from ui.i18n import text
from ui.model_choices import default_models, labelled_choices
from ui.numbers import measure
from ui.arena_layout import (element_counts, layout_documents, layout_gallery, layout_scores, layout_text,
                             parsed_layouts, sample_truth)
from ui.overlay import draw_boxes
from ui.tab import UI_UPDATE_INTERVAL_S, Tab
from ui.toasts import error


class ArenaTab(Tab):
    # ----- layout -----
    def build(self) -> None:
        i18n, settings = self.i18n, self.config.app
        defaults = default_models(self.pool, settings.default_models, ["ocr"])  # only models that can run now
        with gr.Row():
            self.picker = DocumentPicker(settings, i18n, "arena", self.language, multi_page=True,
                                         samples=text_samples())
            with gr.Column(scale=1, min_width=320):
                self.models = gr.CheckboxGroup(choices=labelled_choices(self.pool, self.forced_language, ["ocr"]),
                                               value=defaults, label=i18n("ar_models"), info=i18n("mc_legend"),
                                               elem_id="arena-models")
                self.task = gr.Radio(choices=[(i18n(f"task_{t}"), t) for t in ARENA_TASKS],
                                     value="ocr", label=i18n("ar_task"), elem_id="arena-task")
                self.ground_truth = gr.Textbox(label=i18n("ar_ground_truth"), lines=4, elem_id="arena-truth")
                self.run_button = gr.Button(i18n("ar_run"), variant="primary", elem_id="arena-run")
                self.run_status = gr.Markdown(elem_id="arena-run-status")
        self._examples()
        self.diff_mode = gr.Radio(choices=[(i18n(f"dv_{mode}"), mode) for mode in MODES], value="words",
                                  label=i18n("dv_mode"), elem_id="arena-diff-mode")
        with gr.Row(equal_height=False, elem_id="arena-columns"):
            self.columns = [self._model_column(m.key, m.name, m.key in defaults)
                            for m in self.config.models]
        self._results_section()
        # (ArenaRun, image, parsed layouts, language) of this browser session's latest run, for the files
        self.last_run = gr.State()
        with gr.Accordion(i18n("ar_model_status"), open=False):
            self.status_table = gr.DataFrame(value=status_frame(self.pool, self.forced_language), interactive=False,
                                             elem_id="arena-model-status", wrap=True)
            refresh = gr.Button(i18n("ar_refresh"), size="sm")
        self._wire(refresh)

    def _results_section(self) -> None:
        i18n = self.i18n
        with gr.Accordion(i18n("ar_results"), open=True):
            # Hidden until a run fills it: an empty DataFrame shows the headers "1 2 3".
            self.table = gr.DataFrame(label=i18n("ar_table"), interactive=False, elem_id="arena-table", wrap=True,
                                      visible=False)
            with gr.Row(elem_id="arena-charts", elem_classes=["chart-row"]):
                self.speed_plot = gr.Plot(label=i18n("ar_chart_speed"), elem_id="arena-speed-chart")
                self.output_plot = gr.Plot(label=i18n("ar_chart_output"), elem_id="arena-output-chart")
                self.accuracy_plot = gr.Plot(label=i18n("ar_chart_accuracy"), elem_id="arena-accuracy-chart",
                                             visible=False)
            self.overlays = gr.Gallery(label=i18n("ar_overlays"), columns=3, height=520, object_fit="contain",
                                       format="jpeg", elem_id="arena-overlays")
            self.overlays_note = gr.Markdown(elem_id="arena-overlays-note")
            with gr.Accordion(i18n("layout_documents"), open=True, visible=False) as self.layout_section:
                self.layout_docs = gr.HTML(elem_id="arena-layout-docs")
            self.export_files = gr.File(label=i18n("ar_export"), file_count="multiple", interactive=False,
                                        elem_id="arena-export")
            with gr.Accordion(i18n("ar_raw"), open=False):
                self.results_json = gr.JSON(elem_id="arena-json")

    def _model_column(self, key: str, name: str, visible: bool) -> ModelColumn:
        i18n = self.i18n
        with gr.Column(visible=visible, min_width=300, elem_id=f"col-{key}", elem_classes=["model-column"]) as col:
            header = gr.Markdown(f"### {name}", elem_id=f"col-{key}-header")
            body = gr.Textbox(label=i18n("ar_text"), lines=14, max_lines=TEXT_BOX_LINES, interactive=False,
                              buttons=["copy"], elem_id=f"col-{key}-text")
            metrics = gr.Markdown(elem_id=f"col-{key}-metrics")
            diff = gr.HTML(visible=False, elem_id=f"col-{key}-diff", elem_classes=["arena-diff"],
                           js_on_load=SCROLL_WITH_TEXT_JS)
        return ModelColumn(key, name, col, header, body, metrics, diff)

    def _examples(self) -> None:
        """A picked sample brings its true text (the picker itself loads the document). Its layout ground truth needs
        no carrying: a Layout run finds the bundled page again by its bytes (core/samples.py: layout_sample)."""
        if self.picker.samples:
            self.picker.samples.on_pick(lambda sample, path: sample.truth_text, [self.ground_truth])

    # ----- events -----
    def _outputs(self) -> list:
        fixed = [self.results_json, self.table, self.speed_plot, self.output_plot, self.accuracy_plot,
                 self.run_status, self.last_run]
        return fixed + [c for column in self.columns for c in column.components()]

    def _wire(self, refresh: gr.Button) -> None:
        run = self.run_button.click(
            self.run_arena,
            inputs=[self.picker.document, self.models, self.ground_truth, self.task, self.picker.page,
                    self.diff_mode],
            outputs=self._outputs(),
            api_name="run_arena", concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena",
        ).then(self.show_run_files, inputs=[self.last_run],
               outputs=[self.overlays, self.overlays_note, self.export_files, self.layout_section,
                        self.layout_docs],
               api_visibility="private")
        self.status_signal.announce(run)
        self.status_signal.redraw(self.redraw_models, inputs=[self.task], outputs=[self.models])
        self.task.change(self.redraw_models, inputs=[self.task], outputs=[self.models], api_visibility="private")
        self.models.change(self.show_columns, inputs=[self.models],
                           outputs=[c.column for c in self.columns], api_visibility="private")
        self.diff_mode.change(self.redraw_diffs, inputs=[self.last_run, self.diff_mode],
                              outputs=[c.diff for c in self.columns], api_visibility="private")
        self.status_signal.announce(refresh.click(self.refresh_status, outputs=[self.status_table],
                                             api_visibility="private"))
        # Built before any browser asks, the table starts in the default language: the page's load redraws it in
        # the browser's own (and every status change after that).
        self.status_signal.redraw(self.show_status, inputs=[], outputs=[self.status_table])

    def redraw_models(self, task: str | None, request: gr.Request = None):
        """The models' marks for this task, in the browser's language; the ticks stay as they are."""
        return gr.update(choices=labelled_choices(self.pool, self.language(request), [task or "ocr"]))

    def refresh_status(self, request: gr.Request):
        self.pool.refresh_availability()
        return self.show_status(request)

    def show_status(self, request: gr.Request = None):
        """The model status table in the browser's language."""
        return status_frame(self.pool, self.language(request))

    def show_columns(self, selected: list[str]):
        return [gr.update(visible=c.key in (selected or [])) for c in self.columns]

    def redraw_diffs(self, last_run, mode: str | None):
        """The latest run's diffs again, by words or by characters; nothing is run again."""
        if not last_run:
            return [gr.update() for _ in self.columns]
        run, _, _, lang = last_run
        return [diff_cell(run, c.key, lang, mode) if c.key in run.results else gr.update() for c in self.columns]

    def run_arena(self, document: str | None, models: list[str] | None, ground_truth: str | None,
                  task: str | None = "ocr", page: str | None = "1", diff_mode: str | None = "words",
                  request: gr.Request = None):
        """Run the selected models on the document concurrently, streaming each column as it fills.

        A PDF is read at the chosen page, or every page for "all", each model at its own pace (a fast model's
        column is complete while a slow one reads on); each column then shows the pages under their headers,
        and the export keeps each page."""
        lang = self.language(request)
        if not document:
            raise error(lang, text(lang, "err_no_document"))
        selected = self.selected_models(models)
        if not selected:
            raise error(lang, text(lang, "err_no_models"))
        pages = read_pages(document, page, self.config.app)
        run = ArenaRun(document=Path(document).name, ground_truth=ground_truth or "", task=task or "ocr")
        session = ArenaSession(run, selected, pages)
        started = time.perf_counter()
        yield self._first_render(run, selected, lang)
        last_yield = time.perf_counter()
        for _, event in session.events(self.pool):
            now = time.perf_counter()
            if session.finished < len(selected) and (isinstance(event, ModelResult)
                                                     or now - last_yield >= UI_UPDATE_INTERVAL_S):
                last_yield = now
                yield self._render(session, lang, started)
        yield self._final_render(run, pages[0][1] if len(pages) == 1 else None, lang, started, diff_mode,
                                 sample_truth(document, run.task, pages))

    # Yields send plain values: in Gradio 6 each gr.update() rebuilds its component, which costs ~1 ms per
    # output and per yield. Updates are used only where visibility changes, on the first and last yields.
    def _first_render(self, run: ArenaRun, selected: list[str], lang: str) -> list:
        fixed = [None, gr.update(value=None, visible=False), None, None, gr.update(value=None, visible=run.has_truth),
                 f"… 0/{len(selected)}", None]
        columns = []
        for column in self.columns:
            chosen = column.key in selected
            # The text box comes back for a model a previous run found unavailable; its diff waits for the end.
            columns += [header_cell(column.name, "queued", lang) if chosen else "",
                        gr.update(value="", visible=True) if chosen else "", "", gr.update(value="", visible=False)]
        return fixed + columns

    def _render(self, session: ArenaSession, lang: str, started: float) -> list:
        run, live, selected = session.run, session.live, session.selected
        status = f"… {len(run.results)}/{len(selected)} · {measure(lang, time.perf_counter() - started, 's', 1)}"
        columns = []
        for column in self.columns:
            if column.key not in selected:
                columns += ["", "", "", None]
                continue
            result = run.results.get(column.key)
            if result is None:
                progress = live[column.key]
                columns += [header_cell(column.name, progress.phase, lang, note=progress.note), progress.text, "", None]
            else:
                columns += [*result_cells(column, result, lang), None]
        return [None] * 5 + [status, None] + columns

    def _final_render(self, run: ArenaRun, image, lang: str, started: float, diff_mode: str | None,
                      truth: LayoutTruth | None = None) -> list:
        """`truth`: the page's layout ground truth (a bundled layout page), scoring each parsed reply."""
        status = f"✓ {len(run.results)}/{len(run.results)} · {measure(lang, time.perf_counter() - started, 's', 1)}"
        layouts = parsed_layouts(self.config, run, image)
        run.score_as_text({key: layout_text(layout) for key, layout in layouts.items()})
        counts = {key: element_counts(layout, lang) for key, layout in layouts.items()}
        run.layout_scores = layout_scores(layouts, truth)  # in the table, the run's JSON and both exports
        fixed = [
            run.to_json(),
            gr.update(value=comparison_table(run, lang, counts, run.layout_scores), visible=True),
            charts.speed_chart(run, lang),
            charts.output_chart(run, lang),
            charts.accuracy_chart(run, lang) if run.has_truth else None,
            status,
            (run, image, layouts, lang),
        ]
        columns = []
        for column in self.columns:
            result = run.results.get(column.key)
            if result is None:
                columns += ["", "", "", None]
                continue
            columns += [*result_cells(column, result, lang), diff_cell(run, column.key, lang, diff_mode)]
        return fixed + columns

    def show_run_files(self, last_run):
        """Box overlays, layout views and the CSV/JSON export, sent after the results so they never delay them."""
        if not last_run:
            return None, "", None, gr.update(visible=False), ""
        run, image, layouts, lang = last_run
        # Boxes are drawn on a single page; a multi-page run keeps them per page in its JSON.
        overlays = [(draw_boxes(image, r.boxes), r.name) for r in run.results.values() if r.boxes and image is not None]
        names = {key: result.name for key, result in run.results.items()}
        if layouts:
            overlays += layout_gallery(image, layouts, names, lang)
        documents = layout_documents(layouts, names, lang)
        # Say why the gallery is empty when several pages were read, rather than leave it blank.
        note = text(lang, "ar_overlays_pages").format(pages=len(run.pages)) if image is None and not overlays else ""
        return (overlays, note, run.export(self.exports.folder_for(run.run_id)), gr.update(visible=bool(documents)),
                documents)
