"""The concurrency sweep on a real vLLM CPU server, a tiny random Qwen2-VL (tests/test_vllm_real.py builds it):
batching lifts pages/s, and TTFT, TPOT and ITL agree with the stream's own timings and with a raw HTTP stream
read beside the sweep. One server start for the whole module."""
import json
import statistics
import time

import httpx
import huggingface_hub.constants
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from backends.config import parse_config
from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.engines.openai.engine import build_payload, image_data_url
from backends.pool import ModelPool
from benchmarks.load import LoadSettings
from benchmarks.report import write_report
from benchmarks.runner import BenchmarkSettings, run_benchmark
from core.dataset import load_dataset
from tests.conftest import PHOTOTEST
from tests.test_vllm_real import shipped_raw_config, vllm_cache, vllm_env  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

KEY = "qwen_vl_2b_vllm"
MAX_TOKENS = 48
LEVELS = (1, 8)
PAGES, REPEATS = 4, 2  # 8 requests per level: at 8 in flight, all of them at once


def pages(folder):
    """Four 448 px crops of the test page (a few hundred image tokens each: decoding dominates)."""
    folder.mkdir()
    page = Image.open(PHOTOTEST).convert("RGB")
    for n in range(PAGES):
        page.crop((0, 10 * n, 448, 10 * n + 448)).save(folder / f"crop{n}.png")
        (folder / f"crop{n}.txt").write_text("text", encoding="utf-8")
    return folder


def raw_stream(http: httpx.Client, engine, image: Image.Image) -> tuple[float, float]:
    """(TTFT, TPOT) of one request read straight off the server's SSE stream with httpx, our engine bypassed."""
    payload = build_payload(engine.options, engine.model, engine.prompts["ocr"], image_data_url(image))
    chunks, usage = [], {}
    started = time.perf_counter()
    with http.stream("POST", f"{engine.endpoint}/chat/completions", json=payload) as response:
        for line in response.iter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            chunk = json.loads(line[5:])
            if any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
                chunks.append(time.perf_counter())
            usage = chunk.get("usage") or usage
    return chunks[0] - started, (chunks[-1] - chunks[0]) / (usage["completion_tokens"] - 1)


@pytest.fixture(scope="module")
def swept(vllm_cache, tmp_path_factory):  # noqa: F811
    """The sweep's run and files, and five raw streams read from the same warm server afterwards."""
    folder = pages(tmp_path_factory.mktemp("load") / "pages")
    with pytest.MonkeyPatch.context() as patch:  # the server reads the tiny models' cache (as in_vllm_cache does)
        patch.setenv("HF_HUB_CACHE", str(vllm_cache))
        patch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(vllm_cache))
        pool = ModelPool(parse_config(shipped_raw_config(max_tokens=MAX_TOKENS)), on_gpu=False)
        try:
            image = Image.open(folder / "crop0.png")
            warm = list(pool.run(KEY, PageRequest(image)))[-1]  # loaded first, so the run leaves it running
            assert warm.status == Status.OK, warm.message
            run = run_benchmark(pool, [KEY], load_dataset(folder), BenchmarkSettings(repeats=REPEATS),
                                load=LoadSettings(LEVELS, slo_s=60.0))
            paths = write_report(run, tmp_path_factory.mktemp("report"))
            engine = pool._slots[KEY].engine.client  # the OpenAI-compatible client inside the vLLM engine
            with httpx.Client(timeout=120) as http:  # made before timing: a new client loads its CA bundle
                raw = [raw_stream(http, engine, image) for _ in range(5)]
            yield run, paths, raw
        finally:
            pool.close()


def test_eight_in_flight_serve_more_than_twice_the_pages_per_second_of_one(swept):
    run, paths, _ = swept
    load = pd.read_csv(paths["load_summary.csv"]).set_index("concurrency")
    assert list(load.index) == list(LEVELS) and set(load["errors"]) == {0}
    assert set(load["requests"]) == {PAGES * REPEATS}
    one, eight = load.loc[1], load.loc[8]
    print(f"\npages/s: {one['pages_per_s']:.2f} at 1 in flight, {eight['pages_per_s']:.2f} at 8 "
          f"(×{eight['pages_per_s'] / one['pages_per_s']:.1f}); output tokens/s {one['output_tokens_per_s']:.0f} "
          f"and {eight['output_tokens_per_s']:.0f}")
    assert eight["pages_per_s"] > 2 * one["pages_per_s"]
    assert eight["batching"] == "batched" and eight["engine_overlap_max"] > 1
    assert eight["output_tokens_per_s"] == pytest.approx(eight["pages_per_s"] * MAX_TOKENS, rel=1e-3)
    assert eight["goodput_pages_per_s"] == eight["pages_per_s"]  # every page well within 60 s
    assert "Throughput vs latency" in paths["report.html"].read_text(encoding="utf-8")


def test_ttft_tpot_and_itl_agree_with_the_stream_timings(swept):
    run, paths, raw = swept
    load = pd.read_csv(paths["load_summary.csv"]).set_index("concurrency")
    requests = json.loads(paths["results.json"].read_text(encoding="utf-8"))["load"]["requests"]
    for level in LEVELS:
        row = load.loc[level]
        mine = [r for r in requests if r["concurrency"] == level]
        for name in ("ttft", "tpot", "itl", "latency"):
            p50, p90, p99 = (row[f"{name}_{p}_s"] for p in ("p50", "p90", "p99"))
            assert 0 < p50 <= p90 <= p99, (level, name)
        for r in mine:  # each request's figures are its own chunk times
            assert r["output_tokens"] == MAX_TOKENS and 1 < r["chunks"] == len(r["chunk_s"]) <= MAX_TOKENS
            assert r["ttft_s"] == r["chunk_s"][0] and r["latency_s"] >= r["chunk_s"][-1]
            assert r["tpot_s"] == pytest.approx((r["chunk_s"][-1] - r["chunk_s"][0]) / (MAX_TOKENS - 1), abs=1e-5)
        gaps = [b - a for r in mine for a, b in zip(r["chunk_s"], r["chunk_s"][1:])]
        assert row["itl_p50_s"] == pytest.approx(np.percentile(gaps, 50), abs=1e-4)
        assert row["ttft_p99_s"] == pytest.approx(np.percentile([r["ttft_s"] for r in mine], 99), abs=1e-4)
    # One in flight, the sweep's figures are what a bare HTTP client reads off the same server (within the
    # jitter of a shared machine): TTFT without our queue or load in it, TPOT per token, not per request.
    raw_ttft = statistics.median(t for t, _ in raw)
    raw_tpot = statistics.median(p for _, p in raw)
    one = load.loc[1]
    print(f"\nat 1 in flight: TTFT {one['ttft_p50_s']:.3f} s (raw stream {raw_ttft:.3f} s: "
          f"{', '.join(f'{t:.3f}' for t, _ in raw)}), "
          f"TPOT {one['tpot_p50_s'] * 1000:.1f} ms (raw {raw_tpot * 1000:.1f} ms)")
    assert raw_ttft / 4 - 0.02 <= one["ttft_p50_s"] <= 3 * raw_ttft + 0.25  # a model load would be seconds
    assert raw_tpot / 3 <= one["tpot_p50_s"] <= 3 * raw_tpot + 0.005
