"""Chat side by side through the API: two tiny Transformers models and a CPU engine answer the same questions,
each continuing its own conversation (checked on the input each engine tokenised); each column's Retry and Clear;
another page or document starts afresh; ratings and transcripts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from backends.engines.transformers.families import Family
from core.chat.conversations import Turn, conversations_from_json
from core.chat.side_by_side import Round
from tests.conftest import PHOTOTEST, serving_app
from tests.test_transformers_engine import shipped_config

pytestmark = pytest.mark.slow

QWEN2, QWEN25 = "qwen_vl_2b", "qwen25_vl_3b"
KEYS = [QWEN2, QWEN25, "tesseract"]
FAMILY = {QWEN2: "qwen2_vl", QWEN25: "qwen2_5_vl"}  # the VLMs' Transformers families


@pytest.fixture(scope="module")
def served(tiny_hf_cache, tmp_path_factory):
    votes = tmp_path_factory.mktemp("chat") / "votes.sqlite"
    config = shipped_config(max_new_tokens=12, votes_db=str(votes), chat_max_turns=3)
    for key in FAMILY:  # in this process (not a worker of its own), where `tokenised` sees what each engine was given
        config.get(key).isolate = False
    with serving_app(config) as (app, url):
        yield app, Client(url, verbose=False)


@pytest.fixture
def tokenised(monkeypatch):
    """What the served app's Transformers engines were given, as (family, question, the input ids decoded)."""
    seen, build = [], Family.build_inputs

    def recording(family, processor, image, prompt, call_kwargs, history=()):
        inputs = build(family, processor, image, prompt, call_kwargs, history)
        seen.append((family.name, prompt, processor.tokenizer.decode(inputs["input_ids"][0])))
        return inputs

    monkeypatch.setattr(Family, "build_inputs", recording)
    return seen


def ask(client, question: str, conversations: dict, keys=KEYS):
    job = client.submit(handle_file(str(PHOTOTEST)), "1", question, keys, conversations,
                        api_name="/chat_side_by_side")
    final = job.result()
    return final, [update for update in job.outputs()]


def wired(app, elem_id: str, event: str = "click", writes: str | None = None):
    """The function the served app runs when the element `elem_id` fires `event` (and writes the element
    `writes`), as a click in the browser runs it."""
    [target] = [key for key, block in app.blocks.blocks.items() if block.elem_id == elem_id]
    [handler] = [f for f in app.blocks.fns.values() if (target, event) in f.targets
                 and (writes is None or any(o.elem_id == writes for o in f.outputs))]
    return handler.fn


def chat_of(outputs: list, slot: int, first: int = 2) -> list[dict]:
    """A column's chat in a list of outputs whose views, (header, chat, metrics) per column, start at `first`."""
    return outputs[first + 3 * slot + 1]


def message_text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def test_two_rounds_each_model_continues_only_its_own_conversation(served, tokenised):
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
    # What each engine tokenised in round two: its own first answer, neither the other model's nor the OCR reading.
    given = {family: text for family, question, text in tokenised if question == "And the second line?"}
    assert set(given) == set(FAMILY.values())
    for key, other in ((QWEN2, QWEN25), (QWEN25, QWEN2)):
        text = given[FAMILY[key]]
        assert "What is written here?" in text and conversations[key][0].answer in text
        assert conversations[other][0].answer not in text
        assert conversations["tesseract"][0].answer[:20] not in text
    # Every column's last streamed update is its final text.
    assert len(updates) > 1 and updates[0][1] == "…" and updates[-1][1] == "Every column has its answer."
    for slot, key in enumerate(KEYS):
        last = chat_of(updates[-1], slot)
        assert [m["role"] for m in last] == ["user", "assistant"] * 2
        final_text = conversations[key][-1].answer.strip()  # as the chat shows it: trimmed
        assert message_text(last[-1]) == message_text(chat_of(second, slot)[-1]) == final_text


def test_retry_asks_only_its_columns_model_again_and_replaces_its_last_answer(served, tokenised):
    app, client = served
    first, _ = ask(client, "What is written here?", {})
    state = json.loads(json.dumps(first[0]))
    state[QWEN25][-1]["answer"] = "A stale answer."
    tokenised.clear()
    *_, last = wired(app, "chat-sbs-retry-1")(str(PHOTOTEST), "1", KEYS, state)
    assert [(family, question) for family, question, _ in tokenised] == [("qwen2_5_vl", "What is written here?")]
    assert "A stale answer." not in tokenised[0][2]
    retried = conversations_from_json(last[0])
    [turn] = retried[QWEN25]  # replaced, not added
    assert turn.status == "ok" and turn.answer and turn.answer != "A stale answer." and turn.latency_s > 0
    assert message_text(chat_of(last, 1)[-1]) == turn.answer
    assert {k: v for k, v in last[0].items() if k != QWEN25} == {k: first[0][k] for k in (QWEN2, "tesseract")}


def test_a_full_conversation_is_refused_with_a_clear_message_and_clear_starts_it_again(served):
    app, client = served
    state = {}
    for n in range(3):
        state = ask(client, f"Question {n}?", state, keys=[QWEN2])[0][0]
    state["tesseract"] = []
    final, _ = ask(client, "One more?", state, keys=[QWEN2, "tesseract"])
    conversations = conversations_from_json(final[0])
    assert len(conversations[QWEN2]) == 3 and len(conversations["tesseract"]) == 1
    assert "holds its 3 turns" in final[4] and "clear it" in final[4]  # the first column's metrics line says why
    # Its column's Clear button clears that conversation only; then its model answers again.
    cleared = wired(app, "chat-sbs-clear-0")([QWEN2, "tesseract"], final[0])
    assert QWEN2 not in cleared[0] and cleared[0]["tesseract"] == final[0]["tesseract"]
    assert chat_of(cleared, 0, first=1) == [] and cleared[3] == ""  # its chat and its cap note are gone
    assert len(chat_of(cleared, 1, first=1)) == 2  # the other column keeps its conversation
    again, _ = ask(client, "One more?", cleared[0], keys=[QWEN2, "tesseract"])
    conversations = conversations_from_json(again[0])
    assert [t.question for t in conversations[QWEN2]] == ["One more?"] and len(conversations["tesseract"]) == 2
    assert conversations[QWEN2][0].status == "ok" and "holds its" not in again[4]


def test_another_page_or_document_starts_every_conversation_afresh(served):
    app, _ = served
    for picker in ("chat-sbs-page", "chat-sbs-document"):
        outputs = wired(app, picker, "change", writes="chat-sbs-state")([QWEN2, "tesseract"])
        assert outputs[0] == {} and chat_of(outputs, 0, first=1) == [] and chat_of(outputs, 1, first=1) == []
        assert outputs[1] == "### Qwen2-VL-2B-Instruct"  # the columns stay, empty


def test_the_same_question_asked_again_shows_its_answer_as_it_streams(config):
    import gradio as gr

    from backends.pool import ModelPool
    from ui.chat_side_by_side import SideBySideChat

    tab = SideBySideChat(ModelPool(config), "en", gr.I18n(en={}), store=None)
    state = {QWEN2: [Turn("Again?", "First answer.")]}
    current = Round("Again?", [QWEN2], live={QWEN2: "Second ans"}, asked_at={QWEN2: 1})
    streaming = chat_of(tab._render(state, [QWEN2], current, "en", done=False), 0)
    assert [m["content"] for m in streaming] == ["Again?", "First answer.", "Again?", "Second ans"]
    state[QWEN2].append(Turn("Again?", "Second answer."))  # the answer has landed: shown once, from the turn
    landed = chat_of(tab._render(state, [QWEN2], current, "en", done=False), 0)
    assert [m["content"] for m in landed] == ["Again?", "First answer.", "Again?", "Second answer."]


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
