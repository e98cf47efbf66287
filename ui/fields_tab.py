"""The Fields tab: pull a template's fields out of a document with several models and compare them side by side.

VLMs answer the template's JSON prompt; OCR-only engines read the page and the template's rules parse their
text (backends/fields). The table has a row per field and a column per model; a row whose models disagree,
and a value that fails its field's format, are marked. With ground-truth fields, each model gets its accuracy.
"""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import gradio as gr
import pandas as pd

from backends.base import OcrRequest
from backends.fields.extraction import accuracy, extract, field_request, side_by_side
from backends.pool import ModelPool, Result
from ui.arena import ExportFolder
from ui.document_input import page_selector, preview, read_pages
from ui.i18n import request_language, text

DISAGREE_STYLE = "background-color: #fde2e1"
FORMAT_STYLE = "background-color: #ffe8b3; font-weight: 600"


class FieldsTab:
    def __init__(self, pool: ModelPool, forced_language: str, i18n: gr.I18n, exports: ExportFolder):
        self.pool = pool
        self.config = pool.config
        self.forced_language = forced_language
        self.i18n = i18n
        self.exports = exports

    def build(self) -> None:
        i18n = self.i18n
        templates = [(t.name, key) for key, t in self.config.templates.items()]
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                self.document = gr.File(label=i18n("ar_document"), file_types=["image", ".pdf"], type="filepath",
                                        elem_id="fields-document")
                self.page = gr.Dropdown(choices=["1"], value="1", label=i18n("ar_page"), visible=False,
                                        allow_custom_value=True, elem_id="fields-page")
                self.preview = gr.Image(label=i18n("ar_preview"), interactive=False, height=260,
                                        elem_id="fields-preview")
            with gr.Column(scale=1, min_width=320):
                self.template = gr.Radio(choices=templates, value=templates[0][1] if templates else None,
                                         label=i18n("fields_template"), elem_id="fields-template")
                self.models = gr.CheckboxGroup(choices=[(m.name, m.key) for m in self.config.models],
                                               value=self.config.app.default_models, label=i18n("ar_models"),
                                               elem_id="fields-models")
                self.truth = gr.Code(label=i18n("fields_truth"), language="json", lines=4, elem_id="fields-truth")
                self.run_button = gr.Button(i18n("fields_run"), variant="primary", elem_id="fields-run")
        self.status = gr.Markdown(elem_id="fields-status")
        self.table = gr.DataFrame(label=i18n("fields_table"), interactive=False, wrap=True, elem_id="fields-table")
        self.scores = gr.DataFrame(label=i18n("fields_accuracy"), interactive=False, visible=False,
                                   elem_id="fields-accuracy")
        self.files = gr.File(label=i18n("ar_export"), file_count="multiple", interactive=False, elem_id="fields-export")
        with gr.Accordion(i18n("fields_raw"), open=False):
            self.raw = gr.JSON(elem_id="fields-json")
        self.document.change(self.choose_pages, inputs=[self.document], outputs=[self.page, self.preview],
                             api_visibility="private")
        self.page.input(lambda path, page: preview(path, page, self.config.app), inputs=[self.document, self.page],
                        outputs=[self.preview], api_visibility="private")
        self.run_button.click(self.run, inputs=[self.document, self.template, self.models, self.truth, self.page],
                              outputs=[self.status, self.table, self.scores, self.files, self.raw],
                              api_name="extract_fields", concurrency_limit=self.config.app.concurrency_limit,
                              concurrency_id="arena")

    def choose_pages(self, path: str | None, request: gr.Request = None):
        return page_selector(path, request_language(request, self.forced_language)), preview(path, "1",
                                                                                              self.config.app)

    def run(self, document: str | None, template_key: str | None, models: list[str] | None, truth_json: str | None,
            page: str | None = "1", request: gr.Request = None, progress: gr.Progress = gr.Progress()):
        """Extract the template's fields with every chosen model, page by page; returns the comparison."""
        lang = request_language(request, self.forced_language)
        if not document:
            raise gr.Error(text(lang, "err_no_document"))
        if template_key not in self.config.templates:
            raise gr.Error(text(lang, "fields_err_template").format(choices=", ".join(self.config.templates)))
        selected = [k for k in (models or []) if k in self.config.keys()]
        if not selected:
            raise gr.Error(text(lang, "err_no_models"))
        truth = _parse_truth(truth_json, lang)
        template = self.config.templates[template_key]
        pages = read_pages(document, page, self.config.app)
        started = time.perf_counter()
        names = {k: self.config.get(k).name for k in selected}
        record = {"run_id": uuid.uuid4().hex[:12], "document": Path(document).name, "template": template_key,
                  "pages": []}
        tables, score_rows = [], []
        for index, (number, image) in enumerate(pages):
            base = OcrRequest(image)
            requests = {k: field_request(self.config.get(k), template, base) for k in selected}
            results: dict[str, Result] = {}
            for key, event in self.pool.run_many(selected, base, per_key=requests):
                if isinstance(event, Result):
                    results[key] = event
                    progress((index * len(selected) + len(results), len(pages) * len(selected)),
                             desc=f"{names[key]} · {number}/{len(pages)}")
            extractions = {k: extract(self.config.get(k), template, results[k]) for k in selected}
            table = side_by_side(template, {names[k]: extractions[k] for k in selected}, truth, lang)
            if len(pages) > 1:
                table.insert(0, "page", number)
            tables.append(table)
            page_record = {"page": number, "models": []}
            for key in selected:
                found, result = extractions[key], results[key]
                entry = {"key": key, "model": names[key], "status": result.status.value, "message": result.message,
                         "text": result.text, "latency_s": result.metrics.latency_s,
                         **(found.to_json() if found else {"values": None})}
                if truth is not None:
                    scored = accuracy(template, found, truth)
                    entry["field_accuracy"] = scored["accuracy"]
                    entry["field_matches"] = scored["matches"]
                    score_rows.append({"page": number, "model": names[key], "accuracy": scored["accuracy"],
                                       **{k: int(v) for k, v in scored["matches"].items()}})
                page_record["models"].append(entry)
            record["pages"].append(page_record)
        combined = pd.concat(tables, ignore_index=True)
        files = self._export(record, combined)
        status = text(lang, "fields_done").format(models=len(selected), pages=len(pages),
                                                  seconds=time.perf_counter() - started)
        scores = pd.DataFrame(score_rows)
        if len(pages) == 1 and not scores.empty:
            scores = scores.drop(columns=["page"])
        return (status, styled(combined, list(names.values())),
                gr.update(value=scores if truth is not None else None, visible=truth is not None), files, record)

    def _export(self, record: dict, table: pd.DataFrame) -> list[str]:
        folder = self.exports.folder_for(f"fields-{record['run_id']}")
        folder.mkdir(parents=True, exist_ok=True)
        json_path, csv_path = folder / f"fields-{record['run_id']}.json", folder / f"fields-{record['run_id']}.csv"
        json_path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        table.to_csv(csv_path, index=False)
        return [str(csv_path), str(json_path)]


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

