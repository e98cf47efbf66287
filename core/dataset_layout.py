"""A dataset item's layout ground truth, read from its JSON files and checked: the page's elements in reading order
(`*.layout.json`) and its page tests (`*.tests.json`).

A layout file is a JSON list of elements, each `{"category", "bbox": [x0, y0, x1, y1], "text", "format"}`, boxes in
pixels of the image; `category` is one of DocLayNet's eleven, `format` defaults to html for tables, latex for
formulas and text for the rest, and an optional `label` keeps a source's own name for the class. A tests file is a
JSON list of test objects such as `{"type": "present", "text": ...}`; they are kept as they are, for scoring.
Every problem is a DocumentError whose message names the file and says what is wrong.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.documents import DocumentError
from core.layout.elements import CATEGORIES, LayoutElement

LAYOUT_SUFFIX = ".layout.json"
TESTS_SUFFIX = ".tests.json"
FORMATS = ("text", "markdown", "html", "latex")
DEFAULT_FORMATS = {"Table": "html", "Formula": "latex"}
# The keys each known test type cannot do without; other types pass unchecked, for the scorer to judge.
TEST_KEYS = {"present": ("text",), "absent": ("text",), "order": ("before", "after")}
# EXIF orientations that turn the stored image a quarter turn: the page the models see is then height × width.
QUARTER_TURNS = (5, 6, 7, 8)


def read_layout(folder: Path, relative: str | None, where: str) -> list[LayoutElement] | None:
    """The elements of a layout file, or None without one."""
    if not relative or not relative.strip():
        return None
    what = f"layout ground truth {relative.strip()}"
    data = _read_json(folder / relative.strip(), what, where)
    if not isinstance(data, list):
        raise DocumentError(f"{where}: {what} must be a JSON list of elements")
    return [_element(entry, n, f"{where}: {what}, element {n}") for n, entry in enumerate(data, start=1)]


def read_tests(folder: Path, relative: str | None, where: str) -> list[dict] | None:
    """The test objects of a page-tests file, unchanged, or None without one."""
    if not relative or not relative.strip():
        return None
    what = f"page tests {relative.strip()}"
    data = _read_json(folder / relative.strip(), what, where)
    if not isinstance(data, list):
        raise DocumentError(f"{where}: {what} must be a JSON list of tests")
    for n, test in enumerate(data, start=1):
        if not isinstance(test, dict) or not isinstance(test.get("type"), str) or not test["type"]:
            raise DocumentError(f"{where}: {what}, test {n} must be an object with a \"type\"")
        missing = [key for key in TEST_KEYS.get(test["type"], ()) if not isinstance(test.get(key), str)]
        if missing:
            raise DocumentError(f"{where}: {what}, test {n} ({test['type']}) has no text for "
                                f"{', '.join(repr(key) for key in missing)}")
    return data


def check_boxes_inside(image: Path, elements: list[LayoutElement], relative: str, where: str) -> None:
    """Refuse boxes that reach past the image: they are in another scale (a 0–1000 grid, points, another render)."""
    size = upright_size(image)
    if size is None:
        return  # unreadable: the run reports the image itself
    width, height = size
    for n, element in enumerate(elements, start=1):
        x0, y0, x1, y1 = element.box
        if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
            raise DocumentError(f"{where}: layout ground truth {relative}, element {n}: its box "
                                f"[{x0:g}, {y0:g}, {x1:g}, {y1:g}] reaches past the image ({width}×{height} px)")


def upright_size(image: Path) -> tuple[int, int] | None:
    """The image's width and height as the models see it (EXIF orientation applied), read from its header only."""
    try:
        with Image.open(image) as opened:
            width, height = opened.size
            turned = opened.getexif().get(0x0112) in QUARTER_TURNS
    except (OSError, UnidentifiedImageError):
        return None
    return (height, width) if turned else (width, height)


def _read_json(path: Path, what: str, where: str):
    if not path.is_file():
        raise DocumentError(f"{where}: {what} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DocumentError(f"{where}: {what} is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{where}: {what} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg})") from None


def _element(entry, n: int, where: str) -> LayoutElement:
    if not isinstance(entry, dict):
        raise DocumentError(f"{where} must be an object with a category and a bbox")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise DocumentError(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    text_format = entry.get("format") or DEFAULT_FORMATS.get(category, "text")
    if text_format not in FORMATS:
        raise DocumentError(f"{where}: format {text_format!r} is not one of {', '.join(FORMATS)}")
    text, label = entry.get("text", ""), entry.get("label", "")
    if not isinstance(text, str) or not isinstance(label, str):
        raise DocumentError(f"{where}: its text and label must be strings")
    return LayoutElement(category, text, text_format, _box(entry.get("bbox"), where), label)


def _box(bbox, where: str) -> tuple[float, float, float, float]:
    numbers = isinstance(bbox, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in bbox)
    if not numbers or len(bbox) != 4:
        raise DocumentError(f"{where}: bbox must be four numbers [x0, y0, x1, y1] in pixels of the image")
    x0, y0, x1, y1 = bbox
    if x1 < x0 or y1 < y0:
        raise DocumentError(f"{where}: bbox [{x0:g}, {y0:g}, {x1:g}, {y1:g}] has its right or bottom edge "
                            "before its left or top")
    return (x0, y0, x1, y1)
