"""A real browser (Debian's Chromium, driven by Playwright) uses the arena as a person would."""
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHOTOTEST, SAMPLES, SCREENSHOTS, TIMEOUT_MS

pytestmark = pytest.mark.slow

LICENCE = SAMPLES / "ru_licences" / "images" / "licence_01.png"


def open_page(playwright, tmp_path, locale: str):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / f"profile-{locale}"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale=locale, viewport={"width": 1400, "height": 1800})
    return context, context.pages[0] if context.pages else context.new_page()


def run_two_engines(page, url: str, document: Path, done_label: str, run_label: str, truth: str = ""):
    """Upload, run Tesseract and RapidOCR (the default selection), and wait for every part of the result."""
    page.goto(url)
    page.get_by_role("button", name=run_label).wait_for(timeout=TIMEOUT_MS)
    page.locator("#arena-document input[type=file]").set_input_files(str(document))
    page.locator("#arena-preview img").wait_for(timeout=TIMEOUT_MS)
    if truth:
        page.locator("#arena-truth textarea").fill(truth)
    page.get_by_role("button", name=run_label).click()
    texts = {}
    for key in ("tesseract", "rapidocr"):
        page.locator(f"#col-{key}-header").get_by_text(done_label).wait_for(timeout=TIMEOUT_MS)
        texts[key] = page.locator(f"#col-{key}-text textarea").input_value()
    page.locator("#arena-table").get_by_text("Tesseract 5 (rus+eng)").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#arena-speed-chart .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
    page.locator("#arena-overlays img").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#arena-export").get_by_text(".csv").wait_for(timeout=TIMEOUT_MS)
    return texts


def test_arena_in_english_then_russian(playwright, served_app, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        texts = run_two_engines(page, served_app, PHOTOTEST, done_label="done", run_label="Run")
        assert all("quick brown" in t for t in texts.values())
        assert page.get_by_text("OCR & VLM Arena").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "arena-en.png"), full_page=True)
    finally:
        context.close()

    context, page = open_page(playwright, tmp_path, "ru-RU")
    try:
        truth = (LICENCE.parents[1] / "gt" / "licence_01.gt.txt").read_text(encoding="utf-8")
        texts = run_two_engines(page, served_app, LICENCE, done_label="готово", run_label="Запустить", truth=truth)
        assert "СМИРНОВ" in texts["tesseract"]
        assert page.get_by_text("Арена OCR и VLM").is_visible()
        assert page.get_by_text("Сравнительная таблица").first.is_visible()
        # With ground truth: the accuracy chart and a per-model diff (its legend names what is missing).
        page.locator("#arena-accuracy-chart .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
        page.locator("#col-tesseract-diff").get_by_text("пропущено").first.wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(SCREENSHOTS / "arena-ru.png"), full_page=True)
    finally:
        context.close()
    assert (SCREENSHOTS / "arena-ru.png").stat().st_size > 10_000


def test_benchmark_tab_in_russian(playwright, served_app, tmp_path):
    context, page = open_page(playwright, tmp_path, "ru-RU")
    try:
        page.goto(served_app)
        page.get_by_role("tab", name="Бенчмарк").click()
        page.locator("#bench-dataset").get_by_text("ru_licences").click()
        page.locator("#bench-limit input").fill("2")
        page.get_by_role("button", name="Запустить бенчмарк").click()
        page.locator("#bench-status").get_by_text("✓").wait_for(timeout=TIMEOUT_MS)
        summary = page.locator("#bench-summary")
        summary.get_by_text("Tesseract 5 (rus+eng)").first.wait_for(timeout=TIMEOUT_MS)
        assert summary.get_by_text("документов").first.is_visible()  # Russian headers
        page.locator("#bench-pareto .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
        page.locator("#bench-cer .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
        page.locator("#bench-files").get_by_text(".html").wait_for(timeout=TIMEOUT_MS)  # shown as "report" + ".html"
        page.screenshot(path=str(SCREENSHOTS / "benchmark-ru.png"), full_page=True)
    finally:
        context.close()


def test_a_pdf_shows_its_pages_and_reads_them_all(playwright, served_app, tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    pages = []
    for words in ("First page alpha", "Second page bravo"):
        page_image = Image.new("RGB", (1240, 1754), "white")
        ImageDraw.Draw(page_image).text((120, 200), words, fill="black",
                                        font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 64))
        pages.append(page_image)
    pdf = tmp_path / "two.pdf"
    pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=150)
    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        page.goto(served_app)
        page.locator("#arena-document input[type=file]").set_input_files(str(pdf))
        page.locator("#arena-preview img").wait_for(timeout=TIMEOUT_MS)
        page.locator("#arena-page input").click()
        page.get_by_role("option", name="all 2 pages").click()
        page.get_by_role("button", name="Run").click()
        page.locator("#col-tesseract-header").get_by_text("done").wait_for(timeout=TIMEOUT_MS)
        text = page.locator("#col-tesseract-text textarea").input_value()
        assert text.index("--- 1/2 ---") < text.index("alpha") < text.index("--- 2/2 ---") < text.index("bravo")
        # No boxes are drawn for several pages, and the empty gallery says why.
        page.locator("#arena-overlays-note").get_by_text("this run read 2 pages").wait_for(timeout=TIMEOUT_MS)
    finally:
        context.close()


@pytest.fixture(scope="module")
def tiny_app(tiny_hf_cache):
    """The app with the tiny transformers models installed, so a VLM can chat."""
    from tests.conftest import serving
    from tests.test_transformers_engine import shipped_config

    with serving(shipped_config(max_new_tokens=16)) as url:
        yield url


def test_chat_with_an_image_then_fields_side_by_side(playwright, tiny_app, tmp_path):
    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        page.goto(tiny_app)
        page.get_by_role("tab", name="Chat").click()
        page.locator("#chat-capability").get_by_text("chats about the document").wait_for(timeout=TIMEOUT_MS)
        page.locator("#chat-input input[type=file]").set_input_files(str(LICENCE))
        page.locator("#chat-input textarea").fill("What is the licence number?")
        page.locator("#chat-input textarea").press("Enter")
        history = page.locator("#chat-history")
        history.get_by_text("What is the licence number?").wait_for(timeout=TIMEOUT_MS)
        history.locator("img").first.wait_for(timeout=TIMEOUT_MS)  # the document is in the conversation
        bot = history.locator(".message.bot, [data-testid=bot]").last
        bot.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => { const b = [...document.querySelectorAll('#chat-history .message.bot, "
                               "#chat-history [data-testid=bot]')].pop(); "
                               "return b && b.innerText.trim() && b.innerText.trim() !== '…'; }", timeout=TIMEOUT_MS)
        page.screenshot(path=str(SCREENSHOTS / "chat-en.png"), full_page=True)

        page.get_by_role("tab", name="Fields").click()
        page.locator("#fields-document input[type=file]").set_input_files(str(LICENCE))
        page.locator("#fields-preview img").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Extract fields").click()
        table = page.locator("#fields-table")
        table.get_by_text("Licence number").wait_for(timeout=TIMEOUT_MS)
        table.get_by_text("77 16 482915").first.wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(SCREENSHOTS / "fields-en.png"), full_page=True)
    finally:
        context.close()
