"""Layout replies in the JSON formats, dots.ocr's list of cells and Qwen's grounding JSON, near-JSON included; then
every format's broken replies: cut off by the token limit, boxes past the page, replies that are no layout at all,
and garbage, which is never raised."""
import random

import pytest

from core.layout.parsers import PARSERS, parse_layout
from tests.test_layout_parsers import A4_200DPI, ARENA_QWEN_RULE, BOXED_REPLIES, DEEPSEEK_REPLY, MARKDOWN_REPLY


# ----- dots.ocr -----

DOTS_REPLY = """[{"bbox": [120, 80, 1530, 170], "category": "Title", "text": "# Quarterly Report"},
{"bbox": [120, 200, 1530, 420], "category": "Text", "text": "Revenue grew by **12%** over the quarter."},
{"bbox": [400, 450, 1250, 530], "category": "Formula", "text": "$$R = \\\\left\\\\{ \\\\frac{a}{b} \\\\right.$$"},
{"bbox": [120, 560, 1530, 900], "category": "Table", "text": "<table><tr><td>Q1</td><td>10</td></tr></table>"},
{"bbox": [120, 1040, 800, 1600], "category": "Picture"},
{"bbox": [120, 2250, 1530, 2300], "category": "Page-footer", "text": "Page 3"}]"""


def test_dots_reply_is_read_in_order_with_formats():
    parsed = parse_layout(DOTS_REPLY, "dots_ocr", A4_200DPI)
    assert parsed.ok and parsed.notes == []
    assert [e.category for e in parsed.elements] == ["Title", "Text", "Formula", "Table", "Picture", "Page-footer"]
    formula, table, picture = parsed.elements[2], parsed.elements[3], parsed.elements[4]
    assert (table.format, table.text) == ("html", "<table><tr><td>Q1</td><td>10</td></tr></table>")
    # The formula's unbalanced "{" sits in a string: a scan that miscounted it would never see the list close.
    assert (formula.format, formula.text) == ("latex", "R = \\left\\{ \\frac{a}{b} \\right.")
    assert picture.text == "" and picture.box is not None
    assert parsed.elements[1].format == "markdown" and parsed.raw == DOTS_REPLY


def test_dots_near_json_is_repaired():
    reply = "[{'bbox': [120, 80, 1530, 170], 'category': 'Title', 'text': 'Report',}, " \
            "{'bbox': [120, 200, 1530, 420], 'category': 'Text', 'text': 'Body',},]"
    parsed = parse_layout(reply, "dots_ocr", A4_200DPI)
    assert parsed.ok and [e.text for e in parsed.elements] == ["Report", "Body"]
    assert any("near-JSON" in note for note in parsed.notes)


def test_out_of_range_reversed_and_empty_boxes():
    reply = """[{"bbox": [-40, 2300, 1700, 2400], "category": "Page-footer", "text": "footer"},
    {"bbox": [1530, 420, 120, 200], "category": "Text", "text": "reversed"},
    {"bbox": [300, 300, 300, 500], "category": "Text", "text": "a line with no width"},
    {"bbox": [300, 300, 300, 500], "category": "Picture"},
    {"bbox": [1, 2, 3], "category": "Text", "text": "three numbers"}]"""
    parsed = parse_layout(reply, "dots_ocr", A4_200DPI)
    footer, reversed_, empty, ragged = parsed.elements
    width, height = A4_200DPI
    assert footer.box[0] == 0 and footer.box[2] == width and footer.box[3] == height
    assert reversed_.box[0] < reversed_.box[2] and reversed_.box[1] < reversed_.box[3]
    assert empty.box is None and empty.text == "a line with no width"  # the box goes, the text stays
    assert ragged.box is None  # the picture with an empty box had nothing left and is gone
    notes = " | ".join(parsed.notes)
    assert "1 box clamped to the page's edges" in notes and "1 box with reversed corners" in notes
    assert "2 boxes dropped for enclosing no area" in notes and "1 box dropped for not being four numbers" in notes


# ----- Qwen grounding JSON -----

QWEN_REPLY = """Here is the layout:
```json
[
  {"bbox_2d": [61, 34, 779, 72], "label": "title", "text_content": "Quarterly Report"},
  {"bbox_2d": [61, 90, 779, 170], "label": "paragraph", "text_content": "Revenue grew by 12%."},
  {"bbox_2d": [61, 180, 500, 400], "label": "figure", "text_content": ""},
  {"bbox_2d": [61, 410, 779, 500], "label": "Table", "text_content": "<table><tr><td>Q1</td></tr></table>"},
  {"bbox_2d": [61, 1100, 779, 1150], "label": "page number", "text_content": "3"}
]
```"""


@pytest.mark.parametrize("reply_format", ["qwen25_json", "qwen3_json"])
def test_qwen_reply_labels(reply_format):
    parsed = parse_layout(QWEN_REPLY, reply_format, A4_200DPI, ARENA_QWEN_RULE)
    assert parsed.ok
    assert [e.category for e in parsed.elements] == ["Title", "Text", "Picture", "Table", "Page-footer"]
    assert [e.label for e in parsed.elements] == ["title", "paragraph", "figure", "", "page number"]
    assert parsed.elements[3].format == "html"


QWEN_STRICT = """```json
[
  {"bbox_2d": [61, 34, 779, 72], "label": "title", "text_content": "Quarterly Report"},
  {"bbox_2d": [61, 90, 779, 170], "label": "paragraph", "text_content": "It's up 12%."}
]
```"""
QWEN_NEAR_JSON = [
    # Python's quotes, and the trailing commas a model leaves after the last key and the last object.
    """```json
[
  {'bbox_2d': [61, 34, 779, 72], 'label': 'title', 'text_content': 'Quarterly Report',},
  {'bbox_2d': [61, 90, 779, 170], 'label': 'paragraph', 'text_content': "It's up 12%."},
]
```""",
    # No comma between the objects, and a comment after one.
    """```json
[
  {"bbox_2d": [61, 34, 779, 72], "label": "title", "text_content": "Quarterly Report"} // the title
  {"bbox_2d": [61, 90, 779, 170], "label": "paragraph", "text_content": "It's up 12%."}
]
```""",
    # Keys without quotes, as in JavaScript, and no fence.
    """[{bbox_2d: [61, 34, 779, 72], label: "title", text_content: "Quarterly Report"},
  {bbox_2d: [61, 90, 779, 170], label: "paragraph", text_content: "It's up 12%."}]""",
]


@pytest.mark.parametrize("reply_format", ["qwen25_json", "qwen3_json"])
@pytest.mark.parametrize("near_json", QWEN_NEAR_JSON)
def test_qwen_near_json_is_repaired_onto_the_same_boxes(reply_format, near_json):
    strict = parse_layout(QWEN_STRICT, reply_format, A4_200DPI, ARENA_QWEN_RULE)
    parsed = parse_layout(near_json, reply_format, A4_200DPI, ARENA_QWEN_RULE)
    assert strict.ok and strict.notes == [] and parsed.ok
    assert parsed.elements == strict.elements  # categories, labels, texts and boxes on the page alike
    assert parsed.notes == ["near-JSON repaired (quotes, commas or brackets)"]


# ----- cut-off replies and boxes past the page, in every boxed format -----

@pytest.mark.parametrize("reply_format, cut_before, kept, complete", [
    # Cut inside the table's HTML, after the formula whose string holds an unbalanced "{".
    ("dots_ocr", "Q1</td><td>10", ["Title", "Text", "Formula"], 3),
    # Cut inside the equation's det: five complete tags (the text tag holds two boxes).
    ("deepseek_grounding", "300, 400, 700", ["Title", "Section-header", "Text", "Text", "Table", "Caption"], 5),
    ("qwen3_json", '"label": "figure"', ["Title", "Text"], 2),
])
def test_a_cut_off_reply_keeps_its_complete_elements(reply_format, cut_before, kept, complete):
    reply = {"dots_ocr": DOTS_REPLY, "deepseek_grounding": DEEPSEEK_REPLY, "qwen3_json": QWEN_REPLY}[reply_format]
    parsed = parse_layout(reply[:reply.index(cut_before)], reply_format, A4_200DPI)
    assert parsed.ok and [e.category for e in parsed.elements] == kept
    assert not any("<|" in e.text for e in parsed.elements)  # no half tag left in DeepSeek's last text
    assert any(f"cut off after {complete} elements" in note for note in parsed.notes)


@pytest.mark.parametrize("reply_format, raw_box, expected", [
    ("deepseek_grounding", "[-5, 900, 1010, 1003]", (0.0, 900 / 999 * 2339, 1654.0, 2339.0)),
    ("qwen3_json", "[-5, 900, 1010, 1003]", (0.0, 900 / 1000 * 2339, 1654.0, 2339.0)),
    ("qwen25_json", "[61, 1100, 900, 1300]", (61 / 840 * 1654, 1100 / 1176 * 2339, 1654.0, 2339.0)),
])
def test_boxes_past_the_page_are_clamped(reply_format, raw_box, expected):
    reply = BOXED_REPLIES[reply_format].format(*raw_box.strip("[]").split(", "))
    parsed = parse_layout(reply, reply_format, A4_200DPI, ARENA_QWEN_RULE)
    assert parsed.elements[0].box == pytest.approx(expected)
    assert parsed.notes == ["1 box clamped to the page's edges"]


# ----- replies that cannot be read: a plain reason, the raw reply kept -----

@pytest.mark.parametrize("reply_format, reply, reason", [
    ("dots_ocr", "", "empty"),
    ("dots_ocr", "   \n", "empty"),
    ("dots_ocr", "# Title\n\nJust Markdown, no JSON.", "no JSON"),
    ("dots_ocr", "<|ref|>text<|/ref|><|det|>[[10, 20, 300, 40]]<|/det|>\nHello", "no layout elements"),
    ("dots_ocr", '{"error": "no layout"}', "has a usable box"),
    ("dots_ocr", '[{"bbox": [120, 80, 1530', "cut off before its first element"),
    ("deepseek_grounding", "", "empty"),
    ("deepseek_grounding", "Plain text with no tags at all.", "no grounding tags"),
    ("deepseek_grounding", "[DOTS_REPLY]", "no grounding tags"),
    ("qwen3_json", "I cannot see any document in this image.", "no JSON"),
    ("qwen25_json", "[DEEPSEEK_REPLY]", "no layout elements"),
    ("markdown", "", "empty"),
    ("markdown", "[QWEN_JSON]", "JSON, not Markdown"),
    ("markdown", "[DOTS_REPLY]", "JSON, not Markdown"),
])
def test_unreadable_replies_keep_the_raw_text(reply_format, reply, reason):
    reply = {"[DOTS_REPLY]": DOTS_REPLY, "[DEEPSEEK_REPLY]": DEEPSEEK_REPLY,
             "[QWEN_JSON]": QWEN_REPLY.split("\n", 1)[1]}.get(reply, reply)
    parsed = parse_layout(reply, reply_format, A4_200DPI)
    assert not parsed.ok and reason in parsed.problem
    assert parsed.raw == reply and parsed.elements == []


# ----- the entry point -----

def test_unknown_format_and_bad_page_are_problems_not_errors():
    assert "no parser" in parse_layout(DOTS_REPLY, "dots", A4_200DPI).problem
    assert "no pixels" in parse_layout(DOTS_REPLY, "dots_ocr", (0, 100)).problem
    assert "not text" in parse_layout(None, "dots_ocr", A4_200DPI).problem


def test_parse_layout_never_raises_on_garbage():
    rng = random.Random(7)
    alphabet = '[]{}"\',:0123456789 abc<|>/\\$#-\n'
    pieces = [DOTS_REPLY, DEEPSEEK_REPLY, QWEN_REPLY, MARKDOWN_REPLY]
    for _ in range(60):
        source = rng.choice(pieces)
        start = rng.randrange(len(source))
        reply = source[start:start + rng.randrange(200)] + "".join(rng.choice(alphabet) for _ in range(20))
        for reply_format in PARSERS:
            parsed = parse_layout(reply, reply_format, A4_200DPI)
            assert parsed.ok or (parsed.problem and parsed.raw == reply)
            assert all(e.box is None or (0 <= e.box[0] < e.box[2] <= 1654 and 0 <= e.box[1] < e.box[3] <= 2339)
                       for e in parsed.elements)
