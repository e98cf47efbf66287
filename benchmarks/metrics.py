"""Accuracy metrics for OCR output: CER, WER and a character-level diff.

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

Edit distances come from rapidfuzz (Levenshtein: insertions, deletions and
substitutions each cost 1).
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

_WHITESPACE_RUN = re.compile(r"\s+")


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


def score(reference: str, hypothesis: str) -> dict:
    """Both error rates with the default normalisation: ``{"cer": ..., "wer": ...}``."""
    return {"cer": cer(reference, hypothesis), "wer": wer(reference, hypothesis)}
