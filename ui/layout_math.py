"""Formulas shown as MathML, which browsers render without a script or a network; a formula that will not convert is
shown as its LaTeX source with a note."""
from __future__ import annotations

import html

from latex2mathml.converter import convert_to_element

from ui.i18n import text
from ui.layout_sanitize import mathml_markup

# Outer delimiters a model may wrap a block formula in; the converter wants the bare formula.
BLOCK_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def strip_delimiters(latex: str) -> str:
    body = latex.strip()
    for opening, closing in BLOCK_DELIMITERS:
        if len(body) > len(opening) + len(closing) and body.startswith(opening) and body.endswith(closing):
            return body[len(opening):-len(closing)].strip()
    return body


def formula_html(latex: str, display: bool, lang: str) -> str:
    """MathML for the formula (`display`: a block of its own), or its source in <code> with a note when the
    converter cannot read it."""
    body = strip_delimiters(latex)
    try:
        mathml = mathml_markup(convert_to_element(body, display="block" if display else "inline")) if body else None
    except Exception:  # latex2mathml raises many error types, some of them plain IndexError/KeyError
        mathml = None
    if mathml is not None:
        return mathml
    # A <span>, as this may sit inside a paragraph.
    note = html.escape(text(lang, "layout_formula_failed"))
    return f'<span class="layout-formula-error"><code>{html.escape(latex)}</code><small>{note}</small></span>'
