"""The cost of running a model in its own worker process: per request (ms) and at load time.

    .venv/bin/python -m benchmarks.scripts.bench_worker_overhead [--family qwen2_vl] [--tokens 16] [--repeats 7] [--loads 3]

Builds a tiny random-weight model (the tests' builder, in a temp dir) and compares, side by side in one
run, the same config entry in-process and with `isolate: true`:

* load: a fresh engine's `load()`, alternating in-process and worker, N times each. The worker's load
  includes starting the interpreter and importing torch and transformers there; the in-process load
  runs after torch is imported (as in a running app), so the difference is the real extra wait.
* request: `stream(request)` to its final output on warm engines, alternating, N times each, with the
  token count forced (min/max_new_tokens). The difference is the per-request cost of the process
  boundary: the image crossing the socket, each delta as a message, the output back.

A measurement script: it always exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_worker_overhead")
    parser.add_argument("--family", default="qwen2_vl")
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7, help="requests per engine")
    parser.add_argument("--loads", type=int, default=3, help="fresh loads per engine")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch  # noqa: F401  (an app that runs transformers models has it imported already)
    from PIL import Image

    from backends.contracts.requests import EngineOutput, PageRequest
    from backends.contracts.schema import ModelEntry
    from backends.registry import create_engine
    from testkit.tiny_models import build_tiny_model

    image = Image.open(PROJECT_ROOT / "samples" / "ru_licences" / "images" / "licence_01.png").convert("RGB")
    request = PageRequest(image)
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_tiny_model(args.family, Path(tmp) / args.family)
        options = {"max_new_tokens": args.tokens, "repetition_window": 0, "generate": {"min_new_tokens": args.tokens}}
        entries = {isolate: ModelEntry(key="tiny", name="tiny", engine="transformers", weights=str(folder),
                                       isolate=isolate, options=options) for isolate in (False, True)}

        def timed_load(isolate: bool):
            engine = create_engine(entries[isolate])
            started = time.perf_counter()
            engine.load()
            return time.perf_counter() - started, engine

        timed_load(False)[1].unload()  # warm-up: first from_pretrained in this process
        loads = {False: [], True: []}
        for _ in range(args.loads):
            for isolate in (False, True):
                seconds, engine = timed_load(isolate)
                loads[isolate].append(seconds)
                engine.unload()

        engines = {isolate: timed_load(isolate)[1] for isolate in (False, True)}

        def run(engine) -> float:
            started = time.perf_counter()
            outputs = [o for o in engine.stream(request) if isinstance(o, EngineOutput)]
            assert outputs and outputs[0].output_tokens == args.tokens
            return time.perf_counter() - started

        for engine in engines.values():
            run(engine)  # warm-up
        requests = {False: [], True: []}
        for _ in range(args.repeats):
            for isolate in (False, True):
                requests[isolate].append(run(engines[isolate]))
        for engine in engines.values():
            engine.unload()

    load_in, load_w = statistics.median(loads[False]), statistics.median(loads[True])
    req_in, req_w = statistics.median(requests[False]), statistics.median(requests[True])
    print(f"tiny {args.family}, {args.tokens} tokens/request, medians of {args.loads} loads and {args.repeats} requests")
    print(f"load     in-process {load_in * 1000:8.0f} ms   worker {load_w * 1000:8.0f} ms   "
          f"worker/in-process {load_w / load_in:5.1f}x   (+{(load_w - load_in) * 1000:.0f} ms)")
    print(f"request  in-process {req_in * 1000:8.1f} ms   worker {req_w * 1000:8.1f} ms   "
          f"isolation cost {(req_w - req_in) * 1000:+.1f} ms per request ({req_w / req_in:.3f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
