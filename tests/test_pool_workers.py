"""Models in worker processes, driven by the pool: a crash is one column's error and the pool recovers."""
from __future__ import annotations

import os
import signal

import psutil
import pytest
import yaml
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from tests.conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def image():
    return Image.open(SAMPLES / "ru_licences" / "images" / "licence_03.png").convert("RGB")


def isolated_config(max_new_tokens: int = 4, min_new_tokens: int = 0):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for entry in raw["models"]:
        if entry["key"] in ("qwen_vl_2b", "tesseract_eng"):
            entry["isolate"] = True
        if entry["key"] == "qwen_vl_2b":
            entry["options"] = {"max_new_tokens": max_new_tokens, "repetition_window": 0,
                                "generate": {"min_new_tokens": min_new_tokens}}
    return parse_config(raw)


def test_an_isolated_model_streams_from_its_worker_and_reports_both_processes(tiny_hf_cache, image):
    pool = ModelPool(isolated_config())
    result = list(pool.run("qwen_vl_2b", PageRequest(image)))[-1]
    assert result.status == Status.OK, result.message
    assert result.metrics.output_tokens == 4
    assert result.metrics.memory_mb["RSS (worker process)"] > 0
    assert result.metrics.memory_mb["mem_app_shared"] > 0
    assert result.details["attention"].startswith("sdpa")  # the engine's details cross the process boundary
    pid = pool._slots["qwen_vl_2b"].engine.pid
    assert pid != os.getpid() and psutil.pid_exists(pid)
    report = pool.unload("qwen_vl_2b")
    assert report.unloaded and report.before_mb["RSS (worker process)"] > 0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_worker_killed_mid_request_is_that_columns_error_and_the_next_request_works(tiny_hf_cache, image):
    pool = ModelPool(isolated_config(max_new_tokens=100_000, min_new_tokens=100_000))
    results: dict[str, ModelResult] = {}
    killed = None
    for key, event in pool.run_many(["qwen_vl_2b", "tesseract"], PageRequest(image)):
        if isinstance(event, Progress) and key == "qwen_vl_2b" and event.text and killed is None:
            killed = pool._slots["qwen_vl_2b"].engine.pid
            os.kill(killed, signal.SIGKILL)  # mid-request: tokens are already streaming
        if isinstance(event, ModelResult):
            results[key] = event
    assert killed is not None
    assert results["qwen_vl_2b"].status == Status.ERROR
    assert "SIGKILL" in results["qwen_vl_2b"].message
    assert results["tesseract"].status == Status.OK  # the other column is untouched

    # The next request starts a fresh worker and works.
    pool.config = isolated_config()
    again = list(pool.run("qwen_vl_2b", PageRequest(image)))[-1]
    assert again.status == Status.OK, again.message
    assert pool._slots["qwen_vl_2b"].engine.pid != killed
    assert "restarted" in again.details or not again.metrics.warm
    pool.close()


def test_a_timed_out_worker_is_killed_so_its_memory_comes_back(tiny_hf_cache, image):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    entry = next(m for m in raw["models"] if m["key"] == "qwen_vl_2b")
    entry.update(isolate=True, timeout_s=8, options={"max_new_tokens": 100_000, "repetition_window": 0,
                                                     "generate": {"min_new_tokens": 100_000}})
    pool = ModelPool(parse_config(raw))
    earlier = {p.pid for p in workers()}  # other tests' pools may still hold theirs
    events = list(pool.run_many(["qwen_vl_2b"], PageRequest(image)))
    assert events[-1][1].status == Status.TIMEOUT
    assert pool.loaded_keys() == []
    # Whether the timeout struck while the worker loaded or while it generated, its process is ended.
    _, alive = psutil.wait_procs([p for p in workers() if p.pid not in earlier], timeout=10)
    assert not alive, "the timed-out worker process is still running"


def workers() -> list[psutil.Process]:
    """Worker processes of this test process that are still running (zombies have already exited)."""
    running = []
    for proc in psutil.Process().children():
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and "backends.runtime.worker" in " ".join(proc.cmdline()):
                running.append(proc)
        except psutil.NoSuchProcess:
            pass
    return running


def test_unloading_a_worker_that_died_while_idle_reports_instead_of_raising(tiny_hf_cache, image):
    pool = ModelPool(isolated_config())
    assert list(pool.run("qwen_vl_2b", PageRequest(image)))[-1].status == Status.OK
    worker = psutil.Process(pool._slots["qwen_vl_2b"].engine.pid)
    worker.kill()
    worker.wait(10)
    report = pool.unload("qwen_vl_2b")  # the panel's Unload button, eviction and closing the app all do this
    assert report.unloaded and "RSS (worker process)" not in report.before_mb
    assert pool.loaded_keys() == []
