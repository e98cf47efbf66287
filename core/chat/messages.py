"""The single chat's history as Gradio keeps it (a list of role/content messages): its document, the turns a model
is shown, and notices (a refusal or a missing document), which are assistant messages marked with a title.

A notice never counts as an answer and never stacks: asking again does not repeat the notice already shown.
"""
from __future__ import annotations

NOTICE_MARK = "⚠"  # starts the title of every message that is not the model's own answer (notices, errors)


class Refusal(Exception):
    """A question that is not sent (the model cannot chat, there is no document, ...): the chat says why, in the
    conversation or beside it, and leaves the conversation and the question as they were."""


def _parts(message: dict) -> list[dict]:
    """A chat message's content as parts, whichever form Gradio or an API client used."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, dict):
        if "path" in content:
            return [{"type": "file", "file": content}]
        return [content]
    return list(content or [])


def message_text(message: dict) -> str:
    return "".join(p.get("text", "") for p in _parts(message) if p.get("type") == "text")


def message_file(message: dict) -> str | None:
    for part in _parts(message):
        if part.get("type") == "file":
            file = part.get("file") or {}
            return file.get("path") if isinstance(file, dict) else file
    return None


def document_of(history: list[dict]) -> str | None:
    """The conversation's document: the last file a user sent."""
    files = [message_file(m) for m in history if m.get("role") == "user"]
    return next((f for f in reversed(files) if f), None)


def question_answer_pairs(history: list[dict]) -> tuple[tuple[str, str], ...]:
    """The earlier turns for the model: each user question with the answer that followed it. Errors, notices and
    OCR outputs shown in the chat are not the model's answers, so those turns are left out."""
    pairs, question = [], None
    for message in history:
        title = (message.get("metadata") or {}).get("title")
        if message.get("role") == "user":
            asked = message_text(message)
            question = asked or question
        elif message.get("role") == "assistant" and question is not None:
            if not title:
                pairs.append((question, message_text(message)))
            question = None
    return tuple(pairs)


def notice(title: str, body: str) -> dict:
    """An assistant message that is not an answer: marked ⚠ in its title."""
    return {"role": "assistant", "content": body, "metadata": {"title": f"{NOTICE_MARK} {title}"}}


def is_notice(message: dict) -> bool:
    return message.get("role") == "assistant" and str((message.get("metadata") or {}).get("title") or "").startswith(
        NOTICE_MARK)


def with_notice(history: list[dict], title: str, body: str) -> list[dict]:
    """The conversation with a notice at its end; the same notice already there is not repeated."""
    kept = list(history)
    while kept and is_notice(kept[-1]) and message_text(kept[-1]) == body:
        kept.pop()
    return [*kept, notice(title, body)]
