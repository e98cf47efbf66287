"""The loaded-models panel: what the pool holds in memory, and an Unload button that shows what it freed."""
from __future__ import annotations

import gradio as gr

from backends.contracts.results import LoadedModel, UnloadReport
from backends.pool import ModelPool
from core.battles.session import BattleArena
from ui.i18n import memory_label, text
from ui.numbers import headed, localized, measure
from ui.tab import Tab


class ModelsPanel(Tab):
    def __init__(self, *args, battles: BattleArena | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.battles = battles  # its models must not be singled out (idle, busy) before their vote

    def build(self) -> None:
        i18n = self.i18n
        with gr.Accordion(i18n("ar_loaded"), open=False, elem_id="models-panel"):
            self.summary = gr.Markdown(elem_id="models-summary")
            self.table = gr.DataFrame(interactive=False, elem_id="models-loaded")
            with gr.Row():
                self.pick = gr.Dropdown(choices=[], label=i18n("ar_unload_pick"), elem_id="models-unload-pick")
                unload = gr.Button(i18n("ar_unload"), variant="stop", elem_id="models-unload")
                refresh = gr.Button(i18n("ar_loaded_refresh"), size="sm", elem_id="models-refresh")
            self.report = gr.Markdown(elem_id="models-unload-report")
            self.freed = gr.DataFrame(interactive=False, visible=False, elem_id="models-unload-freed")
        outputs = [self.summary, self.table, self.pick]
        # An unload or a refresh may change what can run (an unloaded model's status is checked again): every
        # model selector redraws its marks; and after any run or unload, this panel redraws itself.
        self.status_signal.announce(refresh.click(self.refresh, outputs=outputs, api_name="loaded_models"))
        self.status_signal.announce(unload.click(self.unload, inputs=[self.pick],
                                            outputs=[self.report, self.freed, *outputs], api_name="unload_model"))
        self.status_signal.redraw(self.refresh, inputs=[], outputs=outputs)

    def refresh(self, request: gr.Request = None):
        lang = self.language(request)
        blind = self.battles.awaiting_vote() if self.battles is not None else set()
        loaded = self.pool.loaded()
        shown = [m for m in loaded if m.key not in blind]  # a battle's models stay unnamed until its vote
        summary = loaded_summary(self.pool, shown, lang)
        if len(shown) < len(loaded):
            summary += "\n\n" + text(lang, "lm_blind")
        return (summary, loaded_frame(shown, lang),
                gr.update(choices=[m.key for m in shown], value=shown[0].key if shown else None))

    def unload(self, key: str | None, request: gr.Request = None):
        lang = self.language(request)
        if not key:
            return text(lang, "lm_none"), gr.update(visible=False), *self.refresh(request)
        report = self.pool.unload(key)
        if not report.unloaded:
            return text(lang, "lm_not_loaded").format(key=key), gr.update(visible=False), *self.refresh(request)
        return (unload_summary(report, lang), gr.update(value=freed_frame(report, lang), visible=True),
                *self.refresh(request))


def loaded_summary(pool: ModelPool, loaded: list[LoadedModel], lang: str) -> str:
    """The budget, what the loaded models hold by themselves (the sum of the rows), and the app's shared RSS."""
    used = sum(m.footprint_mb for m in loaded)
    summary = text(lang, "lm_budget").format(budget=measure(lang, pool.budget_mb, "mib"),
                                            used=measure(lang, used, "mib"))
    if not loaded:
        summary += " " + text(lang, "lm_none")
    label, app = pool.app_memory()
    return summary + "\n\n" + text(lang, "lm_app").format(shared=memory_label(lang, label),
                                                         app=measure(lang, app, "mib"))


def loaded_frame(loaded: list[LoadedModel], lang: str):
    """One row per loaded model: its own memory and what that figure counts, what the budget counts, idle, busy."""
    import pandas as pd

    columns = [text(lang, "col_key"), headed(lang, "lm_col_own", "mib"), text(lang, "lm_col_what"),
               headed(lang, "lm_col_budget", "mib"), text(lang, "col_idle_s"), text(lang, "col_busy")]
    rows = [[m.key, round(m.footprint_mb, 1), memory_label(lang, m.footprint_label) if m.footprint_label else "",
             round(m.memory_mb, 1), round(m.idle_s), text(lang, "yes" if m.busy else "no")] for m in loaded]
    return localized(pd.DataFrame(rows, columns=columns), lang, digits=1)


def unload_summary(report: UnloadReport, lang: str) -> str:
    """What the model held by itself, and the measured drop of the reading that says what the machine got back."""
    lines = [text(lang, "lm_unloaded").format(key=report.key)]
    if report.held_mb:
        label, held = next(iter(report.held_mb.items()))
        lines = [text(lang, "lm_unloaded_held").format(key=report.key, held=measure(lang, held, "mib"),
                                                        what=memory_label(lang, label))]
    freed = report.given_back_mb()
    if freed is not None:
        before = report.before_mb[report.given_back]
        lines.append(text(lang, "lm_given_back").format(
            reading=memory_label(lang, report.given_back), before=measure(lang, before, "mib", 1),
            after=measure(lang, report.after_mb.get(report.given_back, 0.0), "mib", 1),
            freed=measure(lang, freed, "mib", 1)))
    return " ".join(lines)


def freed_frame(report: UnloadReport, lang: str):
    """Each memory reading before and after the unload, so the user sees the memory come back."""
    import pandas as pd

    freed = report.freed_mb()
    return pd.DataFrame([{text(lang, "lm_reading"): memory_label(lang, label),
                          text(lang, "lm_before"): before, text(lang, "lm_after"): report.after_mb.get(label),
                          text(lang, "lm_freed"): freed[label]} for label, before in report.before_mb.items()])
