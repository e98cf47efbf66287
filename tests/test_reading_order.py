"""RapidOCR's reading order: columns read whole, lines of a form kept whole.

Accuracy, boxes, image modes and availability of both CPU engines are tested in test_cpu_engines.py; this file
covers how RapidOCR's line boxes are put in reading order, on synthetic boxes and on a rendered page.
"""
import pytest
from PIL import Image, ImageDraw, ImageFont

from backends.contracts.requests import Box, PageRequest
from backends.config import load_config
from backends.engines.rapidocr.engine import reading_order
from backends.registry import create_engine
from core.metrics import cer
from tests.conftest import ROOT

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LEFT_COLUMN = ["Fathers bring a unique", "presence and strength", "to raising children,", "says a clinical",
               "psychologist whose", "book examines families."]
RIGHT_COLUMN = ["Guarendi found that", "in strong families the", "fathers who had trouble", "expressing affection",
                "made special efforts", "to show it to them."]


def line_box(text: str, x0: int, y0: int, width: int = 300, height: int = 24) -> Box:
    return Box(x0, y0, x0 + width, y0 + height, text, 0.9)


def texts(lines: list[list[Box]]) -> list[str]:
    return [" ".join(box.text for box in line) for line in lines]


def two_columns(rows: int, gutter: int = 60) -> list[Box]:
    """Two columns whose lines sit on the same baselines, like a typeset page; detector boxes overlap a little."""
    boxes = [line_box(f"L{i}", 40, 100 + 28 * i, height=32) for i in range(rows)]
    boxes += [line_box(f"R{i}", 340 + gutter, 100 + 28 * i, height=32) for i in range(rows)]
    return boxes[::-1]  # the detector's order is not the reading order


def test_columns_are_read_one_after_the_other():
    order = texts(reading_order(two_columns(rows=8)))
    assert order == [f"L{i}" for i in range(8)] + [f"R{i}" for i in range(8)]


def test_a_heading_over_two_columns_comes_first():
    heading = Box(40, 20, 700, 60, "Heading", 0.9)
    order = texts(reading_order([*two_columns(rows=6), heading]))
    assert order == ["Heading"] + [f"L{i}" for i in range(6)] + [f"R{i}" for i in range(6)]


def test_a_label_column_stays_on_its_lines():
    # A card: narrow field numbers at the left, values beside them; a wide gap between them is no gutter.
    boxes = [line_box(f"{i}.", 20, 40 * i, width=30) for i in range(1, 9)]
    boxes += [line_box(f"value {i}", 200, 40 * i + 2) for i in range(1, 9)]
    assert texts(reading_order(boxes)) == [f"{i}. value {i}" for i in range(1, 9)]


def test_words_of_one_line_are_joined_left_to_right():
    boxes = [Box(400, 12, 520, 40, "world", 0.9), Box(20, 10, 150, 38, "hello", 0.9), Box(20, 60, 200, 88, "next", 0.9)]
    assert texts(reading_order(boxes)) == ["hello world", "next"]


def test_no_boxes_is_no_lines():
    assert reading_order([]) == []


def render_two_column_page(size: int = 26) -> Image.Image:
    font = ImageFont.truetype(DEJAVU, size)
    column_width = int(max(font.getlength(line) for line in LEFT_COLUMN + RIGHT_COLUMN))
    image = Image.new("RGB", (2 * column_width + 160, len(LEFT_COLUMN) * size * 2 + 80), "white")
    draw = ImageDraw.Draw(image)
    for row, (left, right) in enumerate(zip(LEFT_COLUMN, RIGHT_COLUMN)):
        y = 40 + row * size * 2
        draw.text((40, y), left, font=font, fill="black")
        draw.text((column_width + 120, y), right, font=font, fill="black")
    return image


@pytest.fixture(scope="module")
def rapidocr():
    engine = create_engine(load_config(ROOT / "config.yaml").get("rapidocr"))
    engine.load()
    yield engine
    engine.unload()


def test_rapidocr_reads_a_two_column_page_column_by_column(rapidocr):
    (output,) = list(rapidocr.stream(PageRequest(render_two_column_page())))
    by_columns = " ".join(LEFT_COLUMN + RIGHT_COLUMN)
    by_rows = " ".join(f"{left} {right}" for left, right in zip(LEFT_COLUMN, RIGHT_COLUMN))
    assert cer(by_columns, output.text) < 0.05
    assert cer(by_rows, output.text) > 0.5  # the row-by-row reading this guards against
