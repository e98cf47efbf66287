"""The pool steps of scripts/gpu_check.py: one model alone, several side by side, unloading (the worker
process steps are in gpu_check_worker.py).

Everything goes through the real ModelPool and config validation (`parse_config`), as the app does. CUDA
figures are checked against the size of each model's own weight files; NVML's used memory on the card is read
before and after each step that must give memory back.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

from PIL import Image, ImageDraw

from backends.runtime import memory
from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.contracts.schema import ArenaConfig
from backends.config import parse_config
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from backends.runtime.worker.parent import RSS_WORKER

NO_CUDA = "skipped (no CUDA)"
CPU_WEIGHTS = "weights (parameters in RAM)"
CUDA_APP = "CUDA allocated (app process)"
ISOLATED = "isolated"


@dataclass
class Setup:
    device: str  # "cuda" or "cpu"
    models: dict[str, tuple[str, int]]  # family -> (repo id, bytes of its fp32 weight files)
    max_new_tokens: int

    @property
    def cuda(self) -> bool:
        return self.device == "cuda"

    def family(self, key: str) -> str:
        return next(iter(self.models)) if key == ISOLATED else key

    def own_mb(self, key: str) -> float:
        """What the model's parameters should take once loaded: half its fp32 files in bf16/fp16."""
        return self.models[self.family(key)][1] / 2**20 / (2 if self.cuda else 1)

    def expected_dtype(self) -> str:
        import torch

        if not self.cuda:
            return "float32"
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def nvml_driver() -> str | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            version = pynvml.nvmlSystemGetDriverVersion()
            return version.decode() if isinstance(version, bytes) else str(version)
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return None


def card_used_mb() -> float | None:
    """NVML's used memory on GPU 0, all processes together; None without a GPU or NVML."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            return round(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(0)).used / 2**20, 1)
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return None


def nvml_lists_processes() -> bool:
    """Whether the driver attributes memory to processes here at all (some VMs and containers never do)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            return bool(pynvml.nvmlDeviceGetComputeRunningProcesses(pynvml.nvmlDeviceGetHandleByIndex(0)))
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return False


def make_config(setup: Setup) -> ArenaConfig:
    n = setup.max_new_tokens
    # Exactly n new tokens from each model, so the token rates compare like with like.
    options = {"device": "auto" if setup.cuda else "cpu", "max_new_tokens": n, "repetition_window": 0,
               "generate": {"min_new_tokens": n}}
    entry = {"engine": "transformers", "tasks": ["ocr"], "timeout_s": 240, "options": options}
    models = [dict(entry, key=family, name=f"tiny {family}", weights=repo)
              for family, (repo, _) in setup.models.items()]
    first = next(iter(setup.models.values()))[0]
    models.append(dict(entry, key=ISOLATED, name="tiny model in a worker", weights=first, isolate=True))
    return parse_config({"app": {"model_timeout_s": 240}, "models": models}, source="gpu_check")


def make_request() -> PageRequest:
    image = Image.new("RGB", (448, 448), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(["GPU CHECK 0123456789", "The quick brown fox", "jumps over the lazy dog"]):
        draw.text((20, 40 + 60 * row), line, fill="black")
    return PageRequest(image)


def final(events: Iterable) -> ModelResult:
    return [event for event in events if isinstance(event, ModelResult)][-1]


def summary(result: ModelResult) -> str:
    m = result.metrics
    if result.status != Status.OK:
        return f"{result.status.value}: {result.message}"
    load = "warm" if m.warm else f"load {m.load_s:.2f} s"
    first = f"; first token {m.first_token_s:.3f} s" if m.first_token_s is not None else ""
    return (f"{load}; latency {m.latency_s:.3f} s; {m.output_tokens} tokens, {m.tokens_per_s or 0:.1f} tok/s"
            f"{first}")


def close_to(value: float | None, own: float) -> bool:
    return value is not None and abs(value - own) <= max(8.0, 0.1 * own)


def check_single(report, pool: ModelPool, setup: Setup, key: str, request: PageRequest) -> None:
    report.step = f"loading and running {key} alone"
    result = final(pool.run(key, request))
    if not report.add(f"{key} alone: load and run", result.status == Status.OK, summary(result)):
        return
    expected = f"{setup.device} · {setup.expected_dtype()}"
    shown = result.details.get("device", "?")
    report.add("device and dtype", shown == expected, f"{shown} (expected {expected})")
    check_attention(report, setup, key, result)
    check_memory(report, setup, key, result.metrics.memory_mb)


def check_attention(report, setup: Setup, key: str, result: ModelResult) -> None:
    attention = result.details.get("attention", "")
    used = attention.split(" ")[0]
    # On CUDA flash-attention 2 is either used or skipped with a reason; elsewhere any named choice will do.
    ok = used in ("flash_attention_2", "sdpa", "eager") and (
        not setup.cuda or used == "flash_attention_2" or "flash_attention_2:" in attention)
    report.add(f"attention ({key})", ok, attention or "none shown")


def check_memory(report, setup: Setup, key: str, figures: dict[str, float]) -> None:
    """The labelled figures of one request, against what the model's own weights should take."""
    own = setup.own_mb(key)
    if not setup.cuda:
        for label in (memory.CUDA_WEIGHTS, memory.CUDA_PEAK_ALLOCATED, memory.CUDA_PEAK_RESERVED):
            report.skip(f"{label} ({key})", NO_CUDA)
        weights = figures.get(CPU_WEIGHTS)
        report.add(f"{CPU_WEIGHTS} ({key})", close_to(weights, own), f"{weights} MB; weight files: {own:.1f} MB")
        label = RSS_WORKER if RSS_WORKER in figures else memory.APP_SHARED
        report.add(f"{label} ({key})", (figures.get(label) or 0) > 0, f"{figures.get(label)} MB")
        return
    weights = figures.get(memory.CUDA_WEIGHTS)
    peak = figures.get(memory.CUDA_PEAK_ALLOCATED)
    reserved = figures.get(memory.CUDA_PEAK_RESERVED)
    report.add(f"{memory.CUDA_WEIGHTS} ({key})", close_to(weights, own),
               f"{weights} MB; its own weights in {setup.expected_dtype()}: {own:.1f} MB")
    report.add(f"{memory.CUDA_PEAK_ALLOCATED} ({key})", peak is not None and weights is not None and peak >= weights,
               f"{peak} MB (weights {weights} MB)")
    report.add(f"{memory.CUDA_PEAK_RESERVED} ({key})", reserved is not None and peak is not None and reserved >= peak,
               f"{reserved} MB (peak allocated {peak} MB)")
    nvml, rss = figures.get(memory.NVML_PROCESS), figures.get(RSS_WORKER, figures.get(memory.APP_SHARED))
    if nvml is None and not nvml_lists_processes():
        report.skip(f"{memory.NVML_PROCESS} ({key})", f"the driver lists no processes here; RSS {rss} MB")
    else:
        report.add(f"{memory.NVML_PROCESS} ({key})", nvml is not None and reserved is not None and nvml >= reserved,
                   f"{nvml} MB (≥ peak reserved {reserved} MB, plus the CUDA context); RSS {rss} MB")


def check_side_by_side(report, pool: ModelPool, setup: Setup, keys: list[str], request: PageRequest) -> None:
    report.step = f"running {', '.join(keys)} side by side"
    before = card_used_mb()
    started = time.perf_counter()
    results: dict[str, ModelResult] = {}
    first: dict[str, float] = {}
    done: dict[str, float] = {}
    for key, event in pool.run_many(keys, request):
        now = time.perf_counter() - started
        if isinstance(event, Progress) and event.phase == "running":
            first.setdefault(key, now)
        elif isinstance(event, ModelResult):
            results[key], done[key] = event, now
    wall = time.perf_counter() - started
    for key in keys:
        report.add(f"side by side: {key}", results[key].status == Status.OK, summary(results[key]))
    loaded = {m.key: m.memory_mb for m in pool.loaded()}
    overlapped = len(first) == len(keys) and max(first.values()) < min(done.values())
    footprints = ", ".join(f"{k} {loaded.get(k, 0):.0f}" for k in keys)
    card = f"; NVML card used {before} -> {card_used_mb()} MB" if setup.cuda else ""
    report.add(f"{len(keys)} models loaded at once on {setup.device}, one run_many", all(k in loaded for k in keys),
               f"wall {wall:.2f} s; generations overlapped: {'yes' if overlapped else 'no'}; pool footprints MB: "
               f"{footprints}{card}")
    for key in keys:
        if results[key].status == Status.OK:
            check_attention(report, setup, key, results[key])
    check_weights_own(report, setup, keys, results)


def check_weights_own(report, setup: Setup, keys: list[str], results: dict[str, ModelResult]) -> None:
    """With several models in one process, each model's weights figure should still be its own."""
    if not setup.cuda:
        report.skip("CUDA weights figure per model, side by side", NO_CUDA)
        return
    labels = (memory.CUDA_WEIGHTS, memory.CUDA_PEAK_ALLOCATED, memory.CUDA_PEAK_RESERVED)
    figures = {k: [results[k].metrics.memory_mb.get(label) for label in labels] for k in keys}
    wrong = [k for k in keys if not close_to(figures[k][0], setup.own_mb(k))]
    report.add("CUDA weights figure per model, side by side", not wrong,
               "weights / peak allocated / peak reserved MB: "
               + "; ".join(f"{k} {'/'.join(map(str, figures[k]))} (own weights {setup.own_mb(k):.1f})" for k in keys)
               + (f"; not its own: {', '.join(wrong)} (the pool budgets with this figure)" if wrong else ""))


def check_unload(report, pool: ModelPool, setup: Setup) -> None:
    report.step = "unloading"
    card_before, unloaded_mb = card_used_mb(), 0.0
    for key in pool.loaded_keys():
        result = pool.unload(key)
        own = setup.own_mb(key)
        if setup.cuda:
            freed = result.freed_mb().get(CUDA_APP)
            ok = result.unloaded and freed is not None and freed >= 0.9 * own - 1
            figures = (f"{CUDA_APP} {result.before_mb.get(CUDA_APP)} -> {result.after_mb.get(CUDA_APP)} MB "
                       f"(freed {freed}; its weights {own:.1f})")
        else:
            ok = result.unloaded and key not in pool.loaded_keys()
            before, after = result.before_mb.get(memory.RSS_APP), result.after_mb.get(memory.RSS_APP)
            figures = f"{memory.RSS_APP} {before} -> {after} MB"
        report.add(f"unload {key} (UnloadReport)", ok, figures)
        unloaded_mb += own
    if not setup.cuda:
        report.skip("NVML: card memory back after unloading", NO_CUDA)
        return
    card_after = card_used_mb()
    dropped = None if card_before is None or card_after is None else round(card_before - card_after, 1)
    report.add("NVML: card memory back after unloading", dropped is not None and dropped >= 0.8 * unloaded_mb,
               f"card used {card_before} -> {card_after} MB (dropped {dropped}; weights unloaded {unloaded_mb:.1f})")
