"""What goes into an engine (one page and a task) and what comes out of it (text deltas, then one EngineOutput)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class Box:
    """A recognised line: an axis-aligned box in image pixels, its text and the engine's confidence (0..1)."""

    x0: int
    y0: int
    x1: int
    y1: int
    text: str
    confidence: float


@dataclass
class PageRequest:
    image: Image.Image
    task: str = "ocr"
    prompt: str | None = None
    # Earlier turns of a chat about this image, as (question, answer) pairs; the image belongs to the first.
    history: tuple[tuple[str, str], ...] = ()
    # The image as engines send it over HTTP, by format: encoded once per request, shared by every model in a run.
    encoded: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # The CPU threads this run may use, set by the pool when models share the cores; None: the engine's default.
    cpu_threads: int | None = None


@dataclass
class EngineOutput:
    """What an engine returns at the end of a run. `output_tokens` is None for engines without tokens."""

    text: str
    boxes: list[Box] = field(default_factory=list)
    output_tokens: int | None = None
    cut: bool = False  # the engine stopped early (token limit, repetition, broken stream)
    # JSON-able extras: "memory_mb" {label: MB}, "details" {label: text} shown in the column (device, attention…)
    extra: dict[str, Any] = field(default_factory=dict)


def conversation(history: tuple[tuple[str, str], ...], prompt: str) -> list[tuple[str, str]]:
    """A chat as (role, text) turns: the earlier questions and answers, then this prompt. Engines attach the
    image to the first user turn."""
    turns = []
    for question, answer in history:
        turns += [("user", question), ("assistant", answer)]
    return turns + [("user", prompt)]
