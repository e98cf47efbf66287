"""How a parsed layout is shown: its boxes on the page (optionally numbered in reading order), a legend of its
categories, and the reply as a document (`layout_document_html`, from ui.layout_render)."""
from __future__ import annotations

import html
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from core.layout.elements import Box, LayoutElement, ParsedLayout
from ui.i18n import text
from ui.layout_render import category_name, layout_document_html
from ui.layout_style import LAYOUT_CSS, category_colour, css_class, ink_colour

__all__ = ["draw_layout", "legend_html", "layout_document_html"]

FILL_OPACITY = 0.18  # light enough that the page's text stays readable under the tint
DIGITS = "0123456789"
LABEL_FONT = "DejaVuSans-Bold.ttf"  # ships with Debian's fonts-dejavu-core; Pillow finds it under /usr/share/fonts


def line_width(size: tuple[int, int]) -> int:
    """About 2 px on a phone photo, 4 px on a 300 dpi A4 scan."""
    return max(2, round(max(size) / 600))


def label_size(size: tuple[int, int]) -> int:
    return max(11, round(max(size) / 110))


def label_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(LABEL_FONT, size)
    except OSError:
        return ImageFont.load_default(size)


@lru_cache(maxsize=8)  # per font size; the masks are only read
def digit_masks(size: int) -> tuple[Image.Image, ...]:
    """Masks of the digits 0-9, one width, cropped to the digits' common height. Labels are stamped from these:
    rendering text with FreeType costs about 0.2 ms a call, which 200 boxes turn into 40 ms."""
    font = label_font(size)
    width = max(round(font.getlength(digit)) for digit in DIGITS)
    bounds = [font.getbbox(digit) for digit in DIGITS]
    top, bottom = min(b[1] for b in bounds), max(b[3] for b in bounds)
    masks = []
    for digit in DIGITS:
        mask = Image.new("L", (width, bottom - top))
        ImageDraw.Draw(mask).text((0, -top), digit, fill=255, font=font)
        masks.append(mask)
    return tuple(masks)


def pixel_box(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The box in whole pixels, clipped to the page and at least one pixel wide and high; None when off the page."""
    width, height = size
    x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x1, y1 = min(width, math.ceil(box[2])), min(height, math.ceil(box[3]))
    if x0 >= width or y0 >= height or x1 <= 0 or y1 <= 0:
        return None
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def _draw_label(draw: ImageDraw.ImageDraw, number: int, box: tuple[int, int, int, int],
                colour: tuple[int, int, int], masks: tuple[Image.Image, ...], size: tuple[int, int]) -> None:
    """The reading-order number in a small filled tag at the box's top-left corner, kept on the page."""
    label = str(number)
    digit_width, digit_height = masks[0].size
    pad = max(2, digit_height // 4)
    tag_width, tag_height = digit_width * len(label) + 2 * pad, digit_height + 2 * pad
    x = min(box[0], max(0, size[0] - tag_width))
    y = min(box[1], max(0, size[1] - tag_height))
    draw.rectangle([x, y, x + tag_width - 1, y + tag_height - 1], fill=colour)
    ink = ink_colour(colour)
    for position, digit in enumerate(label):
        draw.bitmap((x + pad + position * digit_width, y + pad), masks[int(digit)], fill=ink)


def draw_layout(page: Image.Image, layout: ParsedLayout, numbered: bool = False) -> Image.Image:
    """A copy of the page with each element's box lightly filled and outlined in its category's colour; with
    `numbered`, each box also carries its reading-order number, the same as in the document view (an element
    without a box is left out, and its number with it)."""
    canvas = page.convert("RGB")  # always a copy
    boxed = _boxed(layout, canvas.size)
    # "RGBA" mode blends a translucent fill into the page in C, the cheapest tint Pillow offers. All fills come
    # before any outline, so an overlapping box's tint never covers another box's border.
    tint = ImageDraw.Draw(canvas, "RGBA")
    fill_alpha = round(FILL_OPACITY * 255)
    for _, element, (x0, y0, x1, y1) in boxed:
        tint.rectangle([x0, y0, x1 - 1, y1 - 1], fill=category_colour(element.category) + (fill_alpha,))
    draw = ImageDraw.Draw(canvas)  # opaque strokes need no blending, and skipping it halves their cost
    width = line_width(canvas.size)
    for _, element, (x0, y0, x1, y1) in boxed:
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=category_colour(element.category), width=width)
    if numbered:
        _number(canvas, boxed)
    return canvas


def draw_layout_views(page: Image.Image, layout: ParsedLayout) -> tuple[Image.Image, Image.Image]:
    """Both views from one drawing: the boxes, and a copy of them with the reading-order numbers added."""
    boxes = draw_layout(page, layout)
    numbered = boxes.copy()
    _number(numbered, _boxed(layout, numbered.size))
    return boxes, numbered


def _boxed(layout: ParsedLayout, size: tuple[int, int]) -> list[tuple[int, LayoutElement, tuple[int, int, int, int]]]:
    """(reading-order number, element, pixel box) for each element with a box on the page."""
    boxed = []
    for number, element in enumerate(layout.elements, 1):
        box = pixel_box(element.box, size) if element.box is not None else None
        if box is not None:
            boxed.append((number, element, box))
    return boxed


def _number(canvas: Image.Image, boxed: list[tuple[int, LayoutElement, tuple[int, int, int, int]]]) -> None:
    draw = ImageDraw.Draw(canvas)
    masks = digit_masks(label_size(canvas.size))
    for number, element, box in boxed:
        _draw_label(draw, number, box, category_colour(element.category), masks, canvas.size)


def legend_html(layout: ParsedLayout, lang: str) -> str:
    """A swatch, the translated name and the count for each category the layout has, in CATEGORIES order."""
    items = "".join(
        f'<span class="layout-legend-item {css_class(category)}" data-category="{html.escape(category)}">'
        f'<span class="layout-swatch"></span>{html.escape(category_name(category, lang))} <b>{count}</b></span>'
        for category, count in layout.counts().items())
    title = html.escape(text(lang, "layout_legend"))
    return f'<div class="layout-legend" title="{title}"><style>{LAYOUT_CSS}</style>{items}</div>'
