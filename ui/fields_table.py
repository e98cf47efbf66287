"""The Fields tab's tables as shown: headers in the page's language, each model's value with its marks beside it
(a script correction, look-alike letters, mixed-script words), and the cells tinted by what they say.

The run keeps the plain values (core/fields/run.py: the CSV and the JSON export); only what is shown here gets
the badges, so a value that prints like the truth but is scored 0 always says why.
"""
from __future__ import annotations

import pandas as pd

from core.fields.marks import Mark
from core.fields.run import FieldsRun
from ui.i18n import text

DISAGREE_STYLE = "background-color: #fde2e1"
FORMAT_STYLE = "background-color: #ffe8b3; font-weight: 600"
LOOKALIKE_STYLE = "background-color: #ece3ff"  # violet: a look-alike problem, not a misread
CORRECTED_STYLE = "background-color: #e1f0ff"  # blue: the value was corrected; the badge says from what
COLUMN_KEYS = {"page": "fields_col_page", "field": "fields_col_field", "label": "fields_col_label",
               "agree": "fields_col_agree", "format_failed": "fields_col_format_failed", "truth": "fields_col_truth",
               "model": "fields_col_model", "accuracy": "fields_col_accuracy"}


def badge(mark: Mark, lang: str) -> str:
    """One mark in words, e.g. "⟲ read as «TATAPCTAH TATARSTAN»…"."""
    if mark.kind == "lookalike":
        return text(lang, f"fields_mark_lookalike_{mark.detail}")
    return text(lang, f"fields_mark_{mark.kind}").format(detail=mark.detail)


def translated_headers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The frame with its own columns' headers in `lang`; model names and field keys stay as they are."""
    return frame.rename(columns={c: text(lang, COLUMN_KEYS[c]) for c in frame.columns if c in COLUMN_KEYS})


def _page_of(run: FieldsRun, frame: pd.DataFrame, row) -> int:
    return int(frame.at[row, "page"]) if "page" in frame.columns else run.page_records[0]["page"]


def shown_fields(run: FieldsRun, lang: str):
    """The side-by-side table as shown: disagreeing rows (≠) tinted, values failing their format in bold amber
    (`format_failed` says whose), look-alike and corrected values tinted with their badges below the value."""
    table = run.table()
    models = list(run.names.values())
    shown = table.copy().astype(object)
    styles = pd.DataFrame("", index=table.index, columns=table.columns)
    for row in table.index:
        page = _page_of(run, table, row)
        agree = table.at[row, "agree"]
        if agree is not None and agree == False:  # noqa: E712 (a numpy bool after concatenating pages)
            styles.loc[row, models] = DISAGREE_STYLE
        for model in models:
            marks = run.marks.get((page, table.at[row, "field"], model), [])
            if marks:
                shown.at[row, model] = "\n".join([str(table.at[row, model])] + [badge(m, lang) for m in marks])
                kinds = {m.kind for m in marks}
                styles.at[row, model] = LOOKALIKE_STYLE if kinds - {"corrected"} else CORRECTED_STYLE
        failed = [m.strip() for m in str(table.at[row, "format_failed"] or "").split(",") if m.strip()]
        for model in failed:
            if model in styles.columns:
                styles.at[row, model] = FORMAT_STYLE
    shown["agree"] = [{True: "✓", False: "≠"}.get(v, "") for v in table["agree"]]
    shown, styles = translated_headers(shown, lang), translated_headers(styles, lang)
    return shown.style.apply(lambda _: styles, axis=None).format(na_rep="—")


def shown_scores(run: FieldsRun, lang: str) -> pd.DataFrame:
    """Accuracy per model (rounded when scored), headers in `lang`."""
    return translated_headers(run.scores(), lang)
