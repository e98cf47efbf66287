"""Engine overhead: the arena's generate time on a tiny model / a bare `model.generate` on the same inputs.

    .venv/bin/python -m benchmarks.scripts.bench_transformers_overhead [--family qwen2_vl] [--tokens 48] [--repeats 15]
                                                                [--extra-vocab 0]

Builds a tiny random-weight model of the family (the tests' builder, in a temp dir), loads it once
through the engine exactly as the arena does, and then alternates, N times each:

* bare: `model.generate(**inputs, max_new_tokens=T, min_new_tokens=T, do_sample=False)` on inputs the
  engine's own family adapter built once, outside the timing;
* arena: `TransformersEngine.stream(request)` to its final output (preprocessing, the generate thread,
  the TextIteratorStreamer, the repetition guard and the final decode all included), with the same
  token count forced by the same min/max_new_tokens.

Prints the medians and arena / bare (target <= 1.05), with the guard off and on. The per-token cost of
a tiny model is tiny, so this is the worst case for fixed overheads: real models spend far longer per
token and the ratio falls towards 1. A measurement script: it always exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT

TARGET_RATIO = 1.05


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_transformers_overhead")
    parser.add_argument("--family", default="qwen2_vl", help="tiny model family (testkit/tiny_models.py)")
    parser.add_argument("--tokens", type=int, default=48, help="new tokens per request, forced")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--extra-vocab", type=int, default=0,
                        help="unused vocabulary rows: more work per token, closer to a real model's pace")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from PIL import Image

    from backends.contracts.requests import EngineOutput, PageRequest
    from backends.contracts.schema import ModelEntry
    from backends.registry import create_engine
    from testkit.tiny_models import build_tiny_model

    image = Image.open(PROJECT_ROOT / "samples" / "ru_licences" / "images" / "licence_01.png").convert("RGB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_tiny_model(args.family, Path(tmp) / args.family, extra_vocab=args.extra_vocab)
        print(f"tiny {args.family} model (+{args.extra_vocab} vocabulary rows), {args.tokens} new tokens, "
              f"{args.repeats} runs each, torch threads {torch.get_num_threads()}")
        # The guard's window is longer than the forced output, so it is consulted on every token but a
        # random model's loops cannot end a run early and make the two sides generate different amounts.
        for window in (0, args.tokens + 1):
            entry = ModelEntry(key="tiny", name="tiny", engine="transformers", weights=str(folder), options={
                "max_new_tokens": args.tokens, "repetition_window": window,
                "generate": {"min_new_tokens": args.tokens}})
            engine = create_engine(entry)
            engine.load()
            request = PageRequest(image)
            inputs = engine.family.build_inputs(engine.processor, image, engine.prompt_for(request), {})
            inputs = inputs.to(engine.model.device, dtype=engine.model.dtype)
            kwargs = {"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "do_sample": False,
                      **engine.family.generate_kwargs(engine.processor)}

            def bare() -> float:
                started = time.perf_counter()
                with torch.inference_mode():
                    engine.model.generate(**inputs, **kwargs)
                return time.perf_counter() - started

            def arena() -> tuple[float, float, int]:
                started = time.perf_counter()
                output = [o for o in engine.stream(request) if isinstance(o, EngineOutput)][0]
                total = time.perf_counter() - started
                return total, total - output.extra["preprocess_s"], output.output_tokens

            bare(), arena()  # warm-up: first-call allocations and lazy inits
            bare_s, total_s, generate_s, tokens = [], [], [], set()
            for _ in range(args.repeats):
                bare_s.append(bare())
                total, generating, count = arena()
                total_s.append(total)
                generate_s.append(generating)
                tokens.add(count)
            b, t, g = (statistics.median(v) for v in (bare_s, total_s, generate_s))
            guard = f"guard window {window}" if window else "guard off"
            print(f"{guard:16s} bare generate {b * 1000:7.1f} ms | arena generate {g * 1000:7.1f} ms, "
                  f"ratio {g / b:.3f} (target <= {TARGET_RATIO}) | arena incl. preprocessing {t * 1000:7.1f} ms, "
                  f"ratio {t / b:.3f} | tokens {sorted(tokens)}")
            engine.unload()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
