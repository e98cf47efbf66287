"""One question to several models about the same page: each answers concurrently, continuing its own conversation."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult, Progress
from backends.pool import ModelPool
from core.chat.conversations import Conversations, Turn, history


@dataclass
class Round:
    """One question to several models. `capped` are the models whose conversation is full: they were not asked."""

    question: str
    keys: list[str]
    capped: list[str] = field(default_factory=list)
    live: dict[str, str] = field(default_factory=dict)  # key -> the answer so far
    asked_at: dict[str, int] = field(default_factory=dict)  # key -> how many turns its conversation held when asked

    def answered(self, key: str, turns: list[Turn]) -> bool:
        """Whether `key`'s answer to this round is in `turns` yet: a turn more than when it was asked (the same
        question asked twice is still two rounds)."""
        return len(turns) > self.asked_at.get(key, len(turns))


def can_chat(pool: ModelPool, key: str) -> bool:
    return "chat" in pool.config.get(key).tasks


def ask(pool: ModelPool, image: Image.Image, encoded: dict[str, str], question: str, keys: list[str],
        conversations: Conversations, max_turns: int) -> Iterator[Round]:
    """Ask every model in `keys`; yields the round as answers stream. When it ends, each asked model's new turn is
    at the end of its conversation. `encoded` is the page's encoding cache, kept across turns so that the image is
    encoded once per document, not once per question. A model that cannot chat reads the page instead (a turn
    marked as an OCR reading, never fed back to it as an answer)."""
    current = Round(question, list(keys))
    current.capped = [k for k in keys if len(conversations.get(k, [])) >= max_turns]
    current.asked_at = {k: len(conversations.get(k, [])) for k in keys}
    asked = [k for k in keys if k not in current.capped]
    requests = {k: _request(pool, k, image, encoded, question, conversations.get(k, [])) for k in asked}
    if not asked:
        yield current
        return
    for key in asked:  # conversations keep the order the models were ticked in, not the order they finished in
        conversations.setdefault(key, [])
    for key, event in pool.run_many(asked, requests[asked[0]], per_key=requests):
        if isinstance(event, Progress):
            current.live[key] = event.text
        elif isinstance(event, ModelResult):
            current.live[key] = event.text
            conversations.setdefault(key, []).append(Turn.from_result(question, event, can_chat(pool, key)))
        yield current


def _request(pool: ModelPool, key: str, image: Image.Image, encoded: dict[str, str], question: str,
             turns: list[Turn]) -> PageRequest:
    if can_chat(pool, key):
        return PageRequest(image, task="chat", prompt=question, history=history(turns), encoded=encoded)
    return PageRequest(image, task="ocr", encoded=encoded)
