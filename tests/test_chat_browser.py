"""The side-by-side chat in a real browser (Debian's Chromium, driven by Playwright): one question about a page to two
tiny Transformers models and Tesseract, each answering in its own column with its speed; then the transcripts."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import PHOTOTEST, SCREENSHOTS, TIMEOUT_MS, serving
from tests.test_browser import open_page
from tests.test_transformers_engine import shipped_config

pytestmark = pytest.mark.slow

MODELS = {"qwen_vl_2b": "Qwen2-VL-2B-Instruct", "qwen25_vl_3b": "Qwen2.5-VL-3B-Instruct",
          "tesseract": "Tesseract 5 (rus+eng)"}
VLMS = ("qwen_vl_2b", "qwen25_vl_3b")
QUESTION = "What is written on this page?"
# The last message of a column's chat, once it is no longer the streaming placeholder.
LAST_ANSWER_JS = """slot => {
    const bots = [...document.querySelectorAll(`#chat-sbs-chat-${slot} .message.bot, `
                                              + `#chat-sbs-chat-${slot} [data-testid=bot]`)];
    const text = bots.length ? bots[bots.length - 1].innerText.trim() : '';
    return text && text !== '…' ? text : null;
}"""


@pytest.fixture(scope="module")
def chat_app(tiny_hf_cache, tmp_path_factory):
    """The shipped config with the tiny models installed and short replies; votes in a temp database."""
    votes = tmp_path_factory.mktemp("chat-browser") / "votes.sqlite"
    config = shipped_config(max_new_tokens=12, votes_db=str(votes))
    assert {key: config.get(key).name for key in MODELS} == MODELS  # the labels the browser ticks
    with serving(config) as url:
        yield url


def test_one_question_to_three_models_side_by_side_then_the_transcripts(playwright, chat_app, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        page.goto(chat_app)
        page.get_by_role("tab", name="Chat").click()
        page.locator("#chat-sbs-document input[type=file]").set_input_files(str(PHOTOTEST))
        page.locator("#chat-sbs-preview img").wait_for(timeout=TIMEOUT_MS)
        models = page.locator("#chat-sbs-models")
        for key, name in MODELS.items():  # each marked: the VLMs ready, Tesseract reading instead of chatting
            label = f"✓ {name}" if key in VLMS else f"– {name} — cannot chat, reads the text"
            models.get_by_label(label, exact=True).check()
        for slot in range(len(MODELS)):
            page.locator(f"#chat-sbs-col-{slot}").wait_for(timeout=TIMEOUT_MS)
        assert not page.locator("#chat-sbs-col-3").is_visible()
        page.locator("#chat-sbs-question textarea").fill(QUESTION)
        page.get_by_role("button", name="Ask them all").click()
        page.locator("#chat-sbs-status").get_by_text("Every column has its answer.").wait_for(timeout=TIMEOUT_MS)

        slots = {}  # model key -> its column
        for slot in range(len(MODELS)):
            header = page.locator(f"#chat-sbs-header-{slot}").inner_text().strip()
            [key] = [k for k, name in MODELS.items() if header == name]
            slots[key] = slot
            chat = page.locator(f"#chat-sbs-chat-{slot}")
            chat.get_by_text(QUESTION).wait_for(timeout=TIMEOUT_MS)
            page.wait_for_function(LAST_ANSWER_JS, arg=slot, timeout=TIMEOUT_MS)
            metrics = page.locator(f"#chat-sbs-metrics-{slot}")
            metrics.get_by_text(re.compile(r"latency \d+\.\d\d\ss")).wait_for(timeout=TIMEOUT_MS)
            if key in VLMS:
                assert re.search(r"first token \d+\.\d\d\ss", metrics.inner_text())
                assert re.search(r"\d+\.\d\stokens/\u2060?s", metrics.inner_text())  # a no-break space
        assert set(slots) == set(MODELS)
        # Tesseract cannot chat: its column holds what it read, labelled as an OCR reading, not an answer.
        ocr_column = page.locator(f"#chat-sbs-chat-{slots['tesseract']}")
        ocr_column.get_by_text("OCR", exact=True).first.wait_for(timeout=TIMEOUT_MS)
        assert "quick brown" in page.evaluate(LAST_ANSWER_JS, slots["tesseract"])
        for key in VLMS:
            assert not page.locator(f"#chat-sbs-chat-{slots[key]}").get_by_text("OCR", exact=True).count()
        page.screenshot(path=str(SCREENSHOTS / "chat-side-by-side-en.png"), full_page=True)

        page.get_by_role("button", name="Transcripts (Markdown and JSON)").click()
        files = page.locator("#chat-sbs-files")
        links = {}
        for name in ("chat-session.md", "chat-session.json"):
            link = files.locator(f"a[href*='{name}']").first
            link.wait_for(timeout=TIMEOUT_MS)
            links[name] = link
        shown = files.inner_text()
        assert "chat-session" in shown and ".md" in shown and ".json" in shown
        # The JSON transcript, downloaded as a person would, holds the three conversations.
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            links["chat-session.json"].click()
        session = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert download.value.suggested_filename == "chat-session.json"
        assert {m["key"] for m in session["models"]} == set(MODELS)
        assert session["document"] == PHOTOTEST.name
        for entry in session["models"]:
            [turn] = entry["turns"]
            assert turn["question"] == QUESTION and turn["latency_s"] > 0
            assert turn["status"] == ("ocr" if entry["key"] == "tesseract" else "ok")
        # The Markdown transcript's link serves it.
        response = page.request.get(links["chat-session.md"].evaluate("a => a.href"))
        assert response.status == 200 and "OCR reading" in response.text()
        page.screenshot(path=str(SCREENSHOTS / "chat-side-by-side-transcripts-en.png"), full_page=True)
    finally:
        context.close()
    assert (SCREENSHOTS / "chat-side-by-side-en.png").stat().st_size > 10_000
