"""A conversation per model about one document: its turns, what the model is shown of them, and their JSON form.

A model's history holds only its own answers: the turns it answered itself (status "ok"). Errors, and the text an
OCR engine read for a question it cannot answer, stay in the transcript but are never fed back as answers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from backends.contracts.results import ModelResult, Status

OCR_READING = "ocr"  # the status of a turn where a model that cannot chat read the page instead of answering


@dataclass
class Turn:
    question: str
    answer: str = ""
    status: str = "ok"  # ok, error, timeout, unavailable, or OCR_READING
    message: str = ""  # why it failed
    first_token_s: float | None = None
    latency_s: float | None = None
    output_tokens: int | None = None
    tokens_per_s: float | None = None
    rating: int | None = None  # +1 or -1 from the reviewer
    code: str = ""  # why it failed, as a MessageCode (the UI translates it; `message` is the English detail)

    @classmethod
    def from_result(cls, question: str, result: ModelResult, answered: bool) -> "Turn":
        """The turn a finished result makes; `answered` is False for an OCR reading in place of a reply."""
        m = result.metrics
        status = result.status.value if result.status != Status.OK else ("ok" if answered else OCR_READING)
        return cls(question, result.text, status, result.message, _round(m.first_token_s), _round(m.latency_s),
                   m.output_tokens, _round(m.tokens_per_s, 1), code=result.code)

    @classmethod
    def from_json(cls, record: dict) -> "Turn":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


Conversations = dict[str, list[Turn]]  # model key -> its turns, oldest first


ENGLISH_LABELS = {"first_token": "first token", "latency": "latency"}
ENGLISH_UNITS = {"s": "s", "tokens_s": "tokens/s"}


def english_measure(value: float, unit: str, digits: int) -> str:
    return f"{value:.{digits}f} {ENGLISH_UNITS[unit]}"


def speed_parts(turn: Turn, labels: dict[str, str] = ENGLISH_LABELS,
                measure: Callable[[float, str, int], str] = english_measure) -> list[str]:
    """The turn's speed figures as short phrases ("latency 1.30 s"), in the words of `labels`; `measure` writes a
    figure with its unit ("s" or "tokens_s") and decimals, as the page's language does."""
    parts = []
    if turn.first_token_s is not None:
        parts.append(f"{labels['first_token']} {measure(turn.first_token_s, 's', 2)}")
    if turn.latency_s is not None:
        parts.append(f"{labels['latency']} {measure(turn.latency_s, 's', 2)}")
    if turn.tokens_per_s:
        parts.append(measure(turn.tokens_per_s, "tokens_s", 1))
    return parts


def history(turns: list[Turn]) -> tuple[tuple[str, str], ...]:
    """What the model is shown of its conversation: its own answered turns, as (question, answer)."""
    return tuple((t.question, t.answer) for t in turns if t.status == "ok")


def conversations_from_json(raw: dict | None) -> Conversations:
    """Conversations as an API client or the browser sends them back: {key: [turn objects]}."""
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise ValueError("conversations must be a JSON object: model key -> list of turns")
    return {str(key): [Turn.from_json(t) for t in turns or []] for key, turns in raw.items()}


def conversations_to_json(conversations: Conversations) -> dict:
    return {key: [asdict(turn) for turn in turns] for key, turns in conversations.items()}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
