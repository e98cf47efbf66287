"""What every tab shares: the pool it runs models through, its language, and how often streams re-render."""
from __future__ import annotations

import uuid

import gradio as gr

from backends.pool import ModelPool
from core.exports import ExportFolder
from ui.i18n import request_language
from ui.model_choices import StatusSignal

UI_UPDATE_INTERVAL_S = 0.15  # streaming text is batched: each yield re-renders every output


class Tab:
    """A tab of the app. Subclasses build their widgets in `build` and wire their events there."""

    def __init__(self, pool: ModelPool, forced_language: str, i18n: gr.I18n, exports: ExportFolder | None = None,
                 status: StatusSignal | None = None):
        self.pool = pool
        self.config = pool.config
        self.forced_language = forced_language
        self.i18n = i18n
        self.exports = exports
        self._status = status

    @property
    def status_signal(self) -> StatusSignal:
        """The app's model-status signal (ui/model_choices.py); a tab built on its own makes its own."""
        if self._status is None:
            self._status = StatusSignal()
        return self._status

    def language(self, request: gr.Request | None) -> str:
        """The language of this browser's session: forced by --lang, else the browser's own."""
        return request_language(request, self.forced_language)

    def selected_models(self, models: list[str] | None) -> list[str]:
        """The ticked keys this config knows, in the order ticked."""
        return [k for k in (models or []) if self.config.find(k) is not None]


def reviewer_of(request: gr.Request | None, browser_id: str | None) -> str:
    """The --auth user name; else this browser's own anonymous id; else (API clients) the session's."""
    if request is not None and getattr(request, "username", None):
        return str(request.username)
    if browser_id:
        return f"anon-{browser_id}"
    session = getattr(request, "session_hash", None) if request is not None else None
    return f"anon-{session or uuid.uuid4().hex[:12]}"
