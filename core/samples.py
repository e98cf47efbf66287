"""The bundled sample documents the tabs offer (samples/): which ones, in what language, with what truth.

Each sample set's manifest.csv names an image, its language and its truth files (samples/README.md); the tabs
show a few of them as thumbnails. A sample with field truths (the licence cards) fills in the Fields tab's truth.
A page of a layout set, picked or uploaded as it is, is found again by its bytes: its layout ground truth and page
tests then score an arena Layout run as the benchmark scores the set.
"""
from __future__ import annotations

import csv
import filecmp
import json
from dataclasses import dataclass
from pathlib import Path

from backends.contracts.schema import SAMPLES
from core.dataset import DatasetError, DatasetItem, load_dataset

# The documents offered next to a text run (arena, chat): (set folder, image file name), one of each kind.
TEXT_SAMPLES = (
    ("en_printed_pages", "tesseract_phototest.tif"),
    ("ru_licences", "licence_01.png"),
    ("layout_pages", "02_ru_library_report.png"),
    ("en_printed_pages", "tesseract_eurotext.tif"),
)
# The sets whose cards carry field truths, with the Fields template they are read with.
FIELD_SETS = {"ru_licences": "ru_driver_license"}
# The sets whose pages carry layout ground truth (gt_layout, gt_tests), read as a benchmark reads a dataset.
LAYOUT_SETS = ("layout_pages",)


@dataclass(frozen=True)
class Sample:
    image: Path
    language: str  # the manifest's language: "ru", "en", "mul (en,de,fr,it,es,pt)"
    truth_text: str = ""
    truth_fields: dict[str, str] | None = None
    template: str | None = None  # the Fields template the field truths belong to

    @property
    def name(self) -> str:
        return self.image.name

    @property
    def language_label(self) -> str:
        """"EN", "RU", or each language of a multilingual page: "EN/DE/FR/IT/ES/PT"."""
        codes = self.language.split("(", 1)[-1].rstrip(")") if "(" in self.language else self.language
        return "/".join(code.strip().upper() for code in codes.split(",") if code.strip())


def read_set(folder: Path, template: str | None = None) -> list[Sample]:
    """Every row of a set's manifest whose image exists, with its truths read."""
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        return []
    samples = []
    with manifest.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            image = folder / row["image"]
            if not image.is_file():
                continue
            text = folder / row["gt_text"] if row.get("gt_text") else None
            fields = folder / row["gt_fields"] if row.get("gt_fields") else None
            samples.append(Sample(
                image, row.get("language") or "",
                text.read_text(encoding="utf-8") if text and text.is_file() else "",
                json.loads(fields.read_text(encoding="utf-8")) if fields and fields.is_file() else None,
                template if fields else None))
    return samples


def text_samples(root: Path = SAMPLES) -> list[Sample]:
    """The samples a text run offers, in TEXT_SAMPLES order (those missing from this checkout left out)."""
    by_place = {(folder, sample.name): sample for folder in {f for f, _ in TEXT_SAMPLES}
                for sample in read_set(root / folder)}
    return [by_place[place] for place in TEXT_SAMPLES if place in by_place]


def field_samples(root: Path = SAMPLES) -> list[Sample]:
    """Every card with field truths."""
    return [sample for folder, template in FIELD_SETS.items() for sample in read_set(root / folder, template)
            if sample.truth_fields]


def layout_sample(document: str | Path | None, root: Path = SAMPLES) -> DatasetItem | None:
    """The bundled page with layout ground truth whose image is `document`, byte for byte (a picked sample reaches
    the app as a copy), or None: another document, an unreadable file, or a set missing from this checkout."""
    path = Path(document) if document else None
    if path is None or not path.is_file():
        return None
    for folder in LAYOUT_SETS:
        try:
            items = load_dataset(root / folder).items
        except DatasetError:
            continue
        for item in items:
            carries_layout = item.gt_layout is not None or bool(item.gt_tests)
            if (carries_layout and item.page is None and not item.problem and item.image_path.is_file()
                    and filecmp.cmp(path, item.image_path, shallow=False)):
                return item
    return None
