"""The concurrency sweep's figures: a row per request (load_results.csv) and one per model and level
(load_summary.csv), computed from the requests' records alone.

Throughputs divide by the level's wall time (its first request sent to its last reply), as `vllm bench serve`
does: pages/s counts the pages that came back OK, goodput only those within the latency target (`slo_s`).
Percentiles are over the level's requests (TTFT, TPOT, latency) or over all their chunk gaps (ITL).
"""
from __future__ import annotations

import pandas as pd

from benchmarks.load import LevelRun
from benchmarks.runner import memory_column
from benchmarks.trackers import describe

PERCENTILES = ("p50", "p90", "p99")
TIMED = ("ttft", "tpot", "itl", "latency")
# How the engine took concurrent requests, from what was seen: more than one running at once, or one at a time.
BATCHED, QUEUED, SINGLE = "batched", "queued", "single"


def request_rows(levels: list[LevelRun]) -> pd.DataFrame:
    """load_results.csv: every request of every level (its chunk times stay in results.json)."""
    return pd.DataFrame([{"model": level.model, "key": level.key, "concurrency": level.concurrency,
                          **{k: v for k, v in record.items() if k != "chunk_s"}}
                         for level in levels for record in level.records])


def load_summary(levels: list[LevelRun], slo_s: float | None) -> pd.DataFrame:
    """load_summary.csv: one row per model and concurrency level, in the order they ran."""
    return pd.DataFrame([level_row(level, slo_s) for level in levels]).round(4)


def level_row(level: LevelRun, slo_s: float | None) -> dict:
    ok = [r for r in level.records if r["status"] == "ok"]
    wall = level.wall_s
    per_s = (lambda count: count / wall if wall > 0 else None)
    overlap = most_at_once([(r["started_at_s"], r["ended_at_s"]) for r in level.records])
    row = {
        "model": level.model, "key": level.key, "concurrency": level.concurrency,
        "requests": len(level.records), "errors": len(level.records) - len(ok), "wall_s": wall,
        "pages_per_s": per_s(len(ok)),
        "output_tokens_per_s": per_s(sum(r["output_tokens"] for r in ok))
        if ok and all(r["output_tokens"] is not None for r in ok) else None,
        "goodput_pages_per_s": per_s(sum(r["latency_s"] <= slo_s for r in ok)) if slo_s else None,
        "slo_s": slo_s,
        "batching": batching(min(level.concurrency, len(level.records)), overlap),
        "engine_overlap_max": overlap,
        "queue_p50_s": describe(r["queue_s"] for r in ok).p50,
    }
    samples = {
        "ttft": [r["ttft_s"] for r in ok],
        "tpot": [r["tpot_s"] for r in ok],
        # Chunk gaps within each request: a request's first chunk has no gap before it (that is its TTFT).
        "itl": [b - a for r in ok for a, b in zip(r["chunk_s"], r["chunk_s"][1:])],
        "latency": [r["latency_s"] for r in ok],
    }
    for name in TIMED:
        stats = describe(samples[name])
        row |= {f"{name}_{p}_s": getattr(stats, p) for p in PERCENTILES}
    row |= {memory_column(label): value for label, value in level.memory_mb.items()}
    return row


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most requests running at the midpoint of any one of them. Midpoints, not edges: the pool's events
    reach the senders' threads a little late, so a request that follows another can seem to start a few
    milliseconds before that one ended."""
    return max((sum(start < (a + b) / 2 < end for start, end in intervals) for a, b in intervals), default=0)


def batching(concurrency: int, overlap: int) -> str:
    if overlap > 1:
        return BATCHED
    return QUEUED if concurrency > 1 else SINGLE
