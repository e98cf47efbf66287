"""Each model's availability, checked once and kept until its state changes."""
from __future__ import annotations

import threading
import time
from typing import Callable

from backends.contracts.results import Availability, MessageCode
from backends.contracts.schema import ModelEntry

# How long a "no" is trusted: an install or a download made in a terminal shows at the next run after this.
RECHECK_UNAVAILABLE_S = 5.0


class AvailabilityCache:
    """The answer of `check` per model key. A "yes" is kept until the pool sees the model's state change (it
    unloads it, its load fails, its engine dies) or the user asks to refresh; a "no" is asked again after
    RECHECK_UNAVAILABLE_S. A check that raises is a "no" that names the failure."""

    def __init__(self, check: Callable[[ModelEntry], Availability]):
        self._check = check
        self._answers: dict[str, tuple[Availability, float]] = {}
        self._lock = threading.Lock()

    def get(self, entry: ModelEntry) -> Availability:
        with self._lock:
            cached = self._answers.get(entry.key)
        if cached is not None:
            status, checked_at = cached
            if status.ok or time.monotonic() - checked_at < RECHECK_UNAVAILABLE_S:
                return status
        try:
            status = self._check(entry)
        except Exception as exc:  # a broken availability check must not take the UI down
            status = Availability(False, f"status check failed: {exc}", code=MessageCode.STATUS_CHECK_FAILED)
        with self._lock:
            self._answers[entry.key] = (status, time.monotonic())
        return status

    def forget(self, key: str | None = None) -> None:
        """Ask again next time: for one model, or (None) for all of them."""
        with self._lock:
            if key is None:
                self._answers.clear()
            else:
                self._answers.pop(key, None)
