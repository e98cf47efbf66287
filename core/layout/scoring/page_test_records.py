"""The page-test type and its checked reading from a JSON record, with errors a dataset author can act on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.layout.scoring.text import normalize_for_tests

KINDS = ("present", "absent", "order")
# Bookkeeping fields of olmOCR-bench's own JSONL records: accepted and ignored, so its tests load as they are.
_OLMOCR_BOOKKEEPING = {"pdf", "page", "id", "checked", "url"}
_FIELDS = {"present": ("text", "max_diffs", "case_sensitive"),
           "absent": ("text", "max_diffs", "case_sensitive"),
           "order": ("before", "after", "max_diffs")}


@dataclass(frozen=True)
class PageTest:
    __test__ = False  # a data type, not a pytest test class

    kind: str  # "present", "absent" or "order"; "type" in JSON
    text: str = ""  # present / absent
    before: str = ""  # order
    after: str = ""  # order
    max_diffs: int = 0  # edits tolerated; 0 asks for the exact text (after normalisation)
    case_sensitive: bool = True  # present / absent


def page_test_from_record(record: Any, number: int) -> PageTest:
    """The `number`-th (from 1) test of a list, checked field by field."""
    where = f"Page test {number}"
    if not isinstance(record, dict):
        raise ValueError(f'{where} must be an object such as {{"type": "present", "text": "Total"}}, '
                         f"not {_describe(record)}.")
    kind = record.get("type")
    if kind not in KINDS:
        found = "has no \"type\"" if kind is None else f'has an unknown type "{kind}"'
        raise ValueError(f"{where} {found}; use one of: {', '.join(KINDS)}.")
    unknown = sorted(set(record) - {"type", *_FIELDS[kind], *_OLMOCR_BOOKKEEPING})
    if unknown:
        raise ValueError(f'{where} ("{kind}") has unknown field(s) {", ".join(unknown)}; '
                         f"its fields are: {', '.join(_FIELDS[kind])}.")
    texts = {name: _required_text(record, name, where) for name in _FIELDS[kind] if name in ("text", "before", "after")}
    max_diffs = record.get("max_diffs", 0)
    if isinstance(max_diffs, bool) or not isinstance(max_diffs, int) or max_diffs < 0:
        raise ValueError(f'{where}: "max_diffs" must be a whole number, 0 or more, not {_describe(max_diffs)}.')
    case_sensitive = record.get("case_sensitive", True)
    if not isinstance(case_sensitive, bool):
        raise ValueError(f'{where}: "case_sensitive" must be true or false, not {_describe(case_sensitive)}.')
    if kind == "order" and max_diffs > min(len(normalize_for_tests(texts[name])) for name in ("before", "after")) // 2:
        # olmOCR's rule too: with more edits than half the text, anything would match.
        raise ValueError(f'{where}: "max_diffs" {max_diffs} is more than half of "before" or "after".')
    return PageTest(kind, max_diffs=max_diffs, case_sensitive=case_sensitive, **texts)


def _required_text(record: dict, name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not normalize_for_tests(value):
        raise ValueError(f'{where} ("{record["type"]}") needs a non-empty "{name}" (more than markup and spaces).')
    return value


def _describe(value: Any) -> str:
    """A value named the way a JSON author would, not by its Python type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else "an object"
