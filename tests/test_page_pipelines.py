"""'All pages' as per-model page pipelines: each model reads the pages at its own pace, on real engines.

Tesseract is the fast model. The slow one is the OpenAI-compatible engine against a local HTTP server that
streams its reply a word at a time, slowly; which model finished what, and when, is read from the order of the
events, never from wall-clock thresholds.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image, ImageDraw, ImageFont

from backends.config import parse_config
from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult, Progress, Status
from backends.pool import ModelPool
from core.arena_run import ArenaRun
from core.arena_session import ArenaSession
from core.documents import ALL_PAGES, load_pages
from core.fields.run import FieldsRun, run_fields
from core.page_pipelines import run_pipelines

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PAGE_WORDS = ["Invoice alpha", "Delivery bravo", "Receipt charlie"]
SLOW_WORDS = 12  # the slow reply: this many words...
WORD_DELAY_S = 0.1  # ...one every this many seconds


class SlowReplies(BaseHTTPRequestHandler):
    """`/v1/chat/completions`, streamed a word every `word_delay_s`. With `hang_first`, the first request is
    accepted and never answered (until the test ends)."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.requests += 1
            number = self.server.requests
        if number == 1 and self.server.hang_first:
            self.server.released.wait(60)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in [f"reply{number}"] + ["slow"] * (SLOW_WORDS - 1):
            time.sleep(self.server.word_delay_s)
            self.wfile.write(_chunk({"content": f"{word} "}))
            self.wfile.flush()
        self.wfile.write(_chunk({}, finish="stop") + b"data: [DONE]\n\n")


def _chunk(delta: dict, finish: str | None = None) -> bytes:
    body = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


@pytest.fixture
def slow_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SlowReplies)
    httpd.daemon_threads, httpd.lock, httpd.requests = True, threading.Lock(), 0
    httpd.word_delay_s, httpd.hang_first, httpd.released = WORD_DELAY_S, False, threading.Event()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.released.set()
    httpd.shutdown()
    httpd.server_close()


def fast_and_slow(server, timeout_s: float = 60) -> ModelPool:
    return ModelPool(parse_config({"models": [
        {"key": "fast", "name": "Tesseract", "engine": "tesseract", "options": {"lang": "eng"}},
        {"key": "slow", "name": "Slow VLM", "engine": "openai", "weights": "tiny-vlm", "timeout_s": timeout_s,
         "endpoint": f"http://127.0.0.1:{server.server_address[1]}/v1", "prompts": {"ocr": "Read it."},
         "options": {"connect_timeout_s": 2, "read_timeout_s": 30, "connect_retries": 1}},
    ]}))


@pytest.fixture(scope="module")
def three_pages(tmp_path_factory):
    """A real 3-page PDF, read back the way the arena reads 'all pages'."""
    path = tmp_path_factory.mktemp("pdf") / "three.pdf"
    pages = []
    for words in PAGE_WORDS:
        page = Image.new("RGB", (1240, 1754), "white")
        ImageDraw.Draw(page).text((120, 200), words, fill="black", font=ImageFont.truetype(DEJAVU, 64))
        pages.append(page)
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=150)
    return load_pages(path, ALL_PAGES, dpi=100)


def test_the_fast_column_is_complete_before_the_slow_model_finishes_page_2(slow_server, three_pages):
    pool = fast_and_slow(slow_server)
    session = ArenaSession(ArenaRun(document="three.pdf"), ["fast", "slow"], three_pages)
    finished: list[tuple[str, int]] = []  # (model, page) in the order their pages ended
    fast_complete_at = slow_page_2_at = None
    slow_live_text = ""
    for key, event in session.events(pool):
        if isinstance(event, Progress) and key == "slow":
            slow_live_text = session.live["slow"].text
        if not isinstance(event, ModelResult):
            continue
        finished.append((key, sum(1 for k, _ in finished if k == key) + 1))
        if fast_complete_at is None and "fast" in session.run.results:
            fast_complete_at = len(finished)
        if finished[-1] == ("slow", 2):
            slow_page_2_at = len(finished)
            # The slow column, mid-document: page 1 under its header, then page 2 streaming under its own.
            assert slow_live_text.index("--- 1/3 ---") < slow_live_text.index("reply") < slow_live_text.index(
                "--- 2/3 ---")
    pool.close()

    assert finished.index(("fast", 3)) < finished.index(("slow", 2)), finished
    assert fast_complete_at is not None and fast_complete_at < slow_page_2_at
    run = session.run
    assert list(run.results) == ["fast", "slow"] and all(r.status == Status.OK for r in run.results.values())
    fast_text = run.results["fast"].text
    assert fast_text.index("--- 1/3 ---") < fast_text.index("alpha") < fast_text.index("--- 2/3 ---") \
        < fast_text.index("bravo") < fast_text.index("--- 3/3 ---") < fast_text.index("charlie")
    # Each page's results are kept besides the merged ones, in the selection's order.
    assert run.pages == [1, 2, 3] and all(list(run.page_results[n]) == ["fast", "slow"] for n in run.pages)
    assert [row["key"] for row in run.rows(2)] == ["fast", "slow"]
    assert sum(run.page_results[n]["slow"].metrics.chars for n in run.pages) == run.results["slow"].metrics.chars


def test_fields_finish_the_fast_model_first_and_keep_the_pages_in_order(slow_server, three_pages, config):
    pool = fast_and_slow(slow_server)
    run = FieldsRun("three.pdf", "receipt", {"fast": "Tesseract", "slow": "Slow VLM"})
    progress: list[str] = []
    run_fields(pool, run, config.templates["receipt"], three_pages, "en",
               lambda done, total, what: progress.append(what))
    pool.close()

    assert progress.index("Tesseract · 3/3") < progress.index("Slow VLM · 2/3"), progress
    assert len(progress) == 6
    assert [p["page"] for p in run.page_records] == [1, 2, 3]
    assert all([m["key"] for m in p["models"]] == ["fast", "slow"] for p in run.page_records)
    assert "charlie" in run.page_records[2]["models"][0]["text"].lower()
    assert list(run.table()["page"].drop_duplicates()) == [1, 2, 3]


def test_a_page_past_its_timeout_is_reset_and_the_model_reads_its_next_pages(slow_server, three_pages):
    slow_server.hang_first, slow_server.word_delay_s = True, 0.0  # page 1 is never answered, the others at once
    pool = fast_and_slow(slow_server, timeout_s=1.5)
    request = [dict.fromkeys(["fast", "slow"], PageRequest(image)) for _, image in three_pages]
    results: dict[str, list[ModelResult]] = {"fast": [], "slow": []}
    for key, page, event in run_pipelines(pool, ["fast", "slow"], request):
        if isinstance(event, ModelResult):
            assert page == len(results[key])  # each model's pages end in order
            results[key].append(event)
    pool.close()

    assert [r.status for r in results["fast"]] == [Status.OK] * 3
    first, *rest = results["slow"]
    assert first.status == Status.TIMEOUT and "the model was reset" in first.message
    # Pages 2 and 3 were answered while page 1's request still hung on the server.
    assert [r.status for r in rest] == [Status.OK, Status.OK]
    assert [r.text.split()[0] for r in rest] == ["reply2", "reply3"]


def test_a_model_refused_beside_the_others_stays_refused_on_every_page(config, tmp_path, monkeypatch):
    monkeypatch.setenv("ARENA_VLLM_ENV", str(tmp_path / "no-vllm"))  # no vLLM here, whatever envs/vllm holds
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    pool = ModelPool(config, on_gpu=True)  # on a GPU, these vLLM models' card shares do not fit together
    keys = ["dots_ocr", "deepseek_ocr", "phi3_vision", "qwen3_vl_4b_vllm", "tesseract"]
    blank = PageRequest(Image.new("RGB", (200, 60), "white"))
    results: dict[str, list[ModelResult]] = {k: [] for k in keys}
    for key, _, event in run_pipelines(pool, keys, [dict.fromkeys(keys, blank)] * 3):
        if isinstance(event, ModelResult):
            results[key].append(event)
    pool.close()

    refused = results["qwen3_vl_4b_vllm"]
    # Asked alone on a later page it would not be refused: it is not asked again.
    assert len(refused) == 3 and all("Deselect qwen3_vl_4b_vllm" in r.message for r in refused)
    assert all("vLLM is not installed" in r.message for r in results["dots_ocr"])
    assert [r.status for r in results["tesseract"]] == [Status.OK] * 3
