"""What a battle is fought on: an uploaded page, or one drawn at random from the configured dataset folders."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from backends.contracts.schema import PROJECT_ROOT, AppSettings
from core.dataset import DatasetError, DatasetItem, load_dataset
from core.documents import load_pages, render_pdf_page


@dataclass
class BattleDocument:
    image: Image.Image
    name: str  # what the reviewer sees: the file name, with the page for a PDF
    hash: str  # sha256 of the file's bytes (a PDF page adds "#p<page>")
    path: str | None = None  # where a set document lives, relative to the project when it can be
    language: str | None = None
    truth: str | None = None


class NoDocuments(ValueError):
    """No configured battle set holds a usable document."""


def file_hash(path: Path, page: int | None = None) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest if page is None else f"{digest}#p{page}"


def uploaded_document(path: str, page: str | None, settings: AppSettings, truth: str | None = None) -> BattleDocument:
    """The reviewer's own document (one page of a PDF); raises DocumentError with the reason."""
    pages = load_pages(path, page or "1", dpi=settings.pdf_dpi, max_pages=1, max_pixels=settings.max_image_pixels,
                       max_bytes=int(settings.max_upload_mb * 2**20))
    number, image = pages[0]
    is_pdf = Path(path).suffix.lower() == ".pdf"
    name = Path(path).name + (f" · {number}" if is_pdf else "")
    return BattleDocument(image, name, file_hash(Path(path), number if is_pdf else None),
                          truth=(truth or "").strip() or None)


def set_items(folders: list[Path]) -> list[DatasetItem]:
    """Every usable item of the battle sets; a folder that is not a dataset is skipped."""
    items = []
    for folder in folders:
        try:
            items += [item for item in load_dataset(folder).items if not item.problem]
        except DatasetError:
            continue
    return items


def random_document(folders: list[Path], settings: AppSettings, rng: random.Random) -> BattleDocument:
    items = set_items(folders)
    if not items:
        raise NoDocuments(f"no documents in the battle sets ({', '.join(str(f) for f in folders) or 'none set'})")
    item = rng.choice(items)
    if item.page is None:
        image = load_pages(item.image_path, "1", max_pixels=settings.max_image_pixels)[0][1]
    else:
        image = render_pdf_page(item.image_path, item.page, dpi=settings.pdf_dpi,
                                max_pixels=settings.max_image_pixels)
    page = None if item.page is None else item.page + 1
    return BattleDocument(image, item.image_path.name + (f" · {page}" if page else ""),
                          file_hash(item.image_path, page), _display_path(item.image_path, page),
                          item.language or None, item.gt_text)


def _display_path(path: Path, page: int | None) -> str:
    try:
        shown = str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        shown = str(path)
    return shown if page is None else f"{shown}#p{page}"
