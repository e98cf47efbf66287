"""How a thread that reads a local server's stream yields the CPU to that server.

A vLLM server on a CPU computes on the cores the app's threads run on. Each of its decode steps sends a chunk to
every stream at once, so as many of our reading threads wake together, and Linux lets a waking thread preempt the
thread it wakes on: the server's. At 16 streams on 2 cores, the server's threads were preempted 1.3-1.7 times as
often as under `vllm bench serve`'s single event loop, and each token took 25-45% longer
(benchmarks/scripts/bench_concurrency_vllm.py). A reading thread marked SCHED_BATCH does not preempt on waking: it
runs at the next scheduling point instead, a few milliseconds at most, which a chunk of text can wait. (A thread
started inside the block inherits the policy, as Linux threads do.)
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator


@contextlib.contextmanager
def without_wakeup_preemption() -> Iterator[None]:
    """Run the calling thread under Linux's SCHED_BATCH, then put its policy back. Elsewhere, or where the policy
    cannot be changed, nothing changes."""
    try:
        previous = os.sched_getscheduler(0), os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or not allowed (a real-time thread stays one)
        yield
        return
    try:
        yield
    finally:
        os.sched_setscheduler(0, *previous)
