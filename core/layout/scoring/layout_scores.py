"""One page's parse scored against its ground truth, the way OmniDocBench and olmOCR-bench score parsers."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import fmean

from core.layout.elements import LayoutElement, ParsedLayout
from core.layout.scoring.matching import match_elements, reading_order_distance, reading_orders
from core.layout.scoring.page_tests import PageTest, TestOutcome, pass_rate, run_page_tests
from core.layout.scoring.table_html import table_html
from core.layout.scoring.teds import teds
from core.layout.scoring.text import text_edit_distance


@dataclass
class LayoutTruth:
    """A page's ground truth: its elements in reading order, and olmOCR-style tests on its text."""

    elements: list[LayoutElement] = field(default_factory=list)
    tests: list[PageTest] = field(default_factory=list)


@dataclass(frozen=True)
class LayoutScores:
    text_edit_distance: float  # whole page, markup stripped; 0 best
    table_teds: float | None  # mean over the truth's tables; None when it has none
    table_teds_structure: float | None  # the same with cell text ignored (OmniDocBench's TEDS-S)
    formula_edit_distance: float | None  # mean over the truth's formulas, in place of CDM; None when it has none
    reading_order_distance: float | None  # None when no element could be matched
    page_tests_passed: float | None  # share of page tests passed; None when the truth has none
    page_test_outcomes: tuple[TestOutcome, ...]
    overall: float  # 0..100, higher better


def page_text(elements: Sequence[LayoutElement]) -> str:
    """The page as one text, its elements in their order, a blank line apart."""
    return "\n\n".join(element.text for element in elements if element.text)


def score_layout(parsed: ParsedLayout, truth: LayoutTruth) -> LayoutScores:
    """Every layout score of one page. A reply that could not be parsed has no elements and scores as empty."""
    text_distance = text_edit_distance(page_text(parsed.elements), page_text(truth.elements))
    table_scores = _table_scores(parsed.elements, truth.elements)
    predicted_order, truth_order = reading_orders(parsed.elements, truth.elements)
    outcomes = tuple(run_page_tests(truth.tests, page_text(parsed.elements)))
    # OmniDocBench's Overall is ((1 - text edit distance) * 100 + table TEDS + formula CDM) / 3 with TEDS and CDM
    # in percent. CDM (rendering both formulas and matching their characters) is not computed here: the formula
    # term is left out and the formulas' edit distance is reported on its own. Without tables the text term is all.
    terms = [(1.0 - text_distance) * 100.0]
    if table_scores is not None:
        terms.append(table_scores[0] * 100.0)
    return LayoutScores(
        text_edit_distance=text_distance,
        table_teds=None if table_scores is None else table_scores[0],
        table_teds_structure=None if table_scores is None else table_scores[1],
        formula_edit_distance=_formula_edit_distance(parsed.elements, truth.elements),
        reading_order_distance=reading_order_distance(predicted_order, truth_order) if truth_order else None,
        page_tests_passed=pass_rate(outcomes),
        page_test_outcomes=outcomes,
        overall=fmean(terms),
    )


def _of_category(elements: Sequence[LayoutElement], category: str) -> list[LayoutElement]:
    return [element for element in elements if element.category == category]


def _table_scores(predicted: Sequence[LayoutElement], truth: Sequence[LayoutElement]) -> tuple[float, float] | None:
    """(TEDS, structure-only TEDS) averaged over the truth's tables; a table the parse missed scores 0."""
    truth_tables, predicted_tables = _of_category(truth, "Table"), _of_category(predicted, "Table")
    if not truth_tables:
        return None
    matched = dict((t, p) for p, t in match_elements(predicted_tables, truth_tables))
    full, structure = [], []
    for t, truth_table in enumerate(truth_tables):
        if t not in matched:
            full.append(0.0)
            structure.append(0.0)
            continue
        predicted_html, truth_html = table_html(predicted_tables[matched[t]]), table_html(truth_table)
        full.append(teds(predicted_html, truth_html))
        structure.append(teds(predicted_html, truth_html, structure_only=True))
    return fmean(full), fmean(structure)


def _formula_edit_distance(predicted: Sequence[LayoutElement], truth: Sequence[LayoutElement]) -> float | None:
    """Mean edit distance of the truth's formulas to their matched predictions; a missed formula counts 1."""
    truth_formulas, predicted_formulas = _of_category(truth, "Formula"), _of_category(predicted, "Formula")
    if not truth_formulas:
        return None
    matched = dict((t, p) for p, t in match_elements(predicted_formulas, truth_formulas))
    return fmean(text_edit_distance(predicted_formulas[matched[t]].text, formula.text) if t in matched else 1.0
                 for t, formula in enumerate(truth_formulas))
