"""Streaming `generate` in a worker thread, with a repetition guard and cancellation.

`generate` blocks until it is done, so it runs in its own thread and hands tokens to a streamer that this
thread reads. Whatever happens inside `generate` (an exception, a loop on a dotted line, a cancel from
the pool after a timeout) ends the stream promptly and is reported, never left hanging.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence


def repeating_tail(tokens: Sequence[int], window: int) -> int | None:
    """The period of a loop filling the last `window` tokens (at least 4 repeats), or None.

    OCR models loop on dotted leaders and underscores ("......", "____"): the same few tokens over and
    over. A window of 64 tokens with 4+ repeats stays clear of real text such as table rules.
    """
    if window <= 0 or len(tokens) < window:
        return None
    tail = list(tokens[-window:])
    for period in range(1, window // 4 + 1):
        if all(tail[i] == tail[i - period] for i in range(period, window)):
            return period
    return None


def trim_repetition(tokens: Sequence[int], period: int) -> list[int]:
    """Drop a loop of `period` tokens at the end of `tokens`, keeping its first occurrence."""
    tokens = list(tokens)
    end = len(tokens)
    start = end - period
    while start - period >= 0 and tokens[start - period:start] == tokens[start:start + period]:
        start -= period
    return tokens[:start + period]


@dataclass
class GenerationState:
    """What the generate thread leaves behind for the reader: its error, the loop it stopped, timings."""

    error: BaseException | None = None
    output: Any = None
    loop_period: int | None = None
    cancelled: bool = False
    started: float = field(default_factory=time.perf_counter)
    first_token_s: float | None = None


def make_stopping_criterion(state: GenerationState, prompt_length: int, window: int, cancel: threading.Event):
    """A StoppingCriteria that stops on a cancel request or on a repetition loop in the new tokens."""
    import torch
    from transformers import StoppingCriteria

    class _GuardCriterion(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            stop = False
            if cancel.is_set():
                state.cancelled = stop = True
            elif window and input_ids.shape[1] - prompt_length >= window:
                period = repeating_tail(input_ids[0, -window:].tolist(), window)
                if period is not None:
                    state.loop_period, stop = period, True
            return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

    return _GuardCriterion()


def make_streamer(tokenizer, state: GenerationState, timeout_s: float | None, batch_s: float = 0.05):
    """A TextIteratorStreamer that notes when the first new token arrived and detokenizes in batches.

    TextStreamer re-decodes the whole pending line on every token; on a fast GPU that costs more than
    the token itself. Handing it the new ids at most every `batch_s` (20 updates a second are plenty
    for a column on screen) keeps generate's own pace. The text is the same, only the chunks differ.
    """
    import torch
    from transformers import TextIteratorStreamer

    class _BatchedStreamer(TextIteratorStreamer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pending: list[int] = []
            self._last_flush = 0.0

        def put(self, value):
            if self.next_tokens_are_prompt:  # the first put is the prompt, which skip_prompt drops
                super().put(value)
                return
            now = time.perf_counter()
            if state.first_token_s is None:
                state.first_token_s = now - state.started
            self._pending.extend(value.reshape(-1).tolist())
            if now - self._last_flush >= batch_s:
                self._flush(now)

        def _flush(self, now: float) -> None:
            if self._pending:
                super().put(torch.tensor(self._pending))
                self._pending = []
            self._last_flush = now

        def end(self):
            self._flush(time.perf_counter())
            super().end()

    return _BatchedStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=timeout_s)


def stream_generate(
    model, inputs: dict, generate_kwargs: dict, streamer, state: GenerationState, cancel: threading.Event,
    executor,
) -> Iterator[str]:
    """Run `model.generate` on the engine's generate thread; yield text deltas; leave the output or error in `state`.

    One long-lived thread per engine (a single-worker executor) keeps torch's CPU thread team warm:
    a fresh thread per request pays for a new OpenMP team every time. If the reader stops early (a
    closed stream, a streamer timeout), `cancel` stops generate at its next token so the thread frees up.
    """
    import torch

    def work() -> None:
        try:
            with torch.inference_mode():  # thread-local: it must be entered in the generating thread
                state.output = model.generate(**inputs, **generate_kwargs, streamer=streamer)
        except BaseException as exc:  # reported to the reader; the stream must end either way
            state.error = exc
            streamer.end()

    future = executor.submit(work)
    try:
        for text in streamer:
            if text:
                yield text
    finally:
        if not future.done():
            cancel.set()
        future.result()
