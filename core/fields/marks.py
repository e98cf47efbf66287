"""Why a field value that looks right is not: the marks the Fields table shows beside a model's value.

A value read with look-alike letters ("TATAPCTAH" for "ТАТАРСТАН") prints the same as the truth, yet does not
match it; without a mark the cell is scored 0 with no visible reason. Three marks, language-neutral here (the
UI words them):

- ``corrected``: the field's declared script put look-alike letters back (core/fields/scripts.py); the detail
  is the value as read.
- ``lookalike``: the value equals the truth once look-alikes are folded; the detail is the script of the
  letters that stand where the truth has the other one ("latin", "cyrillic", or "greek").
- ``mixed``: the value holds words mixing Cyrillic and Latin letters; the detail lists them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from core.fields.parsing import FieldValues
from core.lookalikes import GREEK_TO_CYRILLIC, fold_lookalikes, is_mixed_script, script_of
from core.metrics import normalize


@dataclass(frozen=True)
class Mark:
    kind: str  # "corrected", "lookalike" or "mixed"
    detail: str

    def to_json(self) -> dict:
        return asdict(self)


def _swapped_script(truth: str, found: str) -> str:
    """The script of the first letter of `found` that differs from `truth` (the two are the same length)."""
    for expected, letter in zip(truth, found):
        if expected != letter:
            return "greek" if letter in GREEK_TO_CYRILLIC else script_of(letter) or "latin"
    return "latin"


def lookalike_mark(value: str, truth: str | None) -> Mark | None:
    """A `lookalike` mark when `value` differs from `truth` only by look-alike letters (case folded, as field
    accuracy is)."""
    if not truth:
        return None
    found, expected = normalize(value), normalize(truth)
    if found.casefold() == expected.casefold():
        return None
    if fold_lookalikes(found).casefold() != fold_lookalikes(expected).casefold():
        return None
    return Mark("lookalike", _swapped_script(expected, found) if len(found) == len(expected) else "latin")


def cell_marks(value: str | None, truth: str | None, read_as: str | None) -> list[Mark]:
    """Every mark of one model's value for one field."""
    if not value:
        return []
    marks = [Mark("corrected", read_as)] if read_as else []
    swap = lookalike_mark(value, truth)
    if swap is not None:
        marks.append(swap)
    mixed = [word for word in value.split() if is_mixed_script(word)]
    if mixed:
        marks.append(Mark("mixed", " ".join(mixed)))
    return marks


def model_marks(extraction: FieldValues | None, truth: dict[str, str] | None) -> dict[str, list[Mark]]:
    """Field key -> the marks of one model's values (fields without marks left out)."""
    if extraction is None:
        return {}
    marks = {key: cell_marks(value, (truth or {}).get(key), extraction.corrections.get(key))
             for key, value in extraction.values.items()}
    return {key: found for key, found in marks.items() if found}
