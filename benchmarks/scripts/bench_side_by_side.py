"""Side-by-side wall time: Tesseract and RapidOCR run together by the arena's pool, against each alone.

    .venv/bin/python -m benchmarks.scripts.bench_side_by_side [--image PATH] [--repeats N] [--models A,B]

Both engines are loaded and warmed first. Then, in one run and interleaved, each engine alone
(`pool.run`) and both together (`pool.run_many`, one thread per model, as the arena runs them) are timed.
Printed: medians, together / slower-alone (target on 2 cores: <= 1.15), and together / the best any schedule
could do: when the slower engine already keeps every core busy, running both cannot beat their summed CPU
work divided by the cores, so that second ratio says how much the concurrency itself costs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from backends.contracts.requests import PageRequest
from backends.config import load_config
from core.documents import load_image
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from backends.contracts.schema import PROJECT_ROOT

DEFAULT_IMAGE = PROJECT_ROOT / "samples/en_printed_pages/images/docbank_106_tar_1705_06909_gz_KGBR5_4.jpg"


def timed(events) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all threads of this process) to drain an event stream."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in events:
        pass
    return time.perf_counter() - wall, time.process_time() - cpu


def check_ok(pool: ModelPool, keys: list[str], request: PageRequest) -> None:
    for key, event in pool.run_many(keys, request):
        if isinstance(event, ModelResult) and event.status.value != "ok":
            raise SystemExit(f"{key}: {event.status.value}: {event.message}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_side_by_side", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", default="tesseract,rapidocr")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yaml")
    args = parser.parse_args()

    keys = args.models.split(",")
    pool = ModelPool(load_config(args.config))
    request = PageRequest(load_image(args.image))
    check_ok(pool, keys, request)  # loads and warms every engine

    alone: dict[str, list[tuple[float, float]]] = {k: [] for k in keys}
    together: list[float] = []
    for _ in range(args.repeats):
        for key in keys:
            alone[key].append(timed(pool.run(key, request)))
        together.append(timed(pool.run_many(keys, request))[0])

    cores = os.cpu_count() or 1
    print(f"Side by side on {args.image.name} ({request.image.width}x{request.image.height}), "
          f"{args.repeats} repeats, medians, {cores} cores:")
    wall = {k: statistics.median(w for w, _ in v) for k, v in alone.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in alone.items()}
    for key in keys:
        print(f"  {key:<12} alone     {wall[key]:7.3f} s wall  {cpu[key]:7.3f} s CPU")
    both, slowest = statistics.median(together), max(wall.values())
    # No schedule beats the slower engine alone, nor the engines' total CPU work spread over every core.
    floor = max(slowest, sum(cpu.values()) / cores)
    print(f"  together               {both:7.3f} s wall")
    print(f"  best possible          {floor:7.3f} s wall (max of slower alone, total CPU / cores)")
    print(f"ratio together / slower alone  = {both / slowest:.3f}  (target <= 1.15)")
    print(f"ratio together / best possible = {both / floor:.3f}")
    pool.close()


if __name__ == "__main__":
    main()
