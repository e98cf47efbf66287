"""What one model holds by itself: what its load added to the app (measured by LoadGauge), or the figures of the
processes it has to itself (a worker, a server we started)."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from backends.contracts.engine import Engine
from backends.runtime import memory


def has_own_processes(engine: Engine) -> bool:
    """True for an engine that runs in processes of its own (a worker, a server we started): those are measured
    directly, and its load adds next to nothing to the app."""
    return type(engine).process_readings is not Engine.process_readings


def own_readings(engine: Engine, load_mb: dict[str, float]) -> dict[str, float]:
    """A model's own memory: what its load added to the app, and its own processes' figures now (a worker's
    RSS grows with its first request), the figure memory.own_footprint picks first."""
    readings = {**load_mb, **(engine.process_readings() if has_own_processes(engine) else {})}
    head = memory.own_footprint(readings)
    return readings if head is None else {head[0]: head[1], **readings}


class LoadGauge:
    """Measures what loading an in-process model adds to the app: its RSS, and torch's CUDA allocations on a GPU.

    Nothing waits for a measurement: several models start together (the normal case), and one model's slow or
    hung load must not hold up another's column. A load that overlapped another in-process load or request is
    labelled as such (LOAD_DELTA_OVERLAPPED): its figure may count some of the other's memory.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._busy = 0  # in-process loads and requests running now
        self._starts = 0  # how many have started, ever: one starting during a load shows as a change

    def loader(self, engine: Engine, into: dict[str, float]) -> Callable[[], None]:
        """What to call to load `engine`: for an in-process one, its load measured into `into`."""
        if has_own_processes(engine):
            return engine.load
        return lambda: into.update(self.load(engine))

    def load(self, engine: Engine) -> dict[str, float]:
        # No gc.collect() first: it holds the interpreter lock for as long as the heap is large (every model's
        # columns would stall), and unloading already collects.
        with self._lock:
            self._busy += 1
            self._starts += 1
            others_before, starts = self._busy > 1, self._starts
        try:
            rss, cuda = memory.rss_mb(), memory.cuda_allocated_mb()
            engine.load()
            rss_after, cuda_after = memory.rss_mb(), memory.cuda_allocated_mb()
        finally:
            with self._lock:
                self._busy -= 1
                overlapped = others_before or self._busy > 0 or self._starts != starts
        label = memory.LOAD_DELTA_OVERLAPPED if overlapped else memory.LOAD_DELTA
        figures = {label: round(max(0.0, rss_after - rss), 1)}
        if cuda_after is not None:  # None unless the load brought torch and a GPU
            figures = {memory.CUDA_LOAD_DELTA: round(max(0.0, cuda_after - (cuda or 0.0)), 1), **figures}
        return figures

    @contextmanager
    def running(self, engine: Engine) -> Iterator[None]:
        """Around a request: an in-process one is counted, so that a load measured meanwhile says it overlapped."""
        if has_own_processes(engine):
            yield
            return
        with self._lock:
            self._busy += 1
            self._starts += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
