"""Plain Markdown with no boxes, split into elements by its blocks (markdown-it's CommonMark parse, tables on):
`#` headings are Titles and deeper ones Section-headers, Markdown or HTML tables Tables, $$…$$ and \\[…\\]
paragraphs Formulas, each item of a list a List-item, every other block Text. Each element keeps its Markdown
source; none has a box."""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from core.layout.elements import LayoutElement
from core.layout.parsers.boxes import UnreadableReply
from core.layout.parsers.content import make_element
from core.layout.resize import ResizeRule

_OUTER_FENCE = re.compile(r"^```(?:markdown|md)?[ \t]*\n(.*?)\n?```\s*$", re.S | re.I)
_DISPLAY_MATH = re.compile(r"^(\$\$.*\$\$|\\\[.*\\\])$", re.S)
_LOOKS_LIKE_JSON = re.compile(r"^(```json|\[\s*\{|\{\s*\")", re.I)
_LIST_OPENERS = ("bullet_list_open", "ordered_list_open")
_SKIPPED = ("hr",)


def parse_markdown(reply: str, page: tuple[int, int],
                   resize: ResizeRule | None) -> tuple[list[LayoutElement], list[str]]:
    """`page` and `resize` are unused: there are no boxes to map."""
    text = reply.strip()
    if not text:
        raise UnreadableReply("the reply is empty")
    if _LOOKS_LIKE_JSON.match(text):
        raise UnreadableReply("the reply is JSON, not Markdown: this model needs a JSON layout format")
    fenced = _OUTER_FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    elements = [e for e in _top_level_elements(tokens, lines) if e is not None]
    if not elements:
        raise UnreadableReply("the Markdown holds no text")
    return elements, []


def _top_level_elements(tokens: list[Token], lines: list[str]):
    """One element per top-level block; a list gives one per item (nested lists stay inside their item)."""
    inside_list = 0
    for token in tokens:
        if token.type in _LIST_OPENERS:
            inside_list += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            inside_list -= 1
        elif token.type == "list_item_open" and inside_list == 1 and token.level == 1:
            yield make_element("List-item", _source(token, lines), None)
        elif token.level == 0 and not inside_list and token.map and token.type not in _SKIPPED:
            yield _block_element(token, _source(token, lines))


def _block_element(token: Token, source: str) -> LayoutElement | None:
    if token.type == "heading_open":
        return make_element("Title" if token.tag == "h1" else "Section-header", source, None)
    if token.type == "table_open":
        return make_element("Table", source, None)
    if token.type == "html_block" and "<table" in source.lower():
        return make_element("Table", source, None)
    if token.type == "paragraph_open" and _DISPLAY_MATH.match(source.strip()):
        return make_element("Formula", source, None)
    return make_element("Text", source, None)


def _source(token: Token, lines: list[str]) -> str:
    start, end = token.map or (0, 0)
    return "\n".join(lines[start:end]).strip()
