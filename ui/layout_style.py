"""How layout categories look: one fixed colour per category, and the CSS of the legend and the document view."""
from __future__ import annotations

from core.layout.elements import CATEGORIES

# Okabe–Ito first (safe for the common colour-vision deficiencies), then Tableau 10 for the rarer categories.
# Fixed per category, so a colour means the same thing on every page, legend and model.
CATEGORY_COLOURS: dict[str, tuple[int, int, int]] = {
    "Text": (0, 114, 178),            # Okabe–Ito blue
    "Title": (213, 94, 0),            # vermillion
    "Section-header": (230, 159, 0),  # orange
    "Table": (0, 158, 115),           # bluish green
    "Formula": (204, 121, 167),       # reddish purple
    "Picture": (86, 180, 233),        # sky blue
    "List-item": (204, 170, 0),       # Okabe–Ito yellow, darkened to show on white paper
    "Caption": (140, 86, 75),         # Tableau brown
    "Footnote": (188, 189, 34),       # Tableau olive
    "Page-header": (148, 103, 189),   # Tableau purple
    "Page-footer": (127, 127, 127),   # Tableau grey
}
UNKNOWN_COLOUR = (90, 90, 90)


def category_colour(category: str) -> tuple[int, int, int]:
    return CATEGORY_COLOURS.get(category, UNKNOWN_COLOUR)


def ink_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on `colour` (by its relative luminance)."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return (0, 0, 0) if luminance > 0.179 else (255, 255, 255)


def css_class(category: str) -> str:
    """The category's class name: `layout-cat-section-header`; anything odd in a name becomes a dash."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in category.lower())
    return f"layout-cat-{slug}"


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _category_rules() -> str:
    rules = []
    for category in CATEGORIES:
        colour, ink = category_colour(category), ink_colour(category_colour(category))
        rules.append(f".{css_class(category)}{{--layout-colour:{_hex(colour)};--layout-ink:{_hex(ink)}}}")
    return "\n".join(rules)


# Colours that work on light and dark themes alike: text inherits, greys are semi-transparent.
_BASE_CSS = """
.layout-doc,.layout-legend{--layout-colour:#5a5a5a;--layout-ink:#fff}
.layout-doc{max-height:70vh;overflow:auto;padding:.5em .75em;border:1px solid rgba(127,127,127,.35);
  border-radius:6px;color:inherit;line-height:1.45}
.layout-doc .layout-el{margin:.5em 0;padding:.25em .6em;
  border-left:4px solid var(--layout-colour);background:rgba(127,127,127,.06);overflow-x:auto}
.layout-doc .layout-tag{display:inline-block;font-size:.72em;padding:0 .45em;border-radius:3px;
  background:var(--layout-colour);color:var(--layout-ink);opacity:.9}
.layout-doc .layout-body{margin-top:.2em}
.layout-doc .layout-body>:first-child{margin-top:0}
.layout-doc .layout-body>:last-child{margin-bottom:0}
.layout-doc table{border-collapse:collapse;margin:.3em 0}
.layout-doc th,.layout-doc td{border:1px solid rgba(127,127,127,.5);padding:.15em .5em;vertical-align:top}
.layout-doc th{background:rgba(127,127,127,.12)}
.layout-doc .layout-picture{padding:1.2em;text-align:center;border:2px dashed var(--layout-colour);
  border-radius:4px;opacity:.8}
.layout-doc .layout-formula{overflow-x:auto}
.layout-doc .layout-formula-error code,.layout-doc .layout-problem pre{background:rgba(127,127,127,.12)}
.layout-doc .layout-formula-error small{display:block;opacity:.7}
.layout-doc .layout-problem pre{white-space:pre-wrap;word-break:break-word;padding:.5em;max-height:40vh;overflow:auto}
.layout-doc .layout-cat-page-header .layout-body,.layout-doc .layout-cat-page-footer .layout-body,
.layout-doc .layout-cat-footnote .layout-body,.layout-doc .layout-cat-caption .layout-body{font-size:.9em;opacity:.8}
.layout-doc .layout-notes{margin-top:.75em;font-size:.9em;opacity:.85}
.layout-legend{display:flex;flex-wrap:wrap;gap:.3em .9em;align-items:center;font-size:.9em;color:inherit}
.layout-legend .layout-legend-item{display:inline-flex;align-items:center;gap:.35em}
.layout-legend .layout-swatch{width:.95em;height:.95em;border-radius:2px;background:var(--layout-colour);
  border:1px solid rgba(127,127,127,.6)}
"""

LAYOUT_CSS = _BASE_CSS + _category_rules() + "\n"
