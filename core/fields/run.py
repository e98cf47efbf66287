"""A fields run: a template's fields pulled out of every page of a document by several models, compared and
scored, ready to show and to export."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult
from backends.contracts.schema import DocumentTemplate
from backends.pool import ModelPool
from core.exports import write_table_and_record
from core.fields.extraction import accuracy, extract, field_request, side_by_side
from core.fields.marks import Mark, model_marks
from core.fields.parsing import FieldValues
from core.page_pipelines import run_pipelines

# (finished requests, all requests, what just finished) after each model's result
OnProgress = Callable[[int, int, str], None]
ACCURACY_DIGITS = 3  # a share of at most a few dozen fields: 0.778, not 0.7777777777777778


@dataclass
class FieldsRun:
    document: str
    template_key: str
    names: dict[str, str]  # model key -> display name, in the order selected
    truth: dict[str, str] | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    tables: list[pd.DataFrame] = field(default_factory=list)  # per page: rows are fields, columns are models
    score_rows: list[dict] = field(default_factory=list)  # per page and model, with ground truth
    page_records: list[dict] = field(default_factory=list)
    # (page, field key, model name) -> why the value may not be what it looks like (core/fields/marks.py)
    marks: dict[tuple[int, str, str], list[Mark]] = field(default_factory=dict)

    def record(self) -> dict:
        """The JSON export: every page, every model's reply, values, problems and scores."""
        return {"run_id": self.run_id, "document": self.document, "template": self.template_key,
                "pages": self.page_records}

    def table(self) -> pd.DataFrame:
        return pd.concat(self.tables, ignore_index=True)

    def scores(self) -> pd.DataFrame:
        """Accuracy per model (and per page, when there are several)."""
        scores = pd.DataFrame(self.score_rows)
        if len(self.page_records) == 1 and not scores.empty:
            scores = scores.drop(columns=["page"])
        return scores

    def export(self, folder) -> list[str]:
        return write_table_and_record(folder, f"fields-{self.run_id}", self.table(), self.record())


def run_fields(pool: ModelPool, run: FieldsRun, template: DocumentTemplate, pages: list[tuple[int, Image.Image]],
               lang: str, on_progress: OnProgress | None = None) -> FieldsRun:
    """Extract the template's fields with every model in `run.names`, into `run`.

    Each model reads the pages in order at its own pace (core/page_pipelines.py). A page joins the run once
    every model has read it; pages are finished in order, since each is done when its slowest model is.
    """
    selected, config = list(run.names), pool.config
    requests = [_page_requests(pool, selected, template, image) for _, image in pages]
    results: list[dict[str, ModelResult]] = [{} for _ in pages]
    done = added = 0
    for key, index, event in run_pipelines(pool, selected, requests):
        if not isinstance(event, ModelResult):
            continue
        results[index][key], done = event, done + 1
        if on_progress is not None:
            on_progress(done, len(pages) * len(selected), f"{run.names[key]} · {pages[index][0]}/{len(pages)}")
        while added < len(pages) and len(results[added]) == len(selected):
            extractions = {k: extract(config.get(k), template, results[added][k]) for k in selected}
            _add_page(run, template, pages[added][0], results[added], extractions, lang, several_pages=len(pages) > 1)
            added += 1
    return run


def _page_requests(pool: ModelPool, selected: list[str], template: DocumentTemplate,
                   image: Image.Image) -> dict[str, PageRequest]:
    """Each model's request for one page; they share one base, so the image is encoded once for them all."""
    base = PageRequest(image)
    return {k: field_request(pool.config.get(k), template, base) for k in selected}


def _add_page(run: FieldsRun, template: DocumentTemplate, number: int, results: dict[str, ModelResult],
              extractions: dict[str, FieldValues | None], lang: str, several_pages: bool) -> None:
    table = side_by_side(template, {run.names[k]: extractions[k] for k in run.names}, run.truth, lang)
    if several_pages:
        table.insert(0, "page", number)
    run.tables.append(table)
    models = []
    for key, name in run.names.items():
        found, result = extractions[key], results[key]
        marks = model_marks(found, run.truth)
        run.marks |= {(number, field_key, name): found_marks for field_key, found_marks in marks.items()}
        entry = {"key": key, "model": name, "status": result.status.value, "message": result.message,
                 "code": result.code, "text": result.text, "latency_s": result.metrics.latency_s,
                 **(found.to_json() if found else {"values": None}),
                 "marks": {field_key: [m.to_json() for m in found_marks] for field_key, found_marks in marks.items()}}
        if run.truth is not None:
            scored = accuracy(template, found, run.truth)
            share = None if scored["accuracy"] is None else round(scored["accuracy"], ACCURACY_DIGITS)
            entry["field_accuracy"] = share
            entry["field_matches"] = scored["matches"]
            run.score_rows.append({"page": number, "model": name, "accuracy": share,
                                   **{k: int(v) for k, v in scored["matches"].items()}})
        models.append(entry)
    run.page_records.append({"page": number, "models": models})
