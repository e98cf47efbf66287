"""Chat errors and refusals are messages in the conversation, through the API with the real Tesseract: a question
to a model that cannot chat leaves the conversation and the question as they were, with the refusal as a message
marked ⚠; asking again does not stack it; the side-by-side chat says why in its status line."""
from __future__ import annotations

import pytest
from gradio_client import Client, handle_file

from core.chat.messages import question_answer_pairs, with_notice
from tests.conftest import PHOTOTEST

QUESTION = "What is the date?"
EARLIER = [{"role": "user", "content": [{"type": "text", "text": "Which language?"}]},
           {"role": "assistant", "content": [{"type": "text", "text": "English."}]}]


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app, verbose=False)


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content if "text" in p)


def test_a_question_to_a_model_that_cannot_chat_is_answered_by_a_notice(client):
    document = {"role": "user", "content": [{"type": "file", "file": handle_file(str(PHOTOTEST))}]}
    history, message = client.predict({"text": QUESTION, "files": []}, [document, *EARLIER], "tesseract", "1",
                                      api_name="/chat")
    assert [m["role"] for m in history] == ["user", "user", "assistant", "assistant"]
    assert [text_of(m) for m in history[1:3]] == ["Which language?", "English."]  # the conversation is intact
    notice = history[-1]
    assert notice["metadata"]["title"] == "⚠ Not sent to the model"
    assert "cannot chat: it only reads text" in text_of(notice)
    assert message["text"] == QUESTION  # the question stays in the input box, to send to another model

    again = client.predict([{**m, "content": [({**p, "file": handle_file(p["file"])} if p.get("type") == "file"
                                               else p) for p in m["content"]]} for m in history],
                           "tesseract", "1", api_name="/chat_retry")
    assert len(again) == len(history) and text_of(again[-1]) == text_of(notice)  # not stacked


def test_a_question_without_a_document_keeps_the_question(client):
    history, message = client.predict({"text": QUESTION, "files": []}, [], "qwen_vl_2b", "1", api_name="/chat")
    assert len(history) == 1 and "Attach a document image" in text_of(history[0])
    assert history[0]["metadata"]["title"].startswith("⚠") and message["text"] == QUESTION


def test_the_side_by_side_chat_says_why_in_its_status_line(client):
    outputs = client.predict(handle_file(str(PHOTOTEST)), "1", QUESTION, [], {}, api_name="/chat_side_by_side")
    assert outputs[1] == "⚠ Tick at least one model."


def test_notices_are_not_answers_and_do_not_repeat():
    history = with_notice(EARLIER, "Not sent", "It cannot chat.")
    assert with_notice(history, "Not sent", "It cannot chat.") == history
    assert question_answer_pairs(history) == (("Which language?", "English."),)
    assert len(with_notice(history, "Not sent", "Attach a document.")) == len(history) + 1
