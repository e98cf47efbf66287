"""The worker-process steps of scripts/gpu_check.py: a model with `isolate: true`, its worker killed with SIGKILL,
the memory it held coming back (NVML, on the card), the next request starting a fresh worker, and unload.
"""
from __future__ import annotations

import os
import re
import signal
import time
from typing import Callable

import psutil

from backends.runtime import memory
from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from backends.runtime.worker.parent import RSS_WORKER
from gpu_check_pool import ISOLATED, NO_CUDA, Setup, card_used_mb, check_memory, final, summary


def wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def process_gone(pid: int) -> bool:
    """Exited (a zombie whose threads are all gone, or reaped). A SIGKILLed leader shows as a zombie while its
    other threads still exit, and until they have, waitpid (Popen.poll) still reports it running."""
    try:
        process = psutil.Process(pid)
        return process.status() == psutil.STATUS_ZOMBIE and process.num_threads() <= 1
    except psutil.Error:
        return True


def worker_pid(result: ModelResult) -> int | None:
    found = re.search(r"worker pid (\d+)", result.details.get("process", ""))
    return int(found.group(1)) if found else None


def check_worker(report, pool: ModelPool, setup: Setup, request: PageRequest) -> None:
    report.step = "running a model in a worker process"
    baseline = card_used_mb()
    result = final(pool.run(ISOLATED, request))
    pid = worker_pid(result)
    ok = result.status == Status.OK and pid is not None and pid != os.getpid()
    if not report.add("worker (isolate: true): load and run", ok, f"pid {pid}; {summary(result)}"):
        return
    check_memory(report, setup, ISOLATED, result.metrics.memory_mb)
    held = memory.nvml_process_mb(pid)
    with_worker = card_used_mb()
    report.step = "killing the worker"
    os.kill(pid, signal.SIGKILL)
    gone = wait_for(lambda: process_gone(pid))
    time.sleep(0.2)  # then waitpid reports it too, and the pool sees the worker dead
    if setup.cuda:
        should_free = held or (with_worker or 0) - (baseline or 0)
        wait_for(lambda: (card_used_mb() or 0) <= (with_worker or 0) - 0.9 * should_free)
        after = card_used_mb()
        freed = None if after is None or with_worker is None else round(with_worker - after, 1)
        report.add("worker SIGKILL: its GPU memory comes back", gone and freed is not None and should_free > 0
                   and freed >= 0.9 * should_free and memory.nvml_process_mb(pid) is None,
                   f"card used {baseline} before the worker, {with_worker} with it (NVML: worker pid {pid} holds "
                   f"{held} MB), {after} after the kill (freed {freed})")
    else:
        report.add("worker SIGKILL: the process is gone", gone, f"pid {pid}; NVML {NO_CUDA}")
    check_worker_restart(report, pool, setup, request, pid, baseline)


def check_worker_restart(report, pool: ModelPool, setup: Setup, request: PageRequest, killed: int,
                         baseline: float | None) -> None:
    report.step = "restarting the killed worker"
    result = final(pool.run(ISOLATED, request))
    pid = worker_pid(result)
    report.add("worker: the next request restarts it", result.status == Status.OK and pid not in (None, killed)
               and "restarted" in result.details,
               f"new pid {pid}; {result.details.get('restarted', 'no restart noted')}; {summary(result)}")
    report.step = "unloading the worker"
    try:
        unloaded = pool.unload(ISOLATED)
    except Exception as exc:  # seen: psutil.NoSuchProcess from the readings of a worker that had died
        report.add("worker: unload ends its process", False, f"ModelPool.unload raised {type(exc).__name__}: {exc}")
        return
    gone = pid is not None and wait_for(lambda: process_gone(pid))
    after = card_used_mb()
    back = (not setup.cuda or (after is not None and baseline is not None
                               and after <= baseline + max(64.0, 0.1 * setup.own_mb(ISOLATED))))
    report.add("worker: unload ends its process", unloaded.unloaded and gone and back,
               f"{RSS_WORKER} before {unloaded.before_mb.get(RSS_WORKER)} MB; process gone: {gone}; "
               + (f"card used {after} MB (baseline {baseline})" if setup.cuda else f"NVML {NO_CUDA}"))
