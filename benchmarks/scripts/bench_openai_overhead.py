"""The OpenAI-compatible client's overhead per request, against the raw HTTP stream from the same server.

    .venv/bin/python -m benchmarks.scripts.bench_openai_overhead [--tokens 16] [--repeats 15] [--image PATH]

Serves a tiny random-weight Qwen2-VL (the tests' builder, in a temp offline cache) with `transformers serve`
(`python -m backends.engines.transformers.serve`), then times, alternating in one run, N requests each of:

* raw: the request body built once, POSTed with a bare httpx stream that reads the lines to the end;
* engine: `OpenAIEngine.stream` (encodes the image, builds the body, parses every chunk, counts, times);
* pool: the same through `ModelPool.run` (availability check, locks, progress events, metrics).

Greedy decoding (the random model never stops early: the engine's token counts are printed) makes the server's work the same each time, so the differences are
the client's. A tiny model is the worst case for fixed overheads: a real model's request takes seconds.
A measurement script: it always exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import ModelResult
from backends.contracts.schema import PROJECT_ROOT

MODEL = "Qwen/Qwen2-VL-2B-Instruct"
PROMPT = "Read all the text in this image."


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_openai_overhead")
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=15, help="requests per way")
    parser.add_argument("--image", default=str(PROJECT_ROOT / "samples" / "en_printed_pages" / "images" /
                                               "tesseract_phototest.tif"))
    return parser.parse_args(argv)


class Ways:
    """The three ways of sending the same request to one server, each a method that sends one and reads it all."""

    def __init__(self, endpoint: str, image, tokens: int):
        import httpx

        from backends.config import parse_config
        from backends.engines.openai.engine import OpenAIEngine, OpenAIOptions, build_payload
        from backends.pool import ModelPool

        options = OpenAIOptions(max_tokens=tokens)
        self.image = image
        self.endpoint = endpoint
        self.payload = build_payload(options, MODEL, PROMPT, image)
        self.raw_client = httpx.Client(timeout=60)
        self.engine = OpenAIEngine("bench", options, endpoint=endpoint, model=MODEL, prompts={"ocr": PROMPT})
        self.engine.load()
        self.pool = ModelPool(parse_config({"models": [{
            "key": "bench", "name": "bench", "engine": "openai", "endpoint": endpoint,
            "prompts": {"ocr": PROMPT},
            "options": {"model": MODEL, "max_tokens": tokens}}]}))
        self.tokens_seen: list[int] = []  # the engine's token counts: the reply's length is the same each time

    def raw(self) -> None:
        with self.raw_client.stream("POST", f"{self.endpoint}/chat/completions", json=self.payload) as response:
            for _ in response.iter_lines():
                pass

    def through_engine(self) -> None:
        for item in self.engine.stream(PageRequest(self.image)):
            if isinstance(item, EngineOutput):
                self.tokens_seen.append(item.output_tokens)

    def through_pool(self) -> None:
        for event in self.pool.run("bench", PageRequest(self.image)):
            if isinstance(event, ModelResult) and event.status.value != "ok":
                raise RuntimeError(event.message)

    def by_name(self) -> dict[str, Callable[[], None]]:
        return {"raw httpx stream": self.raw, "OpenAIEngine.stream": self.through_engine,
                "ModelPool.run": self.through_pool}

    def close(self) -> None:
        self.pool.close()
        self.engine.unload()
        self.raw_client.close()


def time_ways(ways: dict[str, Callable[[], None]], repeats: int) -> dict[str, list[float]]:
    """Seconds per request of each way, alternating the ways, after one untimed request each."""
    for run in ways.values():  # warm-up: connections, the server's first request
        run()
    timings: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, run in ways.items():
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    return timings


def print_report(timings: dict[str, list[float]], image_size: tuple[int, int], tokens_seen: list[int], args) -> None:
    width, height = image_size
    print(f"tiny Qwen2-VL on transformers serve (CPU), {width}×{height} px image, {args.tokens} tokens per reply "
          f"(engine saw {sorted(set(tokens_seen))}), {args.repeats} requests per way, alternating\n")
    base = statistics.median(timings["raw httpx stream"])
    print(f"{'way':<22}{'median ms':>11}{'min ms':>9}{'vs raw':>9}{'+ms/request':>13}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<22}{median * 1000:>11.1f}{min(values) * 1000:>9.1f}{median / base:>9.3f}"
              f"{(median - base) * 1000:>13.1f}")


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-openai-") as tmp:
        # The served model comes from an offline cache of its own; set before huggingface_hub is imported.
        os.environ.update(HF_HOME=tmp, HF_HUB_CACHE=f"{tmp}/hub", HF_HUB_OFFLINE="1")
        from PIL import Image

        from backends.engines.vllm.server import free_port
        from testkit.servers import transformers_serve
        from testkit.tiny_models import build_tiny_model, install_in_hf_cache

        install_in_hf_cache(Path(tmp) / "hub", MODEL, build_tiny_model("qwen2_vl", Path(tmp) / "qwen2_vl"))
        image = Image.open(args.image)
        image.load()
        with transformers_serve(MODEL, free_port("127.0.0.1")) as url:
            ways = Ways(f"{url}/v1", image, args.tokens)
            timings = time_ways(ways.by_name(), args.repeats)
            ways.close()
    print_report(timings, image.size, ways.tokens_seen, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
