"""Layout replies parsed onto the original page: the resize rule each model applied, the coordinate mapping checked
against boxes placed on a page of known size, and the text-based formats (DeepSeek-OCR grounding tags, plain
Markdown). The JSON formats (dots.ocr, Qwen grounding) and every format's broken replies are in
test_layout_json_parsers.py."""
from typing import get_args

import pytest
from pydantic import ValidationError

from backends.contracts.schema import LayoutFormat, ModelEntry
from core.layout.parsers import PARSERS, parse_layout
from core.layout.resize import DOTS_OCR_RULE, QWEN25_VL_RULE, QWEN3_VL_RULE, ResizeRule, resize_rule_for, smart_resize

A4_200DPI = (1654, 2339)  # (width, height), a PDF page rendered at the arena's default 200 dpi
ARENA_QWEN_RULE = ResizeRule(factor=28, min_pixels=3136, max_pixels=1280 * 28 * 28)  # DEFAULT_MAX_PIXELS


def iou(a, b) -> float:
    overlap_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    overlap_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    overlap = overlap_w * overlap_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union


def on_grid(box, page, grid) -> list[int]:
    """The box as the model writes it: on a grid of grid = (width, height), rounded to whole numbers."""
    sx, sy = grid[0] / page[0], grid[1] / page[1]
    return [round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)]


# ----- smart_resize and the rule each entry applied -----

@pytest.mark.parametrize("height, width, rule, expected", [
    # 2339/28 = 83.5 -> 84·28 = 2352, 1654/28 = 59.07 -> 59·28 = 1652; 3.9 MP is under dots.ocr's 11.3 MP cap.
    (2339, 1654, DOTS_OCR_RULE, (2352, 1652)),
    (3508, 2480, DOTS_OCR_RULE, (3500, 2492)),
    # Over the arena's 1003520 cap: beta = sqrt(2339·1654 / 1003520) = 1.963; floor(2339/1.963/28)·28 = 1176, etc.
    (2339, 1654, ARENA_QWEN_RULE, (1176, 840)),
    (2339, 1654, QWEN3_VL_RULE, (2336, 1664)),  # factor 32
    (20, 30, QWEN25_VL_RULE, (56, 84)),  # under min_pixels: scaled up, then rounded up to the factor
])
def test_smart_resize_matches_the_processors(height, width, rule, expected):
    assert smart_resize(height, width, rule) == expected


@pytest.mark.parametrize("height, width", [(10, 5000), (0, 100)])
def test_smart_resize_refuses_what_the_processors_refuse(height, width):
    with pytest.raises(ValueError):
        smart_resize(height, width, DOTS_OCR_RULE)


def test_resize_rule_for_the_shipped_entries(config):
    assert resize_rule_for(config.get("dots_ocr")) == DOTS_OCR_RULE  # vLLM, processor defaults
    assert resize_rule_for(config.get("qwen25_vl_3b")) == ARENA_QWEN_RULE  # Transformers' DEFAULT_MAX_PIXELS
    assert resize_rule_for(config.get("qwen25_vl_3b_vllm")) == ARENA_QWEN_RULE  # mm_processor_kwargs
    assert resize_rule_for(config.get("qwen3_vl_2b")) == ResizeRule(32, 65536, 1003520)
    assert resize_rule_for(config.get("deepseek_ocr")) is None  # a relative grid: no resize to undo


@pytest.mark.parametrize("engine, options, expected", [
    ("transformers", {"max_pixels": 2000000, "min_pixels": 6272}, ResizeRule(28, 6272, 2000000)),
    # The processor arguments win over the max_pixels option, as the engine applies them (setdefault).
    ("transformers", {"processor": {"max_pixels": 500000}}, ResizeRule(28, 3136, 500000)),
    ("vllm", {"mm_processor_kwargs": {"max_pixels": 777777}}, ResizeRule(28, 3136, 777777)),
    ("vllm", {}, QWEN25_VL_RULE),  # nothing passed: the published processor defaults
])
def test_resize_rule_for_follows_the_engine_options(engine, options, expected):
    entry = ModelEntry(key="m", name="m", engine=engine, weights="Qwen/Qwen2.5-VL-7B-Instruct", options=options)
    assert resize_rule_for(entry) == expected


# ----- the config schema -----

def test_layout_format_is_validated_against_the_parsers():
    assert set(PARSERS) == set(get_args(LayoutFormat))
    with pytest.raises(ValidationError, match="layout_format"):
        ModelEntry(key="m", name="m", engine="vllm", tasks=["layout"], layout_format="dots")
    with pytest.raises(ValidationError, match="`layout` is not among the tasks"):
        ModelEntry(key="m", name="m", engine="vllm", tasks=["ocr"], layout_format="dots_ocr")


def test_shipped_entries_name_their_formats(config):
    formats = {m.key: m.layout_format for m in config.models}
    assert formats["dots_ocr"] == "dots_ocr"
    assert formats["deepseek_ocr"] == formats["deepseek_ocr2_vllm"] == "deepseek_grounding"
    assert formats["qwen25_vl_3b"] == formats["qwen25_vl_3b_vllm"] == "qwen25_json"
    assert formats["qwen3_vl_2b"] == formats["qwen3_vl_4b_vllm"] == "qwen3_json"
    assert "bbox_2d" in config.get("qwen3_vl_4b").prompts["layout"]


# ----- coordinate mapping: a known box comes back where it is -----

PLACED = (210.0, 400.0, 1450.0, 760.0)
BOXED_REPLIES = {  # one Text element, "{0}".."{3}" its box as the model writes it
    "dots_ocr": '[{{"bbox": [{0}, {1}, {2}, {3}], "category": "Text", "text": "Hello"}}]',
    "qwen25_json": '```json\n[{{"bbox_2d": [{0}, {1}, {2}, {3}], "label": "Text", "text_content": "Hello"}}]\n```',
    "qwen3_json": '```json\n[{{"bbox_2d": [{0}, {1}, {2}, {3}], "label": "Text", "text_content": "Hello"}}]\n```',
    "deepseek_grounding": "<|ref|>text<|/ref|><|det|>[[{0}, {1}, {2}, {3}]]<|/det|>\nHello\n",
}


@pytest.mark.parametrize("reply_format, page, grid, resize", [
    ("dots_ocr", A4_200DPI, (1652, 2352), None),  # smart_resize of the page with dots.ocr's defaults
    # 3000×4000 = 12 MP, over dots.ocr's 11289600: beta = sqrt(12e6 / 11289600) = 1.031, floor(4000/1.031/28)·28
    # = 3864, floor(3000/1.031/28)·28 = 2884 (Qwen2.5-VL's higher cap would keep 2996×4004).
    ("dots_ocr", (3000, 4000), (2884, 3864), None),
    ("qwen25_json", A4_200DPI, (840, 1176), ARENA_QWEN_RULE),  # the Qwen2.5-VL entries' 1003520 cap
    ("qwen3_json", A4_200DPI, (1000, 1000), ARENA_QWEN_RULE),  # relative: the resize must not matter
    ("deepseek_grounding", A4_200DPI, (999, 999), None),
])
def test_a_known_box_comes_back_onto_the_page(reply_format, page, grid, resize):
    reply = BOXED_REPLIES[reply_format].format(*on_grid(PLACED, page, grid))
    parsed = parse_layout(reply, reply_format, page, resize)
    assert parsed.ok and parsed.notes == []
    assert iou(parsed.elements[0].box, PLACED) >= 0.9
    assert all(a == pytest.approx(b, abs=3) for a, b in zip(parsed.elements[0].box, PLACED))


def test_the_resize_rule_moves_the_boxes():
    # The same Qwen2.5-VL reply read with the processor defaults (no 1 MP cap) lands elsewhere.
    reply = BOXED_REPLIES["qwen25_json"].format(*on_grid(PLACED, A4_200DPI, (840, 1176)))
    wrong = parse_layout(reply, "qwen25_json", A4_200DPI, QWEN25_VL_RULE).elements[0].box
    right = parse_layout(reply, "qwen25_json", A4_200DPI, ARENA_QWEN_RULE).elements[0].box
    assert iou(right, PLACED) >= 0.9 > iou(wrong, PLACED)


# ----- DeepSeek-OCR grounding -----

DEEPSEEK_REPLY = """<|ref|>title<|/ref|><|det|>[[73, 34, 926, 72]]<|/det|>
# Quarterly Report

<|ref|>sub_title<|/ref|><|det|>[[73, 90, 500, 110]]<|/det|>
## 1. Revenue

<|ref|>text<|/ref|><|det|>[[73, 120, 926, 180], [73, 185, 926, 200]]<|/det|>
Revenue grew by 12% over the quarter, split over two blocks.

<|ref|>table<|/ref|><|det|>[[73, 240, 926, 380]]<|/det|>
<|ref|>table_caption<|/ref|><|det|>[[73, 215, 600, 235]]<|/det|>
Table 1: Revenue by quarter

<table><tr><td>Q1</td><td>10</td></tr></table>

<|ref|>equation<|/ref|><|det|>[[300, 400, 700, 430]]<|/det|>
\\[R = \\frac{a}{b}\\]

<|ref|>image<|/ref|><|det|>[[73, 450, 500, 700]]<|/det|>


<|ref|>image_caption<|/ref|><|det|>[[73, 705, 500, 720]]<|/det|>
<center>Figure 1: Growth</center>
<｜end▁of▁sentence｜>"""


def test_deepseek_reply_is_read_onto_categories():
    parsed = parse_layout(DEEPSEEK_REPLY, "deepseek_grounding", A4_200DPI)
    assert parsed.ok
    got = [(e.category, e.label) for e in parsed.elements]
    assert got == [("Title", "title"), ("Section-header", "sub_title"), ("Text", "text"), ("Text", "text"),
                   ("Table", "table"), ("Caption", "table_caption"), ("Formula", "equation"),
                   ("Picture", "image"), ("Caption", "image_caption")]
    title, _, first, second, table, caption, equation, image, image_caption = parsed.elements
    assert (equation.text, equation.format) == ("R = \\frac{a}{b}", "latex")
    assert image_caption.text == "Figure 1: Growth"  # no <center>, no end-of-sentence token
    assert image.text == "" and title.text == "# Quarterly Report"
    # A captioned table comes as an empty table tag, then the caption with the HTML: the HTML goes back.
    assert (table.format, table.text) == ("html", "<table><tr><td>Q1</td><td>10</td></tr></table>")
    assert caption.text == "Table 1: Revenue by quarter"
    # Two boxes in one tag: two elements, the text with the first.
    assert first.text.startswith("Revenue grew") and second.text == "" and second.box[1] > first.box[1]
    assert any("several boxes" in note for note in parsed.notes)


# ----- plain Markdown -----

MARKDOWN_REPLY = """# Quarterly Report

## 1. Revenue

Revenue grew by 12% over the quarter,
as the table shows.

| Quarter | Revenue |
|---|---|
| Q1 | 10 |

<table><tr><td>Q2</td><td>11</td></tr></table>

$$
R = \\frac{a}{b}
$$

\\[ x^2 \\]

- first point
- second point
  - a detail of the second

1. step one
"""


def test_markdown_blocks_become_elements():
    parsed = parse_layout(MARKDOWN_REPLY, "markdown", A4_200DPI)
    assert parsed.ok
    assert [e.category for e in parsed.elements] == [
        "Title", "Section-header", "Text", "Table", "Table", "Formula", "Formula", "List-item", "List-item",
        "List-item"]
    assert all(e.box is None for e in parsed.elements)
    markdown_table, html_table = parsed.elements[3], parsed.elements[4]
    assert markdown_table.format == "markdown" and html_table.format == "html"
    assert parsed.elements[5].text == "R = \\frac{a}{b}" and parsed.elements[6].text == "x^2"
    assert "a detail of the second" in parsed.elements[8].text  # a nested list stays inside its item
    assert parsed.elements[2].text == "Revenue grew by 12% over the quarter,\nas the table shows."
    fenced = parse_layout("```markdown\n# Title\n\nBody text.\n```", "markdown", A4_200DPI)
    assert [(e.category, e.text) for e in fenced.elements] == [("Title", "# Title"), ("Text", "Body text.")]
