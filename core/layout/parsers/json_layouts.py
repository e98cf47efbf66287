"""The JSON layout formats: a list of {box, label, text} objects, on a coordinate grid each model defines.

- dots_ocr: {"bbox", "category", "text"}; boxes in pixels of the image after dots.ocr's smart_resize. The mapping
  follows rednote-hilab/dots.ocr dots_ocr/utils/layout_utils.py post_process_cells (called by post_process_output
  from dots_ocr/parser.py): the model's input size is smart_resize(height, width) of the image it was sent, with
  factor 28 and MIN_PIXELS / MAX_PIXELS (dots_ocr/utils/consts.py), and x_page = x / (input_width / page_width).
  Here the page itself is sent (no fetch_image pre-resize), so the input size is smart_resize of the page.
- qwen25_json: {"bbox_2d", "label", ...}; absolute pixels of the image after Qwen2.5-VL's smart_resize (factor 28).
  The mapping follows QwenLM/Qwen2.5-VL cookbooks/spatial_understanding.ipynb plot_bounding_boxes:
  abs_x = bbox_2d[0] / input_width * width, input size from the processor's resize.
- qwen3_json: the same objects on a 0-1000 relative grid, as QwenLM/Qwen3-VL maps them back:
  cookbooks/spatial_understanding.ipynb plot_points (x / 1000 * width) and evaluation/ODinW-13/run_odinw.py
  (relative boxes / 1000 * [img_w, img_h, img_w, img_h]).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.layout.elements import LayoutElement
from core.layout.parsers.boxes import BoxMapper, UnreadableReply
from core.layout.parsers.content import category_for, make_element
from core.layout.parsers.json_list import read_json_list
from core.layout.resize import DOTS_OCR_RULE, QWEN25_VL_RULE, ResizeRule, smart_resize

Parsed = tuple[list[LayoutElement], list[str]]  # the elements in reading order, and the notes on repairs
QWEN3_GRID = 1000  # Qwen3-VL's relative coordinates run 0..1000 on both axes


@dataclass(frozen=True)
class JsonKeys:
    boxes: tuple[str, ...]  # the first key present holds the box
    labels: tuple[str, ...]
    texts: tuple[str, ...]


DOTS_KEYS = JsonKeys(boxes=("bbox", "bbox_2d"), labels=("category", "label"), texts=("text", "content"))
QWEN_KEYS = JsonKeys(boxes=("bbox_2d", "bbox"), labels=("label", "category"),
                     texts=("text_content", "text", "content"))


def parse_dots_ocr(reply: str, page: tuple[int, int], resize: ResizeRule | None) -> Parsed:
    return _parse(reply, page, _resized_grid(page, resize or DOTS_OCR_RULE), DOTS_KEYS)


def parse_qwen25_json(reply: str, page: tuple[int, int], resize: ResizeRule | None) -> Parsed:
    return _parse(reply, page, _resized_grid(page, resize or QWEN25_VL_RULE), QWEN_KEYS)


def parse_qwen3_json(reply: str, page: tuple[int, int], resize: ResizeRule | None) -> Parsed:
    # Relative coordinates: the processor's resize does not matter, only the grid.
    return _parse(reply, page, (QWEN3_GRID, QWEN3_GRID), QWEN_KEYS)


def _resized_grid(page: tuple[int, int], rule: ResizeRule) -> tuple[int, int]:
    """(width, height) of the image the model saw."""
    width, height = page
    try:
        resized_height, resized_width = smart_resize(height, width, rule)
    except ValueError as error:
        raise UnreadableReply(f"the model could not have seen this page: {error}") from None
    return resized_width, resized_height


def _parse(reply: str, page: tuple[int, int], grid: tuple[float, float], keys: JsonKeys) -> Parsed:
    found = read_json_list(reply)
    mapper = BoxMapper(grid[0], grid[1], page[0], page[1])
    elements = []
    for item in found.items:
        category, label = category_for(_first(item, keys.labels))
        element = make_element(category, _first(item, keys.texts), mapper.map(_first(item, keys.boxes)), label)
        if element is not None:
            elements.append(element)
    if not elements:
        raise UnreadableReply("none of the JSON's objects has a usable box or any text")
    return elements, found.notes + mapper.notes()


def _first(item: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((item[name] for name in names if name in item), None)
