"""Toasts with their titles in the page's language: Gradio titles them "Error", "Warning" and "Info" otherwise."""
from __future__ import annotations

import gradio as gr

from ui.i18n import text


def error(lang: str, message: str) -> gr.Error:
    """The error to raise: `raise error(lang, text(lang, "err_no_models"))`."""
    return gr.Error(message, title=text(lang, "err_title_error"))


def warning(lang: str, message: str) -> None:
    """Show a warning toast, and carry on."""
    gr.Warning(message, title=text(lang, "err_title_warning"))


def info(lang: str, message: str) -> None:
    gr.Info(message, title=text(lang, "err_title_info"))
