"""Our concurrency sweep against `vllm bench serve`: pages/s on one vLLM CPU server, the same requests both ways.

    .venv/bin/python -m benchmarks.scripts.bench_concurrency_vllm [--levels 1,4,16] [--tokens 64] [--pages 4]
                                                                  [--repeats 4] [--rounds 5]

Needs the vLLM environment (`python launch.py env vllm`, or ARENA_VLLM_ENV). The tiny random Qwen2-VL is built in
it (testkit/vllm_tiny_models.py) into a temporary offline Hugging Face cache, and one managed `vllm serve` runs it
through the shipped entry `qwen_vl_2b_vllm` (max_tokens = --tokens, --enforce-eager; random weights never stop, so
every reply is --tokens long). The pages are --pages 448 px crops of the Tesseract test page, each sent --repeats
times per level.

1. Our sweep, as `python -m benchmarks run --concurrency LEVELS` runs it (`run_benchmark` with `LoadSettings`):
   pages/s, output tokens/s, TTFT and TPOT p50 per level.
2. Side by side, per level and --rounds times in alternating order: our sender (`benchmarks.load.run_level`, the
   sweep's own, through the pool and the vLLM engine) and `vllm bench serve --backend openai-chat --dataset-name
   custom_image --enable-multimodal-chat` (its own code, `vllm.benchmarks.serve.main`, called in one process of
   the vLLM environment so that its imports are paid once) with the very same requests: the same pages as the
   same PNG data URLs (image first, then the entry's prompt), temperature 0, the same max tokens, the same number
   of requests (at least four waves per level) and --max-concurrency; one untimed run each way first. Printed:
   the median pages/s of each, and the median of each round's ours / theirs (goal: at least 0.9). A round's two
   runs are seconds apart, so a shared machine's load drifts less between them than between rounds.
3. Machine pauses. A separate process sleeps 10 ms at a time during every run and adds up how late it wakes.
   On a small virtual machine the whole machine sometimes stops for 0.3-1 s while the server is busy (the
   waker, the server and both clients alike). Such a run says nothing about the client, so each run's pause is
   printed, and the ratio is also given over the clean rounds: those in which neither run lost more than
   PAUSE_LIMIT of its wall time. The same rule applies to both clients.

A measurement script, not a test: it prints the numbers and exits 0 once it has them.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT

KEY = "qwen_vl_2b_vllm"
PAUSE_LIMIT = 0.05  # a run that lost more of its wall time to machine pauses does not count as clean
PAGE = PROJECT_ROOT / "samples/en_printed_pages/images/tesseract_phototest.tif"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_concurrency_vllm",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,4,16", help="requests in flight (default: 1,4,16)")
    parser.add_argument("--tokens", type=int, default=64, help="output tokens per request (default: 64)")
    parser.add_argument("--pages", type=int, default=4, help="distinct pages (default: 4)")
    parser.add_argument("--repeats", type=int, default=4, help="times each page is sent per level (default: 4)")
    parser.add_argument("--rounds", type=int, default=5, help="side-by-side rounds per level (default: 5)")
    return parser.parse_args(argv)


def build_cache(cache: Path) -> Path:
    from backends.engines.vllm.environment import is_up_to_date, vllm_environment

    folder = vllm_environment()
    if not is_up_to_date(folder):
        raise SystemExit(f"no vLLM environment at {folder}: run python launch.py env vllm")
    subprocess.run([str(folder / "bin" / "python"), "-m", "testkit.vllm_tiny_models", "--cache", str(cache),
                    "--family", "qwen2_vl"], cwd=PROJECT_ROOT, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return folder


def write_pages(folder: Path, count: int) -> Path:
    from PIL import Image

    folder.mkdir(parents=True)
    page = Image.open(PAGE).convert("RGB")
    for n in range(count):
        page.crop((0, 10 * n, 448, 10 * n + 448)).save(folder / f"crop{n}.png")
        (folder / f"crop{n}.txt").write_text("text", encoding="utf-8")
    return folder


def make_pool(tokens: int):
    import yaml

    from backends.config import parse_config
    from backends.pool import ModelPool

    raw = yaml.safe_load((PROJECT_ROOT / "config.yaml").read_text(encoding="utf-8"))
    entry = next(e for e in raw["models"] if e["key"] == KEY)
    entry["options"].update(max_tokens=tokens, extra_args=["--enforce-eager"])
    raw["models"] = [entry]
    raw["app"]["default_models"] = []
    return ModelPool(parse_config(raw), on_gpu=False)


def start_server(pool, pages: Path) -> None:
    """One request loads the model first, so the sweep leaves its server running for the side-by-side part."""
    from backends.contracts.requests import PageRequest
    from core.documents import load_image

    result = list(pool.run(KEY, PageRequest(load_image(next(pages.glob("*.png"))))))[-1]
    if result.status.value != "ok":
        raise SystemExit(f"{KEY}: {result.status.value}: {result.message}")
    print(f"server: {result.details.get('server start', '?')}", flush=True)


def our_sweep(pool, pages: Path, levels: tuple[int, ...], repeats: int, out: Path) -> None:
    from benchmarks.load import LoadSettings
    from benchmarks.load_report import summary_frame
    from benchmarks.report import write_report
    from benchmarks.runner import BenchmarkSettings, run_benchmark
    from core.dataset import load_dataset

    run = run_benchmark(pool, [KEY], load_dataset(pages), BenchmarkSettings(repeats=repeats),
                        load=LoadSettings(levels))
    write_report(run, out)
    summary = summary_frame(run)
    print(f"1. Our sweep ({len(run.levels[0].records)} requests per level; report in {out}):")
    print(f"{'in flight':>9} {'pages/s':>8} {'tokens/s':>9} {'TTFT p50':>9} {'TPOT p50':>9} {'batching':>9}")
    for row in summary.itertuples():
        print(f"{row.concurrency:>9} {row.pages_per_s:>8.2f} {row.output_tokens_per_s:>9.1f} "
              f"{row.ttft_p50_s:>8.3f}s {row.tpot_p50_s * 1000:>7.1f}ms {row.batching:>9}", flush=True)


def our_jobs(pages: Path, repeats: int):
    """One request per page (its image encoded once, as a client with the pages at hand would), sent `repeats`
    times."""
    from backends.contracts.requests import PageRequest
    from backends.engines.openai.engine import request_image_url
    from benchmarks.load import Job
    from core.documents import load_image

    jobs = []
    for path in sorted(pages.glob("*.png")):
        request = PageRequest(load_image(path))
        request_image_url(request, "png")
        jobs += [Job(path.name, n + 1, request) for n in range(repeats)]
    return jobs


def write_requests(pool, jobs, jsonl: Path) -> Path:
    """The same requests, in the same order, as vllm bench serve's custom_image JSONL: the very data URL our
    engine sends, then the entry's prompt."""
    prompt = pool.config.get(KEY).prompts["ocr"]
    lines = [json.dumps({"content": [{"type": "image_url", "image_url": {"url": job.request.encoded["png"]}},
                                     {"type": "text", "text": prompt}]}) for job in jobs]
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return jsonl


# Run apart from both clients, so that neither's threads delay it: it wakes every 10 ms until its stdin closes, then
# prints the seconds it woke late by, counting only wakes over 50 ms late (ordinary scheduling is well under that).
PAUSE_WATCH = """
import select, sys, time
late, last = 0.0, time.perf_counter()
while not select.select([sys.stdin], [], [], 0.01)[0]:
    now = time.perf_counter()
    if now - last > 0.06:
        late += now - last - 0.01
    last = now
print(late, flush=True)
"""


class PauseWatch:
    """Seconds the machine stood still while the block ran, and the block's wall time."""

    def __enter__(self) -> "PauseWatch":
        self._process = subprocess.Popen([sys.executable, "-c", PAUSE_WATCH], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_s = time.perf_counter() - self._started
        self._process.stdin.close()
        self.paused_s = float(self._process.stdout.read() or 0.0)
        self._process.wait()

    @property
    def share(self) -> float:
        return self.paused_s / self.wall_s if self.wall_s else 0.0


def ours(pool, jobs, level: int) -> float:
    from benchmarks.load import run_level
    from benchmarks.load_summary import level_row

    run = run_level(pool, KEY, KEY, jobs, level)
    row = level_row(run, slo_s=None)
    if row["errors"]:
        first = next(r for r in run.records if r["status"] != "ok")
        raise SystemExit(f"our sender: {row['errors']} errors at {level} in flight, the first: {first['message']}")
    return row["pages_per_s"]


# `vllm bench serve` is `vllm.benchmarks.serve.main(args)`; this driver calls it once per line of arguments, so
# that its 30 s of imports are paid once, not once per run.
BENCH_DRIVER = """
import json, sys
from vllm.benchmarks.serve import add_cli_args, main
from vllm.utils.argparse_utils import FlexibleArgumentParser
for line in sys.stdin:
    parser = FlexibleArgumentParser()
    add_cli_args(parser)
    result = main(parser.parse_args(json.loads(line)))
    print("RESULT " + json.dumps({k: v for k, v in result.items() if not isinstance(v, (list, dict))}), flush=True)
"""


class VllmBench:
    """`vllm bench serve` in the vLLM environment, kept running between runs."""

    def __init__(self, vllm_folder: Path, base_url: str, model: str, log: Path):
        self.base_url, self.model = base_url, model
        self._log = open(log, "w")
        self._process = subprocess.Popen([str(vllm_folder / "bin" / "python"), "-c", BENCH_DRIVER],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)

    def run(self, jsonl: Path, requests: int, level: int, tokens: int) -> dict:
        argv = ["--backend", "openai-chat", "--endpoint", "/v1/chat/completions", "--base-url", self.base_url,
                "--model", self.model, "--dataset-name", "custom_image", "--dataset-path", str(jsonl),
                "--enable-multimodal-chat", "--custom-output-len", str(tokens), "--num-prompts", str(requests),
                "--max-concurrency", str(level), "--temperature", "0", "--disable-shuffle", "--disable-tqdm"]
        self._process.stdin.write(json.dumps(argv) + "\n")
        self._process.stdin.flush()
        for line in self._process.stdout:
            if line.startswith("RESULT "):
                figures = json.loads(line[len("RESULT "):])
                if figures["completed"] != requests or figures["total_output_tokens"] != requests * tokens:
                    print(f"  note: vllm bench serve completed {figures['completed']} of {requests} requests, "
                          f"{figures['total_output_tokens']} output tokens")
                return figures
        raise SystemExit(f"vllm bench serve stopped; its log: {self._log.name}")

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(60)
        self._log.close()


def side_by_side(pool, bench: VllmBench, jobs, folder: Path, args, levels) -> None:
    print(f"\n2. Side by side, {args.rounds} round(s) per level in alternating order; pages/s (machine pause, "
          f"% of the run); clean rounds: neither run paused over {PAUSE_LIMIT:.0%}:")
    print(f"{'in flight':>9} {'requests':>8} {'ours':>6} {'theirs':>7} {'ours / theirs':>14} {'clean rounds':>13}"
          "  (each round: ours/theirs)")
    for level in levels:
        # At least four waves of requests, so that the last, partial wave weighs little.
        level_jobs = [jobs[n % len(jobs)] for n in range(max(len(jobs), 4 * level))]
        jsonl = write_requests(pool, level_jobs, folder / f"requests-{level}.jsonl")
        mine, their = [], []
        ours(pool, level_jobs, level)  # one untimed run each way first: the first run after a pause runs slow
        bench.run(jsonl, len(level_jobs), level, args.tokens)
        for round_ in range(args.rounds):
            for way in ("ours", "theirs") if round_ % 2 == 0 else ("theirs", "ours"):
                with PauseWatch() as watch:
                    if way == "ours":
                        pages_per_s = ours(pool, level_jobs, level)
                    else:
                        pages_per_s = bench.run(jsonl, len(level_jobs), level, args.tokens)["request_throughput"]
                (mine if way == "ours" else their).append((pages_per_s, watch.share))
        ratios = [a / b for (a, _), (b, _) in zip(mine, their)]
        clean = [a / b for (a, pa), (b, pb) in zip(mine, their) if max(pa, pb) <= PAUSE_LIMIT]
        pairs = "; ".join(f"{a:.2f} ({pa:.0%})/{b:.2f} ({pb:.0%})" for (a, pa), (b, pb) in zip(mine, their))
        clean_text = f"{statistics.median(clean):.3f} of {len(clean)}" if clean else "none"
        print(f"{level:>9} {len(level_jobs):>8} {statistics.median(a for a, _ in mine):>6.2f} "
              f"{statistics.median(b for b, _ in their):>7.2f} {statistics.median(ratios):>14.3f} {clean_text:>13}"
              f"  ({pairs})", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    os.environ.update(HF_HUB_CACHE=str(scratch / "hub"), HF_HUB_OFFLINE="1")  # before huggingface_hub is imported
    vllm_folder = build_cache(scratch / "hub")
    from benchmarks.load import parse_levels

    levels = parse_levels(args.levels)
    pages = write_pages(scratch / "pages", args.pages)
    pool = make_pool(args.tokens)
    try:
        start_server(pool, pages)
        our_sweep(pool, pages, levels, args.repeats, scratch / "report")
        from backends.engines.vllm.args import served_model_name

        server = pool._slots[KEY].engine.server  # the managed server the sweep ran on
        bench = VllmBench(vllm_folder, server.base_url, served_model_name(pool.config.get(KEY)),
                          scratch / "vllm-bench.log")
        try:
            side_by_side(pool, bench, our_jobs(pages, args.repeats), scratch, args, levels)
        finally:
            bench.close()
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
