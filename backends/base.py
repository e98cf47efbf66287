"""The types every engine and front end share: one request in, text deltas and one final output back."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterator

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
class OcrRequest:
    image: Image.Image
    task: str = "ocr"
    prompt: str | None = None
    # Earlier turns of a chat about this image, as (question, answer) pairs; the image belongs to the first.
    history: tuple[tuple[str, str], ...] = ()
    # The image as engines send it over HTTP, by format: encoded once per request, shared by every model in a run.
    encoded: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class EngineOutput:
    """What an engine returns at the end of a run. `output_tokens` is None for engines without tokens."""

    text: str
    boxes: list[Box] = field(default_factory=list)
    output_tokens: int | None = None
    cut: bool = False  # the engine stopped early (token limit, repetition, broken stream)
    # JSON-able extras: "memory_mb" {label: MB}, "details" {label: text} shown in the column (device, attention…)
    extra: dict[str, Any] = field(default_factory=dict)


class Status(str, Enum):
    OK = "ok"
    ERROR = "error"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Availability:
    """Whether a model can run here, and if not, what the user should do about it."""

    ok: bool
    reason: str = ""
    hint: str = ""

    @property
    def message(self) -> str:
        return f"{self.reason} {self.hint}".strip()


class Engine:
    """An engine instance bound to one config entry.

    Subclasses keep their module-level imports light (no torch, onnxruntime or cv2): heavy libraries are
    imported in `load`, so the app starts fast and only pays for the engines a user actually runs.
    """

    # True for clients of a server that batches concurrent requests (vLLM): the pool then lets several
    # requests run at once instead of one after another.
    parallel_requests = False

    def __init__(self, key: str, options: Any):
        self.key = key
        self.options = options

    @classmethod
    def from_entry(cls, entry: Any, options: Any, *, memory_budget_mb: float | None = None) -> "Engine":
        """The engine for a config entry. `memory_budget_mb` is the pool's, for engines that size a reservation
        from it (vLLM's KV cache on a CPU)."""
        return cls(entry.key, options)

    @classmethod
    def availability(cls, entry: Any) -> Availability:
        return Availability(ok=True)

    def load(self) -> None:
        """Load weights or start the engine. Called once by the pool, before the first request."""

    def stream(self, request: OcrRequest) -> Iterator[str | EngineOutput]:
        """Yield text deltas as they are produced, then exactly one EngineOutput."""
        raise NotImplementedError

    def load_progress(self) -> str:
        """What a long `load` is doing now (e.g. "starting the server: 40 s"), read from another thread."""
        return ""

    def unload(self) -> None:
        """Release what `load` took. The pool drops its reference afterwards."""

    def healthy(self) -> bool:
        """False once the engine cannot serve another request (its worker process died); the pool reloads it."""
        return True

    def cancel(self) -> None:
        """Abandon the request in flight, from another thread (after a timeout). No-op where impossible."""

    def process_readings(self) -> dict[str, float]:
        """Labelled memory of the processes the engine runs outside the app (a worker, a server), in MB."""
        return {}

    def memory_mb(self) -> float | None:
        """What the loaded model holds (VRAM on a GPU, RAM otherwise), for the pool's memory budget."""
        return None


def conversation(history: tuple[tuple[str, str], ...], prompt: str) -> list[tuple[str, str]]:
    """A chat as (role, text) turns: the earlier questions and answers, then this prompt. Engines attach the
    image to the first user turn."""
    turns = []
    for question, answer in history:
        turns += [("user", question), ("assistant", answer)]
    return turns + [("user", prompt)]
