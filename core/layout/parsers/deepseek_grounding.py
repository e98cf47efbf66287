"""DeepSeek-OCR / DeepSeek-OCR-2 grounding Markdown: `<|ref|>label<|/ref|><|det|>[[x1, y1, x2, y2], ...]<|/det|>`
followed by the element's content, up to the next tag.

Follows deepseek-ai/DeepSeek-OCR DeepSeek-OCR-master/DeepSeek-OCR-vllm/run_dpsk_ocr_image.py: re_match (the tag
pattern), extract_coordinates_and_label (the det holds a list of boxes) and draw_bounding_boxes, which maps each box
onto the original image as x / 999 * image_width, y / 999 * image_height.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.layout.elements import LayoutElement
from core.layout.parsers.boxes import BoxMapper, UnreadableReply
from core.layout.parsers.content import category_for, make_element
from core.layout.resize import ResizeRule

GRID = 999  # draw_bounding_boxes divides by 999, not 1000
_TAG = re.compile(r"<\|ref\|>(.*?)<\|/ref\|><\|det\|>(.*?)<\|/det\|>", re.S)  # re_match's pattern
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# What a cut leaves at the very end: an opened tag that never closed, or part of one.
_DANGLING_TAG = re.compile(r"<\|ref\|>(?:(?!<\|/det\|>).)*$|<\|[^<>]*$", re.S)
# Special tokens that reach the text when the server keeps them (skip_special_tokens: false).
_SPECIAL_TOKENS = re.compile(r"<｜end▁of▁sentence｜>|<\|end▁of▁sentence\|>|<\|grounding\|>")
_TABLE_HTML = re.compile(r"<table\b.*?(?:</table>|$)", re.S | re.I)


@dataclass
class _Grounded:
    label: str
    boxes: list[list[float]]
    content: str


def parse_deepseek_grounding(reply: str, page: tuple[int, int],
                             resize: ResizeRule | None) -> tuple[list[LayoutElement], list[str]]:
    """`resize` is unused: the 0-999 grid is relative to the whole page, whatever tiles the model cut it into."""
    text = _SPECIAL_TOKENS.sub("", reply)
    if not text.strip():
        raise UnreadableReply("the reply is empty")
    grounded, notes = _grounded_parts(text)
    _move_tables_out_of_captions(grounded)
    mapper = BoxMapper(GRID, GRID, page[0], page[1])
    elements: list[LayoutElement] = []
    shared = 0
    for part in grounded:
        category, label = category_for(part.label)
        boxes = part.boxes or [None]  # None: text before the first tag, which has no box
        shared += 1 if len(boxes) > 1 else 0
        for index, box in enumerate(boxes):  # one element per box; the content stays with the first
            placed = mapper.map(box) if box is not None else None
            element = make_element(category, part.content if index == 0 else "", placed, label)
            if element is not None:
                elements.append(element)
    if not elements:
        raise UnreadableReply("none of the grounding tags has a usable box or any text")
    if shared:
        notes.append(f"{shared} tag{'s' if shared > 1 else ''} held several boxes: one element each, "
                     "the text with the first")
    return elements, notes + mapper.notes()


def _grounded_parts(text: str) -> tuple[list[_Grounded], list[str]]:
    matches = list(_TAG.finditer(text))
    if not matches:
        raise UnreadableReply("no grounding tags (<|ref|>label<|/ref|><|det|>[[x1, y1, x2, y2]]<|/det|>) in the reply")
    notes: list[str] = []
    parts = []
    lead = text[:matches[0].start()].strip()
    if lead:  # text before the first tag has no box
        parts.append(_Grounded("text", [], lead))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        content = text[match.end():end]
        if index + 1 == len(matches):
            dangling = _DANGLING_TAG.search(content)
            if dangling and dangling.group(0):
                content = content[:dangling.start()]
                notes.append(f"cut off after {len(matches)} element{'s' if len(matches) > 1 else ''}: "
                             "the reply ends inside a grounding tag")
        parts.append(_Grounded(match.group(1).strip(), _boxes(match.group(2)), content.strip()))
    return parts, notes


def _boxes(det: str) -> list[list[float]]:
    """The det's boxes, four numbers each ([[x1, y1, x2, y2], ...]); a ragged tail is left for the mapper to
    reject."""
    numbers = [float(n) for n in _NUMBER.findall(det)]
    boxes = [numbers[i:i + 4] for i in range(0, len(numbers), 4)]
    return boxes or [[]]


def _move_tables_out_of_captions(parts: list[_Grounded]) -> None:
    """DeepSeek-OCR writes a captioned table as an empty `table` tag, then the `table_caption` tag, then the caption
    text and the table's HTML together: the HTML goes back to the table."""
    for index, part in enumerate(parts):
        if category_for(part.label)[0] != "Caption" or "<table" not in part.content.lower():
            continue
        table = next((p for p in reversed(parts[:index]) if category_for(p.label)[0] == "Table"), None)
        if table is None or table.content:
            continue
        html = _TABLE_HTML.search(part.content)
        if html:
            table.content = html.group(0).strip()
            part.content = (part.content[:html.start()] + part.content[html.end():]).strip()
