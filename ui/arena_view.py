"""How the arena shows a run: each model's column (header, metrics line, diff), the comparison table and the
model status table."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from backends.contracts.results import ModelResult, Status
from backends.pool import ModelPool
from core.arena_run import ArenaRun
from ui.diff_view import diff_html
from core.numbers import number
from ui.i18n import memory_label, text
from ui.messages import availability_text, message_text, result_text, state_label, state_of
from ui.numbers import counted, headed, measure

# Symbols that DejaVu has, so they render on a bare Linux box too (colour emoji often do not).
STATUS_ICONS = {"queued": "…", "loading": "…", "running": "…", "ok": "✓", "error": "✗", "unavailable": "⚠",
                "timeout": "✗", "unsupported": "–"}


@dataclass
class ModelColumn:
    """The components of one model's column. One exists per configured model; unselected ones are hidden."""

    key: str
    name: str
    column: gr.Column
    header: gr.Markdown
    text: gr.Textbox
    metrics: gr.Markdown
    diff: gr.HTML

    def components(self) -> list:
        """What a run updates. Visibility is left to the model selector: layout updates are costly per yield."""
        return [self.header, self.text, self.metrics, self.diff]


def header_cell(name: str, state: str, lang: str, cut: bool = False, note: str = "", code: str = "") -> str:
    """`code`: a failed result's MessageCode (a model without the task reads "not supported")."""
    label = state_label(lang, state, code) + (f" · {text(lang, 'st_cut')}" if cut else "")
    # A long load (a server starting) says what it is doing; engines report it in English.
    note = f"\n\n<small>{note}</small>" if note else ""
    return f"### {name}\n{STATUS_ICONS.get(state_of(state, code), '')} {label}{note}"


def metrics_line(result: ModelResult, lang: str) -> str:
    m = result.metrics
    parts = []
    if m.load_s is not None:
        parts.append(text(lang, "m_warm") if m.warm else f"{text(lang, 'm_load')} {measure(lang, m.load_s, 's', 2)}")
    if m.latency_s is not None:
        parts.append(f"{text(lang, 'm_latency')} {measure(lang, m.latency_s, 's', 2)}")
    if result.status == Status.OK:
        parts.append(counted(lang, m.chars, "m_chars"))
        if result.boxes:
            parts.append(counted(lang, len(result.boxes), "m_lines"))
    if m.first_token_s is not None:
        parts.append(f"{text(lang, 'm_first_token')} {measure(lang, m.first_token_s, 's', 2)}")
    if m.output_tokens is not None:
        parts.append(counted(lang, m.output_tokens, "m_tokens"))
    if m.tokens_per_s:
        parts.append(measure(lang, m.tokens_per_s, "tokens_s", 1))
    parts += [f"{memory_label(lang, label)} {measure(lang, value, 'mib')}" for label, value in m.memory_mb.items()]
    lines = [" · ".join(parts)]
    # How the model ran (device, attention, processor, evictions): engines report these in English.
    lines += [f"{memory_label(lang, label)}: {value}" for label, value in result.details.items()]
    if result.message:
        lines.append(f"**{result_text(lang, result)}**")
    return "\n\n".join(lines)


def result_cells(column: ModelColumn, result: ModelResult, lang: str) -> list[str]:
    """A finished model's header, text and metrics line."""
    return [header_cell(column.name, result.status.value, lang, result.cut, code=result.code), text_cell(result),
            metrics_line(result, lang)]


# The comparison table's columns: run row key -> (header key, unit, decimals; None for text). Headers take their
# units from the same keys as the metric lines (ui/numbers.py). Each column is rounded to what its figure can tell,
# and written as the language writes numbers; a missing value (a model that did not run, a figure an engine does
# not give) is blank.
TABLE_COLUMNS = {
    "model": ("tb_model", None, None),
    "status": ("tb_status", None, None),
    "load_s": ("tb_load", "s", 2),
    "latency_s": ("tb_latency", "s", 2),
    "chars": ("tb_chars", None, 0),
    "tokens_per_s": ("m_tokens_s", None, 1),
    "memory_mb": ("tb_memory", "mib", 0),
    "cer": ("tb_cer", None, 3),
    "cer_folded": ("tb_cer_folded", None, 3),
    "wer": ("tb_wer", None, 3),
    "elements": ("tb_elements", None, None),
    # A Layout run on a page with layout ground truth (core/layout/reading.py: layout_columns): blank otherwise.
    "layout_overall": ("tb_layout_overall", None, 1),
    "table_teds": ("tb_teds", None, 3),
    "reading_order_ed": ("tb_reading_order", None, 3),
    "page_tests_passed": ("tb_page_tests", None, 3),
    "message": ("tb_message", None, None),
}
LAYOUT_SCORE_COLUMNS = ("layout_overall", "table_teds", "reading_order_ed", "page_tests_passed")
ALWAYS_SHOWN = ("model", "status")


def table_rows(run: ArenaRun, lang: str, element_counts: dict[str, str] | None = None,
               layout_scores: dict[str, dict[str, float | None]] | None = None) -> list[dict[str, str]]:
    """The run's rows as shown: statuses translated, numbers rounded, blanks for what a model did not produce."""
    shown = []
    for row in run.rows():
        did_not_run = row["status"] != "ok" and not row["chars"]  # read nothing: not "0 characters"
        scores = (layout_scores or {}).get(row["key"], {})
        row = {**row, "status": state_label(lang, row["status"], row["code"]),
               "message": message_text(lang, row["code"], row["message"]),
               "chars": None if did_not_run else row["chars"],
               "elements": (element_counts or {}).get(row["key"], ""),
               **{key: scores.get(key) for key in LAYOUT_SCORE_COLUMNS}}
        shown.append({key: "" if row.get(key) in (None, "") else str(row[key]) if digits is None
                      else number(lang, row[key], digits) for key, (_, _, digits) in TABLE_COLUMNS.items()})
    return shown


def comparison_table(run: ArenaRun, lang: str, element_counts: dict[str, str] | None = None,
                     layout_scores: dict[str, dict[str, float | None]] | None = None) -> pd.DataFrame:
    """The comparison table shown in the UI, with short headers in the user's language and no empty columns.
    `element_counts` (a Layout run): each model's layout elements per category; `layout_scores` (a Layout run on a
    page with layout ground truth): each model's layout columns, as ui/arena_layout.py's `layout_scores` gives them."""
    rows = table_rows(run, lang, element_counts, layout_scores)
    keys = [key for key in TABLE_COLUMNS if key in ALWAYS_SHOWN or any(row[key] for row in rows)]
    frame = pd.DataFrame([[row[key] for key in keys] for row in rows], columns=keys)
    return frame.rename(columns={key: headed(lang, *TABLE_COLUMNS[key][:2]) for key in keys})


def status_frame(pool: ModelPool, lang: str) -> pd.DataFrame:
    """Every configured model: its engine, languages, and whether it can run here (and if not, why)."""
    lang = lang if lang != "auto" else "en"
    rows = []
    for m in pool.config.models:
        status = pool.availability(m.key)
        rows.append({text(lang, "col_key"): m.key, text(lang, "col_model"): m.name,
                     text(lang, "col_engine"): m.engine,
                     text(lang, "col_languages"): ", ".join(m.languages),
                     text(lang, "col_ready"): text(lang, "yes" if status.ok else "no"),
                     text(lang, "col_message"): availability_text(lang, status) or m.notes})
    return pd.DataFrame(rows)


def text_cell(result: ModelResult):
    """A finished model's text; a model that produced none (unavailable, failed) shows no empty text box."""
    if result.status != Status.OK and not result.text:
        return gr.update(value="", visible=False)
    return result.text


def diff_cell(run: ArenaRun, key: str, lang: str, mode: str | None):
    """A model's diff against the ground truth, shown only for a model that read the document."""
    result = run.results.get(key)
    if not run.has_truth or result is None or result.status != Status.OK:
        return gr.update(value="", visible=False)
    return gr.update(value=diff_html(run.ground_truth, run.scored_text(key), lang, mode or "words",
                                     title=text(lang, "ar_diff")), visible=True)
