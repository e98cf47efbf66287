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

from core.fields.run import FieldsRun, run_fields
from core.samples import Sample, field_samples
from ui.document_picker import DocumentPicker, read_pages
from ui.fields_table import shown_fields, shown_scores
from ui.i18n import language_from_header, text
from ui.messages import failure_lines
from ui.numbers import measure
from ui.model_choices import default_models, labelled_choices
from ui.tab import Tab

FIELD_TASKS = ("fields", "ocr")  # a VLM answers the JSON prompt; an OCR engine's text goes through the rules


class FieldsTab(Tab):
    def build(self) -> None:
        i18n = self.i18n
        templates = self.template_choices()
        with gr.Row():
            self.picker = DocumentPicker(self.config.app, i18n, "fields", self.language, multi_page=True,
                                         samples=field_samples(), samples_label="smp_fields_pick")
            with gr.Column(scale=1, min_width=320):
                self.template = gr.Radio(choices=templates, value=templates[0][1] if templates else None,
                                         label=i18n("fields_template"), elem_id="fields-template")
                self.models = gr.CheckboxGroup(
                    choices=labelled_choices(self.pool, self.forced_language, FIELD_TASKS),
                    value=default_models(self.pool, self.config.app.default_models, FIELD_TASKS),
                    label=i18n("ar_models"), info=i18n("mc_legend"), elem_id="fields-models")
                self.truth = gr.Code(label=i18n("fields_truth"), language="json", lines=4, elem_id="fields-truth")
                self.run_button = gr.Button(i18n("fields_run"), variant="primary", elem_id="fields-run")
        self.status = gr.Markdown(elem_id="fields-status")
        self.table = gr.DataFrame(label=i18n("fields_table"), interactive=False, wrap=True, elem_id="fields-table")
        self.scores = gr.DataFrame(label=i18n("fields_accuracy"), interactive=False, visible=False,
                                   elem_id="fields-accuracy")
        self.files = gr.File(label=i18n("ar_export"), file_count="multiple", interactive=False, elem_id="fields-export")
        with gr.Accordion(i18n("fields_raw"), open=False):
            self.raw = gr.JSON(elem_id="fields-json")
        self.status_signal.announce(self.run_button.click(
            self.run, inputs=[self.picker.document, self.template, self.models, self.truth, self.picker.page],
            outputs=[self.status, self.table, self.scores, self.files, self.raw], api_name="extract_fields",
            concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena"))
        self.status_signal.redraw(self.redraw_models, inputs=[], outputs=[self.models])
        # A sample card brings its true field values (and the template they belong to).
        if self.picker.samples:
            self.picker.samples.on_pick(self.sample_truth, [self.truth, self.template])

    def sample_truth(self, sample: Sample, path: str | None = None):
        """The truth box and template for a picked sample card: the values of the template's own fields."""
        template = self.config.templates.get(sample.template or "")
        keys = {f.key for f in template.fields} if template and template.fields else None
        truth = {k: v for k, v in (sample.truth_fields or {}).items() if keys is None or k in keys}
        return (json.dumps(truth, ensure_ascii=False, indent=2) if truth else "",
                sample.template if template else gr.skip())

    def redraw_models(self, request: gr.Request = None):
        return gr.update(choices=labelled_choices(self.pool, self.language(request), FIELD_TASKS))

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
                                                  seconds=measure(lang, time.perf_counter() - started, "s", 1))
        failed = failure_lines(lang, [(m["model"], m["status"], m["code"], m["message"])
                                      for record in run.page_records for m in record["models"] if m["status"] != "ok"])
        status += f"\n\n{failed}" if failed else ""
        return (status, shown_fields(run, lang),
                gr.update(value=shown_scores(run, lang) if truth is not None else None, visible=truth is not None),
                files, run.record())

    def template_choices(self) -> list[tuple]:
        """The templates by name in the page's language. The names come from config.yaml (`name`, `name_ru`), so
        they join the translation table here, before the app is launched."""
        for locale, strings in self.i18n.translations.items():
            lang = language_from_header(locale, self.forced_language)
            self.i18n.translations[locale] = strings | {
                f"fields_template_{key}": (t.name_ru if lang == "ru" and t.name_ru else t.name)
                for key, t in self.config.templates.items()}
        return [(self.i18n(f"fields_template_{key}"), key) for key in self.config.templates]


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

