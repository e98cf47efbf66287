"""The pool's calls into one engine: a load that reports its progress, and a request streamed into a ModelResult."""
from __future__ import annotations

import threading
import time
import traceback
from typing import Callable, Iterator

from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import Event, MessageCode, Metrics, ModelResult, Progress, Status
from backends.contracts.schema import ModelEntry
from backends.runtime import memory


def load_with_progress(key: str, engine: Engine, poll_s: float = 0.5,
                       load: Callable[[], None] | None = None) -> Iterator[Progress]:
    """Run `engine.load()` (or `load`, which loads it measured) in a helper thread, yielding what it reports
    (a server start takes minutes)."""
    failure: list[BaseException] = []
    load_engine = load or engine.load

    def run_load() -> None:
        try:
            load_engine()
        except BaseException as exc:  # re-raised in the pool's thread below
            failure.append(exc)

    loader = threading.Thread(target=run_load, name=f"load-{key}", daemon=True)
    loader.start()
    shown = ""
    while loader.is_alive():
        loader.join(poll_s)
        note = engine.load_progress()
        if note and note != shown:
            shown = note
            yield Progress(key, "loading", note=note)
    if failure:
        raise failure[0]


def describe(exc: BaseException) -> str:
    message = str(exc).strip() or traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"{type(exc).__name__}: {message}"


def generate(entry: ModelEntry, engine: Engine, request: PageRequest, metrics: Metrics,
             details: dict[str, str]) -> Iterator[Event]:
    """Stream one request through a loaded engine: Progress with the text so far, then one ModelResult."""
    yield Progress(entry.key, "running")
    text, output = "", None
    started = time.perf_counter()
    try:
        for item in engine.stream(request):
            if isinstance(item, EngineOutput):
                output = item
                break
            if metrics.first_token_s is None:
                metrics.first_token_s = time.perf_counter() - started
            text += item
            yield Progress(entry.key, "running", text)
    except Exception as exc:
        metrics.latency_s = time.perf_counter() - started
        yield ModelResult(entry.key, entry.name, Status.ERROR, text=text, message=describe(exc),
                          code=MessageCode.ENGINE_ERROR, metrics=metrics, details=details)
        return
    metrics.latency_s = time.perf_counter() - started
    if output is None:
        yield ModelResult(entry.key, entry.name, Status.ERROR, text=text, message="the engine ended without a result",
                          code=MessageCode.ENGINE_ERROR, metrics=metrics, details=details)
        return
    metrics.chars = len(output.text)
    metrics.output_tokens = output.output_tokens
    metrics.input_tokens = output.extra.get("input_tokens")
    # Engines that time their first token themselves see it before the detokenizer releases any text.
    metrics.first_token_s = output.extra.get("first_token_s") or metrics.first_token_s
    if output.output_tokens and metrics.latency_s:
        metrics.tokens_per_s = output.output_tokens / metrics.latency_s
    # The model's own figures (what its load added, set by the pool; its worker's or server's), then the app's RSS,
    # which every in-process model shares.
    own = {**metrics.memory_mb, **output.extra.get("memory_mb", {})}
    head = memory.own_footprint(own)
    if head is not None:  # shown first
        metrics.footprint_label, metrics.footprint_mb = head
        own = {metrics.footprint_label: metrics.footprint_mb, **own}
    metrics.memory_mb = {**own, memory.APP_SHARED: round(memory.rss_mb(), 1)}
    yield ModelResult(entry.key, entry.name, Status.OK, text=output.text, boxes=output.boxes, cut=output.cut,
                      metrics=metrics, details={**output.extra.get("details", {}), **details})
