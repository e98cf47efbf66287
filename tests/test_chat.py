"""Chat: multi-turn requests reach every engine kind with their history, and the Chat tab works through its API
with a tiny transformers model; a CPU engine's tab states its limits; a conversation's page is decoded and encoded
once; each model keeps its own conversation about each document page."""
from __future__ import annotations

import pytest
from gradio_client import Client, handle_file

from backends.config import parse_config
from backends.contracts.requests import conversation
from backends.engines.openai import engine as openai_engine
from backends.engines.openai.engine import chat_messages
from backends.pool import ModelPool
from core.chat import pages
from testkit.sse_server import sse_server
from tests.conftest import PHOTOTEST, SAMPLES, serving
from tests.test_transformers_engine import shipped_config
from ui.chat_tab import document_of, question_answer_pairs

HISTORY = (("What is this?", "A test page."), ("Which language?", "English."))


def test_a_conversation_puts_the_image_with_the_first_question():
    assert conversation(HISTORY, "Line 2?") == [("user", "What is this?"), ("assistant", "A test page."),
                                                ("user", "Which language?"), ("assistant", "English."),
                                                ("user", "Line 2?")]
    messages = chat_messages("data:image/png;base64,AA", "Line 2?", HISTORY, prefix="<|img|>")
    assert messages[0]["content"] == [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
                                      {"type": "text", "text": "<|img|>What is this?"}]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[-1] == {"role": "user", "content": "Line 2?"}


def test_the_chat_history_gives_the_document_and_the_answered_turns():
    history = [
        {"role": "user", "content": [{"type": "file", "file": "/tmp/scan.png"}]},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A test page."}]},
        {"role": "user", "content": "Which language?"},
        {"role": "assistant", "content": "timed out", "metadata": {"title": "⚠ timed out"}},  # not an answer
        {"role": "user", "content": {"path": "/tmp/other.png"}},
    ]
    assert document_of(history) == "/tmp/other.png"  # the last document sent
    assert question_answer_pairs(history) == (("What is this?", "A test page."),)


def test_the_tiny_model_sees_the_earlier_turns(tiny_hf_cache):
    from PIL import Image

    from backends.engines.transformers.families import FAMILIES
    from backends.engines.transformers.processors import load_processor

    processor = load_processor(tiny_hf_cache["Qwen/Qwen2-VL-2B-Instruct"])
    image = Image.new("RGB", (56, 56), "white")
    alone = FAMILIES["qwen2_vl"].build_inputs(processor, image, "Line 2?", {})
    follow_up = FAMILIES["qwen2_vl"].build_inputs(processor, image, "Line 2?", {}, HISTORY)
    text = processor.tokenizer.decode(follow_up["input_ids"][0])
    assert "A test page." in text and "Which language?" in text
    assert text.index("What is this?") < text.index("English.") < text.index("Line 2?")
    assert follow_up["input_ids"].shape[1] > alone["input_ids"].shape[1]
    assert follow_up["pixel_values"].shape == alone["pixel_values"].shape  # one image, once


@pytest.fixture(scope="module")
def client(tiny_hf_cache):
    with serving(shipped_config(max_new_tokens=24)) as url:
        yield Client(url, verbose=False)


def _for_upload(history: list[dict]) -> list[dict]:
    """A history from the server, ready to send back (its files go up again)."""
    return [{**m, "content": [({**p, "file": handle_file(p["file"])} if p.get("type") == "file" else p)
                              for p in m["content"]]} for m in history]


@pytest.mark.slow
def test_two_turns_with_an_image_on_a_tiny_model(client):
    job = client.submit({"text": "What is written here?", "files": [handle_file(str(PHOTOTEST))]}, [],
                        "qwen_vl_2b", "1", api_name="/chat")
    history, cleared = job.result()
    streamed = [update[0] for update in job.outputs()]
    assert cleared == {"text": "", "files": []} or not cleared
    assert [m["role"] for m in history] == ["user", "user", "assistant"]
    # The TIFF is shown as a PNG copy a browser can display; the model read the TIFF itself.
    shown = history[0]["content"][0]
    assert shown["type"] == "file" and shown["file"].endswith(f"{PHOTOTEST.stem}.png")
    answer = history[2]["content"][0]["text"]
    assert answer and history[2]["metadata"] is None  # a real reply, not an error note
    assert streamed[-1][2]["content"][0]["text"] == answer  # the stream ends on the final text

    history2, _ = client.predict({"text": "And the second line?", "files": []}, _for_upload(history),
                                 "qwen_vl_2b", "1", api_name="/chat")
    assert [m["role"] for m in history2] == ["user", "user", "assistant", "user", "assistant"]
    assert history2[2]["content"][0]["text"] == answer  # the first turn came back unchanged
    assert history2[3]["content"][0]["text"] == "And the second line?" and history2[4]["content"][0]["text"]

    retried = client.predict(_for_upload(history2), "qwen_vl_2b", "1", api_name="/chat_retry")
    assert [m["role"] for m in retried] == ["user", "user", "assistant", "user", "assistant"]


@pytest.mark.slow
def test_a_cpu_engine_says_it_cannot_chat_and_offers_ocr(client):
    # The refusal is a message in the conversation (not an error over it); the question stays in the input.
    refused, kept = client.predict({"text": "What is the date?", "files": [handle_file(str(PHOTOTEST))]}, [],
                                   "tesseract", "1", api_name="/chat")
    assert refused[-1]["metadata"]["title"] == "⚠ Not sent to the model"
    assert "cannot chat: it only reads text" in refused[-1]["content"][0]["text"]
    assert kept["text"] == "What is the date?"
    history = [{"role": "user", "content": [{"type": "file", "file": handle_file(str(PHOTOTEST))}]}]
    shown = client.predict(history, "tesseract", "1", api_name="/chat_ocr")
    assert shown[-1]["metadata"]["title"] == "OCR · Tesseract 5 (rus+eng)"  # labelled as OCR, not as a reply
    assert "quick brown" in shown[-1]["content"][0]["text"]
    no_document, _ = client.predict({"text": "Hello?", "files": []}, [], "qwen_vl_2b", "1", api_name="/chat")
    assert "Attach a document image" in no_document[-1]["content"][0]["text"]


def test_the_arenas_document_and_page_start_the_chat(config):
    import gradio as gr

    from ui.chat_tab import ChatTab

    tab = ChatTab(ModelPool(config), "en", gr.I18n(en={}))
    history, page, current = tab.carry_over("/tmp/scan.pdf", "3", [], ["qwen_vl_2b", "1"])
    assert history == [{"role": "user", "content": {"path": "/tmp/scan.pdf"}}] and page["value"] == "3"
    assert current == ["qwen_vl_2b", "3"]  # the conversation on screen is now about page 3: not put aside
    history, page, current = tab.carry_over("/tmp/scan.pdf", "all", history, current)  # a chat is about one page
    assert len(history) == 2 and page["value"] == "1" and current == ["qwen_vl_2b", "1"]
    assert document_of(history) == "/tmp/scan.pdf"
    assert "cannot chat" in tab.describe("tesseract", "en") and "chats about" in tab.describe("qwen_vl_2b", "en")


@pytest.mark.slow
def test_a_conversation_decodes_and_encodes_its_page_once(tmp_path, monkeypatch):
    """Two turns to an HTTP engine through /chat: the page is decoded once and sent as the same PNG, encoded once
    (an API client uploads the document again with every turn)."""
    counts = {"decoded": 0, "encoded": 0}

    def counted(name, function):
        def call(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(pages, "load_pages", counted("decoded", pages.load_pages))
    monkeypatch.setattr(openai_engine, "image_data_url", counted("encoded", openai_engine.image_data_url))
    document = SAMPLES / "ru_licences" / "images" / "licence_01.png"
    with sse_server() as server:
        config = parse_config({
            "app": {"votes_db": str(tmp_path / "votes.sqlite"), "benchmark_history": str(tmp_path / "runs.sqlite")},
            "models": [{"key": "remote", "name": "Remote VLM", "engine": "openai", "weights": "tiny-vlm",
                        "endpoint": f"http://127.0.0.1:{server.server_address[1]}/v1", "tasks": ["ocr", "chat"],
                        "options": {"connect_retries": 0}}]})
        with serving(config) as url:
            client = Client(url, verbose=False)
            first, _ = client.predict({"text": "What is written here?", "files": [handle_file(str(document))]}, [],
                                      "remote", "1", api_name="/chat")
            second, _ = client.predict({"text": "And the date?", "files": []}, _for_upload(first), "remote", "1",
                                       api_name="/chat")
    assert [m["content"][0]["text"] for m in second[2::2]] == ["Kept alive reply"] * 2
    bodies = [body for path, body in server.requests if path.endswith("/chat/completions")]
    assert len(bodies) == 2 and len(bodies[1]["messages"]) == 3  # the second turn carries the first
    images = [body["messages"][0]["content"][0]["image_url"]["url"] for body in bodies]
    assert images[0] == images[1] and images[0].startswith("data:image/png;base64,")
    assert counts == {"decoded": 1, "encoded": 1}


def test_each_model_keeps_its_own_conversation_about_each_document_page(config):
    import gradio as gr

    from ui.chat_tab import ChatTab

    qwen2, qwen25 = "qwen_vl_2b", "qwen25_vl_3b"
    tab = ChatTab(ModelPool(config), "en", gr.I18n(en={}))
    scan, other, pdf = ({"role": "user", "content": {"path": path}}
                        for path in ("/tmp/scan.png", "/tmp/other.png", "/tmp/doc.pdf"))
    first = [scan, {"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]
    shown, threads, current, *_ = tab.switch_model(qwen25, first, {}, [qwen2, "1"])
    assert shown == [scan] and current == [qwen25, "1"]  # a new conversation on the same document
    back, threads, current, *_ = tab.switch_model(qwen2, [scan, {"role": "user", "content": "Other?"}], threads,
                                                  current)
    assert back == first  # switching back restores the first conversation
    # Another document: each model's conversation about THIS document comes back, not one about an older one.
    about_other = [*first, other, {"role": "user", "content": "And this one?"}]
    shown, threads, current, *_ = tab.switch_model(qwen25, about_other, threads, current)
    assert shown == [other]
    shown, threads, current, *_ = tab.switch_model(qwen2, shown, threads, current)
    assert shown == about_other
    # A PDF: each page has its own conversations, and choosing a page again brings its conversation back.
    page_1, page_2 = [pdf, {"role": "user", "content": "Page one?"}], [pdf, {"role": "user", "content": "Two?"}]
    shown, threads, current = tab.switch_page("2", page_1, threads, [qwen2, "1"])
    assert shown == [pdf] and current == [qwen2, "2"]
    shown, threads, current, *_ = tab.switch_model(qwen25, page_2, threads, current, "2")
    assert shown == [pdf]
    shown, threads, current = tab.switch_page("1", shown, threads, current)
    assert shown == [pdf] and current == [qwen25, "1"]
    shown, threads, current, *_ = tab.switch_model(qwen2, shown, threads, current, "1")
    assert shown == page_1
    shown, threads, current = tab.switch_page("2", shown, threads, current)
    assert shown == page_2 and current == [qwen2, "2"]
