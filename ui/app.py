"""Builds the Gradio Blocks app from a config and a model pool."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from backends.pool import ModelPool
from core.battles.session import BattleArena
from core.battles.votes import VotesStore
from core.exports import ExportFolder
from ui.arena import ArenaTab
from ui.battle_tab import BattleTab
from ui.benchmark_tab import BenchmarkTab
from ui.chat_side_by_side import SideBySideChat
from ui.chat_tab import ChatTab
from ui.fields_tab import FieldsTab
from ui.leaderboard_tab import LeaderboardTab
from ui.model_choices import StatusSignal
from ui.models_panel import ModelsPanel
from ui.i18n import gradio_translations
from ui.server_upkeep import ServerUpkeep

CSS = """
#arena-columns .model-column { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px; }
/* Table headers and cells wrap between words only, never inside one ("з/а/г/р/у/з/к/а", "0.0/20"): a long
   message wraps whole, and a table wider than the page scrolls inside its own frame. */
.table-wrap th, .table-wrap th *, .table-wrap td, .table-wrap td * { word-break: normal !important;
  overflow-wrap: normal !important; hyphens: none !important; }
/* Below ~1000 px the charts stand one above another: side by side, their legends overlap. */
@media (max-width: 1000px) {
  .chart-row, .row:has(> #bench-pareto) { flex-direction: column !important; }
  .chart-row > *, .row:has(> #bench-pareto) > * { width: 100% !important; min-width: 0 !important; }
}
"""


@dataclass
class ArenaApp:
    blocks: gr.Blocks
    i18n: gr.I18n
    pool: ModelPool
    exports: ExportFolder
    battles: BattleArena
    upkeep: ServerUpkeep

    def close(self) -> None:
        self.upkeep.stop()
        self.blocks.close()
        self.exports.remove()

    def launch(self, **kwargs):
        """`Blocks.launch` with the app's translations and styling; the cache upkeep runs while it serves."""
        max_mb = self.pool.config.app.max_upload_mb
        self.upkeep.start()  # before launch, which may block; the first sweep is a minute away
        return self.blocks.queue(max_size=64).launch(i18n=self.i18n, css=CSS, footer_links=["api", "gradio"],
                                                     max_file_size=f"{max_mb:g}mb", **kwargs)


def build_app(pool: ModelPool, forced_language: str = "auto") -> ArenaApp:
    i18n = gr.I18n(**gradio_translations(forced_language))
    exports = ExportFolder()
    store = VotesStore(pool.config.app.votes_db_path())  # battle votes and chat answers' ratings
    battles = BattleArena(pool, store)
    with gr.Blocks(title="OCR & VLM Arena") as blocks:
        # Every tab redraws its model marks on one signal (ui/model_choices.py).
        shared = (pool, forced_language, i18n, exports, StatusSignal())
        gr.Markdown(i18n("ar_title"))
        gr.Markdown(i18n("ar_intro"))
        with gr.Tabs():
            with gr.Tab(i18n("ar_tab_arena"), id="arena"):
                arena = ArenaTab(*shared)
                arena.build()
                ModelsPanel(*shared, battles=battles).build()
            with gr.Tab(i18n("ar_tab_chat"), id="chat"):
                ChatTab(*shared).build(arena.picker.document, arena.picker.page)
                with gr.Accordion(i18n("chat_sbs"), open=True):
                    gr.Markdown(i18n("chat_sbs_intro"))
                    SideBySideChat(*shared, store=store).build()
            with gr.Tab(i18n("ar_tab_fields"), id="fields"):
                gr.Markdown(i18n("fields_intro"))
                FieldsTab(*shared).build()
            with gr.Tab(i18n("ar_tab_benchmark"), id="benchmark"):
                gr.Markdown(i18n("bench_intro"))
                BenchmarkTab(*shared).build()
            with gr.Tab(i18n("ar_tab_battle"), id="battle"):
                BattleTab(*shared, arena=battles).build()
            with gr.Tab(i18n("ar_tab_leaderboard"), id="leaderboard") as leaderboard_tab:
                leaderboard = LeaderboardTab(*shared, store=store)
                leaderboard.build()
            # Ratings are recomputed on each visit: new votes show without pressing Refresh.
            leaderboard_tab.select(leaderboard.leaderboard, inputs=leaderboard.filters(),
                                   outputs=leaderboard.outputs(), api_visibility="private")
    return ArenaApp(blocks, i18n, pool, exports, battles, ServerUpkeep(blocks, exports, pool))
