"""Reading a chat-completions stream: its `data:` lines, the reply they add up to, and a guard against a reply
that loops. What arrived before a stream broke stays in the `Reply`, so a cut stream keeps its text."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Iterator


class EndpointError(RuntimeError):
    """A remote server's failure, worded for the column."""


@dataclass
class Reply:
    """What the stream has delivered so far."""

    started: float = field(default_factory=time.perf_counter)
    text: str = ""
    usage: dict | None = None
    finish: str | None = None  # the server's finish_reason, or "loop" when the guard stopped reading
    first_token_s: float | None = None
    cut_reason: str | None = None
    chunks: int = 0  # chunks that carried text

    def add(self, chunk: dict) -> Iterator[str]:
        """Take in one stream chunk; yield its text pieces."""
        self.usage = chunk.get("usage") or self.usage
        for choice in chunk.get("choices") or []:
            delta = (choice.get("delta") or {}).get("content") or ""
            self.finish = choice.get("finish_reason") or self.finish
            if delta:
                self.chunks += 1
                if self.first_token_s is None:
                    self.first_token_s = time.perf_counter() - self.started
                self.text += delta
                yield delta

    def trim_loop(self, start: int, unit: int) -> None:
        """Keep one unit of the repetition that begins at `start`, and say why reading stopped."""
        self.cut_reason = (f"a loop: {self.text[start:start + unit]!r} repeated over {len(self.text) - start:,} "
                           "characters; reading stopped and the loop was trimmed")
        self.text = self.text[:start + unit]
        self.finish = "loop"


def repeating_tail(text: str, run_chars: int, max_unit: int = 32) -> tuple[int, int] | None:
    """(start, unit length) when the last `run_chars` characters of `text` are one unit of at most `max_unit`
    characters repeated; `start` is where that repetition begins. None otherwise."""
    if run_chars <= 0 or len(text) < run_chars:
        return None
    tail = text[-run_chars:]
    for unit in range(1, max_unit + 1):
        if tail[unit:] == tail[:-unit]:  # periodic with this period
            start = len(text) - run_chars
            while start > 0 and text[start - 1] == text[start - 1 + unit]:
                start -= 1
            return start, unit
    return None


def sse_chunks(lines: Iterator[str]) -> Iterator[dict]:
    """JSON objects from `data:` lines; `[DONE]` ends the stream (some servers never send it)."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if data:
            try:
                chunk = json.loads(data)
            except ValueError:
                raise EndpointError(f"the server sent a malformed stream line: {data[:120]}") from None
            if isinstance(chunk, dict) and chunk.get("error"):
                # vLLM reports a failure after its 200 this way (e.g. an engine that died on the request).
                error = chunk["error"]
                message = error.get("message", error) if isinstance(error, dict) else error
                raise EndpointError(f"the server reported an error mid-stream: {message}")
            yield chunk
