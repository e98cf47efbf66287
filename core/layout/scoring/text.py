"""Markup stripped from parser output, and the text metric on what is left.

OmniDocBench compares text after removing the markup a parser wraps it in, so that `**Total**` and `<b>Total</b>`
read the same as `Total`; the metric is then the normalised edit distance, Levenshtein distance / max(len(pred),
len(gt)) (github opendatalab/OmniDocBench, README "End-to-End Evaluation", metric `Edit_dist`). The normalisation
is the project's own (core/metrics.py: NFKC, whitespace collapsed), so layout and OCR scores agree on what a
character is.
"""
from __future__ import annotations

import re

from lxml import etree, html

from core.metrics import normalize, normalized_edit_distance

# Only real HTML tag names count as markup, so "x<y and z>w" in plain text is not eaten as a tag.
_HTML_TAG = re.compile(
    r"</?(?:table|thead|tbody|tfoot|tr|td|th|caption|p|div|span|br|hr|b|i|u|s|em|strong|sub|sup|code|pre|"
    r"h[1-6]|ul|ol|li|img|a|blockquote|math|mi|mn|mo)\b[^>]*>", re.IGNORECASE)
# Elements that separate words when rendered: their text must not run into the neighbours' (`<td>a</td><td>b</td>`).
_BLOCK_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "p", "div", "br", "hr", "li", "ul",
               "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

# LaTeX math delimiters; the formula itself stays. Inline `$...$` follows Pandoc's rule (no space inside the dollars,
# no digit right after the closing one) so that prices such as "$5 and $6" are left alone.
_LATEX_DELIMITERS = (
    re.compile(r"\$\$(.+?)\$\$", re.DOTALL),
    re.compile(r"\\\[(.+?)\\\]", re.DOTALL),
    re.compile(r"\\\((.+?)\\\)", re.DOTALL),
    re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?![\d$])"),
)

# Markdown, applied line by line or inline; each keeps the text and drops the marker.
_MARKDOWN_RULES = (
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE), ""),  # table separator row
    (re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$", re.MULTILINE), ""),  # horizontal rule
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE), ""),  # heading marker
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),  # block quote
    (re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+", re.MULTILINE), ""),  # list item marker
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image: its alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # link: its text
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # italic with *
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),  # italic with _, not snake_case or x_1
    (re.compile(r"~~(.+?)~~"), r"\1"),  # strike-through
    (re.compile(r"`+([^`]+)`+"), r"\1"),  # inline code
    (re.compile(r"\|"), " "),  # table cell pipes
)

# olmOCR's normalize_text reads typographic quotes and dashes as their ASCII forms.
_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "＿": "_",
                             "–": "-", "—": "-", "‑": "-", "‒": "-", "−": "-"})


def strip_markup(text: str) -> str:
    """The readable text of a parser's Markdown, HTML or LaTeX-delimited output, whitespace left for normalisation."""
    if _HTML_TAG.search(text):
        text = _html_text(text)
    for delimiter in _LATEX_DELIMITERS:
        text = delimiter.sub(r"\1", text)
    for pattern, replacement in _MARKDOWN_RULES:
        text = pattern.sub(replacement, text)
    return text


def _html_text(text: str) -> str:
    """lxml's text content, with a space around block elements so cells and paragraphs stay separate words."""
    try:
        root = html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):  # nothing lxml can read: drop anything tag-shaped instead
        return _HTML_TAG.sub(" ", text)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.text = " " + (element.text or "")
            element.tail = " " + (element.tail or "")
    return root.text_content()


def text_edit_distance(predicted: str, truth: str) -> float:
    """Normalised edit distance in [0, 1] (0 best) between the two texts with their markup stripped."""
    return normalized_edit_distance(strip_markup(truth), strip_markup(predicted))


def normalize_for_tests(text: str) -> str:
    """Text as page tests compare it: markup stripped, NFKC, whitespace collapsed, typography made ASCII."""
    return normalize(strip_markup(text)).translate(_TYPOGRAPHY)
