"""The C heap of a long-running server: glibc settings that let freed memory go back to the system.

What grew in the soak was not Python objects (tracemalloc saw a few MB) but freed C memory glibc kept. Page
images, overlays and ONNX tensors are buffers of hundreds of KB to MB. glibc serves the first one from mmap and
returns it on free, but then raises its mmap threshold to that size, so the next ones come from the heaps of
whichever threads run them (one heap per thread, up to 8 per core) and stay there, scattered, after they are
freed. A fixed threshold keeps every large buffer in its own mapping, returned to the system when freed:
benchmarks/scripts/soak.py shows the figures.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
# glibc's own starting value; setting it, whatever the value, turns the raising off.
MMAP_THRESHOLD_BYTES = 128 * 1024


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None  # musl has neither


def keep_large_buffers_returnable() -> bool:
    """Fix glibc's mmap threshold (see above), for the rest of this process; False where there is no glibc.
    Call it once, early: allocations made before keep their place."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release_free_heap() -> bool:
    """Give the free pages inside glibc's heaps back to the system (malloc_trim); False where there is no glibc."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))
