"""A VLM's reply to a fields prompt: the JSON object found (and repaired when it is near-JSON), then checked
against the template with pydantic. Nothing is hidden: every value stays, and each failure is named."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

import json_repair
from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, create_model

from backends.contracts.schema import DocumentTemplate
from core.fields.scripts import put_in_scripts

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?|\n?\s*```\s*$")
# Letters OCR and VLMs swap between scripts in keys such as "4а" (Cyrillic а) or "4с".
_LOOKALIKES = str.maketrans("аАвВсСеЕкКмМнНоОрРтТхХ", "aAbBcCeEkKmMhHoOpPtTxX")


@dataclass
class FieldValues:
    """What one model extracted: a value (or None) per field, and what went wrong."""

    values: dict[str, str | None]
    problems: dict[str, str] = field(default_factory=dict)  # field key -> why its value fails the template
    notes: list[str] = field(default_factory=list)  # about the reply as a whole (repaired, no JSON found…)
    method: str = "json"  # "json" (the model answered JSON) or "rules" (parsed from its OCR text)
    # field key -> the value as read, where look-alike letters were put back in the field's script
    corrections: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"values": self.values, "problems": self.problems, "notes": self.notes, "method": self.method,
                "corrections": {key: {"read": read, "corrected": self.values[key]}
                                for key, read in self.corrections.items()}}


def find_json_object(reply: str) -> tuple[dict | None, list[str]]:
    """The reply's JSON object, and notes on what had to be repaired to get it."""
    notes = []
    text = reply.strip()
    if text.startswith("```"):
        text = _FENCE.sub("", text).strip()
        notes.append("removed a Markdown code fence")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        candidate = text[start:end + 1] if start != -1 and end > start else text[start:] if start != -1 else ""
        try:
            parsed = json.loads(candidate)
            notes.append("took the JSON object out of surrounding text")
        except json.JSONDecodeError:
            parsed = json_repair.loads(candidate) if candidate else None
            if isinstance(parsed, dict) and parsed:
                notes.append("repaired near-JSON (quotes, commas or brackets)")
    if isinstance(parsed, dict) and len(parsed) == 1 and isinstance(next(iter(parsed.values())), dict):
        parsed = next(iter(parsed.values()))  # {"fields": {...}}
    if not isinstance(parsed, dict) or not parsed:
        return None, notes + ["no JSON object in the reply"]
    return parsed, notes


def _key_form(key: str) -> str:
    key = key.translate(_LOOKALIKES).casefold()
    key = re.sub(r"^(field|поле)[\s_.-]*", "", key)
    return re.sub(r"[\s_.:)(-]+", "", key)


def match_keys(raw: dict[str, Any], template: DocumentTemplate) -> tuple[dict[str, Any], list[str]]:
    """Map the reply's keys to the template's ("4а", "field_4a" and "Date of issue" all mean "4a");
    keys the template does not have are returned separately."""
    lookup = {}
    for spec in template.fields:
        for name in (spec.key, spec.label, spec.label_ru):
            if name:
                lookup[_key_form(name)] = spec.key
    matched, extra = {}, []
    for key, value in raw.items():
        target = lookup.get(_key_form(str(key)))
        if target is not None and target not in matched:
            matched[target] = value
        else:
            extra.append(str(key))
    return matched, extra


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value.strip() if isinstance(value, str) else None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)


def _template_model(template: DocumentTemplate):
    """A pydantic model of the template: every field an optional string, formatted by its pattern."""
    fields = {}
    for index, spec in enumerate(template.fields):
        constraint = StringConstraints(pattern=f"^(?:{spec.pattern})$") if spec.pattern else StringConstraints()
        kind = Annotated[Annotated[str, constraint] | None, BeforeValidator(_as_text)]
        fields[f"f{index}"] = (kind, Field(default=None, alias=spec.key))
    return create_model("TemplateFields", __config__=ConfigDict(extra="ignore"), **fields)


def validate_fields(raw: dict[str, Any], template: DocumentTemplate, method: str = "json") -> FieldValues:
    """Check values against the template. Values that fail keep their text and get a problem beside them."""
    if not template.fields:  # a free key-value template: whatever keys the document had
        return FieldValues({str(k): _as_text(v) for k, v in raw.items()}, method=method)
    matched, extra = match_keys(raw, template)
    values = {spec.key: _as_text(matched.get(spec.key)) or None for spec in template.fields}  # "" is absent too
    # Before the format check: "В, В1, М" in Cyrillic letters is the category list "B, B1, M".
    corrections = put_in_scripts(values, {spec.key: spec.script for spec in template.fields if spec.script})
    problems: dict[str, str] = {}
    try:
        _template_model(template).model_validate(values)
    except ValidationError as exc:
        specs = {spec.key: spec for spec in template.fields}
        for error in exc.errors():  # located by alias: the template's key
            spec = specs[str(error["loc"][0])]
            problems[spec.key] = f"not in the expected format (e.g. {spec.example})" if spec.example else \
                f"not in the expected format ({spec.pattern})"
    notes = [f"keys not in the template: {', '.join(extra)}"] if extra else []
    return FieldValues(values, problems, notes, method, corrections)


def parse_reply(reply: str, template: DocumentTemplate) -> FieldValues:
    """A VLM's fields reply, parsed, repaired if needed, and validated."""
    raw, notes = find_json_object(reply)
    if raw is None:
        return FieldValues({spec.key: None for spec in template.fields}, notes=notes)
    result = validate_fields(raw, template)
    result.notes = notes + result.notes
    return result


def fields_prompt(template: DocumentTemplate) -> str:
    """The instruction a VLM gets: one JSON object with the template's keys, null where a field is absent."""
    if not template.fields:
        return ("Extract every labelled field of this document. Answer with one JSON object only: the labels "
                f"as keys, the values as strings. {template.instructions}").strip()
    lines = [f'- "{spec.key}": {spec.hint or spec.label}' + (f' (e.g. "{spec.example}")' if spec.example else "")
             for spec in template.fields]
    return (f"Extract these fields from this {template.name.lower()}. {template.instructions}\n"
            + "\n".join(lines)
            + "\nAnswer with one JSON object only, with exactly these keys and string values; use null for a "
              "field that is not on the document.").replace("  ", " ")
