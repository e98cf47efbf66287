"""Turn DocBank's token annotation of two bundled arXiv pages into layout ground truth (samples/layout_docbank/).

DocBank labels every token (word) of a page with a box on a 0–1000 grid and a class (paragraph, section, list, …).
Layout ground truth wants blocks, so this groups the tokens mechanically: tokens into lines (file order, same
height), lines into blocks (same class; a new block after a blank gap, at an indented first line of a paragraph,
at a list bullet), a block's box the union of its tokens' boxes in image pixels. No word is changed. A line takes
the class most of its tokens have (DocBank labels "and" between two author names as paragraph); a page number
alone at the foot of the page becomes a Page-footer.

Reads the copies in ../shared/datasets/en_printed_pages (the pages and the token files, Apache-2.0, from
doc-analysis/DocBank); run from the project root:  .venv/bin/python -m scripts.convert_docbank_layout
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "datasets" / "en_printed_pages"
OUT = ROOT / "samples" / "layout_docbank"
# Single-column pages whose classes map cleanly: a title page (title, authors, abstract, a section) and a page of
# paragraphs, a section header, a bulleted list and a page number.
PAGES = ("docbank_40_tar_1503_04529_gz_GaussianLowerBounds_LaplaceBeltrami_hal2_0",
         "docbank_106_tar_1705_06909_gz_KGBR5_4")
CATEGORIES = {"title": "Title", "author": "Text", "abstract": "Text", "paragraph": "Text", "date": "Text",
              "section": "Section-header", "list": "List-item", "reference": "List-item", "caption": "Caption",
              "footer": "Page-footer", "table": "Table", "equation": "Formula", "figure": "Picture"}
PARAGRAPH_LABELS = ("paragraph", "abstract")  # the classes whose blocks start at an indented line
BULLETS = ("•", "◦", "–")
BLANK_GAP = 0.45  # a gap between lines above this share of a line's height (0.2 within a paragraph): a new block
INDENT = 1.2  # a line starting this many line heights right of its class's left margin starts a paragraph
FOOT = 0.85  # a number alone below this share of the page height is the page number
MANIFEST_COLUMNS = ("image", "gt_text", "gt_fields", "gt_original", "gt_layout", "gt_tests", "language", "license",
                    "source_repo", "source_commit", "source_image_path", "source_gt_path", "width", "height", "notes")


@dataclass(frozen=True)
class Token:
    text: str
    box: tuple[float, float, float, float]  # pixels of the image
    label: str


@dataclass
class Line:
    tokens: list[Token]

    @property
    def label(self) -> str:
        return Counter(t.label for t in self.tokens).most_common(1)[0][0]

    @property
    def box(self) -> tuple[float, float, float, float]:
        # A bullet's glyph box is taller than the text beside it: the text decides the line's height.
        words = [t for t in self.tokens if t.text not in BULLETS] or self.tokens
        return (min(t.box[0] for t in self.tokens), min(t.box[1] for t in words),
                max(t.box[2] for t in self.tokens), max(t.box[3] for t in words))

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


def read_tokens(path: Path, size: tuple[int, int]) -> list[Token]:
    """DocBank's token file: token, x0, y0, x1, y1 (0–1000 grid), R, G, B, font, label; tab-separated."""
    width, height = size
    tokens = []
    for row in path.read_text(encoding="utf-8").splitlines():
        cells = row.split("\t")
        if len(cells) == 10 and cells[0].strip():
            x0, y0, x1, y1 = (int(v) for v in cells[1:5])
            tokens.append(Token(cells[0], (x0 * width / 1000, y0 * height / 1000, x1 * width / 1000,
                                           y1 * height / 1000), cells[9]))
    return tokens


def group_lines(tokens: list[Token]) -> list[Line]:
    """Tokens in file order; a new line where a token leaves the current line's height or goes back left."""
    lines: list[Line] = []
    for token in tokens:
        centre = (token.box[1] + token.box[3]) / 2
        if lines:
            last = lines[-1]
            _, top, right, bottom = last.box
            if top <= centre <= bottom and token.box[0] >= right - 1:
                last.tokens.append(token)
                continue
        lines.append(Line([token]))
    return lines


def group_blocks(lines: list[Line]) -> list[list[Line]]:
    line_height = statistics.median(line.height for line in lines)
    margins: dict[str, float] = {}
    for line in lines:
        margins[line.label] = min(margins.get(line.label, line.box[0]), line.box[0])
    blocks: list[list[Line]] = []
    for line in lines:
        if not blocks or _starts_block(blocks[-1][-1], line, margins[line.label], line_height):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def _starts_block(previous: Line, line: Line, margin: float, line_height: float) -> bool:
    gap = line.box[1] - previous.box[3]  # negative: a token the file gives out of order on the same line (a "≥")
    indented = gap >= 0 and line.label in PARAGRAPH_LABELS and line.box[0] - margin > INDENT * line_height
    return (line.label != previous.label or gap > BLANK_GAP * line_height or indented
            or line.tokens[0].text in BULLETS)


def block_element(block: list[Line], size: tuple[int, int]) -> dict:
    width, height = size
    tokens = [t for line in block for t in line.tokens]
    text = " ".join(t.text for t in tokens)
    label = block[0].label
    x0, y0 = min(line.box[0] for line in block), min(line.box[1] for line in block)
    x1, y1 = max(line.box[2] for line in block), max(line.box[3] for line in block)
    category = CATEGORIES[label]
    if text.isdigit() and y0 > FOOT * height:
        category = "Page-footer"
    box = [max(0, math.floor(x0)), max(0, math.floor(y0)), min(width, math.ceil(x1)), min(height, math.ceil(y1))]
    return {"category": category, "bbox": box, "text": text, "format": "text", "label": label}


def convert_page(stem: str, source_row: dict[str, str], out: Path) -> dict[str, str]:
    image = SOURCE / source_row["image"]
    with Image.open(image) as opened:
        size = opened.size
    lines = group_lines(read_tokens(SOURCE / "gt_original" / f"{stem}.tokens.txt", size))
    elements = [block_element(block, size) for block in group_blocks(lines)]
    for folder in ("images", "gt"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(image, out / "images" / image.name)
    shutil.copyfile(SOURCE / source_row["gt_text"], out / "gt" / f"{stem}.gt.txt")
    rows = ",\n".join(json.dumps(element, ensure_ascii=False) for element in elements)
    (out / "gt" / f"{stem}.layout.json").write_text(f"[\n{rows}\n]\n", encoding="utf-8")
    notes = ("arXiv page from DocBank; layout derived mechanically from DocBank's token boxes and classes by "
             "scripts/convert_docbank_layout.py; text keeps PDF ligatures, normalise with NFKC")
    return {**{k: source_row[k] for k in MANIFEST_COLUMNS if k in source_row}, "gt_original": "",
            "image": f"images/{image.name}", "gt_text": f"gt/{stem}.gt.txt", "gt_layout": f"gt/{stem}.layout.json",
            "width": str(size[0]), "height": str(size[1]), "notes": notes}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    out = parser.parse_args(argv).out
    with open(SOURCE / "manifest.csv", newline="", encoding="utf-8") as f:
        source_rows = {Path(row["image"]).stem: row for row in csv.DictReader(f)}
    rows = [convert_page(stem, source_rows[stem], out) for stem in PAGES]
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, MANIFEST_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} pages in {out}")


if __name__ == "__main__":
    main()
