"""ModelPool: the models' lives (load, keep warm, evict, unload) and their requests, one or several at once."""
from __future__ import annotations

import dataclasses
import functools
import queue
import threading
import time
from typing import Callable, Iterable, Iterator

from backends import registry
from backends.contracts.engine import Engine
from backends.contracts.requests import PageRequest
from backends.contracts.results import Availability, Event, LoadedModel, MessageCode, Metrics, ModelResult, Progress, \
    Status, UnloadReport
from backends.contracts.schema import ArenaConfig, ModelEntry
from backends.pool.availability import AvailabilityCache
from backends.pool.cpu_share import CpuShare
from backends.pool.engine_calls import describe, generate, load_with_progress
from backends.pool.slots import Residency, Slot
from backends.pool.timeouts import time_out, unknown_model
from backends.runtime import memory
from backends.runtime.native_heap import release_free_heap


class ModelPool:
    def __init__(
        self,
        config: ArenaConfig,
        create_engine: Callable[[ModelEntry], Engine] | None = None,
        check_availability: Callable[[ModelEntry], Availability] = registry.availability,
        estimate_memory: Callable[[ModelEntry], float | None] | None = None,
        on_gpu: bool | None = None,
        cpu_share: CpuShare | None = None,
    ):
        self.config = config
        self._availability = AvailabilityCache(check_availability)
        self.budget_mb = memory.memory_budget_mb(config.app.memory_budget_mb)
        self.on_gpu = memory.cuda_total_mb() is not None if on_gpu is None else on_gpu
        self._create_engine = create_engine or functools.partial(registry.create_engine, memory_budget_mb=self.budget_mb,
                                                                 on_gpu=self.on_gpu)
        self._estimate_memory = estimate_memory or (lambda entry: registry.expected_memory_mb(entry, self.on_gpu))
        # An unloaded model's availability is asked again: its weights or environment may have changed since.
        self._residency = Residency(self.budget_mb, on_unload=self._availability.forget)
        self._slots = self._residency.slots  # key -> Slot, read by the request path below
        self.cpu_share = cpu_share or CpuShare()

    # ----- lifecycle -----
    def availability(self, key: str) -> Availability:
        """Can the model run here? Checked once, then kept until its state changes (see AvailabilityCache)."""
        entry = self.config.find(key)
        if entry is None:
            return Availability(False, f"no model '{key}' in the config", code=MessageCode.UNKNOWN_MODEL)
        return self._availability.get(entry)

    def refresh_availability(self) -> None:
        """Check every model again (after installing an engine or downloading weights)."""
        self._availability.forget()

    def loaded_keys(self) -> list[str]:
        return self._residency.loaded_keys()

    def batches(self, key: str) -> bool:
        """Is the model loaded on an engine that takes concurrent requests at once (a server that batches them)?"""
        slot = self._residency.current(key)
        return slot is not None and slot.engine is not None and slot.engine.parallel_requests

    def loaded(self) -> list[LoadedModel]:
        return self._residency.loaded()

    def unload(self, key: str) -> UnloadReport:
        """Unload a model (waiting for its request in flight) and report memory before and after."""
        return self._residency.unload(key)

    def close(self) -> None:
        self._residency.close()

    @staticmethod
    def app_memory() -> tuple[str, float]:
        """(label, MiB) of the app process's RSS, which every in-process model shares."""
        return memory.APP_SHARED, round(memory.rss_mb(), 1)

    @staticmethod
    def give_back_free_memory() -> bool:
        """Return the C heap this process has freed to the system (after the app drops finished sessions, say);
        False where there is no glibc. Unloading a model already does this."""
        return release_free_heap()

    # ----- running -----
    def run(self, key: str, request: PageRequest, abandoned: threading.Event | None = None) -> Iterator[Event]:
        """Run one model in the calling thread. Yields Progress events, then exactly one ModelResult.

        `abandoned` is set by run_many when this request ran past its timeout; the engine it loaded or used
        is then unloaded at the end, even if the timeout struck before the slot existed.
        """
        entry = self.config.find(key)
        if entry is None:
            yield unknown_model(key)
            return
        shares = registry.shares_cpu_cores(entry, self.on_gpu)
        if shares:
            self.cpu_share.claim()
        try:
            yield from self._run_entry(entry, request, abandoned or threading.Event())
        finally:
            if shares:
                self.cpu_share.release()

    def _run_entry(self, entry: ModelEntry, request: PageRequest, abandoned: threading.Event) -> Iterator[Event]:
        key = entry.key
        if request.task not in entry.tasks:
            yield ModelResult(key, entry.name, Status.UNAVAILABLE, code=MessageCode.TASK_UNSUPPORTED, message=(
                f"this model does not offer the '{request.task}' task (its tasks: {', '.join(entry.tasks)})"))
            return
        status = self._availability.get(entry)
        if not status.ok:
            yield ModelResult(key, entry.name, Status.UNAVAILABLE, message=status.message, code=status.code)
            return
        slot = self._residency.slot(key)
        with slot.lock:
            if abandoned.is_set():  # timed out while waiting for the lock: nobody reads this any more
                self._residency.forget(key, slot)
                yield ModelResult(key, entry.name, Status.TIMEOUT, message="abandoned before it started",
                                  code=MessageCode.TIMEOUT)
                return
            details: dict[str, str] = {}
            metrics = yield from self._ensure_loaded(entry, slot, details, abandoned)
            if metrics is None:
                return
            metrics.memory_mb = dict(slot.load_mb)  # kept with the loaded model: every run shows it
            slot.last_used = time.monotonic()
            engine = slot.engine
            if registry.shares_cpu_cores(entry, self.on_gpu) and registry.runs_in_worker(entry, self.on_gpu):
                # Alone in its process, a model can take its share of the cores (in ours, threads are global).
                request = dataclasses.replace(request, cpu_threads=self.cpu_share.threads())
            if not engine.parallel_requests:
                with self._residency.gauge.running(engine):  # not while another model's load is measured
                    yield from generate(entry, engine, request, metrics, details)
                self._settle(key, slot, abandoned)
                return
            slot.in_flight += 1
        # A server batches concurrent requests itself (vLLM's continuous batching): they run outside the lock.
        try:
            yield from generate(entry, engine, request, metrics, details)
        finally:
            with slot.lock:
                slot.in_flight -= 1
                slot.idle.notify_all()
                if slot.in_flight == 0:
                    self._settle(key, slot, abandoned)

    def _ensure_loaded(self, entry: ModelEntry, slot: Slot, details: dict[str, str],
                       abandoned: threading.Event) -> Iterator[Event]:
        """With the slot's lock held: load the model if it is not (yielding progress). Returns the request's
        Metrics, or None when a ModelResult (an error, a refusal, a timeout) was yielded instead."""
        key = entry.key
        if slot.engine is not None and not slot.engine.healthy():
            # Its worker process died (a crash, the OOM killer): start a fresh one.
            slot.engine.unload()
            slot.engine = None
            self._availability.forget(key)
            details["restarted"] = "the previous worker process had died"
        metrics = Metrics(warm=slot.engine is not None, load_s=0.0)
        if slot.engine is not None:
            return metrics
        need = self._estimate_memory(entry) or 0.0
        if need > self.budget_mb:
            yield ModelResult(key, entry.name, Status.UNAVAILABLE, code=MessageCode.OVER_BUDGET, message=(
                f"needs about {need:,.0f} MB, more than the memory budget of {self.budget_mb:,.0f} MB "
                "(app.memory_budget_mb in config.yaml)"))
            return None
        evicted = self._residency.make_room(key, need)
        if evicted:
            details["evicted"] = f"unloaded {', '.join(evicted)} to stay within {self.budget_mb:,.0f} MB"
        yield Progress(key, "loading")
        started = time.perf_counter()
        try:
            engine = slot.loading = self._create_engine(entry)
            load_mb: dict[str, float] = {}
            yield from load_with_progress(key, engine, load=self._residency.gauge.loader(engine, load_mb))
        except Exception as exc:
            slot.loading = None
            self._availability.forget(key)  # what made the load fail may also change the answer (deleted weights)
            yield ModelResult(key, entry.name, Status.ERROR, message=f"failed to load: {describe(exc)}",
                              code=MessageCode.LOAD_FAILED, details=details)
            return None
        slot.loading = None
        if abandoned.is_set():  # timed out while loading: free it instead of keeping it warm
            self._residency.forget(key, slot)
            engine.unload()
            yield ModelResult(key, entry.name, Status.TIMEOUT, message="abandoned while loading",
                              code=MessageCode.TIMEOUT)
            return None
        slot.engine, slot.load_s = engine, time.perf_counter() - started
        # A footprint declared in config wins (it can include activations); else what the engine holds.
        slot.load_mb = load_mb
        slot.footprint_mb = entry.memory_mb or engine.memory_mb() or next(iter(slot.own_mb().values()), 0.0) or need
        metrics.load_s = slot.load_s
        return metrics

    def _settle(self, key: str, slot: Slot, abandoned: threading.Event) -> None:
        """With the slot's lock held, after its last request in flight ended."""
        slot.last_used = time.monotonic()
        if slot.engine is not None and (abandoned.is_set() or not self._residency.is_current(key, slot)):
            # This request outlived its timeout: drop the slot and free what it still holds.
            self._residency.forget(key, slot)
            slot.engine.unload()
            slot.engine = None

    def run_many(self, keys: Iterable[str], request: PageRequest,
                 per_key: dict[str, PageRequest] | None = None) -> Iterator[tuple[str, Event]]:
        """Run several models concurrently, each in its own thread and under its own timeout. `per_key` gives
        some models a request of their own (e.g. a JSON prompt for VLMs, plain OCR for the others).

        Yields (key, event) as events arrive; every key ends with exactly one ModelResult, including the keys
        whose model failed, was unavailable or ran past its timeout.
        """
        entries = {key: self.config.find(key) for key in dict.fromkeys(keys)}
        refusals = registry.selection_refusals([e for e in entries.values() if e is not None], self.on_gpu)
        for key, entry in entries.items():
            if entry is None or key in refusals:
                yield key, unknown_model(key) if entry is None else ModelResult(
                    key, entry.name, Status.UNAVAILABLE, message=refusals[key], code=MessageCode.SELECTION_REFUSED)
        entries = {k: e for k, e in entries.items() if e is not None and k not in refusals}
        events: queue.Queue[tuple[str, Event]] = queue.Queue()
        start = time.monotonic()
        deadlines = {k: start + self.config.timeout_for(k) for k in entries}
        partial: dict[str, str] = {k: "" for k in entries}
        abandoned = {k: threading.Event() for k in entries}
        pending = set(entries)
        on_cores = {k for k, e in entries.items() if registry.shares_cpu_cores(e, self.on_gpu)}
        self.cpu_share.claim(len(on_cores))  # all at once: the first model to start must not take every core

        def work(entry: ModelEntry) -> None:
            try:
                for event in self._run_entry(entry, (per_key or {}).get(entry.key, request), abandoned[entry.key]):
                    events.put((entry.key, event))
            except Exception as exc:  # _run_entry() guards engines; this catches bugs in the pool itself
                events.put((entry.key, ModelResult(entry.key, entry.name, Status.ERROR, message=describe(exc),
                                                              code=MessageCode.ENGINE_ERROR)))
            finally:
                if entry.key in on_cores:
                    self.cpu_share.release()

        for entry in entries.values():
            threading.Thread(target=work, args=(entry,), name=f"model-{entry.key}", daemon=True).start()

        while pending:
            wait = max(0.0, min(deadlines[k] for k in pending) - time.monotonic())
            try:
                key, event = events.get(timeout=wait)
            except queue.Empty:
                now = time.monotonic()
                for key in [k for k in pending if deadlines[k] <= now]:
                    pending.discard(key)
                    abandoned[key].set()
                    yield key, time_out(self.config, self._residency, key, partial[key])
                continue
            if key not in pending:
                continue  # late events from a model that already timed out
            if isinstance(event, Progress):
                partial[key] = event.text
            else:
                pending.discard(key)
            yield key, event

    def run_timed(self, key: str, request: PageRequest) -> Iterator[Event]:
        """One model in the calling thread, under its timeout: for a caller that is already a thread per request
        (the load benchmark's senders), where run_many's thread and queue would add a thread switch per stream
        chunk, CPU that a server on the same cores would use. The timeout is checked as each event arrives, so an
        engine blocked past it (a silent server) is timed out when it next yields: at the latest after its read
        timeout. Ends, like run_many, with exactly one ModelResult."""
        if self.config.find(key) is None:
            yield unknown_model(key)
            return
        deadline = time.monotonic() + self.config.timeout_for(key)
        abandoned = threading.Event()
        events = self.run(key, request, abandoned)
        text = ""
        try:
            for event in events:
                if time.monotonic() > deadline:
                    abandoned.set()
                    yield time_out(self.config, self._residency, key, text)
                    return  # closing `events` ends the engine's stream (a server's request is dropped with it)
                text = event.text if isinstance(event, Progress) else text
                yield event
        finally:
            events.close()
