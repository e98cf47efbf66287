"""The OpenAI-compatible engine's connections, against a real HTTP/1.1 server that streams chunked replies the way
vLLM does: kept alive between requests, dropped when a server holds a stream open, cut streams worded plainly,
and proxies taken from the environment."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult, Status
from backends.engines.openai.connection import DRAIN_S
from backends.engines.openai.engine import OpenAIEngine, OpenAIOptions
from backends.engines.openai.streaming import EndpointError
from backends.pool import ModelPool
from backends.config import parse_config
from testkit.sse_server import sse_server


@pytest.fixture
def server():
    with sse_server() as httpd:
        yield httpd


def engine_for(url: str, read_timeout_s: float = 30) -> OpenAIEngine:
    engine = OpenAIEngine("remote", OpenAIOptions(read_timeout_s=read_timeout_s, connect_retries=0), endpoint=url,
                          model="tiny-vlm")
    engine.load()
    return engine


def read(engine: OpenAIEngine) -> str:
    *pieces, output = list(engine.stream(PageRequest(Image.new("RGB", (16, 16), "white"))))
    assert "".join(pieces) == output.text
    return output.text


def url_of(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def pool_for(url: str) -> ModelPool:
    return ModelPool(parse_config({"models": [{"key": "remote", "name": "Remote", "engine": "openai",
                                               "weights": "tiny-vlm", "endpoint": url,
                                               "options": {"connect_retries": 0}}]}), on_gpu=False)


def test_replies_read_to_their_end_keep_one_connection(server):
    engine = engine_for(url_of(server))
    assert [read(engine) for _ in range(3)] == ["Kept alive reply"] * 3
    assert len(server.connections) == 1
    engine.unload()


def test_a_kept_connection_closed_by_the_server_is_replaced_and_the_request_sent_once_more(server):
    server.mode = "drop_reused"  # what a keep-alive timeout does when it meets a request on the way
    engine = engine_for(url_of(server))
    assert [read(engine) for _ in range(3)] == ["Kept alive reply"] * 3
    assert len(server.connections) == 3 and len(server.requests) == 5  # two were dropped unanswered, then re-sent
    engine.unload()


def test_concurrent_requests_reuse_their_connections_round_after_round(server):
    pool = pool_for(url_of(server))
    request = PageRequest(Image.new("RGB", (16, 16), "white"))

    def one(_):
        return [e for e in pool.run("remote", request) if isinstance(e, ModelResult)][-1]

    with ThreadPoolExecutor(8) as senders:
        for _ in range(3):
            results = list(senders.map(one, range(8)))
            assert [(r.status, r.text) for r in results] == [(Status.OK, "Kept alive reply")] * 8
    assert len(server.requests) == 24
    assert len(server.connections) <= 8  # rounds two and three went over the first round's connections
    pool.close()


def test_a_stream_held_open_after_its_last_event_ends_the_reply_and_drops_the_connection(server):
    server.mode = "open"
    engine = engine_for(url_of(server))
    started = time.monotonic()
    assert read(engine) == "Kept alive reply"
    assert time.monotonic() - started < DRAIN_S + 2.5  # not the 30 s read timeout, nor the server's 4 s
    server.mode = "done"
    assert read(engine) == "Kept alive reply"
    assert len(server.connections) == 2  # the held connection was not reused
    engine.unload()


def test_a_chunked_stream_cut_mid_way_keeps_its_text_and_says_so_plainly(server):
    server.mode = "cut"
    engine = engine_for(url_of(server))
    *_, output = list(engine.stream(PageRequest(Image.new("RGB", (16, 16), "white"))))
    assert output.text == "Kept alive reply" and output.cut
    reason = output.extra["details"]["cut"]
    assert reason.startswith("the stream was cut mid-way")
    assert "object at 0x" not in reason and "Error(" not in reason and "IncompleteRead(" not in reason
    engine.unload()


def test_a_proxy_named_in_the_environment_carries_the_request(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    engine = engine_for("http://model-host.invalid:8000/v1")
    assert read(engine) == "Kept alive reply"
    assert server.requests[-1][0] == "http://model-host.invalid:8000/v1/chat/completions"  # a proxy's request line
    engine.unload()

    monkeypatch.setenv("NO_PROXY", "model-host.invalid")
    engine = engine_for("http://model-host.invalid:8000/v1")
    with pytest.raises(EndpointError, match=r"cannot connect to http://model-host.invalid:8000/v1: .*\(\w"):
        read(engine)
    assert len(server.requests) == 1
    engine.unload()


def test_the_load_benchmark_streams_a_server_from_its_senders_over_kept_connections(server):
    from benchmarks.load import Job, run_level

    pool = pool_for(url_of(server))
    request = PageRequest(Image.new("RGB", (16, 16), "white"))
    level = run_level(pool, "remote", "Remote", [Job(f"page{n}", 1, request) for n in range(12)], concurrency=4)
    assert [(r["status"], r["chunks"], r["output_tokens"]) for r in level.records] == [("ok", 3, 3)] * 12
    assert all(0 < r["ttft_s"] <= r["latency_s"] and r["tpot_s"] is not None for r in level.records)
    assert len(server.connections) <= 4  # one per sender, kept from request to request
    pool.close()
