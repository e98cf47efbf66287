"""Render the synthetic layout sample pages (samples/layout_pages/) with headless Chromium, with exact ground truth.

The pages are HTML written in scripts/layout_samples/ (English and Russian; tables with colspan and rowspan;
formulas in LaTeX, drawn as MathML). Every element's box is read from the DOM and scaled by the device pixel ratio,
so the boxes are exactly what Chromium drew. Per page it writes images/NAME.png, gt/NAME.gt.txt (the page's text in
reading order), gt/NAME.layout.json and gt/NAME.tests.json, then manifest.csv.

Run from the project root:  .venv/bin/python -m scripts.make_layout_samples [--out FOLDER]
Deterministic for one Chromium build: a fixed viewport and pixel ratio, Debian's DejaVu fonts, no randomness.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import shutil
from pathlib import Path

from PIL import Image

from scripts.layout_samples import pages_en, pages_ru
from scripts.layout_samples.html import PAGE_HEIGHT, PAGE_WIDTH, page_html
from scripts.layout_samples.spec import Block, Page

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "samples" / "layout_pages"
PAGES = tuple(sorted(pages_en.PAGES + pages_ru.PAGES, key=lambda page: page.name))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's, as in the browser tests
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none", "--force-color-profile=srgb"]
PIXEL_RATIO = 1.25  # 800 × 1040 CSS px -> a 1000 × 1300 px image
FORMATS = {"Table": "html", "Formula": "latex"}
GREY_LEVELS = 32  # the pages are black on white: 32 greys keep the anti-aliasing and make the PNGs small
MANIFEST_COLUMNS = ("image", "gt_text", "gt_fields", "gt_original", "gt_layout", "gt_tests", "language", "license",
                    "source_repo", "source_commit", "source_image_path", "source_gt_path", "width", "height", "notes")

# Text elements are measured by their text (a Range), so a heading's box is its words, not the full line it sits
# on; tables, formulas and pictures by the element itself ("whole"), borders included.
MEASURE = """() => [...document.querySelectorAll('[data-index]')].map(el => {
    const whole = el.matches('table, svg, .formula');
    let rect = el.getBoundingClientRect();
    if (!whole) {
        const range = document.createRange();
        range.selectNodeContents(el);
        rect = range.getBoundingClientRect();
    }
    return {index: Number(el.dataset.index), text: el.innerText, whole,
            box: [rect.left, rect.top, rect.right, rect.bottom].map(v => v * window.devicePixelRatio)};
})"""
# Chromium snaps a border to device pixels when it paints it: up to a pixel outside the box the layout gave.
SNAP_PX = 1
# The flowing content must end above the footer, or the page overflowed and the footer covers text.
OVERFLOW = """() => document.querySelector('.page').getBoundingClientRect().bottom
                   > document.querySelector('.page-footer').getBoundingClientRect().top - 8"""


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def render_page(browser, page: Page, out: Path) -> dict[str, str]:
    """Render one page into `out` (images/, gt/) and return its manifest row."""
    document, blocks = page_html(page)
    tab = browser.new_page(viewport={"width": PAGE_WIDTH, "height": PAGE_HEIGHT}, device_scale_factor=PIXEL_RATIO)
    try:
        tab.set_content(document, wait_until="load")
        tab.evaluate("document.fonts.ready.then(() => true)")
        if tab.evaluate(OVERFLOW):
            raise ValueError(f"{page.name}: the content runs into the footer; shorten the page")
        measured = sorted(tab.evaluate(MEASURE), key=lambda m: m["index"])
        png = tab.screenshot(type="png", animations="disabled", caret="hide")
    finally:
        tab.close()
    image = Image.open(io.BytesIO(png)).convert("L").quantize(GREY_LEVELS, dither=Image.Dither.NONE)
    size = image.size
    layout = [_layout_entry(block, m, size, page.name) for block, m in zip(blocks, measured, strict=True)]
    text = page_text(blocks, measured)
    check_tests(page, text)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "gt").mkdir(parents=True, exist_ok=True)
    image.save(out / "images" / f"{page.name}.png", optimize=True)
    (out / "gt" / f"{page.name}.gt.txt").write_text(text, encoding="utf-8")
    _write_json(out / "gt" / f"{page.name}.layout.json", layout)
    _write_json(out / "gt" / f"{page.name}.tests.json", list(page.tests))
    return {"image": f"images/{page.name}.png", "gt_text": f"gt/{page.name}.gt.txt",
            "gt_layout": f"gt/{page.name}.layout.json", "gt_tests": f"gt/{page.name}.tests.json",
            "language": page.language, "license": "project's own (synthetic)", "width": str(size[0]),
            "height": str(size[1]), "notes": "synthetic; rendered by scripts/make_layout_samples.py (headless "
                                             "Chromium, DejaVu fonts, MathML formulas); boxes read from the DOM"}


def _layout_entry(block: Block, measured: dict, size: tuple[int, int], name: str) -> dict:
    shown_as_written = block.category in FORMATS or block.category == "Picture" or (
        _words(measured["text"]) == _words(block.content))
    if not shown_as_written:
        raise ValueError(f"{name}: Chromium shows {measured['text']!r} for {block.content!r}")
    return {"category": block.category, "bbox": pixel_box(measured["box"], size, SNAP_PX if measured["whole"] else 0),
            "text": "" if block.category == "Picture" else block.content,
            "format": FORMATS.get(block.category, "text")}


def pixel_box(box: list[float], size: tuple[int, int], pad: int = 0) -> list[int]:
    """Whole pixels that cover the drawn box (rounded outwards, `pad` more on each side), kept on the image."""
    width, height = size
    x0, y0, x1, y1 = box
    return [max(0, math.floor(x0) - pad), max(0, math.floor(y0) - pad), min(width, math.ceil(x1) + pad),
            min(height, math.ceil(y1) + pad)]


def page_text(blocks: list[Block], measured: list[dict]) -> str:
    """The page's plain text in reading order: a table row by row, a formula as its LaTeX, pictures left out."""
    lines = []
    for block, m in zip(blocks, measured, strict=True):
        if block.category == "Table":
            lines += [" ".join(row.split("\t")) for row in m["text"].splitlines() if row.strip()]
        elif block.category != "Picture":
            lines.append(block.content)
    return "\n".join(lines) + "\n"


def check_tests(page: Page, text: str) -> None:
    """Each test must hold for the page's own text, or it would fail a perfect reading."""
    flat = _words(text)
    for test in page.tests:
        if test["type"] == "order":
            before, after = flat.find(_words(test["before"])), flat.find(_words(test["after"]))
            holds = 0 <= before < after
        else:
            holds = (_words(test["text"]) in flat) == (test["type"] == "present")
        if not holds:
            raise ValueError(f"{page.name}: test {test} does not hold for the page's own text")


def _words(text: str) -> str:
    return " ".join(text.split())


def _write_json(path: Path, entries: list[dict]) -> None:
    """One entry a line: readable, and a change shows as one line in a diff."""
    lines = ",\n".join(json.dumps(entry, ensure_ascii=False) for entry in entries)
    path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")


def write_manifest(out: Path, rows: list[dict[str, str]]) -> None:
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, MANIFEST_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    out = parser.parse_args(argv).out
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            rows = [render_page(browser, page, out) for page in PAGES]
        finally:
            browser.close()
    write_manifest(out, rows)
    total = sum((out / row["image"]).stat().st_size for row in rows)
    print(f"{len(rows)} pages in {out}, images {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
