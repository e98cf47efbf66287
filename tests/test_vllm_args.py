"""What the vLLM engines build from the shipped config: server command lines, engine args, sampling params,
prompts and request bodies, per model; the card-share check; and vLLM's honest absence on this machine.

vLLM cannot be installed without a GPU, so the in-process engine's glue is exercised against a recording
stand-in for the `vllm` module: it checks what the engine hands vLLM and how it reads vLLM's answer back.
"""
from __future__ import annotations

import json
import sys
import types

import pytest
from PIL import Image

from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import Status
from backends.engines.openai.engine import build_payload
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from backends.registry import availability, create_engine, runs_in_worker
from backends.engines.vllm.args import (VllmOptions, engine_args, engine_environment, request_messages, sampling_params_kwargs, serve_command, served_model_name)
from backends.engines.vllm.engine import request_options
from backends.engines.vllm.server import parse_log_line
from backends.engines.vllm.shares import card_share_refusals
from backends.runtime.worker.parent import WorkerEngine

VLLM_KEYS = ["phi3_vision", "dots_ocr", "deepseek_ocr", "deepseek_ocr2_vllm", "qwen_vl_2b_vllm", "qwen25_vl_3b_vllm", "qwen3_vl_2b_vllm",
             "qwen3_vl_4b_vllm"]
DEEPSEEK_XARGS = {"ngram_size": 30, "window_size": 90, "whitelist_token_ids": [128821, 128822]}


def options(config, key: str) -> VllmOptions:
    return VllmOptions.model_validate(config.get(key).options)


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_every_transformers_qwen_has_a_vllm_twin_on_the_same_weights(config):
    for key in ("qwen_vl_2b", "qwen25_vl_3b", "qwen3_vl_2b", "qwen3_vl_4b"):
        assert config.get(f"{key}_vllm").weights == config.get(key).weights
        assert config.get(f"{key}_vllm").prompts["ocr"] == config.get(key).prompts["ocr"]


def test_deepseek_ocr_server_command_follows_its_recipe(config):
    entry = config.get("deepseek_ocr")
    command = serve_command(entry, options(config, "deepseek_ocr"), 8123)
    assert command[1:3] == ["serve", "deepseek-ai/DeepSeek-OCR"]
    assert flag(command, "--port") == "8123" and flag(command, "--host") == "127.0.0.1"
    assert flag(command, "--logits-processors") == "vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor"
    assert "--no-enable-prefix-caching" in command
    assert flag(command, "--mm-processor-cache-gb") == "0"
    assert "--trust-remote-code" in command and flag(command, "--revision") == "main"
    assert flag(command, "--gpu-memory-utilization") == "0.3"
    assert flag(command, "--max-model-len") == "8192"


def test_phi3_vision_server_and_engine_args(config):
    entry, opts = config.get("phi3_vision"), options(config, "phi3_vision")
    command = serve_command(entry, opts, 8000)
    assert json.loads(flag(command, "--limit-mm-per-prompt")) == {"image": 1}
    assert json.loads(flag(command, "--mm-processor-kwargs")) == {"num_crops": 16}
    assert flag(command, "--max-model-len") == "4096"
    assert engine_args(entry, opts) == {
        "model": "microsoft/Phi-3-vision-128k-instruct", "revision": "main", "trust_remote_code": True,
        "gpu_memory_utilization": 0.35, "max_model_len": 4096, "limit_mm_per_prompt": {"image": 1},
        "mm_processor_kwargs": {"num_crops": 16}, "tensor_parallel_size": 1}


def test_deepseek_ocr_engine_args_and_sampling_params_match_the_recipe(config):
    entry, opts = config.get("deepseek_ocr"), options(config, "deepseek_ocr")
    args = engine_args(entry, opts)
    assert args["enable_prefix_caching"] is False and args["mm_processor_cache_gb"] == 0
    assert args["logits_processors"] == ["vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor"]
    assert sampling_params_kwargs(opts) == {"temperature": 0.0, "max_tokens": 6144, "skip_special_tokens": False,
                                            "extra_args": DEEPSEEK_XARGS}


def test_qwen_vllm_caps_the_image_like_the_transformers_engine(config):
    for key in [k for k in VLLM_KEYS if k.startswith("qwen")]:
        command = serve_command(config.get(key), options(config, key), 8000)
        assert json.loads(flag(command, "--mm-processor-kwargs")) == {"max_pixels": 1280 * 28 * 28}
        assert "--trust-remote-code" not in command  # native in vLLM
        assert "--no-enable-prefix-caching" not in command


def test_prompts_per_model_over_http_and_in_process(config):
    image = Image.new("RGB", (32, 32), "white")
    # dots.ocr: its image tokens go before the text, in both modes; its two tasks are two prompts.
    dots = options(config, "dots_ocr")
    for task in ("ocr", "layout"):
        prompt = config.get("dots_ocr").prompts[task]
        payload = build_payload(request_options(dots), "rednote-hilab/dots.ocr", prompt, image)
        text_part = payload["messages"][0]["content"][1]
        assert text_part == {"type": "text", "text": "<|img|><|imgpad|><|endofimg|>" + prompt}
        assert request_messages(dots, prompt, "data:image/png;base64,AAAA")[0]["content"][1] == text_part
    assert "single JSON object" in config.get("dots_ocr").prompts["layout"]
    assert (payload["temperature"], payload["top_p"]) == (0.1, 0.9)
    # DeepSeek-OCR: the image part stands for "<image>\n", so the text must not repeat the placeholder.
    deepseek = config.get("deepseek_ocr")
    assert "<image>" not in deepseek.prompts["ocr"] and deepseek.prompts["ocr"] == "Free OCR."
    payload = build_payload(request_options(options(config, "deepseek_ocr")), "deepseek-ai/DeepSeek-OCR",
                            deepseek.prompts["ocr"], image)
    assert payload["vllm_xargs"] == DEEPSEEK_XARGS and payload["skip_special_tokens"] is False
    assert payload["max_tokens"] == 6144
    assert payload["messages"][0]["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_served_model_name_is_the_weights_id(config):
    assert served_model_name(config.get("dots_ocr")) == "rednote-hilab/dots.ocr"


def test_vllm_log_lines_give_the_memory_figures():
    # The formats vLLM 0.33 logs (gpu_model_runner.py, gpu_worker.py, kv_cache_utils.py).
    lines = [
        "(EngineCore_DP0 pid=4242) INFO 11-21 10:00:05 [gpu_model_runner.py:5089] Model loading took 4.15 GiB "
        "memory and 3.211000 seconds",
        "(EngineCore_DP0 pid=4242) INFO 11-21 10:00:20 [gpu_worker.py:773] Available KV cache memory: 25.53 GiB",
        "(EngineCore_DP0 pid=4242) INFO 11-21 10:00:20 [kv_cache_utils.py:1149] GPU KV cache size: 956,112 tokens, "
        "Maximum concurrency for 16,384 tokens per request: 58.36x",
        "INFO:     127.0.0.1:52050 - \"GET /health HTTP/1.1\" 200 OK",
    ]
    assert [parse_log_line(line) for line in lines] == [
        {"weights_gib": 4.15}, {"kv_cache_gib": 25.53}, {"kv_cache_tokens": 956112.0}, {}]


@pytest.fixture
def no_vllm(tmp_path, monkeypatch):
    """A machine without vLLM: no environment (whatever this one has in envs/vllm) and none on PATH."""
    monkeypatch.setenv("ARENA_VLLM_ENV", str(tmp_path / "no-vllm"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")


def test_vllm_models_say_vllm_is_missing_here(config, no_vllm):
    for key in VLLM_KEYS:
        status = availability(config.get(key))
        assert not status.ok
        assert "vLLM is not installed" in status.reason and status.hint == "Run: python launch.py env vllm"


def test_in_process_mode_is_unavailable_without_vllm_and_runs_in_a_worker(config, no_vllm):
    entry = config.get("qwen_vl_2b_vllm").model_copy(
        update={"options": {**config.get("qwen_vl_2b_vllm").options, "mode": "in_process"}})
    status = availability(entry)
    assert not status.ok and "in-process" in status.reason
    assert runs_in_worker(entry) and isinstance(create_engine(entry), WorkerEngine)


def test_shares_over_one_card_name_the_models_to_deselect(config):
    entries = [config.get(k) for k in ("tesseract", "dots_ocr", "deepseek_ocr", "phi3_vision", "qwen_vl_2b_vllm",
                                       "qwen25_vl_3b_vllm")]
    refusals = card_share_refusals(entries)
    # 0.3 + 0.3 + 0.35 fit in 0.95; the two after them do not.
    assert set(refusals) == {"qwen_vl_2b_vllm", "qwen25_vl_3b_vllm"}
    message = refusals["qwen_vl_2b_vllm"]
    assert "would reserve 1.50 of the GPU" in message
    assert "Deselect qwen_vl_2b_vllm, qwen25_vl_3b_vllm" in message
    assert card_share_refusals(entries[:4]) == {}


def test_the_arena_refuses_an_over_card_selection_and_runs_the_rest(config, no_vllm):
    pool = ModelPool(config, on_gpu=True)
    keys = ["dots_ocr", "deepseek_ocr", "phi3_vision", "qwen3_vl_4b_vllm", "tesseract"]
    results = {k: e for k, e in pool.run_many(keys, PageRequest(Image.new("RGB", (200, 60), "white")))
               if isinstance(e, ModelResult)}
    assert set(results) == set(keys)
    assert results["qwen3_vl_4b_vllm"].status == Status.UNAVAILABLE
    assert "Deselect qwen3_vl_4b_vllm" in results["qwen3_vl_4b_vllm"].message
    assert "vLLM is not installed" in results["dots_ocr"].message  # fits the card, but not this machine
    assert results["tesseract"].status == Status.OK
    pool.close()


def test_on_a_cpu_there_is_no_card_to_share(config, no_vllm):
    pool = ModelPool(config, on_gpu=False)
    keys = ["dots_ocr", "deepseek_ocr", "phi3_vision", "qwen3_vl_4b_vllm"]
    results = {k: e for k, e in pool.run_many(keys, PageRequest(Image.new("RGB", (200, 60), "white")))
               if isinstance(e, ModelResult)}
    assert all("vLLM is not installed" in r.message for r in results.values()), results


def test_cpu_kv_cache_space_comes_from_the_entry_or_the_budget(config):
    opts = options(config, "qwen_vl_2b_vllm")
    assert engine_environment(opts, on_gpu=True, memory_budget_mb=20_000) == {}

    def kv_space(options, budget):
        return engine_environment(options, on_gpu=False, memory_budget_mb=budget)["VLLM_CPU_KVCACHE_SPACE"]

    assert [kv_space(opts, budget) for budget in (30_000, 18_000, 4_000, 500_000)] == ["2", "1", "1", "8"]
    assert kv_space(opts.model_copy(update={"cpu_kv_cache_gb": 3}), 20_000) == "3"


def test_on_a_cpu_the_servers_threads_sleep_rather_than_spin_while_they_wait(config):
    opts = options(config, "qwen_vl_2b_vllm")
    assert engine_environment(opts, on_gpu=False, memory_budget_mb=20_000)["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "OMP_WAIT_POLICY" not in engine_environment(opts, on_gpu=True, memory_budget_mb=20_000)


class RecordingVllm(types.ModuleType):
    """Stands in for the `vllm` module: records what the engine passes and answers like vLLM's RequestOutput."""

    def __init__(self, finish_reason: str = "stop"):
        super().__init__("vllm")
        self.calls: dict = {}
        recorder = self

        class LLM:
            def __init__(self, **kwargs):
                recorder.calls["engine_args"] = kwargs

            def chat(self, messages, sampling_params, use_tqdm=True):
                recorder.calls["chat"] = (messages, sampling_params.kwargs, use_tqdm)
                completion = types.SimpleNamespace(text="Водительское удостоверение", token_ids=[5, 6, 7],
                                                   finish_reason=finish_reason)
                return [types.SimpleNamespace(outputs=[completion], prompt_token_ids=list(range(40)))]

        class SamplingParams:
            def __init__(self, **kwargs):
                self.kwargs = kwargs

        self.LLM, self.SamplingParams = LLM, SamplingParams


@pytest.mark.parametrize("finish, cut", [("stop", False), ("length", True)])
def test_in_process_engine_hands_vllm_the_config_and_reads_its_answer(config, monkeypatch, finish, cut):
    from backends.engines.vllm.in_process import VllmInProcessEngine

    fake = RecordingVllm(finish)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    entry, opts = config.get("deepseek_ocr"), options(config, "deepseek_ocr")
    engine = VllmInProcessEngine(entry, opts)
    engine.load()
    items = list(engine.stream(PageRequest(Image.new("RGB", (40, 20), "white"))))
    assert fake.calls["engine_args"] == engine_args(entry, opts, on_cpu=True)  # no GPU on this machine
    messages, params, use_tqdm = fake.calls["chat"]
    assert messages[0]["content"][1] == {"type": "text", "text": "Free OCR."}
    assert messages[0]["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert params == sampling_params_kwargs(opts) and use_tqdm is False
    assert items[0] == "Водительское удостоверение"
    output = items[-1]
    assert isinstance(output, EngineOutput) and output.output_tokens == 3 and output.cut is cut
    assert output.extra["input_tokens"] == 40
    assert "LLM.chat returned the whole text" in output.extra["details"]["streaming"]


def test_on_a_cpu_vllm_skips_the_gpu_memory_profile_and_avoids_emulated_bfloat16(config, monkeypatch):
    from backends.engines.vllm import args

    entry, opts = config.get("deepseek_ocr"), options(config, "deepseek_ocr")
    monkeypatch.setattr(args, "cpu_has_bfloat16", lambda: False)
    command = serve_command(entry, opts, 8000, on_cpu=True)
    assert command[-3:] == ["--skip-mm-profiling", "--dtype", "float32"]
    assert engine_args(entry, opts, on_cpu=True)["dtype"] == "float32"
    assert "--skip-mm-profiling" not in serve_command(entry, opts, 8000)  # a GPU keeps vLLM's defaults
    monkeypatch.setattr(args, "cpu_has_bfloat16", lambda: True)
    assert serve_command(entry, opts, 8000, on_cpu=True)[-1] == "--skip-mm-profiling"
    own = opts.model_copy(update={"dtype": "bfloat16", "extra_args": ["--enforce-eager"]})
    monkeypatch.setattr(args, "cpu_has_bfloat16", lambda: False)
    command = serve_command(entry, own, 8000, on_cpu=True)
    assert command.count("--dtype") == 1 and command[-1] == "--enforce-eager"  # the entry's choices stand
