"""The arena's Layout task: each model's reply read as layout, its boxes on the page, the reading order, the reply
as a document, the element counts for the comparison table and, on a bundled page with layout ground truth, each
reply's layout scores (scored as benchmarks/runner.py scores a layout run)."""
from __future__ import annotations

import html

from PIL import Image

from backends.contracts.results import Status
from backends.contracts.schema import ArenaConfig
from core.arena_run import ArenaRun
from core.layout.elements import ParsedLayout
from core.layout.reading import layout_columns, layout_truth, read_layout
from core.layout.scoring import LayoutTruth, page_text, score_layout, strip_markup
from core.samples import layout_sample
from ui.i18n import text
from ui.layout_render import category_name
from ui.layout_view import draw_layout_views, layout_document_html, legend_html


def parsed_layouts(config: ArenaConfig, run: ArenaRun, image: Image.Image | None) -> dict[str, ParsedLayout]:
    """Each finished model's reply parsed as its model writes layout; only for a one-page Layout run."""
    if run.task != "layout" or image is None:
        return {}
    return {key: read_layout(config.get(key), result.text, image.size)
            for key, result in run.results.items() if result.status == Status.OK and config.find(key)}


def sample_truth(document: str | None, task: str, pages: list) -> LayoutTruth | None:
    """The layout ground truth and page tests of a one-page Layout run on a bundled layout page, else None."""
    if task != "layout" or len(pages) != 1:
        return None
    item = layout_sample(document)
    return layout_truth(item) if item is not None else None


def layout_scores(layouts: dict[str, ParsedLayout], truth: LayoutTruth | None) -> dict[str, dict[str, float | None]]:
    """Each parsed reply's layout columns (overall, text and reading-order edit distance, TEDS, page tests passed)
    against the truth; none without a truth. An unreadable reply scores as an empty page, as in the benchmark."""
    if truth is None:
        return {}
    return {key: layout_columns(score_layout(layout, truth)) for key, layout in layouts.items()}


def layout_text(layout: ParsedLayout) -> str:
    """The reply as plain page text, scored against a text ground truth; an unreadable reply as it came."""
    return strip_markup(page_text(layout.elements)) if layout.ok else layout.raw


def element_counts(layout: ParsedLayout, lang: str) -> str:
    """"Text 12 · Table 2" for the comparison table; the reason in a few words when the reply was unreadable."""
    if not layout.ok:
        return text(lang, "layout_unreadable")
    counts = layout.counts()
    return " · ".join(f"{category_name(c, lang)} {n}" for c, n in counts.items()) or "0"


def layout_gallery(image: Image.Image, layouts: dict[str, ParsedLayout], names: dict[str, str],
                   lang: str) -> list[tuple[Image.Image, str]]:
    """Per model with boxes: the page with its boxes coloured by category, then numbered in reading order."""
    images = []
    for key, layout in layouts.items():
        if not any(e.box for e in layout.elements):
            continue
        boxes, numbered = draw_layout_views(image, layout)
        images += [(boxes, names[key]), (numbered, f"{names[key]} · {text(lang, 'layout_order')}")]
    return images


def layout_documents(layouts: dict[str, ParsedLayout], names: dict[str, str], lang: str) -> str:
    """Every model's reply rendered as a document, side by side, each under its name and legend."""
    if not layouts:
        return ""
    blocks = [f'<div class="layout-model"><h3>{html.escape(names[key])}</h3>{legend_html(layout, lang)}'
              f'{layout_document_html(layout, lang)}</div>' for key, layout in layouts.items()]
    return ('<div class="layout-models" style="display:grid;gap:16px;'
            'grid-template-columns:repeat(auto-fit,minmax(320px,1fr))">' + "".join(blocks) + "</div>")
