"""How the arena shows a run: each model's column (header, metrics line, diff), the comparison table and the
model status table."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from backends.contracts.results import ModelResult, Status
from backends.pool import ModelPool
from core.arena_run import ArenaRun
from ui.i18n import memory_label, text

# Symbols that DejaVu has, so they render on a bare Linux box too (colour emoji often do not).
STATUS_ICONS = {"queued": "…", "loading": "…", "running": "…", "ok": "✓", "error": "✗", "unavailable": "⚠",
                "timeout": "✗"}


@dataclass
class ModelColumn:
    """The components of one model's column. One exists per configured model; unselected ones are hidden."""

    key: str
    name: str
    column: gr.Column
    header: gr.Markdown
    text: gr.Textbox
    metrics: gr.Markdown
    diff: gr.HighlightedText

    def components(self) -> list:
        """What a run updates. Visibility is left to the model selector: layout updates are costly per yield."""
        return [self.header, self.text, self.metrics, self.diff]


def diff_colours(lang: str) -> dict[str, str]:
    """The diff legend in the run's language (the legend lists every colour-map key)."""
    return {text(lang, "diff_missing"): "red", text(lang, "diff_extra"): "green"}


def header_cell(name: str, state: str, lang: str, cut: bool = False, note: str = "") -> str:
    label = text(lang, f"st_{state}") + (f" · {text(lang, 'st_cut')}" if cut else "")
    # A long load (a server starting) says what it is doing; engines report it in English.
    note = f"\n\n<small>{note}</small>" if note else ""
    return f"### {name}\n{STATUS_ICONS.get(state, '')} {label}{note}"


def metrics_line(result: ModelResult, lang: str) -> str:
    m = result.metrics
    parts = []
    if m.load_s is not None:
        parts.append(f"{text(lang, 'm_warm')}" if m.warm else f"{text(lang, 'm_load')} {m.load_s:.2f} s")
    if m.latency_s is not None:
        parts.append(f"{text(lang, 'm_latency')} {m.latency_s:.2f} s")
    if result.status == Status.OK:
        parts.append(f"{m.chars:,} {text(lang, 'm_chars')}")
        if result.boxes:
            parts.append(f"{len(result.boxes)} {text(lang, 'm_lines')}")
    if m.first_token_s is not None:
        parts.append(f"{text(lang, 'm_first_token')} {m.first_token_s:.2f} s")
    if m.output_tokens is not None:
        parts.append(f"{m.output_tokens:,} {text(lang, 'm_tokens')}")
    if m.tokens_per_s:
        parts.append(f"{m.tokens_per_s:.1f} {text(lang, 'm_tokens_s')}")
    parts += [f"{memory_label(lang, label)} {value:,.0f} MiB" for label, value in m.memory_mb.items()]
    lines = [" · ".join(parts)]
    # How the model ran (device, attention, processor, evictions): engines report these in English.
    lines += [f"{memory_label(lang, label)}: {value}" for label, value in result.details.items()]
    if result.message:
        lines.append(f"**{result.message}**")
    return "\n\n".join(lines)


def result_cells(column: ModelColumn, result: ModelResult, lang: str) -> list[str]:
    """A finished model's header, text and metrics line."""
    return [header_cell(column.name, result.status.value, lang, result.cut), result.text, metrics_line(result, lang)]


def comparison_table(run: ArenaRun, lang: str, element_counts: dict[str, str] | None = None) -> pd.DataFrame:
    """The comparison table shown in the UI, with headers in the user's language. `element_counts` (a Layout
    run): each model's layout elements per category."""
    columns = {"model": "col_model", "status": "col_status", "load_s": "col_load_s", "latency_s": "col_latency_s",
               "chars": "col_chars", "tokens_per_s": "col_tokens_s", "memory_mb": "col_memory"}
    if run.has_truth:
        columns |= {"cer": "col_cer", "wer": "col_wer"}
    if element_counts:
        columns["elements"] = "col_elements"
    columns["message"] = "col_message"
    rows = [{**row, "elements": (element_counts or {}).get(row["key"], "")} for row in run.rows()]
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["status"] = [text(lang, f"st_{s}") for s in frame["status"]]
    return frame.rename(columns={k: text(lang, v) for k, v in columns.items()})


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
                     text(lang, "col_message"): status.message or m.notes})
    return pd.DataFrame(rows)
