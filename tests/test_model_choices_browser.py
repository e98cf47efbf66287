"""In a real browser (Debian's Chromium, driven by Playwright): every model selector marks the models before any run,
in English and in Russian, and follows the arena's task; the chat starts on a model that can run, and its refusal
is a message in the conversation, with no toast and the question still in the input."""
from __future__ import annotations

import re

import pytest

from tests.conftest import SCREENSHOTS, TIMEOUT_MS
from tests.test_browser import LICENCE, open_page

pytestmark = pytest.mark.slow

QUESTION = "What is the licence number?"
CHECKBOX_SELECTORS = {"Arena": "#arena-models", "Chat": "#chat-sbs-models", "Fields": "#fields-models",
                      "Benchmark": "#bench-models"}
TOASTS = "[data-testid=toast-body]"


def test_every_selector_marks_the_models_before_any_run(playwright, served_app, tmp_path):
    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        page.goto(served_app)
        for tab, selector in CHECKBOX_SELECTORS.items():
            page.get_by_role("tab", name=tab).click()
            models = page.locator(selector)
            models.get_by_label("✗ Qwen3-VL-4B-Instruct — weights not downloaded", exact=True).wait_for(
                timeout=TIMEOUT_MS)
            assert not models.get_by_label("Qwen3-VL-4B-Instruct", exact=True).count()  # never unmarked
            if tab != "Chat":  # the defaults: models that can run
                assert models.get_by_label("✓ Tesseract 5 (rus+eng)", exact=True).is_checked()
                checked = models.locator("label:has(input:checked)").all_inner_texts()
                assert checked and all(label.strip().startswith("✓") for label in checked), checked
        page.get_by_role("tab", name="Chat").click()
        # Nothing here can chat: the chat starts on Tesseract, which can at least read the text.
        assert "Tesseract 5 (rus+eng)" in page.locator("#chat-model input").input_value()
        page.locator("#chat-model input").click()
        page.get_by_role("option", name="✗ Qwen3-VL-4B-Instruct — weights not downloaded").wait_for(timeout=TIMEOUT_MS)
        page.keyboard.press("Escape")

        page.get_by_role("tab", name="Arena").click()
        page.locator("#arena-task").get_by_text("Layout").click()  # the marks follow the task
        page.locator("#arena-models").get_by_label("– Tesseract 5 (rus+eng) — not for this task", exact=True).wait_for(
            timeout=TIMEOUT_MS)
        page.screenshot(path=str(SCREENSHOTS / "model-choices-en.png"), full_page=True)

        page.get_by_role("tab", name="Battle").click()
        candidates = page.locator("#battle-candidates")
        candidates.get_by_text("Models that can be drawn for this task here").wait_for(timeout=TIMEOUT_MS)
        for_ocr = candidates.inner_text()
        # Fewer models offer layout (Tesseract and RapidOCR do not): the count follows the task, said up front.
        page.locator("#battle-task").get_by_text("Layout").click()
        page.wait_for_function("([el, before]) => el.innerText !== before", arg=[candidates.element_handle(), for_ocr],
                               timeout=TIMEOUT_MS)
        assert re.search(r"A battle needs two models|Models that can be drawn for this task here: \d+",
                         candidates.inner_text())
    finally:
        context.close()

    context, page = open_page(playwright, tmp_path, "ru-RU")
    try:
        page.goto(served_app)
        page.locator("#arena-models").get_by_label("✗ Qwen3-VL-4B-Instruct — веса не скачаны", exact=True).wait_for(
            timeout=TIMEOUT_MS)
        page.get_by_role("tab", name="Поля").click()
        page.locator("#fields-models").get_by_label("✓ Tesseract 5 (rus+eng)", exact=True).wait_for(timeout=TIMEOUT_MS)
        page.locator("#fields-models").get_by_label("✗ Qwen3-VL-4B-Instruct — веса не скачаны", exact=True).wait_for(
            timeout=TIMEOUT_MS)
    finally:
        context.close()


def test_a_refusal_is_a_message_and_the_question_stays(playwright, served_app, tmp_path):
    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        page.goto(served_app)
        page.get_by_role("tab", name="Chat").click()
        page.locator("#chat-input input[type=file]").set_input_files(str(LICENCE))
        page.locator("#chat-input img").first.wait_for(timeout=TIMEOUT_MS)  # uploaded
        box = page.locator("#chat-input textarea")
        box.fill(QUESTION)
        box.press("Enter")
        history = page.locator("#chat-history")
        history.get_by_text("cannot chat: it only reads text").wait_for(timeout=TIMEOUT_MS)
        history.get_by_text("Not sent to the model").wait_for(timeout=TIMEOUT_MS)
        history.locator("img").first.wait_for(timeout=TIMEOUT_MS)  # the document joined the conversation
        assert box.input_value() == QUESTION  # the question is still there, to send to a model that chats
        assert not page.locator(TOASTS).count()
        assert not history.get_by_text("Error", exact=True).count()

        for _ in range(2):  # asking again says why once, never a stack of toasts or notices
            page.locator("#chat-retry").click()
            history.get_by_text("There is no question to ask again.").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(500)
        assert history.get_by_text("There is no question to ask again.").count() == 1
        assert history.get_by_text("cannot chat: it only reads text").count() == 1
        assert not page.locator(TOASTS).count() and box.input_value() == QUESTION
        page.screenshot(path=str(SCREENSHOTS / "chat-refusal-en.png"), full_page=True)
    finally:
        context.close()
