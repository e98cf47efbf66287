"""A synthetic page as one self-contained HTML document. Every ground-truth element carries `data-index`, its place
in reading order, so the renderer can measure it; formulas become MathML (Chromium draws it without any script)."""
from __future__ import annotations

from html import escape

from latex2mathml.converter import convert

from scripts.layout_samples.spec import Block, Columns, Page

PAGE_WIDTH, PAGE_HEIGHT = 800, 1040  # CSS pixels; the renderer's device pixel ratio scales them to the image

STYLE = """
html, body { margin: 0; background: #fff; color: #111; }
body { width: %(width)dpx; height: %(height)dpx; position: relative; overflow: hidden;
       font-family: "%(font)s"; font-size: 14.5px; line-height: 1.42; }
.page { position: absolute; left: 64px; right: 64px; top: 34px; }
.page-header { font-size: 11px; color: #444; margin: 0 0 18px; }
h1 { font-size: 24px; line-height: 1.25; margin: 0 0 14px; }
h2 { font-size: 17px; margin: 16px 0 7px; }
p { margin: 0 0 8px; text-align: justify; }
.list-item { margin: 0 0 4px 18px; padding-left: 16px; text-indent: -16px; text-align: left; }
.caption { font-size: 13px; font-style: italic; text-align: center; margin: 4px 0 10px; }
.footnote { font-size: 11px; margin: 12px 0 6px; text-align: left; }
.centred { text-align: center; margin: 8px 0; }
.formula { display: inline-block; }
/* Separate borders: with collapsed ones half the outer border is drawn outside the table's box. Each cell draws
   its right and bottom line, the table its top and left, so every line is drawn once. */
math { font-family: "DejaVu Math TeX Gyre"; font-size: 16px; }
table { border-collapse: separate; border-spacing: 0; border: solid #222; border-width: 1px 0 0 1px;
        margin: 0 auto; font-size: 13.5px; text-align: left; }
th, td { border: solid #222; border-width: 0 1px 1px 0; padding: 3px 9px; }
th { background: #e6e6e6; font-weight: bold; }
.columns { display: flex; gap: 28px; margin-bottom: 6px; }
.columns p { text-align: left; }
.columns > div { flex: 1 1 0; min-width: 0; }
.page-footer { position: absolute; left: 64px; right: 64px; bottom: 26px; font-size: 11px; color: #444;
               text-align: center; }
"""


def page_html(page: Page) -> tuple[str, list[Block]]:
    """The page as HTML, and its elements in reading order: element n has `data-index="n"`."""
    elements = [Block("Page-header", page.header)]
    body = _tagged(elements[0], 0, "div", "page-header")
    for part in page.body:
        if isinstance(part, Columns):
            halves = []
            for half in (part.left, part.right):
                halves.append("".join(_element(block, _append(elements, block)) for block in half))
            body += '<div class="columns">' + "".join(f"<div>{h}</div>" for h in halves) + "</div>"
        else:
            body += _element(part, _append(elements, part))
    footer = Block("Page-footer", page.footer)
    footer_html = _tagged(footer, _append(elements, footer), "div", "page-footer")
    style = STYLE % {"width": PAGE_WIDTH, "height": PAGE_HEIGHT, "font": page.font}
    document = (f'<!doctype html><html lang="{page.language}"><head><meta charset="utf-8"><style>{style}</style>'
                f'</head><body><div class="page">{body}</div>{footer_html}</body></html>')
    return document, elements


def _append(elements: list[Block], block: Block) -> int:
    elements.append(block)
    return len(elements) - 1


def _element(block: Block, index: int) -> str:
    match block.category:
        case "Title":
            return _tagged(block, index, "h1")
        case "Section-header":
            return _tagged(block, index, "h2")
        case "List-item":
            return _tagged(block, index, "p", "list-item")
        case "Caption" | "Footnote":
            return _tagged(block, index, "p", block.category.lower())
        case "Formula":
            mathml = convert(block.content, display="block")
            return f'<div class="centred"><span class="formula" data-index="{index}">{mathml}</span></div>'
        case "Table":
            # The ground truth is this exact HTML; only the index is added, for measuring.
            tagged = block.content.replace("<table", f'<table data-index="{index}"', 1)
            return f'<div class="centred">{tagged}</div>'
        case "Picture":
            return f'<div class="centred">{_bar_chart(block.content, index)}</div>'
        case _:
            return _tagged(block, index, "p")


def _tagged(block: Block, index: int, tag: str, css_class: str = "") -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f'<{tag}{attribute} data-index="{index}">{escape(block.content)}</{tag}>'


def _bar_chart(bars: str, index: int, width: int = 300, height: int = 130) -> str:
    heights = [float(v) for v in bars.split()]
    step = (width - 20) / len(heights)
    scale = (height - 15) / max(heights)
    rects = "".join(f'<rect x="{14 + i * step + step * 0.18:.1f}" y="{height - 5 - h * scale:.1f}" '
                    f'width="{step * 0.64:.1f}" height="{h * scale:.1f}" fill="#777"/>'
                    for i, h in enumerate(heights))
    axes = f'<path d="M10 4 V{height - 5} H{width - 4}" stroke="#111" fill="none" stroke-width="1.2"/>'
    return (f'<svg data-index="{index}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="display: inline-block; vertical-align: top">{rects}{axes}</svg>')
