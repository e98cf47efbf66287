"""The model pool: lazy loading, warm reuse, per-model timeouts and failure isolation.

Every front end (arena, chat, battle, benchmark CLI) runs models through `ModelPool.run` or `run_many`.
Neither ever raises for a model's failure: a broken, missing or hung model becomes a `Result` with a
status and a message, and the other models carry on.
"""
from __future__ import annotations

import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import psutil

from backends import registry
from backends.base import Availability, Box, Engine, EngineOutput, OcrRequest, Status
from backends.config import ArenaConfig, ModelEntry


@dataclass
class Metrics:
    load_s: float | None = None  # time spent loading for this request; 0.0 when the model was warm
    warm: bool = False
    latency_s: float | None = None  # from the request reaching the loaded engine to its final output
    first_token_s: float | None = None  # only for engines that stream text
    output_tokens: int | None = None
    tokens_per_s: float | None = None
    chars: int = 0
    memory_mb: dict[str, float] = field(default_factory=dict)  # labelled figures, e.g. {"RSS (app process)": 512.0}


@dataclass
class Result:
    key: str
    name: str
    status: Status
    text: str = ""
    message: str = ""
    boxes: list[Box] = field(default_factory=list)
    cut: bool = False
    metrics: Metrics = field(default_factory=Metrics)


@dataclass
class Progress:
    """A model's state while it works: `loading`, or `running` with the text streamed so far."""

    key: str
    phase: str
    text: str = ""


Event = Progress | Result


@dataclass
class _Slot:
    """One loaded engine and the lock that serialises its requests. Dropped whole when an engine hangs."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    engine: Engine | None = None
    load_s: float | None = None


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


class ModelPool:
    def __init__(
        self,
        config: ArenaConfig,
        create_engine: Callable[[ModelEntry], Engine] = registry.create_engine,
        check_availability: Callable[[ModelEntry], Availability] = registry.availability,
    ):
        self.config = config
        self._create_engine = create_engine
        self._check_availability = check_availability
        self._slots: dict[str, _Slot] = {}
        self._slots_guard = threading.Lock()

    # ----- lifecycle -----
    def _slot(self, key: str) -> _Slot:
        with self._slots_guard:
            return self._slots.setdefault(key, _Slot())

    def _forget(self, key: str, slot: _Slot) -> None:
        """Detach a slot (after a timeout) so the next request gets a fresh engine and a free lock."""
        with self._slots_guard:
            if self._slots.get(key) is slot:
                del self._slots[key]

    def _is_current(self, key: str, slot: _Slot) -> bool:
        with self._slots_guard:
            return self._slots.get(key) is slot

    def availability(self, key: str) -> Availability:
        try:
            return self._check_availability(self.config.get(key))
        except Exception as exc:  # a broken availability check must not take the UI down
            return Availability(False, f"status check failed: {exc}")

    def loaded_keys(self) -> list[str]:
        with self._slots_guard:
            return [k for k, s in self._slots.items() if s.engine is not None]

    def unload(self, key: str) -> bool:
        with self._slots_guard:
            slot = self._slots.pop(key, None)
        if slot is None or slot.engine is None:
            return False
        with slot.lock:
            engine, slot.engine = slot.engine, None
            engine.unload()
        return True

    def close(self) -> None:
        for key in self.loaded_keys():
            self.unload(key)

    # ----- running -----
    def run(self, key: str, request: OcrRequest) -> Iterator[Event]:
        """Run one model in the calling thread. Yields Progress events, then exactly one Result."""
        try:
            entry = self.config.get(key)
        except KeyError as exc:
            yield Result(key, key, Status.UNAVAILABLE, message=str(exc.args[0]))
            return
        status = self.availability(key)
        if not status.ok:
            yield Result(key, entry.name, Status.UNAVAILABLE, message=status.message)
            return
        slot = self._slot(key)
        with slot.lock:
            metrics = Metrics(warm=slot.engine is not None, load_s=0.0)
            if slot.engine is None:
                yield Progress(key, "loading")
                started = time.perf_counter()
                try:
                    engine = self._create_engine(entry)
                    engine.load()
                except Exception as exc:
                    yield Result(key, entry.name, Status.ERROR, message=f"failed to load: {_describe(exc)}")
                    return
                slot.engine, slot.load_s = engine, time.perf_counter() - started
                metrics.load_s = slot.load_s
            yield from self._generate(entry, slot.engine, request, metrics)
            if not self._is_current(key, slot):
                # This request outlived its timeout and the slot was dropped: free what it still holds.
                slot.engine.unload()
                slot.engine = None

    def _generate(self, entry: ModelEntry, engine: Engine, request: OcrRequest, metrics: Metrics) -> Iterator[Event]:
        yield Progress(entry.key, "running")
        text, output = "", None
        started = time.perf_counter()
        try:
            for item in engine.stream(request):
                if isinstance(item, EngineOutput):
                    output = item
                    break
                if metrics.first_token_s is None:
                    metrics.first_token_s = time.perf_counter() - started
                text += item
                yield Progress(entry.key, "running", text)
        except Exception as exc:
            metrics.latency_s = time.perf_counter() - started
            yield Result(entry.key, entry.name, Status.ERROR, text=text, message=_describe(exc), metrics=metrics)
            return
        metrics.latency_s = time.perf_counter() - started
        if output is None:
            yield Result(entry.key, entry.name, Status.ERROR, text=text, message="the engine ended without a result",
                         metrics=metrics)
            return
        metrics.chars = len(output.text)
        metrics.output_tokens = output.output_tokens
        if output.output_tokens and metrics.latency_s:
            metrics.tokens_per_s = output.output_tokens / metrics.latency_s
        metrics.memory_mb = {"RSS (app process)": round(_rss_mb(), 1), **output.extra.get("memory_mb", {})}
        yield Result(entry.key, entry.name, Status.OK, text=output.text, boxes=output.boxes, cut=output.cut,
                     metrics=metrics)

    def run_many(self, keys: Iterable[str], request: OcrRequest) -> Iterator[tuple[str, Event]]:
        """Run several models concurrently, each in its own thread and under its own timeout.

        Yields (key, event) as events arrive; every key ends with exactly one Result, including the keys
        whose model failed, was unavailable or ran past its timeout.
        """
        keys = list(dict.fromkeys(keys))
        events: queue.Queue[tuple[str, Event]] = queue.Queue()
        start = time.monotonic()
        deadlines = {k: start + (self.config.timeout_for(k) if k in self.config.keys() else 0) for k in keys}
        partial: dict[str, str] = {k: "" for k in keys}
        pending = set(keys)

        def work(key: str) -> None:
            try:
                for event in self.run(key, request):
                    events.put((key, event))
            except Exception as exc:  # run() guards engines; this catches bugs in the pool itself
                events.put((key, Result(key, key, Status.ERROR, message=_describe(exc))))

        for key in keys:
            threading.Thread(target=work, args=(key,), name=f"model-{key}", daemon=True).start()

        while pending:
            wait = max(0.0, min(deadlines[k] for k in pending) - time.monotonic())
            try:
                key, event = events.get(timeout=wait)
            except queue.Empty:
                now = time.monotonic()
                for key in [k for k in pending if deadlines[k] <= now]:
                    pending.discard(key)
                    yield key, self._timed_out(key, partial[key])
                continue
            if key not in pending:
                continue  # late events from a model that already timed out
            if isinstance(event, Progress):
                partial[key] = event.text
            else:
                pending.discard(key)
            yield key, event

    def _timed_out(self, key: str, text: str) -> Result:
        entry = self.config.get(key)
        with self._slots_guard:
            slot = self._slots.get(key)
        if slot is not None:
            # The hung thread keeps its engine and lock; the next request starts from a clean slot.
            self._forget(key, slot)
        seconds = self.config.timeout_for(key)
        return Result(key, entry.name, Status.TIMEOUT, text=text,
                      message=f"no result within {seconds:g} s (timeout_s in config.yaml); the model was reset")


def _describe(exc: BaseException) -> str:
    message = str(exc).strip() or traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"{type(exc).__name__}: {message}"
