"""Real vLLM (its CPU build, in the vLLM environment) serving tiny random models of every seed architecture.

The models are built in the vLLM environment (testkit/vllm_tiny_models.py) and placed under their real repo ids
in an offline Hugging Face cache, so the shipped config entries run unchanged, except for a small max_tokens:
random weights never stop on their own. Each server is the managed `vllm serve` a user gets.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

import huggingface_hub.constants
import psutil
import pytest
import yaml
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from backends.engines.vllm.environment import is_up_to_date, vllm_environment
from backends.engines.vllm.server import parse_log_line
from tests.conftest import PHOTOTEST, ROOT

pytestmark = pytest.mark.slow

MAX_TOKENS = 16
LIFECYCLE_KEY = "qwen_vl_2b_vllm"
# The shipped vLLM entries whose architecture has a tiny stand-in here (see testkit/vllm_tiny_models.py).
SERVED_KEYS = ["qwen_vl_2b_vllm", "qwen25_vl_3b_vllm", "qwen3_vl_2b_vllm", "dots_ocr", "deepseek_ocr",
               "deepseek_ocr2_vllm"]


def shipped_raw_config(max_tokens: int = MAX_TOKENS, eager: bool = True) -> dict:
    """config.yaml as shipped, with generation limits lowered for tiny random models. `eager` adds
    --enforce-eager to the vLLM servers: no kernel compilation, a start in half the time on 2 cores."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for entry in raw["models"]:
        options = entry.setdefault("options", {})
        if entry["engine"] == "vllm":
            options["max_tokens"] = max_tokens
            if eager:
                options["extra_args"] = ["--enforce-eager"]
        elif entry["engine"] == "transformers" and not entry.get("environment"):
            options["max_new_tokens"] = max_tokens
    return raw


@pytest.fixture(scope="session")
def vllm_env():
    folder = vllm_environment()
    if not is_up_to_date(folder):
        message = f"no vLLM environment at {folder}: run python launch.py env vllm"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI builds it (scripts/setup.sh dev): its absence is a failure there
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def vllm_cache(vllm_env, tmp_path_factory):
    """Every tiny vLLM model, built in the vLLM environment, in a hub cache of its own."""
    cache = tmp_path_factory.mktemp("vllm-hub")
    subprocess.run([str(vllm_env / "bin" / "python"), "-m", "testkit.vllm_tiny_models", "--cache", str(cache)],
                   cwd=ROOT, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)
    return cache


@pytest.fixture
def in_vllm_cache(vllm_cache, monkeypatch):
    """This process and the servers it starts read the tiny vLLM models' cache."""
    monkeypatch.setenv("HF_HUB_CACHE", str(vllm_cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(vllm_cache))
    return vllm_cache


def run(pool: ModelPool, key: str, image: Image.Image | None = None) -> ModelResult:
    events = list(pool.run(key, PageRequest(image or Image.open(PHOTOTEST))))
    assert all(isinstance(e, Progress) for e in events[:-1])
    return events[-1]


@pytest.fixture(scope="module")
def pool(vllm_cache):
    pool = ModelPool(parse_config(shipped_raw_config()), on_gpu=False)
    yield pool
    pool.close()


@pytest.mark.parametrize("key", SERVED_KEYS)
def test_every_seed_architecture_streams_through_its_shipped_entry(pool, in_vllm_cache, key):
    result = run(pool, key)
    assert result.status == Status.OK, result.message
    assert result.metrics.output_tokens == MAX_TOKENS and result.text
    assert result.metrics.input_tokens and result.metrics.input_tokens > 0  # vLLM's usage block
    assert "tokens" not in result.details  # the count is the server's, not stream chunks
    assert result.metrics.first_token_s > 0 and result.metrics.tokens_per_s > 0
    assert "managed vllm serve" in result.details["server"]
    assert result.metrics.memory_mb["RSS (server processes)"] > 0
    print(f"\n{key}: {result.details['server start']}, first token {result.metrics.first_token_s:.3f} s, "
          f"{result.metrics.tokens_per_s:.1f} tokens/s")
    if key != LIFECYCLE_KEY:  # one server at a time on 2 cores; the lifecycle tests below reuse this one
        pool.unload(key)


def test_the_memory_figures_come_from_the_real_cpu_log(pool, in_vllm_cache):
    result = run(pool, "qwen_vl_2b_vllm")
    assert result.status == Status.OK, result.message
    server = pool._slots["qwen_vl_2b_vllm"].engine.server
    facts = {}
    for line in server.log_path.read_text(encoding="utf-8").splitlines():
        facts.update(parse_log_line(line))
    space_gib = float(server.env["VLLM_CPU_KVCACHE_SPACE"])
    assert facts["cpu_kv_cache_gib"] == space_gib and facts["kv_cache_tokens"] > 0
    assert result.metrics.memory_mb["vLLM CPU KV cache space (server log)"] == space_gib * 1024
    assert result.details["KV cache"].endswith("tokens")
    assert "vLLM reservation (gpu_memory_utilization × card)" not in result.metrics.memory_mb  # no card here


def engine_core(pids: list[int]) -> psutil.Process:
    for pid in pids:
        process = psutil.Process(pid)
        if "EngineCore" in process.name() or "EngineCore" in " ".join(process.cmdline()):
            return process
    raise AssertionError(f"no engine core among {pids}")


def test_a_killed_engine_core_is_restarted_by_the_next_request(pool, in_vllm_cache):
    assert run(pool, "qwen_vl_2b_vllm").status == Status.OK
    first = pool._slots["qwen_vl_2b_vllm"].engine.server
    core = engine_core(first.pids())
    core.send_signal(signal.SIGKILL)
    core.wait(10)
    deadline = time.monotonic() + 60
    while first.alive() and time.monotonic() < deadline:  # the API server notices and exits; the guard follows
        time.sleep(0.5)
    result = run(pool, "qwen_vl_2b_vllm")
    assert result.status == Status.OK, result.message
    assert pool._slots["qwen_vl_2b_vllm"].engine.server is not first and result.metrics.load_s > 0


def test_unload_leaves_no_process(pool, in_vllm_cache):
    assert run(pool, "qwen_vl_2b_vllm").status == Status.OK
    server = pool._slots["qwen_vl_2b_vllm"].engine.server
    processes = [psutil.Process(pid) for pid in server.pids()]
    assert len(processes) >= 3  # the guard, the API server and its engine core
    report = pool.unload("qwen_vl_2b_vllm")
    assert report.unloaded and report.before_mb["RSS (server processes)"] > 0
    gone, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == []


def test_a_model_that_kills_its_engine_is_a_clear_error_never_an_empty_ok(in_vllm_cache):
    raw = shipped_raw_config()
    twin = next(e for e in raw["models"] if e["key"] == "qwen_vl_2b_vllm")
    raw["app"]["default_models"] = []
    raw["models"] = [dict(twin, key="head16", name="Qwen2-VL, head size 16", weights="arena-tests/qwen2-vl-head16")]
    pool = ModelPool(parse_config(raw), on_gpu=False)
    try:
        result = run(pool, "head16")
        assert result.status == Status.ERROR, (result.status, result.text, result.message)
        assert "error mid-stream" in result.message and "engine died on this request" in result.message
        assert "head_dim=16" in result.message, result.message  # the cause, from the server's log
        assert not pool._slots["head16"].engine.healthy()  # the next request starts a fresh server
    finally:
        pool.close()


def test_in_process_mode_answers_from_a_worker(in_vllm_cache):
    raw = shipped_raw_config()
    twin = next(e for e in raw["models"] if e["key"] == "qwen_vl_2b_vllm")
    raw["app"]["default_models"] = []
    raw["models"] = [dict(twin, key="in_process", options={**twin["options"], "mode": "in_process"})]
    pool = ModelPool(parse_config(raw), on_gpu=False)
    try:
        result = run(pool, "in_process")
        assert result.status == Status.OK, result.message
        assert result.metrics.output_tokens == MAX_TOKENS and result.text
        assert "LLM.chat returned the whole text" in result.details["streaming"]
        assert result.metrics.memory_mb["RSS (worker and vLLM engine processes)"] > 0
    finally:
        pool.close()


def leading_tokens_in_common(tokenizer_folder, first: str, second: str) -> tuple[int, int]:
    """(leading tokens the two texts share, tokens in the longer one), re-tokenized with the model's tokenizer."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder))
    a, b = tokenizer(first).input_ids, tokenizer(second).input_ids
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    return common, max(len(a), len(b))


def test_the_same_weights_on_transformers_and_vllm_side_by_side_in_the_arena(vllm_cache, tmp_path):
    from gradio_client import Client, handle_file

    from testkit.servers import launched_app

    config = tmp_path / "config.yaml"
    # The shipped entries, compilation included; only the token limits are lowered.
    config.write_text(yaml.safe_dump(shipped_raw_config(max_tokens=32, eager=False), allow_unicode=True),
                      encoding="utf-8")
    keys = ["qwen_vl_2b", "qwen_vl_2b_vllm", "tesseract"]
    with launched_app("--config", str(config), env={"HF_HUB_CACHE": str(vllm_cache)}) as url:
        report = Client(url, verbose=False).predict(handle_file(str(PHOTOTEST)), keys, "", api_name="/run_arena")[0]
    models = {m["key"]: m for m in report["models"]}
    assert all(models[k]["status"] == "ok" for k in keys), {k: models[k]["message"] for k in keys}
    assert models["qwen_vl_2b"]["output_tokens"] == models["qwen_vl_2b_vllm"]["output_tokens"] == 32
    assert "quick brown" in models["tesseract"]["text"]
    snapshot = next((vllm_cache / "models--Qwen--Qwen2-VL-2B-Instruct" / "snapshots").iterdir())
    common, total = leading_tokens_in_common(snapshot, models["qwen_vl_2b"]["text"], models["qwen_vl_2b_vllm"]["text"])
    print(f"\nTransformers and vLLM agree on the first {common} of {total} tokens of their greedy replies (fp32; "
          f"texts identical: {models['qwen_vl_2b']['text'] == models['qwen_vl_2b_vllm']['text']})")
    assert common >= 1


def test_the_layout_task_on_a_real_vllm_server_shows_an_unreadable_reply_raw_and_never_raises(vllm_cache, tmp_path):
    """A tiny random dots.ocr answers noise to the layout prompt: its column keeps the raw reply, the table says
    the reply is unreadable as layout, and a model without the task says so in its own column."""
    from gradio_client import Client, handle_file

    from testkit.servers import launched_app

    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(shipped_raw_config(), allow_unicode=True), encoding="utf-8")
    page = ROOT / "samples" / "layout_pages" / "images" / "01_en_water_report.png"
    with launched_app("--config", str(config), env={"HF_HUB_CACHE": str(vllm_cache)}) as url:
        outputs = Client(url, verbose=False).predict(handle_file(str(page)), ["dots_ocr", "tesseract"], "",
                                                     "layout", "1", api_name="/run_arena")
    report, table = outputs[0], outputs[1]["value"]  # the table comes as an update (hidden before a run)
    models = {m["key"]: m for m in report["models"]}
    assert models["dots_ocr"]["status"] == "ok" and models["dots_ocr"]["text"], models["dots_ocr"]["message"]
    assert models["tesseract"]["status"] == "unavailable" and "'layout' task" in models["tesseract"]["message"]
    elements = {row[0]: row[table["headers"].index("elements")] for row in table["data"]}
    assert elements[models["dots_ocr"]["model"]] == "unreadable reply" and not elements[models["tesseract"]["model"]]
