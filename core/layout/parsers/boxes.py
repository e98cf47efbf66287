"""Boxes from a reply's coordinate grid onto the original page: scaled, corners ordered, clamped, empty ones dropped,
and each repair counted for the layout's notes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.layout.elements import Box

# A coordinate this far past the page edge is the model's, not float rounding: count it as clamped.
_CLAMP_TOLERANCE_PX = 0.5


class UnreadableReply(ValueError):
    """The reply cannot be read in its format; the message says why in plain words."""


@dataclass
class BoxMapper:
    """Maps boxes given on a grid of grid_width × grid_height (the resized image's pixels, or a 0-999 / 0-1000 grid)
    onto a page of page_width × page_height pixels: x_page = x / grid_width * page_width."""

    grid_width: float
    grid_height: float
    page_width: int
    page_height: int
    clamped: int = 0
    reordered: int = 0
    emptied: int = 0
    unreadable: int = 0

    def map(self, raw: Any) -> Box | None:
        """The box on the page, or None when `raw` is not four numbers or encloses nothing once on the page."""
        numbers = _four_numbers(raw)
        if numbers is None:
            self.unreadable += 1
            return None
        x0, y0, x1, y1 = numbers
        if x0 > x1 or y0 > y1:
            self.reordered += 1
            x0, x1 = sorted((x0, x1))
            y0, y1 = sorted((y0, y1))
        sx, sy = self.page_width / self.grid_width, self.page_height / self.grid_height
        x0, x1, y0, y1 = x0 * sx, x1 * sx, y0 * sy, y1 * sy
        if min(x0, y0) < -_CLAMP_TOLERANCE_PX or x1 > self.page_width + _CLAMP_TOLERANCE_PX \
                or y1 > self.page_height + _CLAMP_TOLERANCE_PX:
            self.clamped += 1
        x0, x1 = (min(max(v, 0.0), self.page_width) for v in (x0, x1))
        y0, y1 = (min(max(v, 0.0), self.page_height) for v in (y0, y1))
        if x1 <= x0 or y1 <= y0:
            self.emptied += 1
            return None
        return (x0, y0, x1, y1)

    def notes(self) -> list[str]:
        found = []
        if self.clamped:
            found.append(f"{_boxes(self.clamped)} clamped to the page's edges")
        if self.reordered:
            found.append(f"{_boxes(self.reordered)} with reversed corners put in order")
        if self.emptied:
            found.append(f"{_boxes(self.emptied)} dropped for enclosing no area on the page")
        if self.unreadable:
            found.append(f"{_boxes(self.unreadable)} dropped for not being four numbers")
        return found


def _four_numbers(raw: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(raw, (list, tuple)) or len(raw) != 4:
        return None
    numbers = []
    for value in raw:
        if isinstance(value, bool):
            return None
        try:
            numbers.append(float(value))  # models now and then quote their numbers
        except (TypeError, ValueError):
            return None
    if any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
        return None
    return tuple(numbers)  # type: ignore[return-value]


def _boxes(n: int) -> str:
    return "1 box" if n == 1 else f"{n} boxes"


def page_dimensions(page_size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) as PIL's Image.size gives it, checked."""
    try:
        width, height = (int(v) for v in page_size)
    except (TypeError, ValueError):
        raise UnreadableReply(f"the page size {page_size!r} is not (width, height) in pixels") from None
    if width <= 0 or height <= 0:
        raise UnreadableReply(f"the page size {width}×{height} px has no pixels")
    return width, height
