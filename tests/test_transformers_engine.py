"""The Transformers engine on tiny random-weight models of each family, under the real repo ids in config.yaml.

The weights are random, so the text is garbage: these tests assert structure (streaming, token counts,
metrics, attention fallback, errors), not what was read.
"""
from __future__ import annotations

import threading

import pytest
import yaml
from PIL import Image

from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from backends.registry import availability, create_local_engine
from tests.conftest import ROOT, SAMPLES

FAMILY_KEYS = ["qwen_vl_2b", "qwen25_vl_3b", "qwen3_vl_2b", "got_ocr_hf", "deepseek_ocr2", "florence2_base",
               "smolvlm_256m"]


def shipped_config(max_new_tokens: int = 8, **app):
    """config.yaml as shipped, with the generation limit lowered for speed (and app settings overridden)."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["app"].update(app)
    for entry in raw["models"]:
        if entry["engine"] == "transformers" and not entry.get("environment"):
            entry.setdefault("options", {})["max_new_tokens"] = max_new_tokens
    return parse_config(raw)


@pytest.fixture(scope="module")
def tiny_config(tiny_hf_cache):
    return shipped_config()


@pytest.fixture(scope="module")
def licence():
    return Image.open(SAMPLES / "ru_licences" / "images" / "licence_01.png").convert("RGB")


def run_to_end(pool: ModelPool, key: str, image) -> tuple[list[Progress], ModelResult]:
    events = list(pool.run(key, PageRequest(image)))
    return [e for e in events if isinstance(e, Progress)], events[-1]


@pytest.mark.parametrize("key", FAMILY_KEYS)
def test_each_family_streams_what_a_plain_generate_decodes(key, tiny_config, licence):
    import torch

    entry = tiny_config.get(key)
    engine = create_local_engine(entry)
    engine.load()
    try:
        deltas, output = [], None
        for item in engine.stream(PageRequest(licence)):
            if isinstance(item, EngineOutput):
                output = item
            else:
                deltas.append(item)
        assert output.output_tokens >= 1
        assert "".join(deltas) == output.text

        # The same inputs through a bare generate, decoded once: the stream must add up to the same text.
        family, processor = engine.family, engine.processor
        inputs = family.build_inputs(processor, licence, engine.prompt_for(PageRequest(licence)), {})
        inputs = inputs.to(engine.model.device, dtype=engine.model.dtype)
        with torch.inference_mode():
            sequences = engine.model.generate(**inputs, max_new_tokens=8, do_sample=False,
                                              **family.generate_kwargs(processor))
        new_ids = family.new_tokens(inputs, sequences)
        assert len(new_ids) == output.output_tokens
        assert processor.tokenizer.decode(new_ids, skip_special_tokens=True) == output.text
        assert output.extra["input_tokens"] == inputs["input_ids"].shape[1]
        assert output.extra["details"]["family"] == family.name
    finally:
        engine.unload()


@pytest.mark.parametrize("key", ["qwen_vl_2b", "got_ocr_hf", "florence2_base"])
def test_every_metric_is_filled_through_the_pool(key, tiny_config, licence):
    pool = ModelPool(tiny_config)
    progress, result = run_to_end(pool, key, licence)
    assert result.status == Status.OK, result.message
    m = result.metrics
    assert m.load_s > 0 and not m.warm
    assert m.latency_s > 0 and 0 < m.first_token_s <= m.latency_s
    assert m.output_tokens >= 1 and m.tokens_per_s == pytest.approx(m.output_tokens / m.latency_s)
    assert m.input_tokens > 0 and m.chars == len(result.text)
    assert m.memory_mb["mem_app_shared"] > 0 and m.memory_mb["weights (parameters in RAM)"] > 0
    assert result.details["device"] == "cpu · float32"
    assert progress[0].phase == "loading"
    if result.text:
        assert [p for p in progress if p.phase == "running"][-1].text == result.text
    pool.close()


def test_attention_falls_back_where_the_family_rejects_sdpa(tiny_config):
    got = create_local_engine(tiny_config.get("got_ocr_hf"))
    got.load()
    assert got.details["attention"].startswith("eager")
    assert "sdpa: not supported by this model family" in got.details["attention"]
    assert got.model.config._attn_implementation == "eager"
    qwen = create_local_engine(tiny_config.get("qwen_vl_2b"))
    qwen.load()
    assert qwen.details["attention"].startswith("sdpa")
    assert qwen.model.config._attn_implementation == "sdpa"


def test_an_unknown_rejection_at_load_time_falls_through_to_the_next_implementation(tiny_hf_cache):
    """Without the family table, GOT's own ValueError for sdpa is caught and eager is used."""
    from backends.engines.transformers.loading import load_model, resolve_placement

    model, choice = load_model("stepfun-ai/GOT-OCR-2.0-hf", revision=None, trust_remote_code=False,
                               placement=resolve_placement("cpu"), family_rejects=frozenset())
    assert choice.used == "eager" and choice.skipped["sdpa"].startswith("rejected")
    assert model.config._attn_implementation == "eager"


def test_an_exception_inside_generate_reaches_the_column_and_the_model_still_serves(licence, tiny_hf_cache):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    entry = next(m for m in raw["models"] if m["key"] == "qwen_vl_2b")
    # Beam search cannot stream: transformers raises inside generate, in the generate thread.
    entry["options"] = {"max_new_tokens": 4, "generate": {"num_beams": 2}}
    pool = ModelPool(parse_config(raw))
    done = threading.Event()
    outcome = {}

    def work():
        outcome["result"] = run_to_end(pool, "qwen_vl_2b", licence)[1]
        done.set()

    threading.Thread(target=work, daemon=True).start()
    assert done.wait(60), "the stream hung instead of reporting the error"
    result = outcome["result"]
    assert result.status == Status.ERROR and "ValueError" in result.message and "beam" in result.message
    assert pool.loaded_keys() == ["qwen_vl_2b"]
    pool.close()


def test_a_repetition_loop_is_stopped_trimmed_and_marked_cut(tiny_config, licence):
    import torch

    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    entry = next(m for m in raw["models"] if m["key"] == "qwen_vl_2b")
    entry["options"] = {"max_new_tokens": 200, "repetition_window": 16}
    engine = create_local_engine(parse_config(raw).get("qwen_vl_2b"))
    engine.load()
    # Favour one ordinary token at every step: greedy decoding then repeats it, like a dotted leader.
    dot = engine.processor.tokenizer(".", add_special_tokens=False).input_ids[0]
    engine.model.lm_head.register_forward_hook(lambda module, args, logits: logits.index_add(
        -1, torch.tensor([dot]), torch.full((*logits.shape[:-1], 1), 1e4)))
    output = [item for item in engine.stream(PageRequest(licence)) if isinstance(item, EngineOutput)][0]
    assert output.cut and "loop" in output.extra["details"]["cut"]
    assert output.output_tokens == 16  # stopped as soon as the window filled, far below max_new_tokens
    assert output.text == "."  # the loop is trimmed to its first occurrence


def test_cancel_stops_a_long_generation_promptly(licence, tiny_hf_cache):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    entry = next(m for m in raw["models"] if m["key"] == "qwen_vl_2b")
    entry["options"] = {"max_new_tokens": 100_000, "repetition_window": 0, "generate": {"min_new_tokens": 100_000}}
    engine = create_local_engine(parse_config(raw).get("qwen_vl_2b"))
    engine.load()
    timer = threading.Timer(1.0, engine.cancel)
    timer.start()
    with pytest.raises(RuntimeError, match="cancelled"):
        for _ in engine.stream(PageRequest(licence)):
            pass


def test_missing_weights_name_the_download_command(tiny_config, licence):
    status = availability(tiny_config.get("qwen3_vl_4b"))
    assert not status.ok
    assert status.message == ("weights not downloaded (Qwen/Qwen3-VL-4B-Instruct). "
                              "Run: python launch.py download qwen3_vl_4b")
    result = run_to_end(ModelPool(tiny_config), "qwen3_vl_4b", licence)[1]
    assert result.status == Status.UNAVAILABLE and "python launch.py download qwen3_vl_4b" in result.message
