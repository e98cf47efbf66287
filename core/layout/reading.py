"""A model's layout reply read the way that model writes it, and scored against a page's layout ground truth."""
from __future__ import annotations

from backends.contracts.schema import ModelEntry
from core.dataset import DatasetItem
from core.layout.elements import ParsedLayout
from core.layout.parsers import parse_layout
from core.layout.resize import resize_rule_for
from core.layout.scoring import LayoutScores, LayoutTruth, load_page_tests


def read_layout(entry: ModelEntry, reply: str, page_size: tuple[int, int]) -> ParsedLayout:
    """`reply` parsed by the entry's `layout_format` (plain Markdown when unset), boxes on the original page."""
    return parse_layout(reply, entry.layout_format or "markdown", page_size, resize_rule_for(entry))


def layout_truth(item: DatasetItem) -> LayoutTruth | None:
    """The item's layout ground truth and page tests, or None when it has neither."""
    if item.gt_layout is None and not item.gt_tests:
        return None
    return LayoutTruth(elements=list(item.gt_layout or []), tests=load_page_tests(item.gt_tests or []))


def layout_columns(scores: LayoutScores | None) -> dict[str, float | None]:
    """The benchmark's result columns for one page's layout scores (all None when there is nothing to score)."""
    if scores is None:
        return dict.fromkeys(LAYOUT_COLUMNS)
    return {"layout_overall": scores.overall, "layout_text_ed": scores.text_edit_distance,
            "table_teds": scores.table_teds, "table_teds_s": scores.table_teds_structure,
            "reading_order_ed": scores.reading_order_distance, "page_tests_passed": scores.page_tests_passed}


LAYOUT_COLUMNS = ("layout_overall", "layout_text_ed", "table_teds", "table_teds_s", "reading_order_ed",
                  "page_tests_passed")
