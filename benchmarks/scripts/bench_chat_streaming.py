"""Chat streaming: UI updates per second and total time of a reply, with a small and with a 5 MB image in the
conversation, through the real app and its API (the same path as the browser's).

    .venv/bin/python -m benchmarks.scripts.bench_chat_streaming [--tokens 1500] [--repeats 5]

Builds a tiny random-weight Qwen2-VL (the tests' builder; `--extra-vocab` slows each token towards a real
model's pace), serves the app with it, sends the document and a first question, then times the second
question's reply N times per image, alternating the two conversations. Every update the server yields is
counted as the client receives it. A measurement script: it exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_chat_streaming")
    parser.add_argument("--tokens", type=int, default=1500, help="new tokens per reply, forced")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--extra-vocab", type=int, default=0,
                        help="unused vocabulary rows (slower tokens; they decode without spaces, which holds text back)")
    return parser.parse_args(argv)


SIDE = 1322  # 1322² × 3 bytes of noise ≈ 5 MB as PNG; both images are above Qwen's pixel cap, so the model
#             sees the same number of image tokens and only the file size differs


def page_images(folder: Path) -> tuple[Path, Path]:
    """A clean page (a small PNG) and a noisy one of the same size (a ~5 MB PNG, like a phone photo)."""
    import numpy as np
    from PIL import Image

    small = folder / "page.png"
    licence = Image.open(PROJECT_ROOT / "samples" / "ru_licences" / "images" / "licence_01.png").convert("RGB")
    page = Image.new("RGB", (SIDE, SIDE), "white")
    page.paste(licence, (100, 100))
    page.save(small)
    large = folder / "photo.png"
    pixels = np.random.default_rng(0).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(large, compress_level=1)
    return small, large


def tiny_qwen_pool(folder: Path, tokens: int):
    """The shipped config's Tesseract and RapidOCR, plus the tiny Qwen2-VL forced to write `tokens` tokens."""
    from backends.config import load_config, parse_config
    from backends.pool import ModelPool

    raw = load_config(PROJECT_ROOT / "config.yaml").model_dump()
    raw["models"] = [m for m in raw["models"] if m["key"] in ("tesseract", "rapidocr")] + [{
        "key": "tiny_qwen", "name": "tiny Qwen2-VL", "engine": "transformers", "weights": str(folder),
        "tasks": ["ocr", "chat"],
        "options": {"max_new_tokens": tokens, "generate": {"min_new_tokens": tokens},
                    "repetition_window": 0}}]
    return ModelPool(parse_config(raw))


def time_replies(client, pool, images: dict[str, Path], repeats: int):
    """Per image: (seconds, updates) of each reply through the app's API; and the same reply's seconds straight
    from the pool (the model's own time), on the small image. The images alternate."""
    from gradio_client import handle_file

    from backends.contracts.requests import PageRequest
    from core.documents import load_image

    timings: dict[str, list[tuple[float, int]]] = {label: [] for label in images}
    direct: list[float] = []
    for _ in range(repeats):
        for label, image in images.items():
            history = [{"role": "user", "content": [{"type": "file", "file": handle_file(str(image))}]},
                       {"role": "user", "content": [{"type": "text", "text": "What is this?"}]},
                       {"role": "assistant", "content": [{"type": "text", "text": "A page."}]}]
            started = time.perf_counter()
            job = client.submit({"text": "And line 2?", "files": []}, history, "tiny_qwen", "1",
                                api_name="/chat")
            job.result()
            timings[label].append((time.perf_counter() - started, len(job.outputs())))
        started = time.perf_counter()
        request = PageRequest(load_image(images["small image"]), task="chat", prompt="And line 2?",
                              history=(("What is this?", "A page."),))
        for _ in pool.run_many(["tiny_qwen"], request):
            pass
        direct.append(time.perf_counter() - started)
    return timings, direct


def print_report(timings: dict[str, list[tuple[float, int]]], direct: list[float], args) -> None:
    print(f"\n{args.tokens} tokens per reply, {args.repeats} replies each (median):")
    medians = {}
    for label, runs in timings.items():
        total = statistics.median(t for t, _ in runs)
        updates = statistics.median(n for _, n in runs)
        medians[label] = total
        print(f"  {label:12s} total {total:6.2f} s, {updates:4.0f} updates, {updates / total:5.1f} updates/s")
    model_s = statistics.median(direct)
    print(f"  the pool alone (no UI): {model_s:.2f} s")
    print(f"  5 MB / small total time: ×{medians['5 MB image'] / medians['small image']:.3f}; "
          f"chat tab / pool alone: ×{medians['small image'] / model_s:.3f} (small), "
          f"×{medians['5 MB image'] / model_s:.3f} (5 MB)")


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradio_client import Client

    from testkit.tiny_models import build_tiny_model
    from ui.app import build_app

    with tempfile.TemporaryDirectory() as tmp:
        folder = build_tiny_model("qwen2_vl", Path(tmp) / "qwen", extra_vocab=args.extra_vocab)
        pool = tiny_qwen_pool(folder, args.tokens)
        app = build_app(pool)
        app.launch(server_name="127.0.0.1", server_port=0 or None, prevent_thread_lock=True, quiet=True)
        # download_files=False: the client would otherwise fetch the image again with every update, which a
        # browser (holding it by URL) never does.
        client = Client(app.blocks.local_url, verbose=False, download_files=False)
        images = dict(zip(("small image", "5 MB image"), page_images(Path(tmp))))
        for label, image in images.items():
            print(f"{label}: {image.stat().st_size / 2**20:.2f} MB in the conversation")
        timings, direct = time_replies(client, pool, images, args.repeats)
        print_report(timings, direct, args)
        app.close()
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
