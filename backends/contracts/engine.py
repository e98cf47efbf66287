"""The engine base: what an engine does (load, stream, unload) and the hooks through which it tells the rest of the
arena what it needs (packages, memory, a worker process, checks on a selection of models)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict

from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import Availability
from backends.contracts.schema import ModelEntry


class FreeOptions(BaseModel):
    """Options of an engine that declares none: whatever the entry says, kept as it is."""

    model_config = ConfigDict(extra="allow")


class Engine:
    """An engine instance bound to one config entry, and, through its class methods, what the engine needs.

    Subclasses keep their module-level imports light (no torch, onnxruntime or cv2): heavy libraries are
    imported in `load`, so the app starts fast and only pays for the engines a user actually runs.
    """

    Options: type[BaseModel] = FreeOptions  # the `options:` of a config entry, validated once when config is read
    requires: tuple[str, ...] = ()  # Python packages this interpreter needs (checked with find_spec)
    reads_weights = False  # True: the model loads weight files (something to download, a footprint to estimate)
    # True for clients of a server that batches concurrent requests (vLLM): the pool then lets several
    # requests run at once instead of one after another.
    parallel_requests = False

    def __init__(self, key: str, options: Any):
        self.key = key
        self.options = options

    # ----- hooks: what the engine tells the rest of the arena, before any instance exists -----
    @classmethod
    def options_for(cls, entry: ModelEntry) -> BaseModel:
        return entry.engine_options(cls.Options)

    @classmethod
    def from_entry(cls, entry: ModelEntry, options: Any, *, memory_budget_mb: float | None = None) -> "Engine":
        """The engine for a config entry. `memory_budget_mb` is the pool's, for engines that size a reservation
        from it (vLLM's KV cache on a CPU)."""
        return cls(entry.key, options)

    @classmethod
    def availability(cls, entry: ModelEntry) -> Availability:
        """Can the model run here (its packages are checked before this)? Cheap: nothing heavy is imported."""
        return Availability(ok=True)

    @classmethod
    def installed(cls, entry: ModelEntry) -> tuple[bool, str]:
        """(installed, note) for `launch.py list`, for engines whose software lives outside `requires`."""
        return True, ""

    @classmethod
    def needs_worker(cls, entry: ModelEntry) -> bool:
        """True when the engine must run in a worker process of its own whatever the entry asks."""
        return False

    @classmethod
    def shares_cpu_cores(cls, entry: ModelEntry, on_gpu: bool) -> bool:
        """True when a run computes on this machine's cores with a thread pool of its own (torch on the CPU).
        Such models get a share of the cores when several run at once, and a worker process each unless the
        entry says `isolate: false`: in one process they would contend for the interpreter lock."""
        return False

    @classmethod
    def worker_python(cls, entry: ModelEntry) -> Path | None:
        """The interpreter for the engine's worker process; None: the app's own."""
        return None

    @classmethod
    def expected_memory_mb(cls, entry: ModelEntry, on_gpu: bool) -> float | None:
        """What a loaded model will hold, for the memory budget; None when it cannot be told."""
        return None

    @classmethod
    def selection_refusals(cls, entries: list[ModelEntry], on_gpu: bool) -> dict[str, str]:
        """Model key -> why it cannot run beside these other models of this engine, selected together."""
        return {}

    # ----- the engine at work -----
    def load(self) -> None:
        """Load weights or start the engine. Called once by the pool, before the first request."""

    def stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
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
