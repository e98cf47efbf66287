"""vLLM's CPU build against the Transformers engine, on tiny random models of the seed architectures.

    .venv/bin/python -m benchmarks.scripts.bench_vllm_cpu [--tokens 64] [--requests 16] [--concurrency 1 8] [--skip-archs]

Needs the vLLM environment (`python launch.py env vllm`). The tiny models are built in it
(testkit/vllm_tiny_models.py) into a temporary offline Hugging Face cache under their real repo ids, and run
through the shipped config entries (max_tokens / max_new_tokens set to --tokens; random weights never stop).

1. Per architecture on vLLM: seconds from `vllm serve` to a healthy server, time to first token, tokens/s.
2. The same tiny Qwen2-VL weights on Transformers (`qwen_vl_2b`) and on vLLM (`qwen_vl_2b_vllm`), through the
   arena's pool: N requests at each concurrency, sent from that many threads. Printed per engine and
   concurrency: the median latency (sending to result, waiting for a turn included), requests/s and output
   tokens/s over the whole batch. The Transformers
   engine takes requests in turn; the vLLM server batches them (continuous batching).

A measurement script, not a test: it prints numbers and exits 0 once it has them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT

ARCH_KEYS = ["qwen_vl_2b_vllm", "qwen25_vl_3b_vllm", "qwen3_vl_2b_vllm", "dots_ocr", "deepseek_ocr",
             "deepseek_ocr2_vllm"]
PAGE = PROJECT_ROOT / "samples/en_printed_pages/images/tesseract_phototest.tif"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_vllm_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=64, help="output tokens per request (default: 64)")
    parser.add_argument("--requests", type=int, default=16, help="requests per engine and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--skip-archs", action="store_true", help="only the Transformers / vLLM comparison")
    return parser.parse_args(argv)


def build_cache(cache: Path) -> None:
    from backends.engines.vllm.environment import is_up_to_date, vllm_environment

    folder = vllm_environment()
    if not is_up_to_date(folder):
        raise SystemExit(f"no vLLM environment at {folder}: run python launch.py env vllm")
    subprocess.run([str(folder / "bin" / "python"), "-m", "testkit.vllm_tiny_models", "--cache", str(cache)],
                   cwd=PROJECT_ROOT, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def make_pool(tokens: int):
    import yaml

    from backends.config import parse_config
    from backends.pool import ModelPool

    raw = yaml.safe_load((PROJECT_ROOT / "config.yaml").read_text(encoding="utf-8"))
    for entry in raw["models"]:
        options = entry.setdefault("options", {})
        if entry["engine"] == "vllm":
            options["max_tokens"] = tokens
        elif entry["engine"] == "transformers":
            options.update(max_new_tokens=tokens, repetition_window=0)
    return ModelPool(parse_config(raw), on_gpu=False)


def run_once(pool, key: str, image):
    from backends.contracts.requests import PageRequest
    from backends.contracts.results import Status

    result = list(pool.run(key, PageRequest(image)))[-1]
    if result.status != Status.OK:
        raise SystemExit(f"{key}: {result.status.value}: {result.message}")
    return result


def architectures(pool, image) -> None:
    print(f"{'model':22} {'start→healthy':>14} {'first token':>12} {'tokens/s':>9}  (one request, cold server)")
    for key in ARCH_KEYS:
        if key not in pool.config.keys():
            print(f"{key:22} not in config.yaml")
            continue
        result = run_once(pool, key, image)
        start = result.details.get("server start", "?").replace(" to healthy", "")
        print(f"{key:22} {start:>14} {result.metrics.first_token_s:>10.3f} s {result.metrics.tokens_per_s:>9.1f}",
              flush=True)
        pool.unload(key)


def timed_request(pool, key: str, image) -> tuple[float, int]:
    """(seconds from sending to the result, waiting for a turn included; output tokens)."""
    started = time.perf_counter()
    result = run_once(pool, key, image)
    return time.perf_counter() - started, result.metrics.output_tokens or 0


def batch(pool, key: str, image, requests: int, concurrency: int) -> tuple[float, float, float]:
    """(median latency s, requests/s, output tokens/s) for `requests` requests, `concurrency` at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as threads:
        timings = list(threads.map(lambda _: timed_request(pool, key, image), range(requests)))
    wall = time.perf_counter() - started
    tokens = sum(count for _, count in timings)
    return statistics.median(seconds for seconds, _ in timings), requests / wall, tokens / wall


def engines_side_by_side(pool, image, requests: int, levels: list[int]) -> None:
    print(f"\nSame tiny Qwen2-VL weights, {requests} requests per row, through the pool:")
    print(f"{'engine':28} {'concurrency':>11} {'median latency':>15} {'requests/s':>11} {'tokens/s':>9}")
    for key, label in (("qwen_vl_2b", "Transformers (qwen_vl_2b)"), ("qwen_vl_2b_vllm", "vLLM (qwen_vl_2b_vllm)")):
        run_once(pool, key, image)  # load and warm up
        for level in levels:
            latency, rps, tps = batch(pool, key, image, requests, level)
            print(f"{label:28} {level:>11} {latency:>13.3f} s {rps:>11.2f} {tps:>9.1f}", flush=True)
        pool.unload(key)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cache = Path(tempfile.mkdtemp(prefix="bench-vllm-hub-"))
    os.environ.update(HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1")  # before huggingface_hub is imported
    build_cache(cache)
    from PIL import Image

    image = Image.open(PAGE).convert("RGB")
    pool = make_pool(args.tokens)
    try:
        if not args.skip_archs:
            architectures(pool, image)
        engines_side_by_side(pool, image, args.requests, args.concurrency)
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
