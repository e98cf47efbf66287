"""Samples and documents as a new user meets them: the bundled samples as thumbnails (a Fields card brings its true
field values), a TIFF shown to the browser as a PNG while the engines read the TIFF, the page menu for PDFs only
(a short PDF read whole by default), an unavailable model's column with its message alone, and a multi-page run's
empty box gallery explained. The last test drives the served app in Chromium."""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest
from PIL import Image, ImageChops

from backends.pool import ModelPool
from core.chat.messages import document_of
from core.documents import ALL_PAGES
from core.exports import ExportFolder
from core.samples import field_samples, text_samples
from ui.document_picker import SHORT_PDF_PAGES, DocumentPicker, chat_page_selector, page_selector
from tests.conftest import SAMPLES, SCREENSHOTS, TIMEOUT_MS

LICENCES = SAMPLES / "ru_licences"


def licence_pdf(folder: Path, pages: int) -> Path:
    """A PDF of `pages` licence cards (repeated as needed), at the pixel size the app renders it."""
    images = [Image.open(LICENCES / "images" / f"licence_0{n % 6 + 1}.png").convert("RGB") for n in range(pages)]
    pdf = folder / f"cards-{pages}.pdf"
    images[0].save(pdf, save_all=True, append_images=images[1:], resolution=200)
    return pdf


def tiff_of(image: Path, folder: Path) -> Path:
    tiff = folder / f"{image.stem}.tif"
    Image.open(image).save(tiff, format="TIFF", compression="tiff_lzw")
    return tiff


def built(tab_class, config, exports=None):
    with gr.Blocks():
        tab = tab_class(ModelPool(config), "en", gr.I18n(en={}), exports)
        tab.build()
    return tab


def test_the_samples_shown_carry_their_language_and_truth():
    samples = {s.name: s for s in text_samples()}
    assert {"tesseract_phototest.tif", "licence_01.png", "02_ru_library_report.png"} <= set(samples)
    assert samples["licence_01.png"].language_label == "RU"
    assert samples["tesseract_phototest.tif"].language_label == "EN"
    assert samples["tesseract_eurotext.tif"].language_label == "EN/DE/FR/IT/ES/PT"
    assert "quick brown dog" in samples["tesseract_phototest.tif"].truth_text
    cards = field_samples()
    assert [c.name for c in cards] == [f"licence_0{n}.png" for n in range(1, 7)]
    assert all(c.template == "ru_driver_license" and c.truth_fields for c in cards)


def test_picking_a_fields_sample_fills_in_its_true_values(config):
    from ui.fields_tab import FieldsTab

    tab = built(FieldsTab, config)
    gallery = tab.picker.samples
    keys = [f.key for f in config.templates["ru_driver_license"].fields]
    for sample, served in zip(gallery.samples, gallery.files):
        truth, template = tab.sample_truth(sample, served)
        written = json.loads((LICENCES / "fields" / f"{Path(sample.name).stem}.json").read_text(encoding="utf-8"))
        assert json.loads(truth) == {k: v for k, v in written.items() if k in keys}  # the template's fields
        assert template == "ru_driver_license"
        # The document loaded is the sample itself, served from Gradio's cache.
        assert Path(served).name == sample.name and Path(served).read_bytes() == sample.image.read_bytes()
    assert json.loads(tab.sample_truth(gallery.samples[0])[0])["1"] == "СМИРНОВ SMIRNOV"


def test_a_tiff_is_shown_as_a_png_and_the_engines_read_the_tiff(config, tmp_path):
    from ui.chat_tab import ChatTab

    tiff = tiff_of(LICENCES / "images" / "licence_01.png", tmp_path)
    tab = ChatTab(ModelPool(config), "en", gr.I18n(en={}))
    history, page, _ = tab.carry_over(str(tiff), "1", [])
    shown = document_of(history)
    with Image.open(shown) as png, Image.open(tiff) as original:
        assert png.format == "PNG" and png.size == original.size
        assert not ImageChops.difference(png.convert("RGB"), original.convert("RGB")).getbbox()  # lossless
    assert page["visible"] is False  # an image has no page menu
    assert tab.copies.original(shown) == str(tiff)
    # Sent with a message, too; a PNG needs no copy.
    sent, _ = next(tab.chat({"text": "", "files": [str(tiff)]}, [], "tesseract"))
    assert document_of(sent) == shown
    assert tab.copies.shown(str(LICENCES / "images" / "licence_02.png")).endswith("licence_02.png")
    assert not tab.copies.shown(str(LICENCES / "images" / "licence_02.png")).startswith(str(tab.copies.folder))
    # A real engine reads the conversation's document.
    read = tab.read_text(history, "tesseract", "1")
    assert read[-1]["metadata"]["title"].startswith("OCR") and "SMIRNOV" in read[-1]["content"]


def test_the_page_menu_is_for_pdfs_and_a_short_pdf_is_read_whole(config, tmp_path):
    from ui.arena import ArenaTab

    assert page_selector(str(LICENCES / "images" / "licence_01.png"), "en")["visible"] is False
    three = licence_pdf(tmp_path, 3)
    menu = page_selector(str(three), "en")
    assert menu["visible"] is True and menu["value"] == ALL_PAGES
    assert menu["choices"][0] == ("all 3 pages", ALL_PAGES) and menu["choices"][1:] == ["1", "2", "3"]
    longer = page_selector(str(licence_pdf(tmp_path, SHORT_PDF_PAGES + 1)), "en")
    assert longer["value"] == "1" and longer["choices"][0][1] == ALL_PAGES  # all pages one click away
    # The arena reads every page; a picker for one page (battles, chat side by side) offers no "all".
    arena = built(ArenaTab, config)
    assert arena.picker.choose_pages(str(three))[0]["value"] == ALL_PAGES
    assert arena.picker.choose_pages(str(LICENCES / "images" / "licence_01.png"))[0]["visible"] is False
    with gr.Blocks():
        one_page = DocumentPicker(config.app, gr.I18n(en={}), "battle", lambda request: "en")
    assert one_page.choose_pages(str(three))[0]["choices"] == ["1", "2", "3"]
    # The chat talks about one page: the menu keeps the page chosen where the PDF has it.
    assert chat_page_selector(str(three), "2")["value"] == "2" and chat_page_selector(str(three), "9")["value"] == "1"
    assert chat_page_selector(str(LICENCES / "images" / "licence_01.png"), "1")["visible"] is False


def test_a_3_page_run_with_an_unavailable_model(config, tmp_path):
    """The default page choice of a 3-page PDF reads every page; the unavailable model's column keeps only its
    status and message; the empty box gallery says why."""
    from ui.arena import ArenaTab

    exports = ExportFolder()
    tab = built(ArenaTab, config, exports)
    unavailable = next(m.key for m in config.models if not tab.pool.availability(m.key).ok)
    pdf = licence_pdf(tmp_path, 3)
    page = tab.picker.choose_pages(str(pdf))[0]["value"]
    truth = (LICENCES / "gt" / "licence_01.gt.txt").read_text(encoding="utf-8")
    *_, final = tab.run_arena(str(pdf), ["tesseract", unavailable], truth, "ocr", page, "words")
    fixed = 7
    cells = {c.key: final[fixed + 4 * i: fixed + 4 * i + 4] for i, c in enumerate(tab.columns)}
    header, text_box, metrics, diff = cells[unavailable]
    assert text_box["visible"] is False and diff["visible"] is False  # no empty box, no legend
    assert "⚠" in header and tab.pool.availability(unavailable).message.split(":")[0] in metrics
    header, text_box, metrics, diff = cells["tesseract"]
    assert "--- 1/3 ---" in text_box and "--- 3/3 ---" in text_box and diff["visible"] is True
    try:
        overlays, note, *_ = tab.show_run_files(final[6])
    finally:
        exports.remove()
    assert overlays == [] and "3 pages" in note


@pytest.mark.slow
def test_samples_tiff_pages_and_diff_scroll_in_a_browser(playwright, served_app, config, tmp_path):
    from tests.test_browser import open_page

    context, page = open_page(playwright, tmp_path, "en-US")
    try:
        page.goto(served_app)
        # A 3-page PDF shows the page menu, on all pages.
        page.locator("#arena-document input[type=file]").set_input_files(str(licence_pdf(tmp_path, 3)))
        page.locator("#arena-page").wait_for(state="visible", timeout=TIMEOUT_MS)
        page.wait_for_function("document.querySelector('#arena-page input').value === 'all 3 pages'",
                               timeout=TIMEOUT_MS)

        # The arena's samples are thumbnails the browser shows, each captioned with its language.
        thumbnails = page.locator("#arena-samples img")
        thumbnails.first.wait_for(timeout=TIMEOUT_MS)
        assert thumbnails.count() == len(text_samples())
        assert page.evaluate("[...document.querySelectorAll('#arena-samples img')].every(i => i.naturalWidth > 0)")
        page.locator("#arena-samples").get_by_text("RU · 02_ru_library_report.png").click()
        page.locator("#arena-preview img").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("document.querySelector('#arena-truth textarea').value.length > 100",
                               timeout=TIMEOUT_MS)
        page.locator("#arena-page").wait_for(state="hidden", timeout=TIMEOUT_MS)  # an image: no page menu

        # An unavailable model ticked beside the default ones: its column shows its message only.
        unavailable = next(m for m in config.models if not ModelPool(config).availability(m.key).ok)
        for ticked in page.locator("#arena-models label:has(input:checked)").all():  # Tesseract alone is quicker
            if "Tesseract 5 (rus+eng)" not in ticked.inner_text():
                ticked.click()
        page.locator("#arena-models label", has_text=unavailable.name).first.click()
        page.get_by_role("button", name="Run").click()
        page.locator("#col-tesseract-header").get_by_text("done").wait_for(timeout=TIMEOUT_MS)
        # The diffs come with the final render, once every model is done (RapidOCR too, on a busy CPU).
        page.locator("#col-tesseract-diff .dv-box").wait_for(timeout=3 * TIMEOUT_MS)
        page.locator(f"#col-{unavailable.key}-header").get_by_text("unavailable").wait_for(timeout=TIMEOUT_MS)
        assert not page.locator(f"#col-{unavailable.key}-text textarea").is_visible()
        assert not page.locator(f"#col-{unavailable.key}-diff .dv-legend").is_visible()
        # Scrolling the text scrolls its diff to the same relative place.
        moved = page.evaluate("""() => {
            const area = document.querySelector('#col-tesseract-text textarea');
            area.scrollTop = area.scrollHeight;
            area.dispatchEvent(new Event('scroll'));
            return area.scrollHeight > area.clientHeight;
        }""")
        assert moved, "the page's text should be longer than its box"
        page.wait_for_function("""() => { const box = document.querySelector('#col-tesseract-diff .dv-box');
            return box.scrollTop > 0 && box.scrollTop + box.clientHeight >= box.scrollHeight - 2; }""",
                               timeout=TIMEOUT_MS)

        page.screenshot(path=str(SCREENSHOTS / "samples-arena.png"), full_page=True)

        # The chat shows a TIFF sample as a PNG the browser decodes.
        page.get_by_role("tab", name="Chat").click()
        page.locator("#chat-samples").get_by_text("EN · tesseract_phototest.tif").click()
        shown = page.locator("#chat-history img").first
        shown.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("document.querySelector('#chat-history img').naturalWidth > 0", timeout=TIMEOUT_MS)
        assert ".png" in shown.get_attribute("src")
        assert not page.locator("#chat-page").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "samples-chat.png"), full_page=True)

        # A Fields sample card brings its true values.
        page.get_by_role("tab", name="Fields").click()
        page.locator("#fields-samples").get_by_text("RU · licence_02.png").click()
        written = json.loads((LICENCES / "fields" / "licence_02.json").read_text(encoding="utf-8"))
        page.locator("#fields-truth").get_by_text(written["1"]).wait_for(timeout=TIMEOUT_MS)
        page.locator("#fields-preview img").wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(SCREENSHOTS / "samples-fields.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / "samples-failed.png"), full_page=True)
        raise
    finally:
        context.close()
