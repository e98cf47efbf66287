"""The OpenAI-compatible engine against a real server: `transformers serve` running the tiny Qwen2-VL model.

The server is what a user might run (`python -m backends.engines.transformers.serve`, transformers' own server with the arena's
processor loading), on the same tiny weights the Transformers tests use, under the real repo id.
"""
from __future__ import annotations

import httpx
import pytest
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from backends.engines.openai.engine import OpenAIOptions, build_payload
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from tests.conftest import PHOTOTEST, free_port
from testkit.servers import transformers_serve

pytestmark = pytest.mark.slow
REPO = "Qwen/Qwen2-VL-2B-Instruct"
MAX_TOKENS = 8


@pytest.fixture(scope="module")
def server(tiny_hf_cache):
    with transformers_serve(REPO, free_port()) as url:
        yield url


def pool_for(url: str, model: str = REPO, max_tokens: int = MAX_TOKENS) -> ModelPool:
    return ModelPool(parse_config({"models": [
        {"key": "served", "name": "served", "engine": "openai", "endpoint": f"{url}/v1",
         "options": {"model": model, "max_tokens": max_tokens}},
        {"key": "tesseract", "name": "Tesseract", "engine": "tesseract", "options": {"lang": "eng"}},
    ]}))


def run_all(pool: ModelPool, keys: list[str], image: Image.Image) -> tuple[dict[str, ModelResult], dict[str, list[str]]]:
    results, streamed = {}, {k: [] for k in keys}
    for key, event in pool.run_many(keys, PageRequest(image)):
        if isinstance(event, Progress) and event.text:
            streamed[key].append(event.text)
        elif isinstance(event, ModelResult):
            results[key] = event
    return results, streamed


def test_streams_with_usage_and_matches_the_non_streamed_reply(server):
    image = Image.open(PHOTOTEST)
    results, streamed = run_all(pool_for(server), ["served"], image)
    result = results["served"]
    assert result.status == Status.OK, result.message
    assert len(streamed["served"]) >= 2 and streamed["served"][-1] == result.text  # it arrived in pieces
    assert result.metrics.output_tokens == MAX_TOKENS  # from the server's usage, not counted
    assert "tokens" not in result.details  # ... and so not flagged as a count
    assert result.metrics.input_tokens > 0
    assert result.cut and result.details["cut"] == f"reached max_tokens ({MAX_TOKENS})"
    assert 0 < result.metrics.first_token_s <= result.metrics.latency_s
    # Greedy decoding: the same request unstreamed gives the same text (the server strips its leading space).
    payload = build_payload(OpenAIOptions(max_tokens=MAX_TOKENS), REPO, "Read all the text in this image.", image)
    payload["stream"] = False
    payload.pop("stream_options")
    reply = httpx.post(f"{server}/v1/chat/completions", json=payload, timeout=60).json()
    assert reply["choices"][0]["message"]["content"] == result.text.lstrip()
    assert reply["usage"]["completion_tokens"] == result.metrics.output_tokens


def test_an_unknown_model_name_is_a_clear_column_error(server):
    results, _ = run_all(pool_for(server, model="acme/no-such-model"), ["served", "tesseract"], Image.open(PHOTOTEST))
    assert results["served"].status == Status.ERROR
    assert "does not serve a model named 'acme/no-such-model'" in results["served"].message
    assert results["tesseract"].status == Status.OK and "quick brown" in results["tesseract"].text


def test_an_image_the_model_cannot_take_is_a_clear_column_error(server):
    # Qwen's processor refuses aspect ratios over 200:1; the server answers a bare 500.
    sliver = Image.new("RGB", (2000, 5), "white")
    results, _ = run_all(pool_for(server), ["served", "tesseract"], sliver)
    assert results["served"].status == Status.ERROR
    assert "server error 500 on this 2000×5 px image" in results["served"].message
    assert results["tesseract"].status == Status.OK


def test_a_served_model_stays_usable_after_failures(server):
    pool = pool_for(server)
    run_all(pool, ["served"], Image.new("RGB", (2000, 5)))
    results, _ = run_all(pool, ["served"], Image.open(PHOTOTEST))
    assert results["served"].status == Status.OK and results["served"].metrics.warm
