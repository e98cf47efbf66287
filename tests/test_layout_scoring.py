"""Layout scoring on hand-checked pairs: TEDS, markup stripping, reading order, page tests, the combined scores."""
from __future__ import annotations

import pytest

from core.layout.elements import LayoutElement, ParsedLayout
from core.layout.scoring import (LayoutTruth, load_page_tests, markdown_table_to_html, reading_order_distance,
                                 reading_orders, run_page_tests, score_layout, strip_markup, teds,
                                 text_edit_distance)
from core.metrics import normalize

THREE_ROWS = ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr>"
              "<tr><td>e</td><td>f</td></tr></table>")
TWO_ROWS = "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
PEOPLE = "<table><tr><td>Name</td><td>Age</td></tr><tr><td>Ann</td><td>31</td></tr></table>"


def plain(text: str) -> str:
    return normalize(strip_markup(text))


# --- TEDS ---------------------------------------------------------------------------------------------------------

def test_identical_tables_score_one():
    assert teds(THREE_ROWS, THREE_ROWS) == 1.0
    assert teds(PEOPLE, PEOPLE, structure_only=True) == 1.0


def test_section_wrappers_and_header_cells_do_not_change_the_score():
    wrapped = ("<table><thead><tr><th>Name</th><th>Age</th></tr></thead>"
               "<tbody><tr><td>Ann</td><td>31</td></tr></tbody></table>")
    assert teds(wrapped, PEOPLE) == 1.0


def test_a_dropped_row_scores_what_the_definition_gives():
    # Truth: table + 3 tr + 6 td = 10 nodes; prediction: table + 2 tr + 4 td = 7 nodes.
    # Distance: delete one tr and its 2 td = 3. TEDS = 1 - 3 / max(10, 7) = 0.7, as table-recognition-metric 0.0.6
    # gives it. (PubTabNet's script counts the <table>'s descendants, 9 and 6, and gives 1 - 3/9.)
    assert teds(TWO_ROWS, THREE_ROWS) == pytest.approx(0.7)


def test_a_merged_cell_costs_more_than_a_one_character_typo():
    # Both against PEOPLE (table + 2 tr + 4 td = 7 nodes).
    # Merged: row 1 is one cell spanning two columns, "Age" lost: rename td colspan 1 -> 2 (1) + delete a td (1)
    # = 2, TEDS = 1 - 2/7. Typo: "Ann" -> "Anm", rename cost = Levenshtein 1 / 3 tokens, TEDS = 1 - (1/3)/7.
    merged = '<table><tr><td colspan="2">Name</td></tr><tr><td>Ann</td><td>31</td></tr></table>'
    typo = PEOPLE.replace("Ann", "Anm")
    assert teds(merged, PEOPLE) == pytest.approx(1 - 2 / 7)
    assert teds(typo, PEOPLE) == pytest.approx(1 - 1 / 21)
    assert teds(merged, PEOPLE) < teds(typo, PEOPLE)


def test_structure_only_ignores_cell_text_but_not_structure():
    retyped = PEOPLE.replace("Ann", "Bob").replace("31", "forty")
    assert teds(retyped, PEOPLE) < 1.0
    assert teds(retyped, PEOPLE, structure_only=True) == 1.0
    assert teds(TWO_ROWS, THREE_ROWS, structure_only=True) == pytest.approx(0.7)


def test_inline_markup_in_a_cell_counts_as_tokens():
    # "<b>", "</b>" and "Ann": 5 tokens against 3, Levenshtein 2 -> rename 2/5, TEDS = 1 - (2/5)/7.
    bold = PEOPLE.replace("Ann", "<b>Ann</b>")
    assert teds(bold, PEOPLE) == pytest.approx(1 - 0.4 / 7)


@pytest.mark.parametrize("broken", ["", "   ", "no table here", "<table", "<<<>>>", "<div><p>text</p></div>",
                                    '<?xml version="1.0" encoding="utf-8"?><table><tr><td>a</td></tr></table>'])
def test_missing_or_malformed_tables_score_zero_without_raising(broken):
    assert teds(broken, PEOPLE) == 0.0
    assert teds(PEOPLE, broken) == 0.0


def test_an_unreadable_span_is_read_as_one():
    assert teds(PEOPLE.replace("<td>Name", '<td colspan="x">Name'), PEOPLE) == 1.0


def test_markdown_tables_become_html_rows():
    markdown = "| Name | Age |\n|---|---|\n| Ann | 31 |"
    assert teds(markdown_table_to_html(markdown), PEOPLE) == 1.0
    assert markdown_table_to_html("no pipes") == ""


# --- text ---------------------------------------------------------------------------------------------------------

def test_strip_markup_removes_markdown():
    markdown = "# Report\n\n- **Total** due\n1. _net_ value, x_1 and snake_case stay\n> quoted `code`\n[link](http://x)"
    assert plain(markdown) == "Report Total due net value, x_1 and snake_case stay quoted code link"


def test_strip_markup_removes_markdown_table_pipes_and_separator():
    assert plain("| a | b |\n|:---|---:|\n| 1 | 2 |") == "a b 1 2"


def test_strip_markup_reads_html_text_and_keeps_cells_apart():
    assert plain("<p>Hello <b>world</b></p><table><tr><td>a</td><td>b &amp; c</td></tr></table>") == \
        "Hello world a b & c"
    assert plain("H<sub>2</sub>O") == "H2O"
    assert plain("<p>Hello</p>world") == "Hello world"


def test_strip_markup_removes_latex_delimiters_but_not_prices():
    assert plain(r"$$E = mc^2$$ and $x$ and \(y\) and \[z\]") == "E = mc^2 and x and y and z"
    assert plain("costs $5 and $6") == "costs $5 and $6"


def test_text_edit_distance_ignores_markup_and_counts_real_errors():
    assert text_edit_distance("**Total** due", "<b>Total</b> due") == 0.0
    assert text_edit_distance("Totel", "Total") == pytest.approx(1 / 5)
    assert text_edit_distance("", "Total") == 1.0


# --- reading order ------------------------------------------------------------------------------------------------

def test_reading_order_distance_by_hand():
    assert reading_order_distance(["0", "1", "2", "3"], ["0", "1", "2", "3"]) == 0.0
    # Reversed 0123 -> 3210: no alignment does better than 4 substitutions (keeping any one element in place costs
    # at least 4 insertions and deletions), so 4 / 4.
    assert reading_order_distance(["3", "2", "1", "0"], ["0", "1", "2", "3"]) == 1.0
    # Two neighbours swapped: 2 substitutions of 4.
    assert reading_order_distance(["1", "0", "2", "3"], ["0", "1", "2", "3"]) == 0.5
    assert reading_order_distance([], []) == 0.0


def test_reading_orders_match_by_box_when_both_have_one():
    truth = [LayoutElement("Text", "left column", box=(0, 0, 100, 50)),
             LayoutElement("Text", "right column", box=(200, 0, 300, 50))]
    predicted = [LayoutElement("Text", "something else", box=(201, 1, 300, 50)),
                 LayoutElement("Text", "other", box=(0, 0, 99, 50))]
    assert reading_orders(predicted, truth) == (["1", "0"], ["0", "1"])


def test_reading_orders_match_by_text_without_boxes_and_drop_unmatched():
    truth = [LayoutElement("Title", "Annual report"), LayoutElement("Text", "Revenue grew by five percent."),
             LayoutElement("Text", "Costs fell.")]
    predicted = [LayoutElement("Text", "Revenue grew by 5 percent."), LayoutElement("Title", "# Annual report"),
                 LayoutElement("Text", "Unrelated footer text here")]
    assert reading_orders(predicted, truth) == (["1", "0"], ["0", "1"])


# --- page tests ---------------------------------------------------------------------------------------------------

PAGE = "# Annual report\n\nThe Quartarly revenue grew by **5%**.\n\nSigned, the board."


def outcomes(tests_json: str, text: str = PAGE) -> list[bool]:
    return [outcome.passed for outcome in run_page_tests(load_page_tests(tests_json), text)]


def test_presence_and_absence():
    assert outcomes('[{"type": "present", "text": "grew by 5%"}, {"type": "present", "text": "fell by 5%"},'
                    ' {"type": "absent", "text": "Draft"}, {"type": "absent", "text": "Signed"}]') == \
        [True, False, True, False]


def test_fuzzy_presence_tolerates_max_diffs_edits():
    # "Quarterly revenue" against "Quartarly revenue": one substitution.
    assert outcomes('[{"type": "present", "text": "Quarterly revenue", "max_diffs": 0},'
                    ' {"type": "present", "text": "Quarterly revenue", "max_diffs": 1}]') == [False, True]


def test_presence_can_ignore_case():
    assert outcomes('[{"type": "present", "text": "SIGNED, THE BOARD"},'
                    ' {"type": "present", "text": "SIGNED, THE BOARD", "case_sensitive": false}]') == [False, True]


def test_order_tests():
    assert outcomes('[{"type": "order", "before": "Annual report", "after": "Signed"},'
                    ' {"type": "order", "before": "Signed", "after": "Annual report"},'
                    ' {"type": "order", "before": "Missing text", "after": "Signed"},'
                    ' {"type": "order", "before": "Quarterly revenue", "after": "Signed", "max_diffs": 1}]') == \
        [True, False, False, True]


def test_failed_tests_say_why():
    [outcome] = run_page_tests(load_page_tests('[{"type": "order", "before": "Signed", "after": "Annual"}]'), PAGE)
    assert not outcome.passed and "does not appear before" in outcome.explanation


@pytest.mark.parametrize(("source", "words"), [
    ("[{", "not valid JSON"),
    ('{"type": "present"}', "must be a JSON list"),
    ('[{"type": "table", "cell": "x"}]', 'unknown type "table"; use one of: present, absent, order'),
    ('[{"text": "x"}]', 'has no "type"'),
    ('[{"type": "present", "text": "x", "max_diff": 1}]', "unknown field(s) max_diff"),
    ('[{"type": "present", "text": "  "}]', 'needs a non-empty "text"'),
    ('[{"type": "absent", "text": "x", "max_diffs": -1}]', '"max_diffs" must be a whole number'),
    ('[{"type": "order", "before": "ab", "after": "cd", "max_diffs": 2}]', "more than half"),
    ("[42]", "not the number 42"),
])
def test_bad_page_tests_raise_value_errors_in_words(source, words):
    with pytest.raises(ValueError) as raised:
        load_page_tests(source)
    assert words in str(raised.value)
    assert "dict" not in str(raised.value) and "KeyError" not in str(raised.value)


def test_olmocr_records_load_with_their_bookkeeping_fields():
    [test] = load_page_tests([{"pdf": "a.pdf", "page": 1, "id": "t1", "type": "present", "text": "x",
                               "checked": "verified", "url": None}])
    assert (test.kind, test.text) == ("present", "x")


# --- combined -----------------------------------------------------------------------------------------------------

TRUTH = LayoutTruth(
    elements=[LayoutElement("Title", "Annual report", box=(0, 0, 100, 20)),
              LayoutElement("Text", "Revenue grew by five percent.", box=(0, 30, 100, 60)),
              LayoutElement("Table", PEOPLE, "html", box=(0, 70, 100, 120))],
    tests=load_page_tests('[{"type": "present", "text": "Annual report"},'
                          ' {"type": "order", "before": "Annual report", "after": "Revenue"}]'))


def test_a_perfect_parse_scores_perfectly():
    scores = score_layout(ParsedLayout("test", elements=list(TRUTH.elements)), TRUTH)
    assert (scores.text_edit_distance, scores.table_teds, scores.table_teds_structure) == (0.0, 1.0, 1.0)
    assert (scores.reading_order_distance, scores.page_tests_passed, scores.overall) == (0.0, 1.0, 100.0)
    assert scores.formula_edit_distance is None


def test_a_missed_table_scores_zero_teds_and_halves_overall_with_text():
    parsed = ParsedLayout("test", elements=list(TRUTH.elements[:2]))
    scores = score_layout(parsed, TRUTH)
    assert scores.table_teds == 0.0
    assert scores.overall == pytest.approx((1 - scores.text_edit_distance) * 100 / 2)
    assert scores.text_edit_distance > 0


def test_without_tables_overall_is_the_text_term_and_order_errors_show():
    truth = LayoutTruth(elements=list(TRUTH.elements[:2]))
    parsed = ParsedLayout("test", elements=[TRUTH.elements[1], TRUTH.elements[0]])
    scores = score_layout(parsed, truth)
    assert scores.table_teds is None and scores.page_tests_passed is None
    assert scores.reading_order_distance == 1.0  # 01 read as 10: two substitutions of two
    assert scores.overall == pytest.approx((1 - scores.text_edit_distance) * 100)


def test_formulas_are_scored_by_edit_distance_in_place_of_cdm():
    truth = LayoutTruth(elements=[LayoutElement("Formula", "$$E = mc^2$$", "latex")])
    parsed = ParsedLayout("test", elements=[LayoutElement("Formula", r"\[E = mc^3\]", "latex")])
    assert score_layout(parsed, truth).formula_edit_distance == pytest.approx(1 / 8)  # "E = mc^2": 8 characters


def test_an_unparsed_reply_scores_as_an_empty_page():
    scores = score_layout(ParsedLayout("test", problem="not JSON", raw="{oops"), TRUTH)
    assert scores.text_edit_distance == 1.0 and scores.table_teds == 0.0 and scores.overall == 0.0
    assert scores.reading_order_distance is None and scores.page_tests_passed == 0.0
