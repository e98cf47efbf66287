"""A parsed layout as an HTML document in reading order: each element under a small tag with its number and
category. Everything from the reply is untrusted: it is escaped, rendered with raw HTML off, or sanitised."""
from __future__ import annotations

import html

from markdown_it import MarkdownIt

from core.layout.elements import CATEGORIES, LayoutElement, ParsedLayout
from ui.i18n import text
from ui.layout_markdown import markdown_renderer, render_markdown
from ui.layout_math import formula_html
from ui.layout_sanitize import safe_table_html
from ui.layout_style import LAYOUT_CSS, css_class

# Plain-text headings get their heading level; the other categories are paragraphs.
HEADING_TAGS = {"Title": "h1", "Section-header": "h2"}


def category_name(category: str, lang: str) -> str:
    """The category's name in the user's language; a category outside the vocabulary as the model wrote it."""
    if category in CATEGORIES:
        return text(lang, "layout_cat_" + category.lower().replace("-", "_"))
    return category


def _plain_text_html(element: LayoutElement) -> str:
    lines = html.escape(element.text).splitlines()
    tag = HEADING_TAGS.get(element.category, "p")
    return f"<{tag}>{'<br>'.join(lines)}</{tag}>"


def _picture_html(element: LayoutElement, lang: str) -> str:
    description = f"<div>{html.escape(element.text)}</div>" if element.text.strip() else ""
    return f'<div class="layout-picture">{html.escape(text(lang, "layout_picture"))}{description}</div>'


def element_body_html(element: LayoutElement, md: MarkdownIt, lang: str) -> str:
    """The element's content: by category for pictures and formulas, else by the format its text is in."""
    if element.category == "Picture":
        return _picture_html(element, lang)
    if element.format == "latex":
        display = element.category == "Formula"
        rendered = formula_html(element.text, display, lang)
        return f'<div class="layout-formula">{rendered}</div>' if display else f"<p>{rendered}</p>"
    if element.format == "html":
        return safe_table_html(element.text)
    if element.format == "markdown":
        return render_markdown(md, element.text)
    return _plain_text_html(element)


def _tag_html(number: int, element: LayoutElement, lang: str) -> str:
    label = f"{number} · {category_name(element.category, lang)}"
    if element.label and element.label != element.category:
        label += f" ({element.label})"
    if element.box is None:
        label += f" · {text(lang, 'layout_no_box')}"
    return f'<span class="layout-tag">{html.escape(label)}</span>'


def _element_html(number: int, element: LayoutElement, md: MarkdownIt, lang: str) -> str:
    return (f'<div class="layout-el {css_class(element.category)}">{_tag_html(number, element, lang)}'
            f'<div class="layout-body">{element_body_html(element, md, lang)}</div></div>')


def _problem_html(layout: ParsedLayout, lang: str) -> str:
    reason = html.escape(text(lang, "layout_problem").format(reason=layout.problem))
    return f'<div class="layout-problem"><p><b>{reason}</b></p><pre>{html.escape(layout.raw)}</pre></div>'


def _notes_html(notes: list[str], lang: str) -> str:
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return f'<div class="layout-notes"><b>{html.escape(text(lang, "layout_notes"))}</b><ul>{items}</ul></div>'


def layout_document_html(layout: ParsedLayout, lang: str) -> str:
    """The reply as a document in reading order, in a scrolling container with its own scoped CSS. A reply that
    could not be parsed is shown raw and escaped under the reason; repairs are listed under the document."""
    md = markdown_renderer(lang)
    parts = [f'<div class="layout-doc"><style>{LAYOUT_CSS}</style>']
    if layout.problem is not None:
        parts.append(_problem_html(layout, lang))
    elif not layout.elements:
        parts.append(f"<p>{html.escape(text(lang, 'layout_empty'))}</p>")
    parts += [_element_html(number, element, md, lang) for number, element in enumerate(layout.elements, 1)]
    if layout.notes:
        parts.append(_notes_html(layout.notes, lang))
    parts.append("</div>")
    return "".join(parts)
