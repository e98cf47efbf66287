"""Engine and pool messages as a user reads them: a translated summary of the message's code, then the engine's
English detail.

The backends stay language-free: an Availability or a failed ModelResult carries a `code`
(backends.contracts.results.MessageCode) and an English text. In English the text is shown as it is (it already
says what the summary would); in another language the summary comes first, so the user knows what happened even
when the detail (a path, a command, an exception) stays in English:
"Веса не скачаны — weights not downloaded (Qwen/Qwen3-VL-4B-Instruct). Run: python launch.py download qwen3_vl_4b".
Every place that shows such a message goes through here.
"""
from __future__ import annotations

from typing import Iterable

from backends.contracts.results import Availability, MessageCode, ModelResult
from ui.i18n import text

CODES = frozenset(MessageCode.__members__.values())
UNSUPPORTED_STATE = "unsupported"  # a column's state when its model does not offer the task


def _language(lang: str) -> str:
    return lang if lang in ("en", "ru") else "en"


def summary(lang: str, code: str) -> str:
    """The code's short phrase ("weights not downloaded"), for a selector's label; "not ready" for no known code."""
    return text(_language(lang), f"msg_{code}" if code in CODES else "msg_not_ready")


def message_text(lang: str, code: str, detail: str) -> str:
    """A message in the user's language: the English detail in English; elsewhere "Summary — detail"."""
    lang = _language(lang)
    if code not in CODES or (lang == "en" and detail):
        return detail
    phrase = summary(lang, code)
    head = phrase[:1].upper() + phrase[1:]
    return f"{head} — {detail}" if detail else head


def availability_text(lang: str, status: Availability) -> str:
    """Why a model cannot run here, and what to run; empty when it can."""
    return "" if status.ok else message_text(lang, status.code, status.message)


def result_text(lang: str, result: ModelResult) -> str:
    """Why a model's request ended without text; empty for a result without a message."""
    return message_text(lang, result.code, result.message) if result.message or result.code else ""


def state_of(status: str, code: str) -> str:
    """A finished request's state as shown: a model without the task is "not supported", not "unavailable"."""
    return UNSUPPORTED_STATE if code == MessageCode.TASK_UNSUPPORTED else status


def state_label(lang: str, status: str, code: str = "") -> str:
    """The translated word for a request's state (its Status value, or "queued", "loading", ...)."""
    state = state_of(status, code)
    return text(_language(lang), "msg_state_unsupported" if state == UNSUPPORTED_STATE else f"st_{state}")


def failure_lines(lang: str, failures: Iterable[tuple[str, str, str, str]]) -> str:
    """A Markdown list of failed requests, one line per model and message: (name, status, code, message) each;
    empty when nothing failed."""
    lines = dict.fromkeys(f"- **{name}** ({state_label(lang, status, code)}): {message_text(lang, code, message)}"
                          for name, status, code, message in failures)
    return "\n".join([text(_language(lang), "msg_failures"), *lines]) if lines else ""
