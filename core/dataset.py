"""Datasets of documents with ground truth (the benchmark's and the battles' format): a folder with `manifest.csv`, or a
folder of images with same-named `.txt` files.

A manifest has one row per document: `image` (required), `gt_text` (a text file), `gt_fields` (a JSON object of
field values), `gt_layout` and `gt_tests` (an image's layout elements and page tests, see core.dataset_layout) and
`language`, with paths relative to the folder; other columns are kept as they are. Without a manifest the same
files sit beside the image: `page.txt` (or `page.gt.txt`), `page.json`, `page.layout.json`, `page.tests.json`.
A PDF is one item per page; its ground-truth text, if any, holds the pages separated by form feeds (as `pdftotext`
writes).

A bad row never stops the others: it becomes an item whose `problem` names the row and says what is wrong, and
the benchmark records it as an error for every model instead of running it.
"""
from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from backends.contracts.schema import SAMPLES, project_path
from core.dataset_layout import LAYOUT_SUFFIX, TESTS_SUFFIX, check_boxes_inside, read_layout, read_tests
from core.documents import IMAGE_SUFFIXES, DocumentError, pdf_page_count
from core.layout.elements import LayoutElement

MANIFEST = "manifest.csv"
DOCUMENT_SUFFIXES = IMAGE_SUFFIXES + (".pdf",)


class DatasetError(ValueError):
    """A folder that is not a dataset at all (as opposed to one bad row in it)."""


@dataclass
class DatasetItem:
    item_id: str  # the image path relative to the dataset folder, with "#p3" for page 3 of a PDF
    image_path: Path
    page: int | None = None  # 0-based page of a PDF
    gt_text: str | None = None
    gt_fields: dict[str, str] | None = None
    language: str = ""
    problem: str = ""  # why this item cannot run; it is then an error row for every model
    gt_layout: list[LayoutElement] | None = None  # in reading order, boxes in pixels of the image; [] = a blank page
    gt_tests: list[dict] | None = None  # page tests as the file gives them ({"type": "present", "text": ...})

    @property
    def has_truth(self) -> bool:
        return (self.gt_text is not None or bool(self.gt_fields) or self.gt_layout is not None
                or bool(self.gt_tests))


@dataclass
class Dataset:
    name: str
    folder: Path
    items: list[DatasetItem] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [item.problem for item in self.items if item.problem]

    def limited(self, limit: int | None) -> "Dataset":
        return self if not limit else Dataset(self.name, self.folder, self.items[:limit])


def load_dataset(folder: str | Path) -> Dataset:
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    if (folder / MANIFEST).is_file():
        items = _manifest_items(folder)
    else:
        items = _folder_items(folder)
    if not items:
        raise DatasetError(f"{folder} has neither a {MANIFEST} nor any document ({', '.join(DOCUMENT_SUFFIXES)})")
    return Dataset(folder.name, folder, items)


def _manifest_items(folder: Path) -> list[DatasetItem]:
    with open(folder / MANIFEST, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if "image" not in (reader.fieldnames or []):
            raise DatasetError(f"{folder / MANIFEST} has no 'image' column (its columns: {reader.fieldnames})")
        items = []
        for line, row in enumerate(reader, start=2):  # line 1 is the header
            where = f"{MANIFEST} line {line}"
            image = (row.get("image") or "").strip()
            if not image:
                items.append(DatasetItem(f"line {line}", folder, problem=f"{where}: the 'image' cell is empty"))
                continue
            try:
                truth = _read_truth(folder, row, where)
            except DocumentError as exc:
                items.append(DatasetItem(image, folder / image, problem=str(exc)))
                continue
            items.extend(_document_items(folder, image, truth, (row.get("language") or "").strip(), where))
        return items


def _folder_items(folder: Path) -> list[DatasetItem]:
    items = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file()):
        relative = path.relative_to(folder).as_posix()
        text = next((t for t in (path.with_suffix(".txt"), path.with_suffix(".gt.txt")) if t.is_file()), None)
        beside = {"gt_text": text, "gt_fields": path.with_suffix(".json"),
                  "gt_layout": path.with_name(path.stem + LAYOUT_SUFFIX),
                  "gt_tests": path.with_name(path.stem + TESTS_SUFFIX)}
        files = {column: f.relative_to(folder).as_posix() for column, f in beside.items() if f and f.is_file()}
        try:
            truth = _read_truth(folder, files, relative)
        except DocumentError as exc:
            items.append(DatasetItem(relative, path, problem=str(exc)))
            continue
        items.extend(_document_items(folder, relative, truth, "", relative))
    return items


@dataclass
class _Truth:
    """One document's ground truth as read from its files."""

    text: str | None = None
    fields: dict[str, str] | None = None
    layout: list[LayoutElement] | None = None
    tests: list[dict] | None = None
    layout_file: str = ""  # the layout file's path, for messages about its boxes


def _read_truth(folder: Path, files: dict[str, str | None], where: str) -> _Truth:
    """`files`: ground-truth paths relative to the folder by manifest column (a manifest row itself will do)."""
    return _Truth(_read_text(folder, files.get("gt_text"), where), _read_fields(folder, files.get("gt_fields"), where),
                  read_layout(folder, files.get("gt_layout"), where), read_tests(folder, files.get("gt_tests"), where),
                  (files.get("gt_layout") or "").strip())


def _document_items(folder: Path, image: str, truth: _Truth, language: str, where: str) -> list[DatasetItem]:
    path = folder / image
    if not path.is_file():
        return [DatasetItem(image, path, problem=f"{where}: image {image} not found")]
    if path.suffix.lower() not in DOCUMENT_SUFFIXES:
        return [DatasetItem(image, path, problem=f"{where}: {image} is not an image or a PDF")]
    if path.suffix.lower() != ".pdf":
        if truth.layout:
            try:
                check_boxes_inside(path, truth.layout, truth.layout_file, where)
            except DocumentError as exc:
                return [DatasetItem(image, path, problem=str(exc))]
        return [DatasetItem(image, path, None, truth.text, truth.fields, language, gt_layout=truth.layout,
                            gt_tests=truth.tests)]
    return _pdf_items(path, image, truth, language, where)


def _pdf_items(path: Path, image: str, truth: _Truth, language: str, where: str) -> list[DatasetItem]:
    try:
        pages = pdf_page_count(path)
    except DocumentError as exc:
        return [DatasetItem(image, path, problem=f"{where}: {exc}")]
    if truth.layout is not None:
        # Its boxes would be in pixels of one rendering, and the benchmark renders PDFs at a DPI of its choosing.
        return [DatasetItem(image, path, problem=(
            f"{where}: {image} is a PDF, and layout ground truth needs an image (its boxes are in image pixels); "
            "give its pages as images"))]
    if truth.tests and pages != 1:
        return [DatasetItem(image, path, problem=f"{where}: page tests are for one page, and {image} has {pages}")]
    page_texts: list[str | None] = [None] * pages
    if truth.text is not None:
        split = truth.text.rstrip("\f").split("\f")
        if len(split) != pages:
            return [DatasetItem(image, path, problem=(
                f"{where}: {image} has {pages} pages but its ground truth has {len(split)} "
                "(separate pages with a form feed)"))]
        page_texts = split
    single = pages == 1
    return [DatasetItem(f"{image}#p{n + 1}", path, n, page_texts[n], truth.fields if single else None, language,
                        gt_tests=truth.tests if single else None) for n in range(pages)]


def _read_text(folder: Path, relative: str | None, where: str) -> str | None:
    if not relative or not relative.strip():
        return None
    path = folder / relative.strip()
    if not path.is_file():
        raise DocumentError(f"{where}: ground-truth text {relative.strip()} not found")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{where}: ground-truth text {relative.strip()} is not UTF-8") from None


def _read_fields(folder: Path, relative: str | None, where: str) -> dict[str, str] | None:
    text = _read_text(folder, relative, where)
    if text is None:
        return None
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{where}: ground-truth fields {relative.strip()} are not valid JSON ({exc})") from None
    if not isinstance(fields, dict):
        raise DocumentError(f"{where}: ground-truth fields {relative.strip()} must be a JSON object")
    return {str(k): "" if v is None else str(v) for k, v in fields.items()}


def extract_dataset_zip(archive: str | Path, destination: Path, max_bytes: int = 2 * 2**30) -> Path:
    """Unpack an uploaded dataset zip and return its dataset folder: the top level, or the one folder in it."""
    archive = Path(archive)
    if not zipfile.is_zipfile(archive):
        raise DatasetError(f"{archive.name} is not a zip archive")
    with zipfile.ZipFile(archive) as bundle:
        members = [m for m in bundle.infolist() if not m.filename.startswith("__MACOSX/")]
        unpacked = sum(m.file_size for m in members)
        if unpacked > max_bytes:
            raise DatasetError(f"{archive.name} unpacks to {unpacked / 2**20:,.0f} MB; the limit is "
                               f"{max_bytes / 2**20:,.0f} MB")
        for member in members:
            # ZipFile.extract would strip these; refusing says why files would land elsewhere.
            if member.filename.startswith("/") or ".." in Path(member.filename).parts:
                raise DatasetError(f"{archive.name} holds an unsafe path: {member.filename}")
        bundle.extractall(destination, members)
    entries = [p for p in destination.iterdir() if not p.name.startswith(".")]
    if not (destination / MANIFEST).is_file() and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return destination


def offered_datasets(extra_folders: list[str]) -> dict[str, Path]:
    """The bundled sample sets, then the folders named in `app.benchmark_datasets`, by folder name."""
    folders = [p for p in sorted(SAMPLES.iterdir()) if (p / MANIFEST).is_file()]
    folders += [project_path(f) for f in extra_folders]
    return {folder.name: folder for folder in folders}
