"""olmOCR-bench style page tests: facts about a page that a parser's text must satisfy.

Follows github allenai/olmocr, olmocr/bench/tests.py: `TextPresenceTest` ("present" / "absent": the text is found,
fuzzily, when `fuzz.partial_ratio(text, page) >= 1 - max_diffs / len(text)`) and `TextOrderTest` ("order": some
near match of `before`, at most `max_diffs` edits away, starts before some near match of `after`). Both sides are
normalised first, as olmOCR's `normalize_text` does: markup removed, whitespace collapsed, typographic quotes and
dashes read as ASCII. olmOCR finds the near matches with the fuzzysearch package; here they are found with
rapidfuzz, trying each start and each length within `max_diffs` of the searched text.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from core.layout.scoring.page_test_records import PageTest, page_test_from_record
from core.layout.scoring.text import normalize_for_tests

_ROUNDING = 1e-9


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # a result type, not a pytest test class

    test: PageTest
    passed: bool
    explanation: str  # why it failed; empty when it passed


def load_page_tests(source: str | Sequence) -> list[PageTest]:
    """Page tests from a JSON list (text) or the already decoded list; a ValueError in words when it is wrong."""
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as error:
            raise ValueError(f"The page tests are not valid JSON: {error.msg} at line {error.lineno}, "
                             f"column {error.colno}.") from None
    if not isinstance(source, list):
        raise ValueError("The page tests must be a JSON list of objects, such as "
                         '[{"type": "present", "text": "Total"}].')
    return [page_test_from_record(record, number) for number, record in enumerate(source, start=1)]


def run_page_tests(tests: Sequence[PageTest], text: str) -> list[TestOutcome]:
    """Each test run against the page's text (Markdown, HTML or plain)."""
    page = normalize_for_tests(text)
    return [TestOutcome(test, *_run(test, page)) for test in tests]


def pass_rate(outcomes: Sequence[TestOutcome]) -> float | None:
    """The share of tests passed; None when there were none."""
    return sum(outcome.passed for outcome in outcomes) / len(outcomes) if outcomes else None


def _run(test: PageTest, page: str) -> tuple[bool, str]:
    if test.kind == "order":
        return _run_order(test, page)
    return _run_presence(test, page)


def _run_presence(test: PageTest, page: str) -> tuple[bool, str]:
    query = normalize_for_tests(test.text)
    if not test.case_sensitive:
        query, page = query.casefold(), page.casefold()
    threshold = 1.0 - test.max_diffs / len(query)
    best = fuzz.partial_ratio(query, page) / 100.0
    found = best >= threshold - _ROUNDING  # one edit in n characters scores exactly 1 - 1/n: it must count as found
    if found == (test.kind == "present"):
        return True, ""
    expected = "Expected" if test.kind == "present" else "Expected absence of"
    return False, f"{expected} '{query[:40]}' with threshold {threshold:.3f}, but the best match ratio was {best:.3f}."


def _run_order(test: PageTest, page: str) -> tuple[bool, str]:
    before, after = normalize_for_tests(test.before), normalize_for_tests(test.after)
    before_starts = _near_match_starts(before, page, test.max_diffs)
    after_starts = _near_match_starts(after, page, test.max_diffs)
    if not before_starts:
        return False, f"'before' text '{before[:40]}' not found within {test.max_diffs} edits."
    if not after_starts:
        return False, f"'after' text '{after[:40]}' not found within {test.max_diffs} edits."
    if min(before_starts) < max(after_starts):
        return True, ""
    return False, f"'{before[:40]}' does not appear before '{after[:40]}' anywhere on the page."


def _near_match_starts(query: str, page: str, max_diffs: int) -> list[int]:
    """Every position where a piece of the page within `max_diffs` edits of `query` starts."""
    if max_diffs == 0:
        return [start for start in range(len(page)) if page.startswith(query, start)]
    lengths = range(max(1, len(query) - max_diffs), len(query) + max_diffs + 1)
    return [start for start in range(len(page))
            if any(Levenshtein.distance(query, page[start:start + length], score_cutoff=max_diffs) <= max_diffs
                   for length in lengths if start + length <= len(page))]
