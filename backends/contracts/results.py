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


class MessageCode(str, Enum):
    """Why a model cannot run here, or why its request ended without text: a short summary the UI translates.
    The backends stay language-free: the English `reason` / `message` beside a code is its detail, shown after
    the translated summary. Availability uses the first group; a failed ModelResult may carry any of them (an
    unavailable model's result carries its availability's code)."""

    # Availability: can the model run on this machine?
    ENGINE_MISSING = "engine_missing"  # the engine's Python packages (or vLLM) are not installed
    LANGUAGE_DATA_MISSING = "language_data_missing"  # Tesseract's tessdata, or a language in it
    ENV_MISSING = "env_missing"  # the model's own Python environment is not created
    ENV_STALE = "env_stale"  # that environment is out of date with its pins
    WEIGHTS_UNSET = "weights_unset"  # no `weights` in config.yaml
    WEIGHTS_MISSING = "weights_missing"  # the weights are not downloaded
    SERVER_MISSING = "server_missing"  # the server command (serve_command) is not found
    NO_ENDPOINT = "no_endpoint"  # no endpoint, or not an http(s) URL
    UNREACHABLE = "unreachable"  # nothing listens at the endpoint
    API_KEY_MISSING = "api_key_missing"  # the API key variable is not set
    UNKNOWN_MODEL = "unknown_model"  # no such key in config.yaml
    STATUS_CHECK_FAILED = "status_check_failed"  # the availability check itself raised
    # A request: why it ended without a result
    TASK_UNSUPPORTED = "task_unsupported"  # the model does not offer the request's task
    OVER_BUDGET = "over_budget"  # the model needs more memory than the budget
    SELECTION_REFUSED = "selection_refused"  # it cannot run beside the other selected models
    LOAD_FAILED = "load_failed"
    ENGINE_ERROR = "engine_error"  # the engine raised, or ended without a result
    TIMEOUT = "timeout"  # no result within timeout_s (or abandoned after it)

    # Written as its value wherever it goes (an f-string, a CSV cell), on every Python (enum.StrEnum is 3.11+).
    __str__ = str.__str__
    __format__ = str.__format__


@dataclass(frozen=True)
class Availability:
    """Whether a model can run here, and if not, what the user should do about it: `code` says why in a word
    the UI translates, `reason` and `hint` in English detail."""

    ok: bool
    reason: str = ""
    hint: str = ""
    code: str = ""  # a MessageCode when not ok; empty when ok

    def __post_init__(self):
        # A "no" without a known code would reach the user untranslated: refuse it where it is made.
        if not self.ok and self.code not in MessageCode.__members__.values():
            raise ValueError(f"an unavailable model needs a MessageCode, not {self.code!r}: {self.reason}")

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
    # Labelled figures, the model's own first, e.g. {"mem_load_delta": 96.0, "mem_app_shared": 1920.0}; labels are
    # stable keys the UI translates (backends/runtime/memory.py names them).
    memory_mb: dict[str, float] = field(default_factory=dict)
    footprint_label: str = ""  # which of those figures is the model's own footprint (empty: none is)
    footprint_mb: float | None = None


@dataclass
class ModelResult:
    key: str
    name: str
    status: Status
    text: str = ""
    message: str = ""  # why it failed, in English (the detail)
    code: str = ""  # why it failed, as a MessageCode (the UI translates it); empty for OK
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
    memory_mb: float  # what counts against the memory budget: declared in config, the engine's figure, or measured
    busy: bool
    idle_s: float
    own_mb: dict[str, float] = field(default_factory=dict)  # the model's own figures, labelled, most telling first

    @property
    def footprint_label(self) -> str:
        return next(iter(self.own_mb), "")

    @property
    def footprint_mb(self) -> float:
        """What this model holds by itself (0 when nothing could be measured)."""
        return next(iter(self.own_mb.values()), 0.0)


@dataclass
class UnloadReport:
    """Memory before and after an unload, per labelled reading, as proof that it was given back."""

    key: str
    unloaded: bool
    before_mb: dict[str, float] = field(default_factory=dict)
    after_mb: dict[str, float] = field(default_factory=dict)
    held_mb: dict[str, float] = field(default_factory=dict)  # the model's own figures just before (LoadedModel.own_mb)
    given_back: str = ""  # the reading whose drop is what the machine got back (the app's RSS, or the worker's)

    def freed_mb(self) -> dict[str, float]:
        return {k: round(self.before_mb[k] - self.after_mb.get(k, 0.0), 1) for k in self.before_mb}

    def given_back_mb(self) -> float | None:
        """The measured drop of `given_back`: before minus after (a process that ended gave back all of it)."""
        return self.freed_mb().get(self.given_back)
