"""Transcripts of chats: each model's conversation, or a whole side-by-side session, as Markdown and as JSON."""
from __future__ import annotations

from datetime import datetime, timezone

from core.chat.conversations import OCR_READING, Conversations, conversations_to_json, speed_parts


def transcript_json(document: str, page: str, conversations: Conversations, names: dict[str, str]) -> dict:
    return {"document": document, "page": page, "exported_at": _now(),
            "models": [{"key": key, "name": names.get(key, key), "turns": turns}
                       for key, turns in conversations_to_json(conversations).items()]}


def transcript_markdown(document: str, page: str, conversations: Conversations, names: dict[str, str]) -> str:
    lines = [f"# Chat about {document} (page {page})", "", f"Exported {_now()}.", ""]
    for key, turns in conversations.items():
        lines += [f"## {names.get(key, key)} (`{key}`)", ""]
        for number, turn in enumerate(turns, start=1):
            lines += [f"**Q{number}.** {turn.question}", ""]
            label = {"ok": "A", OCR_READING: "OCR reading (this model cannot chat)"}.get(turn.status,
                                                                                       f"{turn.status}")
            body = turn.answer if turn.status in ("ok", OCR_READING) else turn.message
            lines += [f"**{label}{number if label == 'A' else ''}.** {body}", "", _metrics(turn), ""]
    return "\n".join(lines).rstrip() + "\n"


def _metrics(turn) -> str:
    parts = speed_parts(turn) + (["rated good" if turn.rating > 0 else "rated poor"] if turn.rating else [])
    return f"<small>{' · '.join(parts)}</small>" if parts else ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
