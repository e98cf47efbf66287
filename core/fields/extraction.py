"""Field extraction with any model: VLMs answer the template's JSON prompt; OCR-only engines read the text and
the template's rules parse it. Both end as `FieldValues`, compared side by side and scored the same way."""
from __future__ import annotations

import pandas as pd

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.contracts.schema import DocumentTemplate, ModelEntry
from core.fields.parsing import FieldValues, fields_prompt, parse_reply, validate_fields
from core.fields.rules import RULES
from backends.contracts.results import ModelResult
from core.metrics import field_accuracy, field_matches, normalize


def answers_json(entry: ModelEntry) -> bool:
    """Models that offer the `fields` task are asked for JSON; the rest are read as OCR and parsed by rules."""
    return "fields" in entry.tasks


def field_request(entry: ModelEntry, template: DocumentTemplate, request: PageRequest) -> PageRequest:
    """The request for one model: the template's JSON prompt, or plain OCR (sharing the encoded image)."""
    if answers_json(entry):
        return PageRequest(request.image, task="fields", prompt=fields_prompt(template), encoded=request.encoded)
    return PageRequest(request.image, task="ocr", encoded=request.encoded)


def extract(entry: ModelEntry, template: DocumentTemplate, result: ModelResult) -> FieldValues | None:
    """What the model's finished result says about the fields; None when it produced no result."""
    if result.status != Status.OK:
        return None
    if answers_json(entry):
        return parse_reply(result.text, template)
    return validate_fields(RULES[template.rules](result.text), template, method="rules")


def field_keys(template: DocumentTemplate, extractions: dict[str, FieldValues | None]) -> list[str]:
    """The rows of the comparison: the template's fields, or every key any model found (free templates)."""
    if template.fields:
        return [spec.key for spec in template.fields]
    keys: dict[str, None] = {}
    for found in extractions.values():
        if found is not None:
            keys.update(dict.fromkeys(found.values))
    return list(keys)


def _same(values: list[str]) -> bool:
    return len({normalize(v, casefold=True) for v in values}) <= 1


def side_by_side(template: DocumentTemplate, extractions: dict[str, FieldValues | None],
                 truth: dict[str, str] | None = None, lang: str = "en") -> pd.DataFrame:
    """Rows are fields, columns are models (by name). `agree` says whether the models that found a value agree;
    `format_failed` lists the models whose value fails the field's format. With ground truth: a `truth` column."""
    labels = {spec.key: (spec.label_ru if lang == "ru" and spec.label_ru else spec.label) for spec in template.fields}
    rows = []
    for key in field_keys(template, extractions):
        row = {"field": key, "label": labels.get(key, key)}
        found = []
        for name, values in extractions.items():
            value = None if values is None else values.values.get(key)
            row[name] = value
            if value:
                found.append(value)
        row["agree"] = _same(found) if len(found) > 1 else None
        row["format_failed"] = ", ".join(name for name, v in extractions.items() if v and key in v.problems)
        if truth is not None:
            row["truth"] = truth.get(key)
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy(template: DocumentTemplate, extraction: FieldValues | None, truth: dict[str, str]) -> dict:
    """Per field whether the extracted value equals the truth (normalised, case-folded), and the share."""
    keys = field_keys(template, {"": extraction}) if not template.fields else [s.key for s in template.fields]
    relevant = {k: v for k, v in truth.items() if k in keys}
    matches = field_matches(relevant, {k: v or "" for k, v in (extraction.values if extraction else {}).items()})
    return {"matches": matches, "accuracy": field_accuracy(matches)}
