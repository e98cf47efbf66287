"""'All pages' wall time: the old page-by-page barrier against per-model page pipelines.

    .venv/bin/python -m benchmarks.scripts.bench_all_pages [--repeats N] [--models A,B] [--pages N] [--dpi D]

A PDF of `--pages` bundled sample pages (samples/en_printed_pages: dense DocBank pages and Tesseract's small
test scans, so that the engines' times vary from page to page) is written to a temp folder and read back as
the arena reads "all pages" (at `--dpi`: 200, the app's default, gives each scan back at its size). Both
schedules run the same pages through the same warm pool, interleaved, each page under `--timeout-s` (a busy
machine can take minutes over a dense page; this measures the schedules, not the timeouts):

  barrier    one `ModelPool.run_many` per page, every model finishing a page before the next (the old arena)
  pipelines  `core.page_pipelines.run_pipelines`, each model reading the pages at its own pace (the arena now)

Printed, as medians over the repeats: each schedule's wall time for the whole document (with its range), the
moment each model's column was complete, and pipelines / barrier (of the medians, and of the fastest runs: on a
busy machine the least disturbed). A measurement script, not a test: it exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Iterator

import yaml

from backends.config import parse_config
from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult
from backends.contracts.schema import PROJECT_ROOT, ArenaConfig
from backends.pool import ModelPool
from core.documents import ALL_PAGES, load_image, load_pages
from core.page_pipelines import PageRequests, run_pipelines

SAMPLE_PAGES = PROJECT_ROOT / "samples/en_printed_pages/images"
DEFAULT_PAGES = [
    "docbank_106_tar_1705_06909_gz_KGBR5_4.jpg",
    "tesseract_eurotext.tif",
    "docbank_126_tar_1706_03453_gz_soft_graviton_yukawa_scalar_v2_06_10_17_0.jpg",
    "tesseract_phototest.tif",
    "docbank_40_tar_1503_04529_gz_GaussianLowerBounds_LaplaceBeltrami_hal2_0.jpg",
    "docbank_20_tar_1801_07927_gz_Manuscript_V5_0.jpg",
    "docbank_8_tar_1501_04311_gz_pippori_27.jpg",
]
SCAN_DPI = 200  # the resolution the pages are written at: A4 DocBank pages are 1654x2339 pixels


def build_pdf(folder: Path, count: int) -> Path:
    """`count` sample pages as one PDF, each page sized so that rendering it at SCAN_DPI gives the scan back."""
    images = [load_image(SAMPLE_PAGES / name).convert("RGB") for name in DEFAULT_PAGES[:count]]
    path = folder / f"samples-{count}-pages.pdf"
    images[0].save(path, save_all=True, append_images=images[1:], resolution=SCAN_DPI)
    return path


def config_with_timeout(path: Path, timeout_s: float) -> ArenaConfig:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in raw["models"]:
        entry["timeout_s"] = timeout_s
    return parse_config(raw)


def barrier(pool: ModelPool, keys: list[str], requests: PageRequests) -> Iterator[tuple[str, int, object]]:
    """The old schedule: one fan-out per page, so every page waits for its slowest model."""
    for index, page in enumerate(requests):
        for key, event in pool.run_many(keys, page[keys[0]], per_key=page):
            yield key, index, event


def timed(events: Iterator[tuple[str, int, object]], pages: int) -> tuple[float, dict[str, float]]:
    """Wall seconds to drain a schedule, and when each model's last page ended. Fails on any page not read."""
    started, complete = time.perf_counter(), {}
    for key, index, event in events:
        if isinstance(event, ModelResult):
            if event.status.value != "ok":
                raise SystemExit(f"{key} page {index + 1}: {event.status.value}: {event.message}")
            if index + 1 == pages:
                complete[key] = time.perf_counter() - started
    return time.perf_counter() - started, complete


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_all_pages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="tesseract,rapidocr")
    parser.add_argument("--pages", type=int, default=5, choices=range(2, len(DEFAULT_PAGES) + 1))
    parser.add_argument("--dpi", type=float, default=SCAN_DPI)
    parser.add_argument("--timeout-s", type=float, default=1800)
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yaml")
    args = parser.parse_args()

    keys = args.models.split(",")
    pool = ModelPool(config_with_timeout(args.config, args.timeout_s))
    with tempfile.TemporaryDirectory() as folder:
        pages = load_pages(build_pdf(Path(folder), args.pages), ALL_PAGES, dpi=args.dpi)
    # One request per page shared by every model, as the arena sends them.
    requests = [dict.fromkeys(keys, PageRequest(image)) for _, image in pages]
    timed(barrier(pool, keys, requests[:1]), 1)  # loads and warms every engine

    schedules = {"barrier": barrier, "pipelines": run_pipelines}
    walls: dict[str, list[float]] = {name: [] for name in schedules}
    complete: dict[str, dict[str, list[float]]] = {name: {k: [] for k in keys} for name in schedules}
    for _ in range(args.repeats):
        for name, schedule in schedules.items():
            wall, done = timed(schedule(pool, keys, requests), len(pages))
            walls[name].append(wall)
            for key in keys:
                complete[name][key].append(done[key])
    pool.close()

    sizes = ", ".join(f"{image.width}x{image.height}" for _, image in pages)
    print(f"All pages of a {len(pages)}-page PDF ({sizes}) with {', '.join(keys)}; {args.repeats} repeats, "
          f"medians, {os.cpu_count()} cores:")
    for name in schedules:
        columns = "  ".join(f"{key} complete {statistics.median(complete[name][key]):6.2f} s" for key in keys)
        spread = f"({min(walls[name]):.2f}-{max(walls[name]):.2f})"
        print(f"  {name:<10} {statistics.median(walls[name]):6.2f} s wall {spread:<15}  {columns}")
    ratio = statistics.median(walls["pipelines"]) / statistics.median(walls["barrier"])
    fastest = min(walls["pipelines"]) / min(walls["barrier"])
    print(f"ratio pipelines / barrier = {ratio:.3f}  (fastest runs: {fastest:.3f})")


if __name__ == "__main__":
    main()
