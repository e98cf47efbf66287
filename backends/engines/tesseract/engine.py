"""Tesseract 5 in-process through tesserocr. tesserocr is imported in `load`, so the app starts without it."""
from __future__ import annotations

import glob
import importlib.util
import os
from pathlib import Path
from typing import Any, Iterator

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from backends.contracts.results import Availability, MessageCode
from backends.engines.images import flatten_image
from backends.contracts.requests import Box, EngineOutput, PageRequest
from backends.contracts.engine import Engine

INSTALL_HINT = "Install it with `pip install tesserocr` (the wheel bundles the Tesseract library)."
DEBIAN_TESSDATA_GLOB = "/usr/share/tesseract-ocr/*/tessdata"


class TesseractEngine(Engine):
    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        lang: str = Field(default="rus+eng", pattern=r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
        psm: int = Field(default=3, ge=0, le=13)  # Tesseract's page segmentation mode
        tessdata: Path | None = None  # the folder holding <lang>.traineddata

    options: Options

    def __init__(self, key: str, options: Options):
        super().__init__(key, options)
        self._api: Any = None

    @classmethod
    def availability(cls, entry: Any) -> Availability:
        if importlib.util.find_spec("tesserocr") is None:
            return Availability(False, "engine not installed: the tesseract engine needs tesserocr.", INSTALL_HINT,
                                code=MessageCode.ENGINE_MISSING)
        options = cls.options_for(entry)
        tessdata = find_tessdata(options.tessdata)
        if tessdata is None:
            return Availability(
                False,
                "Tesseract language data (tessdata) not found.",
                f"Install it with `sudo apt-get install {debian_packages(options.lang)}`, "
                "or set options.tessdata or TESSDATA_PREFIX to the tessdata folder.",
                code=MessageCode.LANGUAGE_DATA_MISSING,
            )
        missing = [lang for lang in languages(options.lang) if not (tessdata / f"{lang}.traineddata").is_file()]
        if missing:
            return Availability(
                False,
                f"Tesseract language data missing in {tessdata}: {', '.join(f'{m}.traineddata' for m in missing)}.",
                f"Install it with `sudo apt-get install {debian_packages('+'.join(missing))}`.",
                code=MessageCode.LANGUAGE_DATA_MISSING,
            )
        return Availability(True)

    def load(self) -> None:
        from tesserocr import PyTessBaseAPI

        tessdata = find_tessdata(self.options.tessdata)
        if tessdata is None:
            raise RuntimeError("Tesseract language data (tessdata) not found")
        # One API per engine instance: Tesseract keeps per-page state, so instances share nothing.
        self._api = PyTessBaseAPI(path=str(tessdata), lang=self.options.lang, psm=self.options.psm)

    def stream(self, request: PageRequest) -> Iterator[EngineOutput]:
        if self._api is None:
            raise RuntimeError("the engine is not loaded")
        image = flatten_image(request.image)
        self._api.SetImage(image)
        dpi = image_dpi(request.image)
        if dpi is not None:
            # Only a resolution the file states: forcing one on screenshots and renders (no dpi tag) raised
            # CER on the licence samples from 0.08 to 0.28, while Tesseract's own estimate did well.
            self._api.SetSourceResolution(dpi)
        self._api.Recognize()
        text = (self._api.GetUTF8Text() or "").rstrip()
        yield EngineOutput(text=text, boxes=self._line_boxes())

    def _line_boxes(self) -> list[Box]:
        from tesserocr import RIL, iterate_level

        iterator = self._api.GetIterator()
        if iterator is None:
            return []
        boxes = []
        for line in iterate_level(iterator, RIL.TEXTLINE):
            try:
                text = (line.GetUTF8Text(RIL.TEXTLINE) or "").strip()
            except RuntimeError:  # tesserocr raises "No text returned" for a line without text
                continue
            bbox = line.BoundingBox(RIL.TEXTLINE)
            if not text or bbox is None:
                continue  # an empty page still yields one empty element
            confidence = min(max(line.Confidence(RIL.TEXTLINE) / 100.0, 0.0), 1.0)
            boxes.append(Box(*bbox, text=text, confidence=confidence))
        return boxes

    def unload(self) -> None:
        if self._api is not None:
            self._api.End()
            self._api = None


def languages(lang: str) -> list[str]:
    return [part for part in lang.split("+") if part]


def debian_packages(lang: str) -> str:
    """'rus+chi_sim' -> 'tesseract-ocr-rus tesseract-ocr-chi-sim' (Debian's package names)."""
    return " ".join(f"tesseract-ocr-{part.lower().replace('_', '-')}" for part in languages(lang))


def find_tessdata(configured: Path | None) -> Path | None:
    """The tessdata folder: options.tessdata, else TESSDATA_PREFIX, else Debian's install location."""
    if configured is not None:
        return _tessdata_in(Path(configured).expanduser())
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        return _tessdata_in(Path(prefix).expanduser())
    # Newest Tesseract version first: /usr/share/tesseract-ocr/5/tessdata before .../4.00/tessdata.
    for candidate in sorted(glob.glob(DEBIAN_TESSDATA_GLOB), reverse=True):
        found = _tessdata_in(Path(candidate))
        if found is not None:
            return found
    return None


def _tessdata_in(folder: Path) -> Path | None:
    # Older setups point TESSDATA_PREFIX at the tessdata folder's parent; accept both.
    for candidate in (folder, folder / "tessdata"):
        if candidate.is_dir() and any(candidate.glob("*.traineddata")):
            return candidate
    return None


def image_dpi(image: Image.Image) -> int | None:
    """The resolution the file states, if plausible; None lets Tesseract estimate it."""
    dpi = image.info.get("dpi")
    try:
        value = int(round(float(dpi[0])))
    except (TypeError, ValueError, IndexError):
        return None
    return value if 70 <= value <= 2400 else None
