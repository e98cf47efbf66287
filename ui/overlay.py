"""Draws an engine's line boxes over the document, so a reviewer sees what was detected and what was missed."""
from __future__ import annotations

from PIL import Image, ImageDraw

from backends.contracts.requests import Box
from core.documents import display_copy


def draw_boxes(image: Image.Image, boxes: list[Box], max_side: int = 1200) -> Image.Image:
    """A display-sized copy of the image with each box outlined; low-confidence lines in orange."""
    canvas = display_copy(image, max_side)
    scale = canvas.width / image.width
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(canvas.width / 500))
    for box in boxes:
        colour = (0, 160, 60) if box.confidence >= 0.8 else (255, 140, 0)
        draw.rectangle([box.x0 * scale, box.y0 * scale, box.x1 * scale, box.y1 * scale], outline=colour, width=width)
    return canvas
