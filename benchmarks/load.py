"""Load: one model's requests with up to N in flight, each stream timed as the client sees it.

`run_level(pool, key, jobs, concurrency)` gives `concurrency` sender threads one shared list of jobs; each takes
the next job as soon as its previous request ends (a closed loop, like `vllm bench serve --max-concurrency N`).
Every request goes through the pool, under the model's timeout, so errors behave as in the arena. What the pool
does with concurrent requests is the engine's own: a server that batches (vLLM, an OpenAI endpoint) runs them
at once, and once it is loaded each request runs in its sender's thread (`ModelPool.run_timed`: no thread
switch per stream chunk, CPU the server beside it would use); a load, and any other engine, go through
`run_many`, whose timeout frees the sender even from an engine that hangs. Such an engine takes the requests
one at a time under its slot lock, and the waiting shows as queue time.

Timings come from the pool's events as they reach this thread. A `Progress` whose text grew is one stream chunk.
A chunk may carry several tokens (vLLM can merge tokens into one chunk; a detokenizer can hold a partial
character back), so inter-token latency here is per chunk, as `vllm bench serve` counts its ITL, while TPOT
divides by the server's token count: (last chunk - first chunk) / (output tokens - 1).
"""
from __future__ import annotations

import contextvars
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable

from backends import registry
from backends.contracts.requests import PageRequest
from backends.contracts.results import Event, ModelResult, Progress
from benchmarks.trackers import MemoryTracker

MAX_CONCURRENCY = 1024
# Memory is sampled less often than for one request (20 ms): a level lasts seconds, and each sample walks the
# process table (~5 ms of CPU), which on a small machine would be taken from the server it measures.
SAMPLE_EVERY_S = 0.5


class ConcurrencyError(ValueError):
    """A concurrency list or latency target that cannot be used; `value` is what was given."""

    def __init__(self, message: str, value: str):
        super().__init__(message)
        self.value = value


def parse_levels(text: str | int) -> tuple[int, ...]:
    """"1" or "1,4,16" -> the concurrency levels, ascending, each once."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(not p.isdigit() for p in parts):
        raise ConcurrencyError(f"concurrency must be a whole number or a comma-separated list such as 1,4,16; "
                               f"got {text!r}", str(text))
    levels = sorted({int(p) for p in parts})
    if levels[0] < 1 or levels[-1] > MAX_CONCURRENCY:
        raise ConcurrencyError(f"each concurrency level must be between 1 and {MAX_CONCURRENCY}; got {text!r}",
                               str(text))
    return tuple(levels)


@dataclass(frozen=True)
class LoadSettings:
    """A concurrency sweep: the levels, and the latency target that counts a page towards goodput."""

    levels: tuple[int, ...]
    slo_s: float | None = None

    def __post_init__(self):
        if not self.levels or min(self.levels) < 1:
            raise ConcurrencyError("concurrency levels must be at least 1", ",".join(map(str, self.levels)))
        if self.slo_s is not None and not self.slo_s > 0:
            raise ConcurrencyError(f"the latency target must be more than 0 s; got {self.slo_s}", str(self.slo_s))


@dataclass(frozen=True)
class Job:
    item_id: str
    repeat: int
    request: PageRequest


class RequestClock:
    """One request as the client sees it: sent, taken by the engine (the pool's "running"), each chunk, the end."""

    def __init__(self):
        self.sent = time.perf_counter()
        self.running: float | None = None
        self.chunks: list[float] = []
        self.end: float | None = None
        self.result: ModelResult | None = None
        self._seen = 0  # characters of text already counted

    def observe(self, event: Event) -> None:
        now = time.perf_counter()
        if isinstance(event, Progress) and event.phase == "running":
            self.running = self.running or now
            if len(event.text) > self._seen:  # the text grew: one more chunk of the stream
                self._seen = len(event.text)
                self.chunks.append(now)
        elif isinstance(event, ModelResult):
            self.result, self.end = event, now
            self.running = self.running or now
            if event.text and not self.chunks:
                self.chunks.append(now)  # an engine that hands over its whole text at once

    def record(self, job: Job, origin: float) -> dict:
        """The request's figures; times in seconds, `*_at_s` from the level's start, the rest from sending."""
        result, end = self.result, self.end or time.perf_counter()
        running = self.running or end
        tokens = result.metrics.output_tokens if result else None
        chunk_s = [round(c - self.sent, 6) for c in self.chunks]
        decode_s = chunk_s[-1] - chunk_s[0] if chunk_s else None
        return {
            "item": job.item_id, "repeat": job.repeat,
            "status": result.status.value if result else "error", "message": result.message if result else "",
            "sent_at_s": round(self.sent - origin, 6), "started_at_s": round(running - origin, 6),
            "ended_at_s": round(end - origin, 6), "queue_s": round(running - self.sent, 6),
            "ttft_s": chunk_s[0] if chunk_s else None, "latency_s": round(end - self.sent, 6),
            "tpot_s": round(decode_s / (tokens - 1), 6) if tokens and tokens > 1 and decode_s else None,
            "output_tokens": tokens, "chunks": len(chunk_s), "chunk_s": chunk_s,
        }


@dataclass
class LevelRun:
    """One model at one concurrency level: every request's record, the level's wall time and memory peaks."""

    key: str
    model: str
    concurrency: int
    wall_s: float
    records: list[dict]
    memory_mb: dict[str, float] = field(default_factory=dict)


def queues_in_client(pool, key: str) -> bool:
    """Requests to a model that computes on the CPU cores wait here, not in the pool: the pool gives each
    waiting request a share of the cores, and would run the one at work on a fraction of them."""
    entry = pool.config.find(key)
    return entry is not None and registry.shares_cpu_cores(entry, pool.on_gpu)


def run_level(pool, key: str, name: str, jobs: list[Job], concurrency: int,
              on_request: Callable[[], None] | None = None) -> LevelRun:
    """Send every job with up to `concurrency` in flight; records come back in the jobs' order."""
    pending = iter(enumerate(jobs))
    records: list[dict | None] = [None] * len(jobs)
    lock = threading.Lock()
    turn = threading.Lock() if queues_in_client(pool, key) else nullcontext()
    peaks: dict[str, float] = {}
    origin = time.perf_counter()

    def send() -> None:
        while True:
            with lock:
                index, job = next(pending, (None, None))
            if job is None:
                return
            clock = RequestClock()
            with turn:
                events = (pool.run_timed(key, job.request) if pool.batches(key)
                          else (event for _, event in pool.run_many([key], job.request)))
                for event in events:
                    clock.observe(event)
            record = clock.record(job, origin)
            with lock:  # also keeps the progress callback to one thread at a time
                records[index] = record
                for label, value in (clock.result.metrics.memory_mb if clock.result else {}).items():
                    peaks[label] = max(peaks.get(label, 0.0), value)
                if on_request:
                    on_request()

    with MemoryTracker(interval_s=SAMPLE_EVERY_S) as memory:
        # Each sender runs in a copy of the caller's context: a progress callback that finds its page through a
        # context variable (Gradio's gr.Progress does) still finds it.
        senders = [threading.Thread(target=contextvars.copy_context().run, args=(send,), name=f"load-{key}-{n}",
                                    daemon=True) for n in range(min(concurrency, len(jobs)))]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
    wall = max((r["ended_at_s"] for r in records if r), default=0.0)
    return LevelRun(key, name, concurrency, wall, [r for r in records if r is not None],
                    {**memory.readings(), **peaks})
