"""Speed and memory trackers that work the same for every engine, plus the statistics the reports use.

Both trackers are context managers around one request:

    with SpeedTracker() as speed, MemoryTracker() as memory:
        for event in pool.run_many([key], request):
            speed.observe(event)

`SpeedTracker` reads only the pool's events, so it times a Tesseract call, a worker process and a remote
server alike: load (until the pool says the model is running), first text, and the end of the reply.
`MemoryTracker` samples the RSS of this process and all its children (worker processes, managed servers) in a
background thread and keeps the peak; on a GPU it also reads torch's peak allocated and reserved memory and
NVML's per-process figure.
"""
from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import psutil

from backends.runtime import memory
from backends.contracts.results import Event, Progress, ModelResult

RSS_PEAK = "RSS peak (app + workers)"
FAMILY_EVERY_S = 0.5


@dataclass(frozen=True)
class Stats:
    mean: float | None
    p50: float | None
    p90: float | None
    n: int
    p99: float | None = None


def describe(values) -> Stats:
    """Mean and the 50th/90th/99th percentiles (linear interpolation, as numpy and pandas compute them),
    ignoring missing values."""
    clean = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not clean:
        return Stats(None, None, None, 0)
    p50, p90, p99 = (float(p) for p in np.percentile(clean, [50, 90, 99]))
    return Stats(float(np.mean(clean)), p50, p90, len(clean), p99)


class SpeedTracker:
    """Wall-clock phases of one request, from the pool's events: load_s, first_token_s, latency_s, wall_s."""

    def __enter__(self) -> "SpeedTracker":
        self._start = time.perf_counter()
        self._running_at: float | None = None
        self._first_text_at: float | None = None
        self._end: float | None = None
        self.result: ModelResult | None = None
        return self

    def observe(self, event: Event) -> None:
        now = time.perf_counter()
        if isinstance(event, Progress) and event.phase == "running":
            self._running_at = self._running_at or now
            if event.text and self._first_text_at is None:
                self._first_text_at = now
        elif isinstance(event, ModelResult):
            self.result, self._end = event, now
            self._running_at = self._running_at or now
            if event.text and self._first_text_at is None:
                self._first_text_at = now  # an engine that hands over its whole text at once

    def __exit__(self, *exc) -> None:
        self._end = self._end or time.perf_counter()

    @property
    def wall_s(self) -> float:
        return self._end - self._start

    @property
    def load_s(self) -> float:
        """Until the model was ready to run: its load, or ~0 when it was warm."""
        return self._running_at - self._start

    @property
    def first_token_s(self) -> float | None:
        return None if self._first_text_at is None else self._first_text_at - self._running_at

    @property
    def latency_s(self) -> float:
        """From the model starting on the request to its whole reply (load excluded)."""
        return self._end - self._running_at

    @property
    def tokens_per_s(self) -> float | None:
        tokens = self.result.metrics.output_tokens if self.result else None
        return tokens / self.latency_s if tokens and self.latency_s > 0 else None


class MemoryTracker:
    """Peak RSS of this process and its children while the block runs, and CUDA peaks where torch has a GPU."""

    def __init__(self, interval_s: float = 0.02):
        self._interval_s = interval_s
        self.peak_rss_mb = 0.0
        self._pids: list[int] = []
        self._family_at = -math.inf

    def __enter__(self) -> "MemoryTracker":
        self._stop = threading.Event()
        self._cuda = memory.CudaRequestTracker().__enter__()
        self._sample()
        self._sampler = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._sampler.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._sample()

    def _sample(self) -> None:
        self.peak_rss_mb = max(self.peak_rss_mb, memory.processes_rss_mb(self._family()))

    def _family(self) -> list[int]:
        """This process and its descendants. Finding them reads every process's /proc entry (~5-10 ms of CPU
        on a busy machine, taken from the model being measured), so the list is renewed every FAMILY_EVERY_S;
        a worker or server starting mid-request is seen within that, long before its load ends."""
        now = time.monotonic()
        if now - self._family_at >= FAMILY_EVERY_S:
            me = psutil.Process(os.getpid())
            try:
                self._pids = [me.pid] + [child.pid for child in me.children(recursive=True)]
            except psutil.Error:
                self._pids = [me.pid]
            self._family_at = now
        return self._pids

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._sampler.join()
        self._sample()

    def readings(self) -> dict[str, float]:
        """Labelled figures in MB (see backends.runtime.memory for what each label counts)."""
        return {RSS_PEAK: round(self.peak_rss_mb, 1), **self._cuda.readings()}
