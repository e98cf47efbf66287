"""Side-by-side wall time: Tesseract and RapidOCR run together by the arena's pool, against each alone.

    .venv/bin/python -m benchmarks.bench_side_by_side [--image PATH] [--repeats N] [--models A,B]

Both engines are loaded and warmed first. Then, in one run and interleaved, each engine alone
(`pool.run`) and both together (`pool.run_many`, one thread per model, as the arena runs them) are timed.
Printed: medians, and together / slower-alone. Target on 2 cores: <= 1.15.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from backends.base import OcrRequest
from backends.config import load_config
from backends.documents import load_image
from backends.pool import ModelPool, Result

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = ROOT / "samples/en_printed_pages/images/docbank_106_tar_1705_06909_gz_KGBR5_4.jpg"


def timed(events) -> float:
    started = time.perf_counter()
    for _ in events:
        pass
    return time.perf_counter() - started


def check_ok(pool: ModelPool, keys: list[str], request: OcrRequest) -> None:
    for key, event in pool.run_many(keys, request):
        if isinstance(event, Result) and event.status.value != "ok":
            raise SystemExit(f"{key}: {event.status.value}: {event.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", default="tesseract,rapidocr")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    args = parser.parse_args()

    keys = args.models.split(",")
    pool = ModelPool(load_config(args.config))
    request = OcrRequest(load_image(args.image))
    check_ok(pool, keys, request)  # loads and warms every engine

    alone: dict[str, list[float]] = {k: [] for k in keys}
    together: list[float] = []
    for _ in range(args.repeats):
        for key in keys:
            alone[key].append(timed(pool.run(key, request)))
        together.append(timed(pool.run_many(keys, request)))

    print(f"Side by side on {args.image.name} ({request.image.width}x{request.image.height}), "
          f"{args.repeats} repeats, medians:")
    medians = {k: statistics.median(v) for k, v in alone.items()}
    for key, value in medians.items():
        print(f"  {key:<12} alone     {value:7.3f} s")
    both = statistics.median(together)
    slowest = max(medians.values())
    print(f"  together               {both:7.3f} s")
    print(f"  sum of alone           {sum(medians.values()):7.3f} s")
    print(f"ratio together / slower alone = {both / slowest:.3f}  (target <= 1.15)")
    pool.close()


if __name__ == "__main__":
    main()
