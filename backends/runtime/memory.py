"""Memory readings, each with a label that says what it counts.

GPU figures come from torch's caching allocator (what tensors hold, and what the allocator reserved) and
from NVML (the whole process on the card, CUDA context included). CPU figures are the process's RSS.
Nothing here imports torch: GPU readings are taken only when torch is already loaded by an engine.
"""
from __future__ import annotations

import os
import sys
from typing import Iterable

import psutil

RSS_APP = "RSS (app process)"
CUDA_WEIGHTS = "CUDA allocated after load (weights)"
CUDA_PEAK_ALLOCATED = "CUDA peak allocated (request)"
CUDA_PEAK_RESERVED = "CUDA peak reserved (request)"
NVML_PROCESS = "NVML used by process (incl. CUDA context)"
# Processes a model has to itself: a worker (backends/runtime/worker), a server we started (vLLM).
RSS_WORKER = "RSS (worker process)"
RSS_SERVER = "RSS (server processes)"
NVML_SERVER = "NVML used by server processes"
# The pool's own figures, as stable keys the UI translates (ui/strings/memory.py).
APP_SHARED = "mem_app_shared"  # the app's whole RSS: every in-process model and the app itself hold it together
LOAD_DELTA = "mem_load_delta"  # what loading an in-process model added to the app's RSS
LOAD_DELTA_OVERLAPPED = "mem_load_delta_overlapped"  # the same, measured while other models loaded or ran
CUDA_LOAD_DELTA = "mem_cuda_load_delta"  # what loading an in-process model added to torch's CUDA allocations
# A model's own footprint, the most telling figure first: GPU memory of its own, then the RAM of its own
# processes, then what its load added to the app.
OWN_FIGURES = (NVML_SERVER, CUDA_LOAD_DELTA, CUDA_WEIGHTS, RSS_SERVER, RSS_WORKER, LOAD_DELTA,
              LOAD_DELTA_OVERLAPPED)


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def _torch_cuda():
    """torch.cuda if torch is already imported and a GPU is usable; None otherwise (never imports torch)."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return torch.cuda


def cuda_allocated_mb() -> float | None:
    cuda = _torch_cuda()
    return None if cuda is None else cuda.memory_allocated() / 2**20


def empty_cuda_cache() -> None:
    """Hand the allocator's cached blocks back to the driver (after a model's tensors were dropped)."""
    cuda = _torch_cuda()
    if cuda is not None:
        cuda.empty_cache()


def cuda_total_mb() -> float | None:
    """The first GPU's total memory from NVML, without importing torch; None without a GPU or NVML."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            return pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(0)).total / 2**20
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no NVML library, no driver, or no GPU
        return None


def nvml_process_mb(pid: int | None = None) -> float | None:
    """GPU memory NVML attributes to one process (all GPUs); None where NVML cannot say."""
    return nvml_processes_mb([pid or os.getpid()])


def nvml_processes_mb(pids: Iterable[int]) -> float | None:
    """GPU memory NVML attributes to these processes together (all GPUs); None where NVML cannot say."""
    wanted = set(pids)
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            used = 0
            for index in range(pynvml.nvmlDeviceGetCount()):
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
                for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    if proc.pid in wanted and proc.usedGpuMemory:
                        used += proc.usedGpuMemory
            return used / 2**20 if used else None
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return None


def processes_rss_mb(pids: Iterable[int]) -> float:
    """RSS of several processes together; ones that already exited count as zero."""
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def own_footprint(readings: dict[str, float]) -> tuple[str, float] | None:
    """(label, MiB) of the figure that best says what one model holds, from its labelled readings; None when
    none of them is the model's own (the app's shared RSS never is)."""
    for label in OWN_FIGURES:
        if label in readings:
            return label, readings[label]
    return None


def memory_budget_mb(configured: float | None) -> float:
    """The pool's budget: the configured figure, else 90% of the GPU or 80% of the RAM available now."""
    if configured:
        return configured
    gpu = cuda_total_mb()
    if gpu:
        return 0.9 * gpu
    return 0.8 * psutil.virtual_memory().available / 2**20


class CudaRequestTracker:
    """Peak allocated and reserved CUDA memory over one request. A no-op on CPU."""

    def __init__(self, device_index: int | None = None):
        self._cuda = _torch_cuda()
        self._device = device_index

    def __enter__(self) -> "CudaRequestTracker":
        if self._cuda is not None:
            self._cuda.reset_peak_memory_stats(self._device)
        return self

    def __exit__(self, *exc) -> None:
        return None

    def readings(self) -> dict[str, float]:
        if self._cuda is None:
            return {}
        figures = {
            CUDA_PEAK_ALLOCATED: self._cuda.max_memory_allocated(self._device) / 2**20,
            CUDA_PEAK_RESERVED: self._cuda.max_memory_reserved(self._device) / 2**20,
        }
        nvml = nvml_process_mb()
        if nvml is not None:
            figures[NVML_PROCESS] = nvml
        return {label: round(value, 1) for label, value in figures.items()}
