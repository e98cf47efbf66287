"""Per-model page pipelines: every model reads a document's pages in order, at its own pace.

Reading page after page with one `ModelPool.run_many` per page made every page a barrier: the fastest model
waited for the slowest before each next page. Here each model walks its pages in a thread of its own, so a fast
model finishes the document while a slow one is still on its first pages.

The first page goes through one `run_many` over the whole selection, so the pool still checks the selection
once (models refused beside each other) and claims the CPU cores for all the models that compute on them at
once; each model then reads its next pages alone (`run_many([key], ...)`) as soon as its previous page ends.

Timeouts are per page request: each page gets the model's `timeout_s`, exactly as before. A page that runs past
it ends as TIMEOUT and the pool resets the model (its hung engine is cancelled and left behind); the model goes
on to its next page on a fresh engine, since a page that hangs says nothing about the next one, and a hung page
never blocks the model's other pages. A model found UNAVAILABLE (not installed, refused beside the others, over
the memory budget, without the task) is not asked again: its reason holds for every page, and asked alone a
refused model would no longer be refused.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
from typing import Iterable, Iterator

from backends.contracts.requests import PageRequest
from backends.contracts.results import Event, MessageCode, ModelResult, Status
from backends.pool import ModelPool

# Per page, in reading order: model key -> the request that model gets for that page.
PageRequests = list[dict[str, PageRequest]]


def run_pipelines(pool: ModelPool, keys: Iterable[str], requests: PageRequests) -> Iterator[tuple[str, int, Event]]:
    """Run every model over every page, each model at its own pace.

    Yields (key, page index, event) as events arrive. For each key the pages come in order, and every page ends
    with exactly one ModelResult (a failure, a timeout and an unavailable model included). Closing the iterator
    early stops the models before their next page.
    """
    keys = list(dict.fromkeys(keys))
    if not keys or not requests:
        return
    pipelines = _Pipelines(pool, requests)
    pipelines.start(keys)
    remaining = len(keys) * len(requests)
    try:
        while remaining:
            key, page, event = pipelines.events.get()
            if isinstance(event, ModelResult):
                remaining -= 1
            yield key, page, event
    finally:
        pipelines.stop.set()


class _Pipelines:
    """The threads of one run: a lead thread for the first page of every model, then one thread per model."""

    def __init__(self, pool: ModelPool, requests: PageRequests):
        self.pool = pool
        self.requests = requests
        self.events: queue.Queue[tuple[str, int, Event]] = queue.Queue()
        self.stop = threading.Event()

    def start(self, keys: list[str]) -> None:
        threading.Thread(target=self._lead, args=(keys,), name="pages-lead", daemon=True).start()

    def _lead(self, keys: list[str]) -> None:
        """Page 1 of every model in one fan-out; each model's next pages start the moment its page 1 ends."""
        first, owed = self.requests[0], set(keys)
        try:
            for key, event in self.pool.run_many(keys, first[keys[0]], per_key=first):
                self.events.put((key, 0, event))
                if isinstance(event, ModelResult):
                    owed.discard(key)
                    self._go_on(key, event)
        except Exception as exc:  # run_many never raises for a model; this catches bugs, so the run still ends
            for key in owed:
                self._fail(key, 0, exc)

    def _go_on(self, key: str, first: ModelResult) -> None:
        if len(self.requests) > 1:
            threading.Thread(target=self._walk, args=(key, 1, first), name=f"pages-{key}", daemon=True).start()

    def _walk(self, key: str, page: int, previous: ModelResult) -> None:
        """One model's pages from `page` on, each after the one before, in this model's own thread."""
        try:
            while page < len(self.requests) and not self.stop.is_set():
                if previous.status == Status.UNAVAILABLE:
                    previous = dataclasses.replace(previous)  # the same answer, not asked again
                    self.events.put((key, page, previous))
                else:
                    previous = self._read(key, page)
                page += 1
        except Exception as exc:  # as in _lead: the pages still owed end as errors instead of never
            self._fail(key, page, exc)

    def _read(self, key: str, page: int) -> ModelResult:
        request = self.requests[page][key]
        result = None
        for _, event in self.pool.run_many([key], request, per_key={key: request}):
            self.events.put((key, page, event))
            if isinstance(event, ModelResult):
                result = event
        if result is None:  # the pool promises one per key; without it, the page would be owed for ever
            raise RuntimeError("the pool ended a page without a result")
        return result

    def _fail(self, key: str, page: int, exc: Exception) -> None:
        for rest in range(page, len(self.requests)):
            self.events.put((key, rest, ModelResult(key, key, Status.ERROR, message=f"{type(exc).__name__}: {exc}",
                                                    code=MessageCode.ENGINE_ERROR)))
