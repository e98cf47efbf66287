"""The model pool: lazy loading, warm reuse, a memory budget, per-model timeouts and failure isolation.

Every front end (arena, chat, battle, benchmark CLI) runs models through `ModelPool.run` or `run_many`.
Neither ever raises for a model's failure: a broken, missing or hung model becomes a `Result` with a
status and a message, and the other models carry on. Loaded models stay warm until the memory budget
needs their room (least recently used first), the user unloads them, or their worker process dies.
"""
from __future__ import annotations

import functools
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from backends import memory, registry, weights
from backends.base import Availability, Box, Engine, EngineOutput, OcrRequest, Status
from backends.config import ArenaConfig, ModelEntry
from backends.vllm.shares import card_share_refusals


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
class Result:
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


Event = Progress | Result


@dataclass
class _Slot:
    """One loaded engine and the lock that serialises its requests. Dropped whole when an engine hangs."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    engine: Engine | None = None
    load_s: float | None = None
    footprint_mb: float = 0.0  # what the loaded model holds, counted against the budget
    last_used: float = 0.0
    in_flight: int = 0  # requests running outside the lock, on engines that take parallel requests

    def __post_init__(self) -> None:
        self.idle = threading.Condition(self.lock)  # notified when a parallel request ends

    def busy(self) -> bool:
        return self.lock.locked() or self.in_flight > 0


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


def _memory_readings(engine: Engine | None) -> dict[str, float]:
    readings = {memory.RSS_APP: round(memory.rss_mb(), 1)}
    allocated = memory.cuda_allocated_mb()
    if allocated is not None:
        readings["CUDA allocated (app process)"] = round(allocated, 1)
    if engine is not None:
        readings.update(engine.process_readings())
    return readings


class ModelPool:
    def __init__(
        self,
        config: ArenaConfig,
        create_engine: Callable[[ModelEntry], Engine] | None = None,
        check_availability: Callable[[ModelEntry], Availability] = registry.availability,
        estimate_memory: Callable[[ModelEntry], float | None] | None = None,
        on_gpu: bool | None = None,
    ):
        self.config = config
        self._check_availability = check_availability
        self.budget_mb = memory.memory_budget_mb(config.app.memory_budget_mb)
        self._create_engine = create_engine or functools.partial(registry.create_engine, memory_budget_mb=self.budget_mb)
        self.on_gpu = memory.cuda_total_mb() is not None if on_gpu is None else on_gpu
        self._estimate_memory = estimate_memory or (lambda entry: weights.expected_memory_mb(entry, self.on_gpu))
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

    def loaded(self) -> list[LoadedModel]:
        now = time.monotonic()
        with self._slots_guard:
            return [LoadedModel(k, s.footprint_mb, s.busy(), now - s.last_used)
                    for k, s in self._slots.items() if s.engine is not None]

    def unload(self, key: str) -> UnloadReport:
        """Unload a model (waiting for its request in flight) and report memory before and after."""
        with self._slots_guard:
            slot = self._slots.pop(key, None)
        if slot is None or slot.engine is None:
            return UnloadReport(key, False)
        with slot.lock:
            while slot.in_flight:
                slot.idle.wait()
            engine, slot.engine = slot.engine, None
            if engine is None:  # the request in flight found its slot dropped and freed the engine itself
                return UnloadReport(key, True, {}, _memory_readings(None))
            before = _memory_readings(engine)
            engine.unload()
            del engine
        return UnloadReport(key, True, before, _memory_readings(None))

    def close(self) -> None:
        for key in self.loaded_keys():
            self.unload(key)

    def _make_room(self, key: str, need_mb: float) -> list[str]:
        """Unload idle models, least recently used first, until `need_mb` fits the budget. Returns their keys."""
        evicted = []
        while True:
            with self._slots_guard:
                others = [(k, s) for k, s in self._slots.items() if k != key and s.engine is not None]
            used = sum(s.footprint_mb for _, s in others)
            if used + need_mb <= self.budget_mb:
                return evicted
            idle = sorted(((k, s) for k, s in others if not s.busy()), key=lambda ks: ks[1].last_used)
            if not idle:
                return evicted  # the rest are busy; they are not interrupted
            victim, victim_slot = idle[0]
            if victim_slot.lock.acquire(blocking=False):
                busy = victim_slot.in_flight > 0
                victim_slot.lock.release()
                if busy:
                    return evicted
                if self.unload(victim).unloaded:
                    evicted.append(victim)

    # ----- running -----
    def run(self, key: str, request: OcrRequest, abandoned: threading.Event | None = None) -> Iterator[Event]:
        """Run one model in the calling thread. Yields Progress events, then exactly one Result.

        `abandoned` is set by run_many when this request ran past its timeout; the engine it loaded or used
        is then unloaded at the end, even if the timeout struck before the slot existed.
        """
        abandoned = abandoned or threading.Event()
        try:
            entry = self.config.get(key)
        except KeyError as exc:
            yield Result(key, key, Status.UNAVAILABLE, message=str(exc.args[0]))
            return
        if request.task not in entry.tasks:
            yield Result(key, entry.name, Status.UNAVAILABLE, message=(
                f"this model does not offer the '{request.task}' task (its tasks: {', '.join(entry.tasks)})"))
            return
        status = self.availability(key)
        if not status.ok:
            yield Result(key, entry.name, Status.UNAVAILABLE, message=status.message)
            return
        slot = self._slot(key)
        with slot.lock:
            if abandoned.is_set():  # timed out while waiting for the lock: nobody reads this any more
                self._forget(key, slot)
                yield Result(key, entry.name, Status.TIMEOUT, message="abandoned before it started")
                return
            details: dict[str, str] = {}
            metrics = yield from self._ensure_loaded(entry, slot, details, abandoned)
            if metrics is None:
                return
            slot.last_used = time.monotonic()
            engine = slot.engine
            if not engine.parallel_requests:
                yield from self._generate(entry, engine, request, metrics, details)
                self._settle(key, slot, abandoned)
                return
            slot.in_flight += 1
        # A server batches concurrent requests itself (vLLM's continuous batching): they run outside the lock.
        try:
            yield from self._generate(entry, engine, request, metrics, details)
        finally:
            with slot.lock:
                slot.in_flight -= 1
                slot.idle.notify_all()
                if slot.in_flight == 0:
                    self._settle(key, slot, abandoned)

    def _ensure_loaded(self, entry: ModelEntry, slot: _Slot, details: dict[str, str],
                       abandoned: threading.Event) -> Iterator[Event]:
        """With the slot's lock held: load the model if it is not (yielding progress). Returns the request's
        Metrics, or None when a Result (an error, a refusal, a timeout) was yielded instead."""
        key = entry.key
        if slot.engine is not None and not slot.engine.healthy():
            # Its worker process died (a crash, the OOM killer): start a fresh one.
            slot.engine.unload()
            slot.engine = None
            details["restarted"] = "the previous worker process had died"
        metrics = Metrics(warm=slot.engine is not None, load_s=0.0)
        if slot.engine is not None:
            return metrics
        need = self._estimate_memory(entry) or 0.0
        if need > self.budget_mb:
            yield Result(key, entry.name, Status.UNAVAILABLE, message=(
                f"needs about {need:,.0f} MB, more than the memory budget of {self.budget_mb:,.0f} MB "
                "(app.memory_budget_mb in config.yaml)"))
            return None
        evicted = self._make_room(key, need)
        if evicted:
            details["evicted"] = f"unloaded {', '.join(evicted)} to stay within {self.budget_mb:,.0f} MB"
        yield Progress(key, "loading")
        started = time.perf_counter()
        try:
            engine = self._create_engine(entry)
            yield from _load_with_progress(key, engine)
        except Exception as exc:
            yield Result(key, entry.name, Status.ERROR, message=f"failed to load: {_describe(exc)}", details=details)
            return None
        if abandoned.is_set():  # timed out while loading: free it instead of keeping it warm
            self._forget(key, slot)
            engine.unload()
            yield Result(key, entry.name, Status.TIMEOUT, message="abandoned while loading")
            return None
        slot.engine, slot.load_s = engine, time.perf_counter() - started
        # A footprint declared in config wins (it can include activations); else what the engine holds.
        slot.footprint_mb = entry.memory_mb or engine.memory_mb() or need
        metrics.load_s = slot.load_s
        return metrics

    def _settle(self, key: str, slot: _Slot, abandoned: threading.Event) -> None:
        """With the slot's lock held, after its last request in flight ended."""
        slot.last_used = time.monotonic()
        if slot.engine is not None and (abandoned.is_set() or not self._is_current(key, slot)):
            # This request outlived its timeout: drop the slot and free what it still holds.
            self._forget(key, slot)
            slot.engine.unload()
            slot.engine = None

    def _generate(self, entry: ModelEntry, engine: Engine, request: OcrRequest, metrics: Metrics,
                  details: dict[str, str]) -> Iterator[Event]:
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
            yield Result(entry.key, entry.name, Status.ERROR, text=text, message=_describe(exc), metrics=metrics,
                         details=details)
            return
        metrics.latency_s = time.perf_counter() - started
        if output is None:
            yield Result(entry.key, entry.name, Status.ERROR, text=text, message="the engine ended without a result",
                         metrics=metrics, details=details)
            return
        metrics.chars = len(output.text)
        metrics.output_tokens = output.output_tokens
        metrics.input_tokens = output.extra.get("input_tokens")
        # Engines that time their first token themselves see it before the detokenizer releases any text.
        metrics.first_token_s = output.extra.get("first_token_s") or metrics.first_token_s
        if output.output_tokens and metrics.latency_s:
            metrics.tokens_per_s = output.output_tokens / metrics.latency_s
        metrics.memory_mb = {memory.RSS_APP: round(memory.rss_mb(), 1), **output.extra.get("memory_mb", {})}
        yield Result(entry.key, entry.name, Status.OK, text=output.text, boxes=output.boxes, cut=output.cut,
                     metrics=metrics, details={**output.extra.get("details", {}), **details})

    def run_many(self, keys: Iterable[str], request: OcrRequest,
                 per_key: dict[str, OcrRequest] | None = None) -> Iterator[tuple[str, Event]]:
        """Run several models concurrently, each in its own thread and under its own timeout. `per_key` gives
        some models a request of their own (e.g. a JSON prompt for VLMs, plain OCR for the others).

        Yields (key, event) as events arrive; every key ends with exactly one Result, including the keys
        whose model failed, was unavailable or ran past its timeout.
        """
        keys = list(dict.fromkeys(keys))
        refused = self._refuse_over_card(keys)
        for key, result in refused.items():
            yield key, result
        keys = [k for k in keys if k not in refused]
        events: queue.Queue[tuple[str, Event]] = queue.Queue()
        start = time.monotonic()
        deadlines = {k: start + (self.config.timeout_for(k) if k in self.config.keys() else 0) for k in keys}
        partial: dict[str, str] = {k: "" for k in keys}
        abandoned = {k: threading.Event() for k in keys}
        pending = set(keys)

        def work(key: str) -> None:
            try:
                for event in self.run(key, (per_key or {}).get(key, request), abandoned[key]):
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
                    abandoned[key].set()
                    yield key, self._timed_out(key, partial[key])
                continue
            if key not in pending:
                continue  # late events from a model that already timed out
            if isinstance(event, Progress):
                partial[key] = event.text
            else:
                pending.discard(key)
            yield key, event

    def _refuse_over_card(self, keys: list[str]) -> dict[str, Result]:
        """vLLM models reserve their share of the GPU at start: a selection whose shares exceed the card is
        refused up front, naming the models to deselect, instead of failing one server start at a time.
        On a CPU there is no card to share."""
        if not self.on_gpu:
            return {}
        entries = [self.config.get(k) for k in keys if k in self.config.keys()]
        refusals = card_share_refusals(entries)
        return {key: Result(key, self.config.get(key).name, Status.UNAVAILABLE, message=message)
                for key, message in refusals.items()}

    def _timed_out(self, key: str, text: str) -> Result:
        entry = self.config.get(key)
        with self._slots_guard:
            slot = self._slots.get(key)
        if slot is not None:
            # The hung thread keeps its engine and lock; the next request starts from a clean slot.
            self._forget(key, slot)
            if slot.engine is not None:
                slot.engine.cancel()  # stop generating (or kill its worker) so the thread ends and frees it
        seconds = self.config.timeout_for(key)
        return Result(key, entry.name, Status.TIMEOUT, text=text,
                      message=f"no result within {seconds:g} s (timeout_s in config.yaml); the model was reset")


def _load_with_progress(key: str, engine: Engine, poll_s: float = 0.5) -> Iterator[Progress]:
    """Run `engine.load()` in a helper thread, yielding what it reports (a server start takes minutes)."""
    failure: list[BaseException] = []

    def load() -> None:
        try:
            engine.load()
        except BaseException as exc:  # re-raised in the pool's thread below
            failure.append(exc)

    loader = threading.Thread(target=load, name=f"load-{key}", daemon=True)
    loader.start()
    shown = ""
    while loader.is_alive():
        loader.join(poll_s)
        note = engine.load_progress()
        if note and note != shown:
            shown = note
            yield Progress(key, "loading", note=note)
    if failure:
        raise failure[0]


def _describe(exc: BaseException) -> str:
    message = str(exc).strip() or traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"{type(exc).__name__}: {message}"
