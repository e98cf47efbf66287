"""The Leaderboard tab: ratings from the battles' votes with their intervals, beside accuracy and speed; filters,
the reviewers' weights, and the votes' export and import."""
from __future__ import annotations

import gradio as gr
import pandas as pd

from benchmarks.history import latest_cer
from core.battles.leaderboard import BOOTSTRAP_ROUNDS, Leaderboard, LeaderboardFilters, build_leaderboard
from core.battles.vote_records import VotesFileError
from core.battles.votes import VotesStore
from core.arena_run import ARENA_TASKS
from ui.i18n import text
from ui.numbers import measure
from ui.tab import Tab
from ui.toasts import error

ALL = ""  # the filter value that means "no filter"
SHOWN = {"rank": "col_rank", "name": "col_model", "rating": "col_rating", "ci": "col_ci", "battles": "col_battles",
         "win_rate": "col_win_rate", "cer": "col_cer_battles", "benchmark_cer": "col_cer_bench",
         "latency_median_s": "col_latency_median", "outages": "col_outages"}


class LeaderboardTab(Tab):
    def __init__(self, *args, store: VotesStore, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store

    def build(self) -> None:
        i18n = self.i18n
        gr.Markdown(i18n("lb_intro"))
        with gr.Row():
            self.task = gr.Dropdown([(i18n("lb_all"), ALL)] + [(i18n(f"task_{t}"), t) for t in ARENA_TASKS],
                                    value=ALL, label=i18n("lb_task"), elem_id="lb-task")
            # The languages of the voted documents, redrawn with each view; any other code may be typed (API too).
            self.language_filter = gr.Dropdown(self.language_choices(i18n("lb_all")), value=ALL,
                                               allow_custom_value=True, label=i18n("lb_language"),
                                               info=i18n("lb_language_info"), elem_id="lb-language")
            self.reviewer = gr.Textbox(label=i18n("lb_reviewer"), elem_id="lb-reviewer")
            self.since = gr.Textbox(label=i18n("lb_since"), elem_id="lb-since")
            self.until = gr.Textbox(label=i18n("lb_until"), elem_id="lb-until")
        with gr.Row():
            self.ties = gr.Checkbox(True, label=i18n("lb_ties"), elem_id="lb-ties")
            self.refresh_button = gr.Button(i18n("lb_refresh"), variant="primary", elem_id="lb-refresh")
        self.summary = gr.Markdown(elem_id="lb-summary")
        self.table = gr.DataFrame(label=i18n("lb_table"), interactive=False, elem_id="lb-table")
        with gr.Row():
            self.heatmap = gr.Plot(label=i18n("lb_heatmap"), elem_id="lb-heatmap")
            self.scatter = gr.Plot(label=i18n("lb_rating_latency"), elem_id="lb-rating-latency")
        self.reviewers = gr.DataFrame(label=i18n("lb_reviewers"), interactive=False, elem_id="lb-reviewers")
        with gr.Accordion("JSON", open=False):
            self.info = gr.JSON(elem_id="lb-json")
        with gr.Row():
            self.export_button = gr.Button(i18n("lb_export"), elem_id="lb-export-button")
            self.exported = gr.File(label=i18n("lb_export"), file_count="multiple", interactive=False,
                                    elem_id="lb-export")
            self.upload = gr.File(label=i18n("lb_import"), file_types=[".jsonl", ".json"], type="filepath",
                                  elem_id="lb-import")
        self.import_status = gr.Markdown(elem_id="lb-import-status")
        self._wire()

    def filters(self) -> list:
        return [self.task, self.language_filter, self.reviewer, self.since, self.until, self.ties]

    def outputs(self) -> list:
        return [self.info, self.summary, self.table, self.heatmap, self.scatter, self.reviewers, self.language_filter]

    def language_choices(self, all_label) -> list[tuple]:
        """"all", then each language that the voted documents name ("mul (en,de)" names en and de)."""
        return [(all_label, ALL)] + [(code, code) for code in self.store.languages()]

    def _wire(self) -> None:
        self.refresh_button.click(self.leaderboard, inputs=self.filters(), outputs=self.outputs(),
                                  api_name="leaderboard")
        self.export_button.click(self.export, outputs=[self.exported], api_visibility="private")
        self.upload.upload(self.import_votes, inputs=[self.upload], outputs=[self.import_status],
                           api_visibility="private").then(self.leaderboard, inputs=self.filters(),
                                                           outputs=self.outputs(), api_visibility="private")

    def leaderboard(self, task: str | None = ALL, language: str | None = ALL, reviewer: str | None = "",
                    since: str | None = "", until: str | None = "", include_ties: bool = True,
                    request: gr.Request = None):
        """Ratings for the votes that match the filters (a language takes the documents that include it). The first
        output is a JSON object whose `models` lists key, rating, ci_low, ci_high, rank, battles, win_rate and cer
        for each model, best first; the last, the languages the votes' documents name."""
        lang = self.language(request)
        languages = gr.update(choices=self.language_choices(text(lang, "lb_all")))
        filters = LeaderboardFilters(task or None, language or None, (reviewer or "").strip() or None,
                                     since or None, until or None, bool(include_ties))
        try:
            board = build_leaderboard(self.store, self.config, filters, self._benchmark_cer())
        except ValueError as exc:  # a date that is not a date
            raise error(lang, str(exc)) from None
        if not board.models:
            return board.to_json(), text(lang, "lb_empty"), None, None, None, None, languages
        summary = text(lang, "lb_summary").format(votes=board.votes, models=len(board.models),
                                                  reviewers=len(board.reviewers), rounds=BOOTSTRAP_ROUNDS,
                                                  seconds=measure(lang, board.seconds, "s", 2))
        return (board.to_json(), summary, _table(board, lang), _heatmap(board), _rating_latency(board, lang),
                pd.DataFrame([{text(lang, "col_reviewer"): name, text(lang, "col_votes"): count}
                              for name, count in board.reviewers.items()]), languages)

    def _benchmark_cer(self) -> dict[str, float]:
        sets = [folder.name for folder in self.config.app.battle_document_folders()]
        return latest_cer(self.config.app.benchmark_history_path(), sets)

    def export(self):
        folder = self.exports.folder_for("votes")
        folder.mkdir(parents=True, exist_ok=True)
        jsonl, csv = folder / "votes.jsonl", folder / "votes.csv"
        self.store.export_jsonl(jsonl)
        self.store.export_csv(csv)
        return [str(jsonl), str(csv)]

    def import_votes(self, path: str | None, request: gr.Request = None):
        if not path:
            return ""
        try:
            added, skipped = self.store.import_jsonl(path)
        except VotesFileError as exc:
            raise error(self.language(request), str(exc)) from None
        return text(self.language(request), "lb_imported").format(added=added, skipped=skipped)


def _table(board: Leaderboard, lang: str) -> pd.DataFrame:
    rows = [{**m, "ci": f"{m['ci_low']:.0f} … {m['ci_high']:.0f}"} for m in board.models]
    frame = pd.DataFrame(rows, columns=list(SHOWN))
    return frame.rename(columns={column: text(lang, key) for column, key in SHOWN.items()})


def _heatmap(board: Leaderboard):
    import plotly.graph_objects as go

    names = {m["key"]: m["name"] for m in board.models}
    rates = board.win_rates
    fig = go.Figure(go.Heatmap(z=rates.values, x=[names[k] for k in rates.columns], y=[names[k] for k in rates.index],
                               zmin=0, zmax=1, colorscale="RdBu", texttemplate="%{text}",
                               text=[["" if pd.isna(v) else f"{v:.2f}" for v in row] for row in rates.values]))
    fig.update_layout(height=420, margin=dict(l=40, r=20, t=20, b=40), yaxis=dict(autorange="reversed"))
    return fig


def _rating_latency(board: Leaderboard, lang: str):
    import plotly.graph_objects as go

    shown = [m for m in board.models if m["latency_median_s"] is not None]
    fig = go.Figure(go.Scatter(
        x=[m["latency_median_s"] for m in shown], y=[m["rating"] for m in shown], mode="markers+text",
        text=[m["name"] for m in shown], textposition="top center",
        error_y=dict(type="data", symmetric=False, array=[m["ci_high"] - m["rating"] for m in shown],
                     arrayminus=[m["rating"] - m["ci_low"] for m in shown])))
    fig.update_layout(height=420, margin=dict(l=40, r=20, t=20, b=40),
                      xaxis_title=text(lang, "col_latency_median"), yaxis_title=text(lang, "col_rating"))
    return fig
