"""A table element's text as HTML for TEDS: HTML as it is, a Markdown pipe table turned into rows and cells."""
from __future__ import annotations

import html
import re

from core.layout.elements import LayoutElement

_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def table_html(element: LayoutElement) -> str:
    """HTML of a table element; Markdown tables (olmOCR and others write them) become a plain <table>."""
    if element.format == "markdown" or (element.format != "html" and "<table" not in element.text.lower()):
        return markdown_table_to_html(element.text)
    return element.text


def markdown_table_to_html(text: str) -> str:
    """`| a | b |` rows as <tr><td>a</td><td>b</td></tr>; the `|---|` separator row dropped. No pipes: ""."""
    rows = [line.strip() for line in text.splitlines() if "|" in line and not _SEPARATOR_ROW.match(line)]
    if not rows:
        return ""
    html_rows = []
    for row in rows:
        cells = row.strip("|").split("|")
        html_rows.append("<tr>" + "".join(f"<td>{html.escape(cell.strip())}</td>" for cell in cells) + "</tr>")
    return "<table>" + "".join(html_rows) + "</table>"
