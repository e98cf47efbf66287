"""The single chat's conversations put aside while another is on screen: one per model, document and page, so that
switching the model or the page brings back the conversation about the document on screen, never one about an
older document, and the turns about one page never mix with another page's."""
from __future__ import annotations

from core.chat.messages import document_of
from core.documents import is_pdf

Thread = tuple[str, str, str]  # (model key, document, page)


def thread_key(model: str, document: str | None, page: str | None) -> Thread:
    """The key a conversation is kept under; an image has one page, a PDF the page chosen."""
    return model, document or "", (page or "1") if document and is_pdf(document) else "1"


def shown_as(current) -> tuple[str, str | None] | None:
    """The (model, page) the conversation on screen is about, as the chat keeps it (or a bare model key)."""
    if not current:
        return None
    return (current, None) if isinstance(current, str) else (current[0], current[1])


def swap(threads: dict[Thread, list[dict]] | None, on_screen: list[dict] | None, current, model: str,
         page: str | None) -> tuple[list[dict], dict[Thread, list[dict]]]:
    """Put the conversation on screen aside under the model and page it is about (`current`), and bring back
    `model`'s conversation about the same document on `page`, or start one on that document.
    Returns (the conversation to show, the conversations put aside)."""
    threads = dict(threads or {})
    on_screen = list(on_screen or [])
    document = document_of(on_screen)
    before = shown_as(current)
    if before:
        threads[thread_key(before[0], document, before[1])] = on_screen
    restored = threads.get(thread_key(model, document, page))
    if restored is None:
        restored = [{"role": "user", "content": {"path": document}}] if document else []
    return list(restored), threads
