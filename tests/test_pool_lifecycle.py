"""Model lifecycle in the pool on real tiny transformers models: warm reuse, the memory budget, unloading."""
from __future__ import annotations

import gc

import pytest
import yaml
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.runtime.memory import rss_mb
from backends.config import parse_config
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from tests.conftest import ROOT, SAMPLES
from testkit.tiny_models import build_tiny_model


@pytest.fixture(scope="module")
def image():
    return Image.open(SAMPLES / "ru_licences" / "images" / "licence_02.png").convert("RGB")


def config_with(app: dict | None = None, extra_models: list[dict] | None = None, memory_mb: dict | None = None):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["app"].update(app or {})
    for entry in raw["models"]:
        if entry["engine"] == "transformers" and not entry.get("environment"):
            entry.setdefault("options", {})["max_new_tokens"] = 4
        if memory_mb and entry["key"] in memory_mb:
            entry["memory_mb"] = memory_mb[entry["key"]]
    raw["models"] += extra_models or []
    return parse_config(raw)


def final(pool: ModelPool, key: str, image) -> ModelResult:
    return list(pool.run(key, PageRequest(image)))[-1]


def test_a_warm_model_is_reused_without_reloading(tiny_hf_cache, image):
    pool = ModelPool(config_with())
    first = final(pool, "qwen_vl_2b", image)
    engine = pool._slots["qwen_vl_2b"].engine
    second = final(pool, "qwen_vl_2b", image)
    assert first.status == second.status == Status.OK
    assert not first.metrics.warm and first.metrics.load_s > 0
    assert second.metrics.warm and second.metrics.load_s == 0.0
    assert pool._slots["qwen_vl_2b"].engine is engine
    pool.close()


def test_least_recently_used_models_are_evicted_to_stay_within_the_budget(tiny_hf_cache, image):
    # Each model is declared at 40 MB and the budget holds two of them.
    sizes = {"qwen_vl_2b": 40, "got_ocr_hf": 40, "smolvlm_256m": 40}
    pool = ModelPool(config_with({"memory_budget_mb": 100}, memory_mb=sizes),
                     estimate_memory=lambda entry: entry.memory_mb)
    assert final(pool, "qwen_vl_2b", image).status == Status.OK
    assert final(pool, "got_ocr_hf", image).status == Status.OK
    assert final(pool, "qwen_vl_2b", image).metrics.warm  # qwen is now the most recently used
    third = final(pool, "smolvlm_256m", image)
    assert third.status == Status.OK
    assert sorted(pool.loaded_keys()) == ["qwen_vl_2b", "smolvlm_256m"]
    assert "got_ocr_hf" in third.details["evicted"]
    assert sum(m.memory_mb for m in pool.loaded()) <= 100
    pool.close()


def test_a_model_larger_than_the_whole_budget_is_refused_with_the_reason(tiny_hf_cache, image):
    pool = ModelPool(config_with({"memory_budget_mb": 100}, memory_mb={"qwen_vl_2b": 500}),
                     estimate_memory=lambda entry: entry.memory_mb)
    result = final(pool, "qwen_vl_2b", image)
    assert result.status == Status.UNAVAILABLE
    assert "500 MB" in result.message and "100 MB" in result.message and "memory_budget_mb" in result.message
    assert pool.loaded_keys() == []


@pytest.mark.slow
def test_unloading_really_gives_the_memory_back(tmp_path, image):
    # ~190 MB of float32 embedding rows: large enough to see in the process's RSS.
    folder = build_tiny_model("qwen2_vl", tmp_path / "big_qwen", extra_vocab=750_000)
    # In this process (isolate: false): unloading a worker ends its process, which test_pool_workers covers.
    model = {"key": "big_qwen", "name": "big tiny Qwen2-VL", "engine": "transformers", "weights": str(folder),
             "isolate": False, "options": {"max_new_tokens": 2}}
    pool = ModelPool(config_with(extra_models=[model]))
    gc.collect()
    before_load = rss_mb()
    result = final(pool, "big_qwen", image)
    assert result.status == Status.OK, result.message
    assert result.metrics.memory_mb["weights (parameters in RAM)"] > 150
    # safetensors are memory-mapped: RSS grows by the pages a request touched (the LM head, at least).
    grown = rss_mb() - before_load
    assert grown > 150
    report = pool.unload("big_qwen")
    freed = report.freed_mb()["RSS (app process)"]
    assert report.unloaded and pool.loaded_keys() == []
    assert freed > 0.8 * grown, f"freed {freed:.0f} MB of the {grown:.0f} MB the model took"
