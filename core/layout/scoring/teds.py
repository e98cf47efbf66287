"""Tree-Edit-Distance-based Similarity (TEDS) of two HTML tables, as PubTabNet defines it.

Zhong, ShafieiBavani, Jimeno Yepes, "Image-based table recognition: data, model, and evaluation", ECCV 2020.
Reference implementation: github ibm-aur-nlp/PubTabNet, src/metric.py (classes TableTree, CustomConfig, TEDS).
What follows it exactly:
* the <table> is read with lxml's HTML parser (comments dropped) into a tree of its elements; a cell (td) is a leaf
  carrying colspan, rowspan and its content tokenised as in `TEDS.tokenize`: one token per character, one per
  opening and closing tag of markup inside the cell (`<b>`, `</b>`), the tails of that markup included;
* apted's tree edit distance, insert and delete costing 1, rename costing 1 if tag, colspan or rowspan differ,
  else for a cell the normalised Levenshtein distance of the two token lists, else 0;
* TEDS = 1 - distance / max(|T_pred|, |T_true|); structure_only empties every cell's content.
Where it departs, on purpose:
* |T| is the number of nodes of the tree given to apted, <table> included and markup inside cells not: the paper's
  definition ("|T| is the number of nodes in T"), and table-recognition-metric's on PyPI (checked in its 0.0.6
  source, table_recognition_metric/main.py, `TEDS.__call__`: `max(tree_pred.size(), tree_true.size())`).
  PubTabNet's script counts `max(len(pred.xpath(".//*")), len(true.xpath(".//*")))` instead: the <table> node left
  out and markup inside cells (a <b>) counted, so its scores differ slightly, e.g. one cell "a" vs "b": 1 - 1/3
  here, 1 - 1/2 there; three rows against two (tests/test_layout_scoring.py): 0.7 here, 1 - 3/9 there.
* a bare `<table>` fragment is read as it comes (the reference wants `<html><body><table>` and scores a fragment 0);
* <thead>, <tbody> and <tfoot> are dropped (the reference's `ignore_nodes` option), so a table written with or
  without them scores the same, and <th> is read as <td>: which rows are headers is not what TEDS measures.
A missing, empty or unreadable table scores 0.0 rather than raising, and an unreadable colspan or rowspan is read as
1, as a browser reads it (the reference raises).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from apted import APTED, Config
from lxml import etree, html
from rapidfuzz.distance import Levenshtein

_SECTION_TAGS = ("thead", "tbody", "tfoot")
_LEADING_INTEGER = re.compile(r"\s*(\d+)")


@dataclass
class _Node:
    """One node of the tree apted compares; only cells carry spans and content."""

    tag: str
    colspan: int | None = None
    rowspan: int | None = None
    content: list[str] | None = None
    children: list["_Node"] = field(default_factory=list)

    def size(self) -> int:
        return 1 + sum(child.size() for child in self.children)


class _TableConfig(Config):
    """PubTabNet's CustomConfig.rename; insert and delete keep apted's cost of 1."""

    def rename(self, node1: _Node, node2: _Node) -> float:
        if (node1.tag, node1.colspan, node1.rowspan) != (node2.tag, node2.colspan, node2.rowspan):
            return 1.0
        if node1.tag == "td" and (node1.content or node2.content):
            return Levenshtein.normalized_distance(node1.content, node2.content)
        return 0.0

    def children(self, node: _Node) -> list[_Node]:
        return node.children


def teds(predicted_html: str, truth_html: str, structure_only: bool = False) -> float:
    """TEDS in [0, 1] (1 identical) of the first <table> in each text; 0.0 when either has none."""
    predicted = _table_tree(predicted_html, structure_only)
    truth = _table_tree(truth_html, structure_only)
    if predicted is None or truth is None:
        return 0.0
    distance = APTED(predicted, truth, _TableConfig()).compute_edit_distance()
    return 1.0 - distance / max(predicted.size(), truth.size())


def _table_tree(text: str, structure_only: bool) -> _Node | None:
    table = _first_table(text)
    return None if table is None else _to_node(table, structure_only)


def _first_table(text: str):
    """The first <table> element, with the section wrappers removed and header cells read as cells."""
    if not text or not text.strip():
        return None
    try:
        document = html.document_fromstring(text, parser=html.HTMLParser(remove_comments=True))
    except (etree.ParserError, ValueError):  # lxml's "Document is empty", or an encoding declaration in a str
        return None
    tables = document.xpath("//table")
    if not tables:
        return None
    table = tables[0]
    etree.strip_tags(table, *_SECTION_TAGS)
    for header_cell in table.iter("th"):
        header_cell.tag = "td"
    return table


def _to_node(element, structure_only: bool) -> _Node:
    if element.tag == "td":
        return _Node("td", _span(element, "colspan"), _span(element, "rowspan"),
                     [] if structure_only else _cell_tokens(element))
    children = [_to_node(child, structure_only) for child in element if isinstance(child.tag, str)]
    return _Node(element.tag, children=children)


def _span(cell, attribute: str) -> int:
    """colspan/rowspan as an integer; a missing or unreadable value is 1, as a browser reads it."""
    found = _LEADING_INTEGER.match(cell.get(attribute, "1"))
    return int(found.group(1)) if found and int(found.group(1)) > 0 else 1


def _cell_tokens(cell) -> list[str]:
    """The cell's characters and inner tags, as PubTabNet's `tokenize` (the cell's own tags and tail left out)."""
    tokens = list(cell.text or "")
    for child in cell:
        tokens += _markup_tokens(child)
    return tokens


def _markup_tokens(element) -> list[str]:
    if not isinstance(element.tag, str):  # a processing instruction: only its tail is text
        return list(element.tail or "")
    tokens = [f"<{element.tag}>", *(element.text or "")]
    for child in element:
        tokens += _markup_tokens(child)
    return tokens + [f"</{element.tag}>", *(element.tail or "")]
