"""What every parser does to one element: the model's label onto a DocLayNet category, and its text in the format
that category carries (tables HTML or Markdown, formulas bare LaTeX, pictures nothing, the rest Markdown)."""
from __future__ import annotations

import re

from core.layout.elements import CATEGORIES, Box, LayoutElement, TextFormat

# Labels the models use (normalised: lower case, "_" and "-" as spaces) -> category. DeepSeek-OCR's grounding labels
# (text, title, sub_title, table, image, image_caption, table_caption, table_footnote, equation, ...) and the names a
# Qwen model tends to pick when it strays from the requested ones.
_SYNONYMS = {
    "text": "Text", "paragraph": "Text", "plain text": "Text", "abstract": "Text", "reference": "Text",
    "code": "Text", "author": "Text", "date": "Text",
    "title": "Title", "doc title": "Title", "document title": "Title",
    "sub title": "Section-header", "subtitle": "Section-header", "section header": "Section-header",
    "section title": "Section-header", "heading": "Section-header", "header text": "Section-header",
    "table": "Table",
    "image": "Picture", "figure": "Picture", "picture": "Picture", "chart": "Picture", "photo": "Picture",
    "logo": "Picture", "stamp": "Picture", "seal": "Picture", "signature": "Picture",
    "caption": "Caption", "image caption": "Caption", "table caption": "Caption", "figure caption": "Caption",
    "figure title": "Caption", "table title": "Caption", "chart title": "Caption",
    "footnote": "Footnote", "table footnote": "Footnote", "image footnote": "Footnote",
    "figure footnote": "Footnote",
    "equation": "Formula", "formula": "Formula", "isolate formula": "Formula", "math": "Formula",
    "list": "List-item", "list item": "List-item", "item": "List-item",
    "header": "Page-header", "page header": "Page-header",
    "footer": "Page-footer", "page footer": "Page-footer", "page number": "Page-footer",
}
_BY_NAME = {name.lower(): name for name in CATEGORIES}

# Math wrappers a formula's LaTeX may come in: $$…$$, \[…\], \(…\), or a lone $…$.
_MATH_WRAPPERS = (re.compile(r"^\$\$(.*)\$\$$", re.S), re.compile(r"^\\\[(.*)\\\]$", re.S),
                  re.compile(r"^\\\((.*)\\\)$", re.S), re.compile(r"^\$([^$]*)\$$"))
_CENTER_TAGS = re.compile(r"</?center>", re.I)


def category_for(label: object) -> tuple[str, str]:
    """(category, label to keep): the label itself where it differs from the category, else ""."""
    original = str(label).strip() if label is not None else ""
    name = original.lower()
    normalised = re.sub(r"[\s_\-]+", " ", name).strip()
    category = _BY_NAME.get(name) or _SYNONYMS.get(normalised) or "Text"
    return category, "" if original == category else original


def make_element(category: str, text: object, box: Box | None, label: str = "") -> LayoutElement | None:
    """The element, its text cleaned for its category; None when it has neither a box nor any text."""
    text = "" if text is None else str(text)
    text = _CENTER_TAGS.sub("", text).strip()  # DeepSeek-OCR centres captions in HTML; the tag is not content
    format_: TextFormat = "markdown"
    if category == "Formula":
        text, format_ = bare_latex(text), "latex"
    elif category == "Table" and text.lower().startswith("<table"):
        format_ = "html"
    if box is None and not text:
        return None
    return LayoutElement(category=category, text=text, format=format_, box=box, label=label)


def bare_latex(text: str) -> str:
    """A formula's LaTeX without its display wrapper, so that every parser hands formulas over the same way."""
    stripped = text.strip()
    for wrapper in _MATH_WRAPPERS:
        match = wrapper.match(stripped)
        if match:
            return match.group(1).strip()
    return stripped
