"""One loaded model in the pool, and the labelled memory readings taken around it."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from backends.contracts.engine import Engine
from backends.runtime import memory


@dataclass
class Slot:
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


def memory_readings(engine: Engine | None) -> dict[str, float]:
    readings = {memory.RSS_APP: round(memory.rss_mb(), 1)}
    allocated = memory.cuda_allocated_mb()
    if allocated is not None:
        readings["CUDA allocated (app process)"] = round(allocated, 1)
    if engine is not None:
        readings.update(engine.process_readings())
    return readings
