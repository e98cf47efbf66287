"""One parsed layout type for every document parser's reply: elements with a box on the original page."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# The common vocabulary: DocLayNet's eleven classes, which dots.ocr uses as they are. Parsers map their model's own
# labels onto these and keep the original in `label`.
CATEGORIES = ("Caption", "Footnote", "Formula", "List-item", "Page-footer", "Page-header", "Picture",
              "Section-header", "Table", "Text", "Title")

TextFormat = Literal["text", "markdown", "html", "latex"]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the original page, x0 <= x1, y0 <= y1


@dataclass(frozen=True)
class LayoutElement:
    category: str  # one of CATEGORIES
    text: str = ""  # tables as HTML, formulas as LaTeX, the rest as Markdown or plain text (see `format`)
    format: TextFormat = "text"
    box: Box | None = None  # None: the reply gave no box for it (plain Markdown)
    label: str = ""  # the model's own label, where it differs from the category


@dataclass
class ParsedLayout:
    """A reply parsed in reading order. `problem` set: it could not be parsed, and is shown raw with the reason."""

    reply_format: str  # the parser that read it, e.g. "dots_ocr"
    elements: list[LayoutElement] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)  # what was repaired: a cut-off reply, boxes clamped to the page
    raw: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None

    def counts(self) -> dict[str, int]:
        """Elements per category, in CATEGORIES order, categories with none left out."""
        found = [e.category for e in self.elements]
        return {c: found.count(c) for c in CATEGORIES if c in found}
