"""Chat side by side: the wall time of one question to three Transformers models at once, against each alone and
against the best any schedule could do on this machine's cores.

    .venv/bin/python -m benchmarks.scripts.bench_chat_side_by_side [--tokens 64] [--repeats 5] [--image PATH]
        [--isolate auto|true|false]

Builds the tests' tiny random-weight Qwen2-VL, Qwen2.5-VL and Qwen3-VL models (testkit.tiny_models), installs them
in a temporary Hugging Face cache under their real repo ids (offline), and takes the shipped config's entries for
them, each forced to write exactly `--tokens` tokens, so the work is CPU-bound and the same every time. Questions
go through `core.chat.side_by_side.ask` on a ModelPool: what the Chat tab's "Ask them all" runs for a first
question (the page decoded and encoded once, as the tab's page cache does), without the HTTP and rendering around
it. All three models are loaded and warmed first; then, interleaved in each repeat, every model alone and the three
together are timed (wall, and CPU time of this process and its worker processes, all threads). `--isolate`
sets the entries' `isolate`: auto (unset, what users get: on a machine without a GPU each model runs in a worker
process, with its share of the cores), true, or false (all three in this process).

Printed: medians; together / slowest alone; and together / the best possible: no schedule beats the slowest model
alone, nor the three models' CPU work spread over every core, so best = max(slowest alone, sum of CPU / cores).
The goal is together / best <= 1.10. That floor assumes idle cores: the load average before the run is printed
when other work was using them. A measurement script: it exits 0 once it has numbers.
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

FAMILIES = {"qwen_vl_2b": "qwen2_vl", "qwen25_vl_3b": "qwen2_5_vl", "qwen3_vl_2b": "qwen3_vl"}  # key -> family
DEFAULT_IMAGE = PROJECT_ROOT / "samples" / "en_printed_pages" / "images" / "tesseract_phototest.tif"
QUESTION = "What is written on this page?"
GOAL = 1.10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_chat_side_by_side",
                                     description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per answer, forced")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--isolate", choices=("auto", "true", "false"), default="auto")
    return parser.parse_args(argv)


def install_tiny_models(cache: Path, built: Path) -> dict[str, str]:
    """Each family's tiny model under the repo id its config.yaml entry names; returns key -> repo id."""
    from testkit.tiny_models import FAMILY_REPOS, build_tiny_model, install_in_hf_cache

    repos = {}
    for key, family in FAMILIES.items():
        folder = build_tiny_model(family, built / family)
        repos[key] = FAMILY_REPOS[family][0]
        install_in_hf_cache(cache, repos[key], folder)
    return repos


def tiny_pool(repos: dict[str, str], tokens: int, isolate: bool | None):
    """The shipped config's entries for the three models, each writing exactly `tokens` tokens."""
    from backends.config import load_config, parse_config
    from backends.pool import ModelPool

    raw = load_config(PROJECT_ROOT / "config.yaml").model_dump()
    raw["models"] = [m for m in raw["models"] if m["key"] in repos]
    raw["app"]["default_models"] = list(repos)
    for entry in raw["models"]:
        assert entry["weights"] == repos[entry["key"]], entry["key"]
        entry["options"] = {**(entry.get("options") or {}), "max_new_tokens": tokens,
                            "generate": {"min_new_tokens": tokens}, "repetition_window": 0}
        entry["isolate"] = isolate
    return ModelPool(parse_config(raw))


def cpu_seconds() -> float:
    """CPU time of this process and its worker processes, every thread."""
    import psutil

    me = psutil.Process()
    return sum(t.user + t.system for t in (p.cpu_times() for p in [me, *me.children(recursive=True)]))


def timed_question(pool, image, encoded: dict, keys: list[str], tokens: int) -> tuple[float, float]:
    """Wall and CPU seconds (with the workers) of one first question to `keys`; checks every answer."""
    from core.chat.side_by_side import ask

    conversations: dict = {}
    wall, cpu = time.perf_counter(), cpu_seconds()
    for _ in ask(pool, image, encoded, QUESTION, keys, conversations, max_turns=2):
        pass
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    for key in keys:
        [turn] = conversations[key]
        if turn.status != "ok":
            raise SystemExit(f"{key}: {turn.status}: {turn.message}")
        if turn.output_tokens != tokens:
            raise SystemExit(f"{key}: wrote {turn.output_tokens} tokens, not {tokens}")
    return wall, cpu


def measure(pool, image, repeats: int, tokens: int):
    """Per model alone: [(wall, cpu)]; together: [wall]. Interleaved, after a warm-up of each."""
    keys = list(FAMILIES)
    encoded: dict[str, str] = {}
    timed_question(pool, image, encoded, keys, tokens)  # loads and warms every model
    alone: dict[str, list[tuple[float, float]]] = {k: [] for k in keys}
    together: list[float] = []
    for _ in range(repeats):
        for key in keys:
            alone[key].append(timed_question(pool, image, encoded, [key], tokens))
        together.append(timed_question(pool, image, encoded, keys, tokens)[0])
    return alone, together


def print_report(alone, together, cores: int, torch_threads: int, load: float, args) -> None:
    print(f"\nOne question to {len(alone)} tiny models, {args.tokens} tokens each, {args.repeats} repeats, medians; "
          f"{cores} cores; isolate: {args.isolate}; torch in this process uses {torch_threads} threads:")
    wall = {k: statistics.median(w for w, _ in runs) for k, runs in alone.items()}
    cpu = {k: statistics.median(c for _, c in runs) for k, runs in alone.items()}
    for key in alone:
        print(f"  {key:<13} alone    {wall[key]:7.3f} s wall  {cpu[key]:7.3f} s CPU")
    both, slowest = statistics.median(together), max(wall.values())
    best = max(slowest, sum(cpu.values()) / cores)
    print(f"  side by side           {both:7.3f} s wall  (runs: {', '.join(f'{t:.2f}' for t in together)})")
    print(f"  best possible          {best:7.3f} s wall  (max of slowest alone {slowest:.3f}, "
          f"total CPU / cores {sum(cpu.values()) / cores:.3f})")
    print(f"ratio side by side / slowest alone  = {both / slowest:.3f}")
    print(f"ratio side by side / best possible  = {both / best:.3f}  (goal <= {GOAL:.2f}: "
          f"{'met' if both / best <= GOAL else 'not met'})")
    if load > 0.5:
        print(f"note: the load average was {load:.1f} before this script started: other work held some of the "
              f"{cores} cores, which the best possible (idle cores) does not allow for")


def main(argv=None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0  # the machine's other work, before ours
    with tempfile.TemporaryDirectory(prefix="bench-chat-sbs-") as tmp:
        cache = Path(tmp) / "hub"
        # Before huggingface_hub is imported (it reads these once): the temporary cache, offline.
        os.environ.update(HF_HOME=tmp, HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1")
        import torch

        from core.documents import load_image

        repos = install_tiny_models(cache, Path(tmp) / "built")
        pool = tiny_pool(repos, args.tokens, {"auto": None, "true": True, "false": False}[args.isolate])
        try:
            image = load_image(args.image)
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            print(f"{args.image.name} ({image.width}x{image.height}); models: "
                  + ", ".join(f"{key} ({repo})" for key, repo in repos.items()))
            alone, together = measure(pool, image, args.repeats, args.tokens)
            print_report(alone, together, cores, torch.get_num_threads(), load, args)
        finally:
            pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
