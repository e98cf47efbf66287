"""Chat side by side through the API: two tiny Transformers models and a CPU engine answer the same questions,
each continuing its own conversation; per-model conversations in the single chat; ratings and transcripts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from backends.engines.transformers.families import FAMILIES
from backends.engines.transformers.processors import load_processor
from core.chat.conversations import conversations_from_json, history
from tests.conftest import PHOTOTEST, serving_app
from tests.test_transformers_engine import shipped_config

pytestmark = pytest.mark.slow

QWEN2, QWEN25 = "qwen_vl_2b", "qwen25_vl_3b"
KEYS = [QWEN2, QWEN25, "tesseract"]


@pytest.fixture(scope="module")
def served(tiny_hf_cache, tmp_path_factory):
    votes = tmp_path_factory.mktemp("chat") / "votes.sqlite"
    with serving_app(shipped_config(max_new_tokens=12, votes_db=str(votes), chat_max_turns=3)) as (app, url):
        yield app, Client(url, verbose=False)


def ask(client, question: str, conversations: dict, keys=KEYS):
    job = client.submit(handle_file(str(PHOTOTEST)), "1", question, keys, conversations,
                        api_name="/chat_side_by_side")
    final = job.result()
    return final, [update for update in job.outputs()]


def message_text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def test_two_rounds_each_model_continues_only_its_own_conversation(served, tiny_hf_cache):
    _, client = served
    first, _ = ask(client, "What is written here?", {})
    second, updates = ask(client, "And the second line?", first[0])
    conversations = conversations_from_json(second[0])
    assert [len(conversations[k]) for k in KEYS] == [2, 2, 2]
    for key in (QWEN2, QWEN25):
        turns = conversations[key]
        assert all(t.status == "ok" and t.answer and t.latency_s > 0 for t in turns)
        assert turns[-1].first_token_s is not None and turns[-1].tokens_per_s
    assert {t.status for t in conversations["tesseract"]} == {"ocr"}  # read, not answered, and labelled so
    # What each model was shown in round two: its own first answer, nobody else's (the tokenised input).
    processor = load_processor(tiny_hf_cache["Qwen/Qwen2-VL-2B-Instruct"])
    shown = history(conversations[QWEN2][:1])
    ids = FAMILIES["qwen2_vl"].build_inputs(processor, Image.open(PHOTOTEST), "And the second line?", {}, shown)
    text = processor.tokenizer.decode(ids["input_ids"][0])
    assert conversations[QWEN2][0].answer in text and conversations[QWEN25][0].answer not in text
    assert conversations["tesseract"][0].answer[:20] not in text
    # Each column's last streamed update is its final text.
    column = 2 + 3 * KEYS.index(QWEN25) + 1  # outputs: state, status, then (header, chat, metrics) per column
    assert message_text(updates[-1][column][-1]) == conversations[QWEN25][-1].answer


def test_a_full_conversation_is_refused_with_a_clear_message_and_the_others_go_on(served):
    _, client = served
    state = {}
    for n in range(3):
        state = ask(client, f"Question {n}?", state, keys=[QWEN2])[0][0]
    state["tesseract"] = []
    final, _ = ask(client, "One more?", state, keys=[QWEN2, "tesseract"])
    conversations = conversations_from_json(final[0])
    assert len(conversations[QWEN2]) == 3 and len(conversations["tesseract"]) == 1
    assert "holds its 3 turns" in final[4]  # the first column's metrics line says why


def test_ratings_are_stored_and_transcripts_hold_every_conversation(served, tmp_path):
    import gradio as gr

    from core.exports import ExportFolder
    from ui.chat_side_by_side import SideBySideChat

    app, client = served
    final, _ = ask(client, "What is written here?", {}, keys=[QWEN2, "tesseract"])
    exports = ExportFolder()
    tab = SideBySideChat(app.pool, "en", gr.I18n(en={}), exports, store=app.battles.store)
    rated = tab._rater(0, 1)(str(PHOTOTEST), [QWEN2, "tesseract"], final[0])
    assert conversations_from_json(rated[0])[QWEN2][-1].rating == 1
    [row] = app.battles.store.answer_ratings(QWEN2)
    assert row[-1] == 1 and row[4] == "What is written here?" and row[5] == final[0][QWEN2][-1]["answer"]
    files = tab.export(str(PHOTOTEST), "1", rated[0])
    names = sorted(Path(f).name for f in files)
    assert names == sorted(f"chat-{label}.{ext}" for label in ("session", QWEN2, "tesseract") for ext in ("md", "json"))
    session = json.loads(Path(next(f for f in files if f.endswith("chat-session.json"))).read_text(encoding="utf-8"))
    assert [m["key"] for m in session["models"]] == [QWEN2, "tesseract"]
    assert session["models"][0]["turns"][0]["rating"] == 1 and session["document"] == PHOTOTEST.name
    markdown = Path(next(f for f in files if f.endswith("chat-session.md"))).read_text(encoding="utf-8")
    assert "OCR reading" in markdown and "latency" in markdown and "rated good" in markdown
    exports.remove()


def test_switching_models_in_the_chat_keeps_each_conversation(config):
    import gradio as gr

    from backends.pool import ModelPool
    from ui.chat_tab import ChatTab

    tab = ChatTab(ModelPool(config), "en", gr.I18n(en={}))
    first = [{"role": "user", "content": {"path": "/tmp/scan.png"}}, {"role": "user", "content": "Hi?"},
             {"role": "assistant", "content": "Hello."}]
    shown, threads, current, *_ = tab.switch_model(QWEN25, first, {}, QWEN2)
    assert shown == [{"role": "user", "content": {"path": "/tmp/scan.png"}}] and current == QWEN25
    back, threads, current, *_ = tab.switch_model(QWEN2, shown + [{"role": "user", "content": "Other?"}], threads,
                                                  current)
    assert back == first and threads[QWEN25][-1]["content"] == "Other?"
