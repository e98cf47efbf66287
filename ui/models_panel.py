"""The loaded-models panel: what the pool holds in memory, and an Unload button that shows what it freed."""
from __future__ import annotations

import gradio as gr

from backends.contracts.results import UnloadReport
from ui.i18n import memory_label, text
from ui.tab import Tab


class ModelsPanel(Tab):
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
        import pandas as pd

        lang = self.language(request)
        loaded = self.pool.loaded()
        used = sum(m.memory_mb for m in loaded)
        summary = text(lang, "lm_budget").format(budget=f"{self.pool.budget_mb:,.0f}", used=f"{used:,.0f}")
        if not loaded:
            summary += " " + text(lang, "lm_none")
        rows = [{text(lang, "col_key"): m.key, text(lang, "col_memory_est"): round(m.memory_mb, 1),
                 text(lang, "col_idle_s"): round(m.idle_s), text(lang, "col_busy"): text(lang, "yes" if m.busy else "no")}
                for m in loaded]
        keys = [m.key for m in loaded]
        return summary, pd.DataFrame(rows), gr.update(choices=keys, value=keys[0] if keys else None)

    def unload(self, key: str | None, request: gr.Request = None):
        lang = self.language(request)
        if not key:
            return text(lang, "lm_none"), gr.update(visible=False), *self.refresh(request)
        report = self.pool.unload(key)
        if not report.unloaded:
            return text(lang, "lm_not_loaded").format(key=key), gr.update(visible=False), *self.refresh(request)
        return (text(lang, "lm_unloaded").format(key=key), gr.update(value=freed_frame(report, lang), visible=True),
                *self.refresh(request))


def freed_frame(report: UnloadReport, lang: str):
    """Each memory reading before and after the unload, so the user sees the memory come back."""
    import pandas as pd

    freed = report.freed_mb()
    return pd.DataFrame([{text(lang, "lm_reading"): memory_label(lang, label),
                          text(lang, "lm_before"): before, text(lang, "lm_after"): report.after_mb.get(label),
                          text(lang, "lm_freed"): freed[label]} for label, before in report.before_mb.items()])
