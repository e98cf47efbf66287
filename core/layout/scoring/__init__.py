"""Layout scoring as OmniDocBench and olmOCR-bench score document parsers: text edit distance with markup
stripped, table TEDS, reading-order edit distance, olmOCR page tests, and OmniDocBench's Overall."""
from core.layout.scoring.layout_scores import LayoutScores, LayoutTruth, page_text, score_layout
from core.layout.scoring.matching import box_iou, match_elements, reading_order_distance, reading_orders
from core.layout.scoring.page_test_records import PageTest
from core.layout.scoring.page_tests import TestOutcome, load_page_tests, pass_rate, run_page_tests
from core.layout.scoring.table_html import markdown_table_to_html, table_html
from core.layout.scoring.teds import teds
from core.layout.scoring.text import strip_markup, text_edit_distance

__all__ = ["LayoutScores", "LayoutTruth", "PageTest", "TestOutcome", "box_iou", "load_page_tests",
           "markdown_table_to_html", "match_elements", "page_text", "pass_rate", "reading_order_distance",
           "reading_orders", "run_page_tests", "score_layout", "strip_markup", "table_html", "teds",
           "text_edit_distance"]
