"""The pool's loaded models: one slot per model, the memory they hold, and room made under the budget."""
from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from backends.contracts.engine import Engine
from backends.contracts.results import LoadedModel, UnloadReport
from backends.pool.footprint import LoadGauge, has_own_processes, own_readings
from backends.runtime import memory
from backends.runtime.native_heap import release_free_heap


@dataclass
class Slot:
    """One loaded engine and the lock that serialises its requests. Dropped whole when an engine hangs."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    engine: Engine | None = None
    loading: Engine | None = None  # the engine being loaded: a timeout cancels it (a worker's start is killed)
    load_s: float | None = None
    footprint_mb: float = 0.0  # what the loaded model holds, counted against the budget
    load_mb: dict[str, float] = field(default_factory=dict)  # what its load added to the app (LoadGauge)
    last_used: float = 0.0
    in_flight: int = 0  # requests running outside the lock, on engines that take parallel requests

    def __post_init__(self) -> None:
        self.idle = threading.Condition(self.lock)  # notified when a parallel request ends

    def busy(self) -> bool:
        return self.lock.locked() or self.in_flight > 0

    def own_mb(self) -> dict[str, float]:
        """The loaded model's own figures, most telling first (empty when it is not loaded)."""
        engine = self.engine  # read once: an unload may drop it meanwhile
        return {} if engine is None else own_readings(engine, self.load_mb)


def memory_readings(engine: Engine | None) -> dict[str, float]:
    readings = {memory.RSS_APP: round(memory.rss_mb(), 1)}
    allocated = memory.cuda_allocated_mb()
    if allocated is not None:
        readings["CUDA allocated (app process)"] = round(allocated, 1)
    if engine is not None:
        readings.update(engine.process_readings())
    return readings


class Residency:
    """The slots of the loaded models, by key. `on_unload(key)` is told of every unload, evictions included."""

    def __init__(self, budget_mb: float, on_unload: Callable[[str], None]):
        self.budget_mb = budget_mb
        self.slots: dict[str, Slot] = {}
        self.guard = threading.Lock()
        self.gauge = LoadGauge()
        self._on_unload = on_unload

    def slot(self, key: str) -> Slot:
        with self.guard:
            return self.slots.setdefault(key, Slot())

    def current(self, key: str) -> Slot | None:
        with self.guard:
            return self.slots.get(key)

    def forget(self, key: str, slot: Slot) -> None:
        """Detach a slot (after a timeout) so the next request gets a fresh engine and a free lock."""
        with self.guard:
            if self.slots.get(key) is slot:
                del self.slots[key]

    def is_current(self, key: str, slot: Slot) -> bool:
        with self.guard:
            return self.slots.get(key) is slot

    def loaded_keys(self) -> list[str]:
        with self.guard:
            return [k for k, s in self.slots.items() if s.engine is not None]

    def loaded(self) -> list[LoadedModel]:
        now = time.monotonic()
        with self.guard:
            slots = [(k, s) for k, s in self.slots.items() if s.engine is not None]
        # Read outside the guard: a worker's or server's figures take a system call or two.
        return [LoadedModel(k, s.footprint_mb, s.busy(), now - s.last_used, s.own_mb()) for k, s in slots]

    def unload(self, key: str) -> UnloadReport:
        """Unload a model (waiting for its request in flight) and report memory before and after."""
        self._on_unload(key)
        with self.guard:
            slot = self.slots.pop(key, None)
        if slot is None or slot.engine is None:
            return UnloadReport(key, False)
        with slot.lock:
            while slot.in_flight:
                slot.idle.wait()
            engine, slot.engine = slot.engine, None
            if engine is None:  # the request in flight found its slot dropped and freed the engine itself
                return UnloadReport(key, True, {}, memory_readings(None))
            held = own_readings(engine, slot.load_mb)
            before = memory_readings(engine)
            given_back = memory.RSS_APP
            if has_own_processes(engine):  # its process ends: its RSS is what comes back
                given_back = next((label for label in (memory.RSS_WORKER, memory.RSS_SERVER) if label in before),
                                  given_back)
            engine.unload()
            del engine
        # What the model held goes back to the system, not only to the allocator's free lists, so the report
        # (and the machine) see it freed.
        gc.collect()
        release_free_heap()
        return UnloadReport(key, True, before, memory_readings(None), held, given_back)

    def close(self) -> None:
        for key in self.loaded_keys():
            self.unload(key)

    def make_room(self, key: str, need_mb: float) -> list[str]:
        """Unload idle models, least recently used first, until `need_mb` fits the budget. Returns their keys."""
        evicted = []
        while True:
            with self.guard:
                others = [(k, s) for k, s in self.slots.items() if k != key and s.engine is not None]
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
