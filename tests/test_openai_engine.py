"""The OpenAI-compatible engine against real sockets: a streaming server and the ways servers fail.

Each server here is a real HTTP server on a loopback port, speaking just enough of
`/v1/chat/completions` for one behaviour. Every failure must end as that column's clear result while
another model's column completes.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from backends.engines.openai.engine import OpenAIOptions, build_payload
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from tests.conftest import PHOTOTEST, free_port


def sse(obj) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


def chunk(text="", finish=None, usage=None):
    body = {"choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}]}
    if usage:
        body = {"choices": [], "usage": usage}
    return sse(body)


class Behaviour(BaseHTTPRequestHandler):
    """Serves one behaviour chosen by the server's `mode`; records each request body."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((dict(self.headers), body))
        mode = self.server.mode
        if mode == "error500":
            self._reply(500, b'{"error": "CUDA out of memory"}')
        elif mode == "unauthorized":
            self._reply(401, b'{"error": "invalid api key"}')
        elif mode == "unknown_model":
            self._reply(404, b'{"error": {"message": "The model `nope` does not exist."}}')
        elif mode == "silent":
            threading.Event().wait(10)  # accepts the request and never answers
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if mode == "empty":
                return
            if mode == "error_in_stream":  # what vLLM sends after its 200 when the request killed its engine
                self.wfile.write(b'data: {"error": {"message": "EngineCore encountered an issue.", "code": 500}}\n\n')
                self.wfile.write(b"data: [DONE]\n\n")
                return
            if mode == "loop":
                # A model stuck on a dot leader: it would go on to max_tokens unless the client leaves.
                self.server.loop_chunks_sent = 0
                self.wfile.write(chunk("Contents\n1. Intro"))
                try:
                    for _ in range(2000):
                        self.wfile.write(chunk("....."))
                        self.wfile.flush()
                        self.server.loop_chunks_sent += 1
                        time.sleep(0.002)
                except OSError:  # the client closed the connection
                    return
                self.wfile.write(chunk(finish="length"))
                return
            for word in ("Hello", " arena", " reader"):
                self.wfile.write(chunk(word))
                self.wfile.flush()
            if mode == "cut":
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # the stream stops mid-way, no finish reason
                return
            self.wfile.write(chunk(finish="stop"))
            if mode == "ok":
                self.wfile.write(chunk(usage={"prompt_tokens": 42, "completion_tokens": 3, "total_tokens": 45}))
            self.wfile.write(b"data: [DONE]\n\n")

    def _reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Behaviour)
    httpd.mode, httpd.requests = "ok", []
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def config_for(url: str, timeout_s: float | None = None, **options):
    return parse_config({"models": [
        {"key": "tesseract_eng", "name": "Tesseract", "engine": "tesseract", "options": {"lang": "eng"}},
        {"key": "remote", "name": "Remote VLM", "engine": "openai", "endpoint": url, "weights": "tiny-vlm",
         "prompts": {"ocr": "Read it."}, "timeout_s": timeout_s,
         "options": {"connect_timeout_s": 1, "read_timeout_s": 2, "connect_retries": 1, **options}},
    ]})


def run_side_by_side(url: str, **options) -> dict[str, ModelResult]:
    pool = ModelPool(config_for(url, **options))
    image = Image.open(PHOTOTEST)
    results = {k: e for k, e in pool.run_many(["tesseract_eng", "remote"], PageRequest(image))
               if isinstance(e, ModelResult)}
    pool.close()
    assert results["tesseract_eng"].status == Status.OK  # the other column always completes
    return results


def url_of(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_a_streamed_reply_with_usage(server):
    result = run_side_by_side(url_of(server), api_key_env="ARENA_TEST_KEY", extra_body={"top_k": 1})["remote"]
    assert result.status == Status.UNAVAILABLE and "ARENA_TEST_KEY" in result.message  # the key is not set

    import os

    os.environ["ARENA_TEST_KEY"] = "secret-for-test"
    try:
        result = run_side_by_side(url_of(server), api_key_env="ARENA_TEST_KEY", extra_body={"top_k": 1})["remote"]
    finally:
        del os.environ["ARENA_TEST_KEY"]
    assert result.status == Status.OK and result.text == "Hello arena reader" and not result.cut
    assert result.metrics.output_tokens == 3 and result.metrics.input_tokens == 42
    assert 0 < result.metrics.first_token_s <= result.metrics.latency_s
    headers, body = server.requests[-1]
    assert headers["Authorization"] == "Bearer secret-for-test"
    assert body["model"] == "tiny-vlm" and body["stream"] is True and body["top_k"] == 1
    image_part, text_part = body["messages"][0]["content"]
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,")
    assert text_part == {"type": "text", "text": "Read it."}


def test_without_usage_the_tokens_are_counted_and_said_so(server):
    server.mode = "no_usage"
    result = run_side_by_side(url_of(server))["remote"]
    assert result.status == Status.OK and result.metrics.output_tokens == 3
    assert "no usage from the server" in result.details["tokens"]


def test_nothing_listening_is_said_before_running():
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_side_by_side(url)["remote"]
    assert result.status == Status.UNAVAILABLE
    assert f"no server is reachable at {url} (Connection refused)" in result.message


def test_a_server_gone_after_the_check_is_a_clear_column_error():
    from backends.engines.openai.engine import OpenAIEngine

    engine = OpenAIEngine("remote", OpenAIOptions(connect_timeout_s=1, connect_retries=1),
                          endpoint=f"http://127.0.0.1:{free_port()}/v1", model="m")
    engine.load()
    with pytest.raises(RuntimeError, match="cannot connect to .*: the server is down or unreachable"):
        list(engine.stream(PageRequest(Image.new("RGB", (8, 8)))))


def test_a_server_that_never_answers_times_out(server):
    server.mode = "silent"
    result = run_side_by_side(url_of(server))["remote"]
    assert result.status == Status.ERROR and "did not answer within 2 s" in result.message


def test_a_stream_cut_mid_way_keeps_the_text_and_is_marked_cut(server):
    server.mode = "cut"
    result = run_side_by_side(url_of(server))["remote"]
    assert result.status == Status.OK and result.cut and result.text == "Hello arena reader"
    assert "cut" in result.details


@pytest.mark.parametrize("mode, words", [("error500", ["server error 500", "CUDA out of memory"]),
                                         ("unauthorized", ["401", "API key"]),
                                         ("unknown_model", ["does not serve a model named 'tiny-vlm'"]),
                                         ("empty", ["empty reply"]),
                                         ("error_in_stream", ["error mid-stream", "EngineCore encountered an issue"])])
def test_server_failures_read_clearly(server, mode, words):
    server.mode = mode
    result = run_side_by_side(url_of(server))["remote"]
    assert result.status == Status.ERROR
    for word in words:
        assert word in result.message


def test_dots_ocr_prefix_and_deepseek_extra_body_shape_the_request():
    options = OpenAIOptions(prompt_prefix="<|img|><|imgpad|><|endofimg|>", temperature=0.1, top_p=0.9,
                            extra_body={"skip_special_tokens": False,
                                        "vllm_xargs": {"ngram_size": 30, "window_size": 90}})
    payload = build_payload(options, "rednote-hilab/dots.ocr", "Extract the text content from this image.",
                            Image.new("RGB", (8, 8), "white"))
    assert payload["messages"][0]["content"][1]["text"] == (
        "<|img|><|imgpad|><|endofimg|>Extract the text content from this image.")
    assert payload["temperature"] == 0.1 and payload["top_p"] == 0.9
    assert payload["vllm_xargs"] == {"ngram_size": 30, "window_size": 90} and payload["skip_special_tokens"] is False


def test_a_looping_reply_is_stopped_trimmed_and_marked_cut(server):
    server.mode = "loop"
    result = run_side_by_side(url_of(server), repetition_guard_chars=200)["remote"]
    assert result.status == Status.OK and result.cut
    assert result.text == "Contents\n1. Intro."  # the loop trimmed to its first occurrence
    assert result.details["cut"].startswith("a loop: '.' repeated over ")
    time.sleep(0.3)
    assert server.loop_chunks_sent < 200  # the client left early; the server stopped sending


def test_without_the_guard_a_loop_runs_to_the_token_limit(server):
    server.mode = "loop"
    result = run_side_by_side(url_of(server))["remote"]
    assert result.cut and result.text.endswith("." * 1000)
    assert result.details["cut"].startswith("reached max_tokens")


def test_a_request_timed_in_its_callers_thread_ends_at_its_timeout_and_leaves_the_server(server):
    """`ModelPool.run_timed` (the load benchmark's way for servers): a reply still streaming at the model's
    timeout ends as a timeout with the text so far, its connection is dropped (the server stops sending), and
    the model's next request starts clean."""
    server.mode = "loop"  # 2,000 chunks, 2 ms apart: longer than the timeout
    pool = ModelPool(config_for(url_of(server), timeout_s=1.0))
    events = list(pool.run_timed("remote", PageRequest(Image.new("RGB", (16, 16), "white"))))
    result = events[-1]
    assert isinstance(result, ModelResult) and sum(isinstance(e, ModelResult) for e in events) == 1
    assert result.status == Status.TIMEOUT and "no result within 1 s" in result.message
    assert result.text.startswith("Contents\n1. Intro.....")
    sent = server.loop_chunks_sent
    time.sleep(0.3)
    assert server.loop_chunks_sent - sent < 5 and server.loop_chunks_sent < 1000  # the server stopped sending

    server.mode = "ok"
    again = list(pool.run_timed("remote", PageRequest(Image.new("RGB", (16, 16), "white"))))[-1]
    assert again.status == Status.OK and again.text == "Hello arena reader"
    assert list(pool.run_timed("nope", PageRequest(Image.new("RGB", (16, 16)))))[-1].status == Status.UNAVAILABLE
    pool.close()
