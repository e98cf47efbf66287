"""Pieces of report.html: its style, its tables, and the plotly.js file beside it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.report_strings import column
from core.numbers import rounded

# plotly.js (4.6 MB) is written once beside report.html instead of inside it: the report stays small and still
# opens with no internet. A report copied without it says so where its charts would be.
PLOTLY_JS = "plotly.min.js"
HTML_STYLE = """body{font-family:sans-serif;margin:2em;max-width:1500px} .wide{overflow-x:auto}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left;white-space:nowrap} th{white-space:nowrap}
td.message{text-align:left;min-width:20em}
#no-plotly{color:#a40;font-weight:bold}"""


def write_plotly_js(out: Path) -> Path:
    path = out / PLOTLY_JS
    if not path.exists():
        from plotly.offline import get_plotlyjs

        path.write_text(get_plotlyjs(), encoding="utf-8")
    return path


def html_table(frame: pd.DataFrame, lang: str = "en", digits: int = 4) -> str:
    """A table that fits: in a scrolling box, headers and numbers in `lang` (at most `digits` decimals), blanks for
    missing values (None as well as NaN)."""
    shown = frame.astype(object).where(frame.notna(), "")
    shown = shown.map(lambda v: rounded(lang, v, digits) if isinstance(v, float) else v)
    shown = shown.rename(columns=lambda name: column(lang, name))
    return f'<div class="wide">{shown.to_html(index=False, escape=True)}</div>'
