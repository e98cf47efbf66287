"""Document parsers' replies parsed onto the original page: `parse_layout(reply, reply_format, page_size, resize)`.

One parser per reply format; the format names are the schema's LayoutFormat (backends/contracts/schema.py), which a
config entry's `layout_format` names. Each parser returns (elements, notes) or raises UnreadableReply; parse_layout
turns every failure into a ParsedLayout with `problem` set and the raw reply kept, so that a view can show it.
"""
from __future__ import annotations

from typing import Callable

from core.layout.elements import LayoutElement, ParsedLayout
from core.layout.parsers.boxes import UnreadableReply, page_dimensions
from core.layout.parsers.deepseek_grounding import parse_deepseek_grounding
from core.layout.parsers.json_layouts import parse_dots_ocr, parse_qwen3_json, parse_qwen25_json
from core.layout.parsers.markdown_blocks import parse_markdown
from core.layout.resize import ResizeRule

# (reply, page (width, height), resize rule or None) -> (elements, notes); raises UnreadableReply.
Parser = Callable[[str, tuple[int, int], ResizeRule | None], tuple[list[LayoutElement], list[str]]]

PARSERS: dict[str, Parser] = {
    "dots_ocr": parse_dots_ocr,
    "deepseek_grounding": parse_deepseek_grounding,
    "qwen25_json": parse_qwen25_json,
    "qwen3_json": parse_qwen3_json,
    "markdown": parse_markdown,
}


def parse_layout(reply: str, reply_format: str, page_size: tuple[int, int],
                 resize: ResizeRule | None = None) -> ParsedLayout:
    """The reply's elements in reading order, boxes in pixels of the original page of `page_size` (width, height).
    `resize`: the rule the model's processor applied (core.layout.resize.resize_rule_for); None: the model's
    published defaults. Never raises: an unreadable reply comes back with `problem` set and `raw` kept."""
    raw = reply if isinstance(reply, str) else ""
    parser = PARSERS.get(reply_format)
    if parser is None:
        return ParsedLayout(reply_format, problem=f"no parser for the reply format '{reply_format}' "
                                                  f"(known: {', '.join(PARSERS)})", raw=raw)
    if not isinstance(reply, str):
        return ParsedLayout(reply_format, problem=f"the reply is {type(reply).__name__}, not text", raw=raw)
    try:
        elements, notes = parser(reply, page_dimensions(page_size), resize)
    except UnreadableReply as error:
        return ParsedLayout(reply_format, problem=str(error), raw=raw)
    except Exception as error:  # a parser bug must not take the view down: show the reply raw, with the cause
        return ParsedLayout(reply_format, problem=f"the {reply_format} parser failed: {type(error).__name__}: {error}",
                            raw=raw)
    return ParsedLayout(reply_format, elements=elements, notes=notes, raw=raw)


__all__ = ["PARSERS", "ParsedLayout", "parse_layout"]
