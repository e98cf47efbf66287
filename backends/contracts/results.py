"""What the pool reports back: a model's progress while it works, then one ModelResult with its metrics."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from backends.contracts.requests import Box


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


@dataclass
class Metrics:
    load_s: float | None = None  # time spent loading for this request; 0.0 when the model was warm
    warm: bool = False
    latency_s: float | None = None  # from the request reaching the loaded engine to its final output
    first_token_s: float | None = None  # only for engines that stream text
    output_tokens: int | None = None
    tokens_per_s: float | None = None
    chars: int = 0
    input_tokens: int | None = None
    memory_mb: dict[str, float] = field(default_factory=dict)  # labelled figures, e.g. {"RSS (app process)": 512.0}


@dataclass
class ModelResult:
    key: str
    name: str
    status: Status
    text: str = ""
    message: str = ""
    boxes: list[Box] = field(default_factory=list)
    cut: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    details: dict[str, str] = field(default_factory=dict)  # how the model ran: device, attention, evictions…


@dataclass
class Progress:
    """A model's state while it works: `loading` (with what the load is doing), or `running` with the text
    streamed so far."""

    key: str
    phase: str
    text: str = ""
    note: str = ""


Event = Progress | ModelResult


@dataclass
class LoadedModel:
    key: str
    memory_mb: float
    busy: bool
    idle_s: float


@dataclass
class UnloadReport:
    """Memory before and after an unload, per labelled reading, as proof that it was given back."""

    key: str
    unloaded: bool
    before_mb: dict[str, float] = field(default_factory=dict)
    after_mb: dict[str, float] = field(default_factory=dict)

    def freed_mb(self) -> dict[str, float]:
        return {k: round(self.before_mb[k] - self.after_mb.get(k, 0.0), 1) for k in self.before_mb}
