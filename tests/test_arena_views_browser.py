"""The arena's results in a real browser (Debian's Chromium) at 800 px, in Russian: no sideways page scroll, the
charts one above another, table headers never broken inside a word, the diff capped at the text box's height with
the look-alike badge on RapidOCR's reading of a Russian licence, and the word/character switch."""
import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SAMPLES, SCREENSHOTS, TIMEOUT_MS
from ui.diff_view import TEXT_BOX_LINES

pytestmark = pytest.mark.slow

LICENCE = SAMPLES / "ru_licences" / "images" / "licence_01.png"
LICENCE_GT = SAMPLES / "ru_licences" / "gt" / "licence_01.gt.txt"

# Words (between spaces and hyphens) of a table cell's text drawn over more than one line: broken inside a word.
BROKEN_WORDS = """sel => [...document.querySelectorAll(sel)].flatMap(th => {
  const node = [...th.querySelectorAll('*'), th].flatMap(e => [...e.childNodes])
    .find(n => n.nodeType === 3 && n.textContent.trim());
  if (!node) return [];
  return [...node.textContent.matchAll(/[^\\s-]+/g)].filter(m => {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
  }).map(m => m[0]);
})"""


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_arena_results_at_800_px_in_russian(playwright, served_app, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile-800"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale="ru-RU", viewport={"width": 800, "height": 1400})
    page = context.pages[0] if context.pages else context.new_page()
    try:
        page.goto(served_app)
        page.get_by_role("button", name="Запустить").wait_for(timeout=TIMEOUT_MS)
        assert not page.locator("#arena-table").is_visible()  # before a run: no table headed "1 2 3"
        page.locator("#arena-document input[type=file]").set_input_files(str(LICENCE))
        page.locator("#arena-preview img").wait_for(timeout=TIMEOUT_MS)
        page.locator("#arena-truth textarea").fill(LICENCE_GT.read_text(encoding="utf-8"))
        page.get_by_role("button", name="Запустить").click()
        diff = page.locator("#col-rapidocr-diff")
        diff.locator(".dv-badge").first.wait_for(timeout=TIMEOUT_MS)
        page.locator("#arena-accuracy-chart .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
        page.locator("#arena-table").get_by_text("Tesseract 5 (rus+eng)").first.wait_for(timeout=TIMEOUT_MS)

        assert diff.get_by_text("похожие буквы другого алфавита").is_visible()  # the legend explains the badge
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        speed, output, accuracy = (box(page, f"#arena-{name}-chart") for name in ("speed", "output", "accuracy"))
        assert speed["y"] + speed["height"] <= output["y"] + 1 and output["y"] + output["height"] <= accuracy["y"] + 1
        assert speed["x"] == output["x"] == accuracy["x"]

        assert page.evaluate(BROKEN_WORDS, "#arena-table th, #arena-table td") == []
        headers = page.locator("#arena-table th").all_inner_texts()
        assert any("загрузка, с" in h for h in headers) and not any(h.strip() == "1" for h in headers)

        # The diff box is capped at the text box's full height (its most lines), and it scrolls beyond it.
        heights = page.evaluate("""() => {
            const ta = getComputedStyle(document.querySelector('#col-rapidocr-text textarea'));
            const dv = getComputedStyle(document.querySelector('#col-rapidocr-diff .dv-box'));
            return [parseFloat(dv.maxHeight), parseFloat(ta.lineHeight), parseFloat(ta.paddingTop)
                    + parseFloat(ta.paddingBottom), dv.overflowY];
        }""")
        assert heights[0] == pytest.approx(heights[1] * TEXT_BOX_LINES + heights[2], abs=2) and heights[3] == "auto"

        page.get_by_text("символам").click()
        page.locator("#col-rapidocr-diff .dv-diff[data-mode=chars]").wait_for(timeout=TIMEOUT_MS)
        assert page.locator("#col-rapidocr-diff .dv-badge").first.is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "arena-ru-800.png"), full_page=True)
    finally:
        context.close()
