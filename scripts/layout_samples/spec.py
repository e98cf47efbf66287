"""What a synthetic page holds: its elements in reading order, as the page's author writes them, and its tests."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    category: str  # one of DocLayNet's categories (core.layout.elements.CATEGORIES)
    content: str  # plain text; a table's HTML; a formula's LaTeX; a picture's bar heights ("3 5 2")


@dataclass(frozen=True)
class Columns:
    """Two columns side by side: the left one is read first."""

    left: tuple[Block, ...]
    right: tuple[Block, ...]


@dataclass(frozen=True)
class Page:
    name: str  # the file stem
    language: str
    font: str  # a Debian DejaVu family: "DejaVu Serif" or "DejaVu Sans"
    header: str
    footer: str
    body: tuple[Block | Columns, ...]
    tests: tuple[dict, ...]


def title(text: str) -> Block:
    return Block("Title", text)


def section(text: str) -> Block:
    return Block("Section-header", text)


def text(content: str) -> Block:
    return Block("Text", content)


def item(content: str) -> Block:
    """A list item; its marker ("•", "1.") is part of its text, as it is on the page."""
    return Block("List-item", content)


def caption(content: str) -> Block:
    return Block("Caption", content)


def footnote(content: str) -> Block:
    return Block("Footnote", content)


def formula(latex: str) -> Block:
    return Block("Formula", latex)


def table(html: str) -> Block:
    return Block("Table", html)


def picture(bars: str) -> Block:
    """A bar chart without any text in it, so its ground-truth text is empty."""
    return Block("Picture", bars)


def present(content: str, max_diffs: int = 0) -> dict:
    return {"type": "present", "text": content, "max_diffs": max_diffs}


def absent(content: str) -> dict:
    return {"type": "absent", "text": content}


def order(before: str, after: str) -> dict:
    return {"type": "order", "before": before, "after": after}
