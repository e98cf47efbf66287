"""The Fields tab in Russian, in a real browser: template names and table headers in Russian, and RapidOCR's
look-alike letters on a licence corrected with what it read shown under the value."""
import pytest

from tests.conftest import SAMPLES
from tests.test_browser import TIMEOUT_MS, open_page

pytestmark = pytest.mark.slow
LICENCE = SAMPLES / "ru_licences" / "images" / "licence_03.png"  # КАЗАНЬ, ТАТАРСТАН


def test_fields_in_russian_show_the_correction_beside_the_value(playwright, served_app, tmp_path):
    context, page = open_page(playwright, tmp_path, "ru-RU")
    try:
        page.goto(served_app)
        page.get_by_role("tab", name="Поля").click()
        template = page.locator("#fields-template")
        template.get_by_text("Водительское удостоверение РФ").wait_for(timeout=TIMEOUT_MS)
        assert template.get_by_text("Russian driver's licence").count() == 0
        models = page.locator("#fields-models")
        for box in models.locator("label").all():  # RapidOCR alone: the others would only slow the run
            wanted = "RapidOCR" in box.inner_text()
            if box.locator("input").is_checked() != wanted:
                box.click()
        page.locator("#fields-document input[type=file]").set_input_files(str(LICENCE))
        page.locator("#fields-preview img").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Извлечь поля").click()
        table = page.locator("#fields-table")
        table.get_by_text("прочитано «TATAPCTAH TATARSTAN»").wait_for(timeout=TIMEOUT_MS)
        headers = table.locator("th").all_inner_texts()
        assert {"Поле", "Название", "Согласие", "Ошибка формата"} <= {h.strip() for h in headers}
        assert not {"field", "label", "agree", "format_failed"} & {h.strip() for h in headers}
        page.screenshot(path=str(tmp_path / "fields-ru.png"), full_page=True)
    finally:
        context.close()
