"""RapidOCR 3 (PP-OCR ONNX models shipped in its wheel).

rapidocr, onnxruntime and cv2 are imported in `load`, so the app starts without them.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Iterator, Sequence

from pydantic import BaseModel, ConfigDict, Field

from backends.contracts.results import Availability, MessageCode
from backends.contracts.requests import Box, EngineOutput, PageRequest
from backends.contracts.engine import Engine
from backends.engines.images import flatten_image

REQUIRED_PACKAGES = ("rapidocr", "onnxruntime")
# Two boxes sit on one line when their vertical overlap is at least this share of the shorter box's height.
SAME_LINE_OVERLAP = 0.6
# A vertical gap is read as a column gutter only when each side spans at least this share of the width
# and holds at least this many boxes. Lower values split the label column off the Russian licence cards.
MIN_COLUMN_SHARE = 0.25
MIN_COLUMN_BOXES = 5
# RapidOCR fits the long side into max_side, then rounds each side to a multiple of 32 with Python's round, where
# 16/32 rounds to 0: a short side under 17 px after fitting raises its ResizeImgError, which has no message.
MIN_FITTED_SHORT_SIDE = 17


class RapidOcrEngine(Engine):
    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        max_side: int = Field(default=2000, ge=64)  # longer image side fed to the detector, in pixels
        # onnxruntime intra-op threads; None: one per core. One thread leaves a core to a concurrent Tesseract
        # (together/alone 1.02 on 2 cores) but is slower overall: the pair took 9.0 s vs 6.5 s with two.
        threads: int | None = Field(default=None, ge=1)

    options: Options

    def __init__(self, key: str, options: Options):
        super().__init__(key, options)
        self._ocr: Any = None

    @classmethod
    def availability(cls, entry: Any) -> Availability:
        missing = [p for p in REQUIRED_PACKAGES if importlib.util.find_spec(p) is None]
        if missing:
            return Availability(
                False,
                f"engine not installed: the rapidocr engine needs {', '.join(missing)}.",
                "pip install rapidocr onnxruntime",
                code=MessageCode.ENGINE_MISSING,
            )
        return Availability(True)

    def load(self) -> None:
        from rapidocr import RapidOCR

        params: dict[str, Any] = {
            "Global.use_cls": False,  # the angle classifier flips and garbles upright document lines
            "Global.max_side_len": self.options.max_side,
            # The detector's default upscales any image whose short side is under 736 px: a 578x80 line became
            # 5300x736 and took 3.9 s instead of 0.07 s. Capping the long side instead kept the sample CER.
            "Det.limit_type": "max",
            "Det.limit_side_len": self.options.max_side,
            "Global.log_level": "error",  # it logs model paths at INFO and "empty result" at WARNING
        }
        if self.options.threads is not None:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = self.options.threads
        self._ocr = RapidOCR(params=params)
        self._load_sessions_now()

    def _load_sessions_now(self) -> None:
        # rapidocr 3 opens its ONNX sessions on first use; open them here so load time is paid in `load`.
        for loader in ("_load_det_model", "_load_rec_model"):
            if hasattr(self._ocr, loader):
                getattr(self._ocr, loader)()

    def stream(self, request: PageRequest) -> Iterator[EngineOutput]:
        if self._ocr is None:
            raise RuntimeError("the engine is not loaded")
        image = flatten_image(request.image).convert("RGB")
        refusal = too_thin_to_read(*image.size, self.options.max_side)
        if refusal:
            raise ValueError(refusal)
        result = self._read(image)
        if not getattr(result, "txts", None):
            yield EngineOutput(text="")  # a page without text is a result, not an error
            return
        width, height = image.size
        boxes = [
            quad_to_box(quad, text, score, width, height)
            for quad, text, score in zip(result.boxes, result.txts, result.scores)
        ]
        ordered_lines = reading_order(boxes)
        text = "\n".join(" ".join(box.text for box in line) for line in ordered_lines)
        yield EngineOutput(text=text, boxes=[box for line in ordered_lines for box in line])

    def _read(self, image):
        from rapidocr.utils.process_img import ResizeImgError

        try:
            return self._ocr(image)
        except ResizeImgError:  # a shape the check above let through: its own text is only its class path
            width, height = image.size
            raise ValueError(f"RapidOCR could not scale the {width}×{height} px image to a size its models read; "
                             "crop or pad it to a less extreme shape.") from None

    def unload(self) -> None:
        self._ocr = None  # the ONNX sessions are freed with the RapidOCR object


def too_thin_to_read(width: int, height: int, max_side: int) -> str | None:
    """Why RapidOCR cannot read an image of this size (too long and thin), in words; None when it can."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side <= max_side:
        return None
    fitted = int(short_side * (max_side / long_side))  # as rapidocr.utils.process_img.reduce_max_side computes it
    if fitted >= MIN_FITTED_SHORT_SIDE:
        return None
    return (f"RapidOCR cannot read a {width}×{height} px image: with its long side fitted to {max_side} px "
            f"(options.max_side), the short side would be {fitted} px, and RapidOCR needs at least "
            f"{MIN_FITTED_SHORT_SIDE}. Crop it into shorter pieces, or pad its short side, to at most "
            f"{max_side // MIN_FITTED_SHORT_SIDE}:1.")


def quad_to_box(quad: Sequence[Sequence[float]], text: str, score: float, width: int, height: int) -> Box:
    """A detector quadrilateral to the axis-aligned box around it, clipped to the image."""
    xs = [float(point[0]) for point in quad]
    ys = [float(point[1]) for point in quad]
    x0, x1 = max(0, int(min(xs))), min(width, int(round(max(xs))))
    y0, y1 = max(0, int(min(ys))), min(height, int(round(max(ys))))
    return Box(x0, y0, x1, y1, text=text.strip(), confidence=min(max(float(score), 0.0), 1.0))


def reading_order(boxes: list[Box]) -> list[list[Box]]:
    """Boxes as lines in reading order: columns one after the other, lines top to bottom, boxes left to right.

    A recursive XY-cut: split the boxes at the widest empty band, horizontal or vertical, and read the
    parts in order. A column gutter is wider than the space between lines, so columns are read whole.
    """
    lines: list[list[Box]] = []
    regions = [boxes] if boxes else []  # a stack (not recursion: a page may have a thousand lines)
    while regions:
        region = regions.pop()
        parts = _cut(region)
        if parts is None:
            lines.extend(group_lines(region))
        else:
            regions.extend(reversed(parts))  # the first part is read first
    return lines


def _cut(boxes: list[Box]) -> tuple[list[Box], list[Box]] | None:
    """Split at the widest empty band between boxes: (before, after), or None when nothing separates them."""
    row_gap, row_cut = _widest_gap([_middle_half(b.y0, b.y1) for b in boxes])
    column_gap, column_cut = _widest_gap([(b.x0, b.x1) for b in boxes])
    if column_cut is not None and column_gap > row_gap and _is_gutter(boxes, column_cut):
        before = [(b.x0 + b.x1) / 2 < column_cut for b in boxes]
    elif row_cut is not None:
        before = [(b.y0 + b.y1) / 2 < row_cut for b in boxes]
    else:
        return None
    first = [b for b, is_before in zip(boxes, before) if is_before]
    rest = [b for b, is_before in zip(boxes, before) if not is_before]
    return (first, rest) if first and rest else None


def _is_gutter(boxes: list[Box], cut: float) -> bool:
    # Text columns are wide and full on both sides of a gutter. A narrow or sparse side is a column of labels,
    # numbers or a stray field (a form, a card, a list) whose items belong to the lines beside them.
    left, right = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    on_left = sum((b.x0 + b.x1) / 2 < cut for b in boxes)
    wide = min(cut - left, right - cut) >= MIN_COLUMN_SHARE * (right - left)
    return wide and min(on_left, len(boxes) - on_left) >= MIN_COLUMN_BOXES


def _middle_half(start: int, end: int) -> tuple[float, float]:
    # Detector boxes of neighbouring lines overlap a little; their middle halves do not.
    quarter = (end - start) / 4
    return start + quarter, end - quarter


def _widest_gap(spans: list[tuple[float, float]]) -> tuple[float, float | None]:
    """The widest empty stretch between the spans on one axis: (its width, its middle), or (0, None)."""
    spans = sorted(spans)
    width, middle, reach = 0.0, None, spans[0][1]
    for start, end in spans[1:]:
        if start - reach > width:
            width, middle = start - reach, (reach + start) / 2
        reach = max(reach, end)
    return width, middle


def group_lines(boxes: list[Box]) -> list[list[Box]]:
    """Group boxes into lines, top to bottom; boxes on one line left to right."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        if lines and _same_line(lines[-1], box):
            lines[-1].append(box)
        else:
            lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _same_line(line: list[Box], box: Box) -> bool:
    top, bottom = min(b.y0 for b in line), max(b.y1 for b in line)
    overlap = min(bottom, box.y1) - max(top, box.y0)
    shorter = min(bottom - top, box.y1 - box.y0)
    return shorter > 0 and overlap >= SAME_LINE_OVERLAP * shorter
