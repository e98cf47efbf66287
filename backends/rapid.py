"""RapidOCR 3 (PP-OCR ONNX models shipped in its wheel). Named `rapid` so it cannot shadow the `rapidocr` package.

rapidocr, onnxruntime and cv2 are imported in `load`, so the app starts without them.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Iterator, Sequence

from pydantic import BaseModel, ConfigDict, Field

from backends.base import Availability, Box, Engine, EngineOutput, OcrRequest
from backends.tesseract import flatten_image

REQUIRED_PACKAGES = ("rapidocr", "onnxruntime")
# Two boxes sit on one line when their vertical overlap is at least this share of the shorter box's height.
SAME_LINE_OVERLAP = 0.6


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

    def stream(self, request: OcrRequest) -> Iterator[EngineOutput]:
        if self._ocr is None:
            raise RuntimeError("the engine is not loaded")
        image = flatten_image(request.image).convert("RGB")
        result = self._ocr(image)
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

    def unload(self) -> None:
        self._ocr = None  # the ONNX sessions are freed with the RapidOCR object


def quad_to_box(quad: Sequence[Sequence[float]], text: str, score: float, width: int, height: int) -> Box:
    """A detector quadrilateral to the axis-aligned box around it, clipped to the image."""
    xs = [float(point[0]) for point in quad]
    ys = [float(point[1]) for point in quad]
    x0, x1 = max(0, int(min(xs))), min(width, int(round(max(xs))))
    y0, y1 = max(0, int(min(ys))), min(height, int(round(max(ys))))
    return Box(x0, y0, x1, y1, text=text.strip(), confidence=min(max(float(score), 0.0), 1.0))


def reading_order(boxes: list[Box]) -> list[list[Box]]:
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
