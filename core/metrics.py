"""Accuracy metrics for OCR output: CER, CER with look-alike letters folded, WER, normalised edit distance,
word F1, field accuracy, and a character-level diff.

This is the project's single accuracy code; the arena and the benchmark CLI both use it.

Default normalisation, applied to reference and hypothesis alike before scoring:

* Unicode NFKC. DocBank ground truth keeps PDF ligatures (e.g. U+FB01 "ﬁ") while an
  OCR engine reads "fi"; NFKC maps both to the same text. It also composes
  combining marks ("e" + U+0301 -> "é"). It does not strip diacritics, so the
  Cyrillic "ё" and "е" stay distinct.
* Whitespace collapse: every run of whitespace (spaces, tabs, newlines) becomes one
  space, and the ends are stripped. Line breaks and spacing depend on layout
  analysis, not on reading the characters, so they should not count as errors.
* No case folding unless asked (``casefold=True``), e.g. for upper-case-only
  ground truth such as SROIE receipts.

CER with look-alikes folded (``cer_folded``): the same CER after both texts have every Cyrillic (and Greek)
letter that prints like a Latin letter or digit replaced by it (``core.lookalikes.fold_lookalikes``: Unicode's
confusables for Russian and English letters, plus З/3, Ь/b, б/6). "TATAPCTAH" read for "ТАТАРСТАН" is nine
errors in the CER and none in the folded CER: the gap between the two is how much of a model's error is the
wrong script rather than the wrong letter. Folding comes after NFKC and before case folding (casefolding
first would turn "Т" into "т", which looks like no Latin letter).

Edit distances come from rapidfuzz (Levenshtein: insertions, deletions and
substitutions each cost 1).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Mapping

from rapidfuzz.distance import Levenshtein

from core.lookalikes import fold_lookalikes

_WHITESPACE_RUN = re.compile(r"\s+")
TEXT_METRICS = ("cer", "cer_folded", "wer", "ned", "word_f1")  # what `score` returns, in column order


def normalize(
    text: str,
    *,
    nfkc: bool = True,
    collapse_whitespace: bool = True,
    casefold: bool = False,
) -> str:
    """Return ``text`` normalised for scoring (see the module docstring)."""
    if nfkc:
        text = unicodedata.normalize("NFKC", text)
    if collapse_whitespace:
        text = _WHITESPACE_RUN.sub(" ", text).strip()
    if casefold:
        text = text.casefold()
    return text


@dataclass(frozen=True)
class Normalization:
    """The normalisation a benchmark or an arena run scores with; recorded with every result."""

    nfkc: bool = True
    collapse_whitespace: bool = True
    casefold: bool = False

    def kwargs(self) -> dict[str, bool]:
        return asdict(self)

    def describe(self) -> str:
        parts = [name for name, on in (("NFKC", self.nfkc), ("whitespace collapsed", self.collapse_whitespace),
                                       ("case folded", self.casefold)) if on]
        return ", ".join(parts) or "none"


def _error_rate(edits: int, reference_length: int, hypothesis_length: int) -> float:
    """Edits per reference unit; an empty reference scores 0.0 only against an empty hypothesis."""
    if reference_length == 0:
        return 0.0 if hypothesis_length == 0 else 1.0
    return edits / reference_length


def cer(reference: str, hypothesis: str, **normalize_kwargs) -> float:
    """Character error rate.

    CER = (S + D + I) / N, where S, D, I are the character substitutions,
    deletions and insertions of the minimal edit script turning the normalised
    reference into the normalised hypothesis, and N is the number of characters
    in the normalised reference. It can exceed 1.0 when the hypothesis is much
    longer than the reference.

    Empty normalised reference: 0.0 if the hypothesis is empty too, else 1.0
    (the ratio is undefined; any output for a blank image is a full error).
    """
    ref = normalize(reference, **normalize_kwargs)
    hyp = normalize(hypothesis, **normalize_kwargs)
    return _error_rate(Levenshtein.distance(ref, hyp), len(ref), len(hyp))


def cer_folded(reference: str, hypothesis: str, **normalize_kwargs) -> float:
    """CER with look-alike letters folded on both sides (see the module docstring): never above the CER."""
    nfkc = normalize_kwargs.get("nfkc", True)
    return cer(fold_lookalikes(normalize(reference, nfkc=nfkc, collapse_whitespace=False)),
               fold_lookalikes(normalize(hypothesis, nfkc=nfkc, collapse_whitespace=False)), **normalize_kwargs)


def wer(reference: str, hypothesis: str, **normalize_kwargs) -> float:
    """Word error rate.

    WER = (S + D + I) / N over words: the normalised texts are split on
    whitespace, S, D, I are the word substitutions, deletions and insertions of
    the minimal edit script, and N is the number of reference words.

    Empty reference (no words): 0.0 if the hypothesis has no words either, else 1.0.
    """
    ref_words = normalize(reference, **normalize_kwargs).split()
    hyp_words = normalize(hypothesis, **normalize_kwargs).split()
    return _error_rate(Levenshtein.distance(ref_words, hyp_words), len(ref_words), len(hyp_words))


def normalized_edit_distance(reference: str, hypothesis: str, **normalize_kwargs) -> float:
    """Normalised edit distance, in [0, 1].

    NED = (S + D + I) / max(N_ref, N_hyp) over characters of the normalised texts. Unlike CER it is bounded
    by 1, so one runaway output cannot outweigh the rest of a dataset's mean. Both empty: 0.0.
    """
    ref = normalize(reference, **normalize_kwargs)
    hyp = normalize(hypothesis, **normalize_kwargs)
    longest = max(len(ref), len(hyp))
    return Levenshtein.distance(ref, hyp) / longest if longest else 0.0


def word_f1(reference: str, hypothesis: str, **normalize_kwargs) -> float:
    """Order-free word F1, in [0, 1]: fair to multi-column pages read in another column order.

    With R and H the multisets of normalised words, matched = |R ∩ H| (each word counted as often as it
    occurs in both), precision = matched / |H|, recall = matched / |R|, F1 = 2PR / (P + R).
    Both empty: 1.0; only one empty: 0.0.
    """
    ref = Counter(normalize(reference, **normalize_kwargs).split())
    hyp = Counter(normalize(hypothesis, **normalize_kwargs).split())
    if not ref and not hyp:
        return 1.0
    matched = sum((ref & hyp).values())
    if matched == 0:
        return 0.0
    precision, recall = matched / sum(hyp.values()), matched / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def field_matches(fields: Mapping[str, str], hypothesis: str | Mapping[str, str],
                  **normalize_kwargs) -> dict[str, bool]:
    """Per ground-truth field: did the model get it?

    Against extracted fields (a mapping) a field matches when the normalised values are equal. Against plain
    OCR text it matches when its normalised value occurs in the normalised text. Case is folded by default
    (receipts' ground truth is often upper-case). A field with an empty true value is skipped.
    """
    normalize_kwargs.setdefault("casefold", True)
    text = None if isinstance(hypothesis, Mapping) else normalize(hypothesis, **normalize_kwargs)
    matches = {}
    for name, value in fields.items():
        truth = normalize(str(value), **normalize_kwargs)
        if not truth:
            continue
        if text is None:
            matches[name] = normalize(str(hypothesis.get(name, "")), **normalize_kwargs) == truth
        else:
            matches[name] = truth in text
    return matches


def field_accuracy(matches: Mapping[str, bool]) -> float | None:
    """The share of fields matched; None when there were none to match."""
    return sum(matches.values()) / len(matches) if matches else None


def char_diff(reference: str, hypothesis: str, **normalize_kwargs) -> list[tuple[str, str | None]]:
    """Character-level diff as ``(text, label)`` segments, e.g. for gradio HighlightedText.

    Labels: ``None`` for text both share, ``"missing"`` for reference text the
    hypothesis lacks, ``"extra"`` for hypothesis text not in the reference. A
    substitution is a "missing" run followed by an "extra" run. Consecutive
    segments with the same label are merged. Joining the None and "missing"
    parts rebuilds the normalised reference; None and "extra" the hypothesis.
    """
    ref = normalize(reference, **normalize_kwargs)
    hyp = normalize(hypothesis, **normalize_kwargs)
    segments: list[tuple[str, str | None]] = []
    for op in Levenshtein.opcodes(ref, hyp):
        ref_part = ref[op.src_start : op.src_end]
        hyp_part = hyp[op.dest_start : op.dest_end]
        if op.tag == "equal":
            _append_merged(segments, ref_part, None)
        if op.tag in ("delete", "replace"):
            _append_merged(segments, ref_part, "missing")
        if op.tag in ("insert", "replace"):
            _append_merged(segments, hyp_part, "extra")
    return segments


def _append_merged(segments: list[tuple[str, str | None]], text: str, label: str | None) -> None:
    """Append a segment, extending the last one when it has the same label."""
    if not text:
        return
    if segments and segments[-1][1] == label:
        segments[-1] = (segments[-1][0] + text, label)
    else:
        segments.append((text, label))


def score(reference: str, hypothesis: str, normalization: Normalization = Normalization()) -> dict[str, float]:
    """Every text metric at once: ``{"cer", "cer_folded", "wer", "ned", "word_f1"}``. The arena and the benchmark
    both use it."""
    options = normalization.kwargs()
    return {
        "cer": cer(reference, hypothesis, **options),
        "cer_folded": cer_folded(reference, hypothesis, **options),
        "wer": wer(reference, hypothesis, **options),
        "ned": normalized_edit_distance(reference, hypothesis, **options),
        "word_f1": word_f1(reference, hypothesis, **options),
    }
