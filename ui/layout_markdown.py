"""Markdown from a model's reply as HTML: CommonMark with tables, raw HTML off, formulas inside the text as MathML,
images as their alt text (an image would load a URL the model chose)."""
from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

from ui.layout_math import formula_html

# Inline math inside Markdown text, longest opening first so `$$` is not read as an empty `$…$`.
INLINE_DELIMITERS = (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$", "$"))
# One line with nothing Markdown would act on: no block marker first, no inline markup anywhere. Most OCR
# paragraphs are like this, and skipping the parser for them halves a dense page's document time.
_PLAIN_LINE = re.compile(r"[^\s#>\-+*=|~`0-9][^\x00\n\r\\`*_\[\]<>&$|~]*")


def _inline_math_rule(state, silent: bool) -> bool:
    """Reads `$…$`, `$$…$$`, `\\(…\\)` and `\\[…\\]` inside a paragraph as one math token."""
    source, start = state.src, state.pos
    for opening, closing in INLINE_DELIMITERS:
        if not source.startswith(opening, start):
            continue
        end = source.find(closing, start + len(opening))
        content = source[start + len(opening):end]
        if end == -1 or not content.strip():
            continue
        after = source[end + len(closing):end + len(closing) + 1]
        # "$5 and $6": a single dollar needs no space inside and no digit after, as in Pandoc.
        if opening == "$" and (content[0].isspace() or content[-1].isspace() or after.isdigit()):
            continue
        if not silent:
            token = state.push("math_inline", "math", 0)
            token.content, token.markup = content, opening
        state.pos = end + len(closing)
        return True
    return False


def markdown_renderer(lang: str) -> MarkdownIt:
    """The Markdown parser for one document; `lang` is for the note under a formula that will not convert."""
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")
    md.inline.ruler.before("escape", "math_inline", _inline_math_rule)

    def render_math(renderer, tokens, idx, options, env) -> str:
        token = tokens[idx]
        return formula_html(token.content, token.markup in ("$$", "\\["), lang)

    def render_image(renderer, tokens, idx, options, env) -> str:
        alt = renderer.renderInlineAsText(tokens[idx].children or [], options, env)
        return f'<span class="layout-image-alt">[{html.escape(alt)}]</span>'

    md.add_render_rule("math_inline", render_math)
    md.add_render_rule("image", render_image)
    return md


def render_markdown(md: MarkdownIt, source: str) -> str:
    """`md.render(source)`; a plain one-line paragraph is written directly, as markdown-it would write it (only
    `"` is left to escape: `&`, `<` and `>` send a line to the parser)."""
    line = source.rstrip()  # not the start: four spaces there make a code block
    if _PLAIN_LINE.fullmatch(line):
        return "<p>" + line.replace('"', "&quot;") + "</p>\n"
    return md.render(source)
