"""Availability at the point of choice: every model selector marks each model ready (✓), not ready with a short reason
(✗) or not for its task (–), ready ones first, and defaults to models that can run now; checked on the real pool
(Tesseract and RapidOCR run here; Qwen3-VL-4B is the model the tests never install, so it is never ready)."""
from __future__ import annotations

import re

import pytest
from gradio_client import Client

from backends.contracts.results import MessageCode
from backends.pool import ModelPool
from ui.messages import summary
from ui.model_choices import NOT_READY, OTHER_TASK, READY, default_model, default_models, labelled_choices

SELECTORS = ("arena-models", "chat-model", "chat-sbs-models", "fields-models", "bench-models")
NOT_DOWNLOADED = "✗ Qwen3-VL-4B-Instruct — weights not downloaded"


@pytest.fixture(scope="module")
def pool(config):
    pool = ModelPool(config)
    yield pool
    pool.close()


def marks(choices: list) -> list[str]:
    return [label.split(" ", 1)[0] for label, _ in choices]


def test_ready_models_come_first_then_the_others_with_why(pool):
    choices = labelled_choices(pool, "en", ["ocr"])
    labels = dict((key, label) for label, key in choices)
    assert labels["tesseract"] == "✓ Tesseract 5 (rus+eng)" and labels["rapidocr"].startswith(READY)
    assert labels["qwen3_vl_4b"] == NOT_DOWNLOADED
    assert marks(choices) == sorted(marks(choices), key=[READY, NOT_READY, OTHER_TASK].index)  # grouped, in order
    assert [key for _, key in choices] == [key for key in pool.config.keys() if pool.availability(key).ok] + [
        key for key in pool.config.keys() if not pool.availability(key).ok]
    russian = dict((key, label) for label, key in labelled_choices(pool, "ru", ["ocr"]))
    assert russian["qwen3_vl_4b"] == "✗ Qwen3-VL-4B-Instruct — веса не скачаны"


def test_models_without_the_task_are_marked_not_for_it(pool):
    layout = dict((key, label) for label, key in labelled_choices(pool, "en", ["layout"]))
    assert layout["tesseract"] == f"{OTHER_TASK} Tesseract 5 (rus+eng) — not for this task"
    assert layout["qwen3_vl_4b"].startswith(NOT_READY)  # offers layout, but cannot run here
    chat = dict((key, label) for label, key in labelled_choices(pool, "ru", ["chat"], unfit="mc_no_chat"))
    assert chat["rapidocr"] == f"{OTHER_TASK} RapidOCR (PP-OCR, Latin) — не ведёт диалог, читает текст"


def test_short_reasons_name_what_is_missing():
    cases = {
        MessageCode.WEIGHTS_MISSING: "weights not downloaded",
        MessageCode.ENV_MISSING: "environment not created",
        MessageCode.ENV_STALE: "environment out of date",
        MessageCode.ENGINE_MISSING: "engine not installed",
        MessageCode.UNREACHABLE: "server not reachable",
        "something nobody foresaw": "not ready",
    }
    assert {code: summary("en", code) for code in cases} == cases
    assert summary("ru", MessageCode.ENGINE_MISSING) == "движок не установлен"


def test_defaults_are_models_that_can_run_now(pool):
    assert default_models(pool, ["qwen3_vl_4b", "rapidocr"], ["ocr"]) == ["rapidocr"]
    assert default_models(pool, ["qwen3_vl_4b"], ["ocr"]) == ["tesseract"]  # none can: the first that can
    # The chat starts on the first ready model that chats; with none (no weights here unless the tiny models of
    # other tests are installed), on one that can at least read the text.
    chats = [k for k in pool.config.keys() if "chat" in pool.config.get(k).tasks and pool.availability(k).ok]
    assert default_model(pool, ["chat"], ["ocr"]) == (chats[0] if chats else "tesseract")


def test_every_selector_of_the_served_app_marks_the_models_before_any_run(served_app, config):
    """Through the API: the components' choices as the app serves them, before anything ran."""
    components = {c["props"].get("elem_id"): c["props"] for c in Client(served_app, verbose=False).config["components"]}
    pool = ModelPool(config)
    try:
        for selector in SELECTORS:
            props = components[selector]
            labels = {key: label for label, key in props["choices"]}
            assert labels["qwen3_vl_4b"].startswith(NOT_READY) and "weights not downloaded" in labels["qwen3_vl_4b"], \
                selector
            assert not any(label == pool.config.get(key).name for key, label in labels.items()), selector  # all marked
            chosen = props["value"] if isinstance(props["value"], list) else [props["value"]]
            assert all(pool.availability(key).ok for key in chosen), (selector, chosen)
        # The battle has no model to pick: it says how many can be drawn for its task. The served app checked
        # availability when it started; other tests may have installed tiny models since, so the count is
        # bounded, not recomputed: at least Tesseract and RapidOCR, at most every model offering the task.
        said = re.fullmatch(r"✓ Models that can be drawn for this task here: (\d+)\.",
                            components["battle-candidates"]["value"])
        offering = [k for k in config.app.battle_models or config.keys() if "ocr" in config.get(k).tasks]
        assert said and 2 <= int(said.group(1)) <= len(offering)
    finally:
        pool.close()
