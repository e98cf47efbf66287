"""The Fields tab: pull a template's fields out of a document with several models and compare them side by side.

VLMs answer the template's JSON prompt; OCR-only engines read the page and the template's rules parse their
text (core/fields). The table has a row per field and a column per model; a row whose models disagree,
and a value that fails its field's format, are marked. With ground-truth fields, each model gets its accuracy.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from core.fields.run import FieldsRun, run_fields
from ui.document_picker import DocumentPicker, read_pages
from ui.i18n import text
from ui.tab import Tab

DISAGREE_STYLE = "background-color: #fde2e1"
FORMAT_STYLE = "background-color: #ffe8b3; font-weight: 600"


class FieldsTab(Tab):
    def build(self) -> None:
        i18n = self.i18n
        templates = [(t.name, key) for key, t in self.config.templates.items()]
        with gr.Row():
            self.picker = DocumentPicker(self.config.app, i18n, "fields", self.language)
            with gr.Column(scale=1, min_width=320):
                self.template = gr.Radio(choices=templates, value=templates[0][1] if templates else None,
                                         label=i18n("fields_template"), elem_id="fields-template")
                self.models = gr.CheckboxGroup(choices=self.model_choices(), value=self.config.app.default_models,
                                               label=i18n("ar_models"), elem_id="fields-models")
                self.truth = gr.Code(label=i18n("fields_truth"), language="json", lines=4, elem_id="fields-truth")
                self.run_button = gr.Button(i18n("fields_run"), variant="primary", elem_id="fields-run")
        self.status = gr.Markdown(elem_id="fields-status")
        self.table = gr.DataFrame(label=i18n("fields_table"), interactive=False, wrap=True, elem_id="fields-table")
        self.scores = gr.DataFrame(label=i18n("fields_accuracy"), interactive=False, visible=False,
                                   elem_id="fields-accuracy")
        self.files = gr.File(label=i18n("ar_export"), file_count="multiple", interactive=False, elem_id="fields-export")
        with gr.Accordion(i18n("fields_raw"), open=False):
            self.raw = gr.JSON(elem_id="fields-json")
        self.run_button.click(self.run, inputs=[self.picker.document, self.template, self.models, self.truth,
                                                self.picker.page],
                              outputs=[self.status, self.table, self.scores, self.files, self.raw],
                              api_name="extract_fields", concurrency_limit=self.config.app.concurrency_limit,
                              concurrency_id="arena")

    def run(self, document: str | None, template_key: str | None, models: list[str] | None, truth_json: str | None,
            page: str | None = "1", request: gr.Request = None, progress: gr.Progress = gr.Progress()):
        """Extract the template's fields with every chosen model, each reading the pages at its own pace;
        returns the comparison."""
        lang = self.language(request)
        if not document:
            raise gr.Error(text(lang, "err_no_document"))
        if template_key not in self.config.templates:
            raise gr.Error(text(lang, "fields_err_template").format(choices=", ".join(self.config.templates)))
        selected = self.selected_models(models)
        if not selected:
            raise gr.Error(text(lang, "err_no_models"))
        truth = _parse_truth(truth_json, lang)
        pages = read_pages(document, page, self.config.app)
        started = time.perf_counter()
        run = FieldsRun(Path(document).name, template_key, {k: self.config.get(k).name for k in selected}, truth)
        run_fields(self.pool, run, self.config.templates[template_key], pages, lang,
                   lambda done, total, what: progress((done, total), desc=what))
        files = run.export(self.exports.folder_for(f"fields-{run.run_id}"))
        status = text(lang, "fields_done").format(models=len(selected), pages=len(pages),
                                                  seconds=time.perf_counter() - started)
        return (status, styled(run.table(), list(run.names.values())),
                gr.update(value=run.scores() if truth is not None else None, visible=truth is not None), files,
                run.record())


def styled(table: pd.DataFrame, model_columns: list[str]):
    """Disagreeing rows (≠) tinted, values failing their format in bold amber (`format_failed` says whose)."""
    def colours(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for row in frame.index:
            if frame.at[row, "agree"] == "≠":
                styles.loc[row, model_columns] = DISAGREE_STYLE
            failed = [m.strip() for m in str(frame.at[row, "format_failed"] or "").split(",") if m.strip()]
            for model in failed:
                if model in styles.columns:
                    styles.at[row, model] = FORMAT_STYLE
        return styles

    shown = table.copy()
    shown["agree"] = [{True: "✓", False: "≠"}.get(v, "") for v in table["agree"]]
    return shown.style.apply(colours, axis=None).format(na_rep="—")


def _parse_truth(truth_json: str | None, lang: str) -> dict[str, str] | None:
    if not truth_json or not truth_json.strip():
        return None
    try:
        truth = json.loads(truth_json)
    except json.JSONDecodeError as exc:
        raise gr.Error(text(lang, "fields_err_truth").format(error=exc)) from None
    if not isinstance(truth, dict):
        raise gr.Error(text(lang, "fields_err_truth").format(error="not a JSON object"))
    return {str(k): "" if v is None else str(v) for k, v in truth.items()}

