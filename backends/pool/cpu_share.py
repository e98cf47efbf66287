"""The machine's cores, split between the models that compute on them at once.

Torch on the CPU starts a thread per core in every process, and its threads spin while they wait: three models
side by side on two cores would run six spinning threads and each go several times slower than alone. The pool
claims a share for every such model before a run starts (all of a side-by-side run's models at once, so that the
first to start does not take every core), and each run is given cores / claims threads.
"""
from __future__ import annotations

import os
import threading


def available_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class CpuShare:
    def __init__(self, cores: int | None = None):
        self.cores = cores or available_cores()
        self._lock = threading.Lock()
        self._claims = 0

    def claim(self, runs: int = 1) -> None:
        with self._lock:
            self._claims += runs

    def release(self) -> None:
        with self._lock:
            self._claims = max(0, self._claims - 1)

    def threads(self) -> int:
        """The threads for a run starting now: an equal share of the cores, at least one."""
        with self._lock:
            return max(1, self.cores // max(1, self._claims))
