"""In a real browser (Debian's Chromium, driven by Playwright), on a fresh app with the loaded-models panel open:
starting a battle adds no mention of either model anywhere in the page's HTML until the vote, and the panel, left
alone while the battle awaits its vote, shows the two models once the vote is in."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.battles.session import VOTES
from tests.conftest import TIMEOUT_MS, serving_app
from tests.test_battle_crash import three_lines
from tests.test_battles import battle_config
from tests.test_browser import open_page

pytestmark = pytest.mark.slow

MODELS = ["tesseract", "rapidocr"]


def mentions(page, words: list[str]) -> dict[str, int]:
    """How often each word occurs in the page's whole HTML (hidden tabs and closed panels included)."""
    html = page.content().lower()
    return {word: html.count(word) for word in words}


def test_the_page_names_neither_model_before_the_vote(playwright, config, tmp_path):
    words = sorted({word.lower() for key in MODELS for word in (key, config.get(key).name)})
    document = three_lines(tmp_path)
    with serving_app(battle_config(config, tmp_path, MODELS)) as (_, url):
        context, page = open_page(playwright, tmp_path, "en-US")
        try:
            page.goto(url)
            page.get_by_text("Loaded models and memory").click()
            summary = page.locator("#models-summary")
            summary.get_by_text("No model is loaded").wait_for(timeout=TIMEOUT_MS)
            page.get_by_role("tab", name="Battle").click()
            page.locator("#battle-document input[type=file]").set_input_files(str(document))
            page.locator("#battle-preview img").wait_for(timeout=TIMEOUT_MS)
            before = mentions(page, words)  # the other tabs' model selectors name every configured model
            page.get_by_role("button", name="Start battle").click()
            for choice in VOTES:
                expect(page.locator(f"#battle-vote-{choice}")).to_be_enabled(timeout=TIMEOUT_MS)
            page.wait_for_timeout(2000)  # every event chained to the start has had its turn
            assert mentions(page, words) == before
            assert "No model is loaded" in summary.inner_text()  # the panel was not redrawn by the start
            page.get_by_role("button", name="Tie", exact=True).click()
            page.locator("#battle-reveal").get_by_text("Your vote is recorded").wait_for(timeout=TIMEOUT_MS)
            page.get_by_role("tab", name="Arena").click()
            for key in MODELS:  # the vote redraws the panel: the two models, loaded by the battle
                page.wait_for_function("key => document.querySelector('#models-loaded').innerText.includes(key)",
                                       arg=key, timeout=TIMEOUT_MS)
        finally:
            context.close()
