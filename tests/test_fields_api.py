"""The Fields tab through its public API (`extract_fields`), on the real app and real engines."""
import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow
LICENCES = SAMPLES / "ru_licences"


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app, verbose=False)


def test_two_engines_and_a_missing_vlm_side_by_side_with_accuracy(client):
    truth = (LICENCES / "fields" / "licence_02.json").read_text(encoding="utf-8")
    status, table, scores, files, record = client.predict(
        handle_file(str(LICENCES / "images" / "licence_02.png")), "ru_driver_license",
        ["tesseract", "rapidocr", "qwen3_vl_4b"], truth, "1", api_name="/extract_fields")
    assert status.startswith("✓ 3 model(s), 1 page(s)")
    assert table["headers"][:2] == ["Field", "Label"] and "Truth" in table["headers"]
    rows = {row[0]: dict(zip(table["headers"], row)) for row in table["data"]}
    assert list(rows) == ["1", "2", "3", "4a", "4b", "4c", "5", "8", "9"]
    assert rows["4a"]["Tesseract 5 (rus+eng)"] == rows["4a"]["Truth"] == "24.04.2021"
    assert rows["4a"]["Agree"] == "✓" and rows["1"]["Agree"] == "≠"  # RapidOCR cannot read Cyrillic
    assert rows["1"]["Qwen3-VL-4B-Instruct"] is None
    accuracy = {row[0]: row[1] for row in scores["value"]["data"]}
    assert accuracy["Tesseract 5 (rus+eng)"] == 1.0 and accuracy["RapidOCR (PP-OCR, Latin)"] < 0.6
    models = {m["key"]: m for m in record["pages"][0]["models"]}
    assert models["tesseract"]["method"] == "rules" and models["tesseract"]["field_accuracy"] == 1.0
    assert models["qwen3_vl_4b"]["status"] == "unavailable" and models["qwen3_vl_4b"]["values"] is None
    exported = {Path(f).suffix: f for f in files}
    assert json.loads(Path(exported[".json"]).read_text(encoding="utf-8"))["template"] == "ru_driver_license"
    assert "24.04.2021" in Path(exported[".csv"]).read_text(encoding="utf-8")


def test_all_pages_of_a_pdf_give_per_page_rows(client, tmp_path):
    cards = [Image.open(LICENCES / "images" / f"licence_0{n}.png").convert("RGB") for n in (1, 2)]
    pdf = tmp_path / "cards.pdf"
    cards[0].save(pdf, save_all=True, append_images=cards[1:], resolution=150)
    status, table, scores, files, record = client.predict(
        handle_file(str(pdf)), "ru_driver_license", ["tesseract"], "", "all", api_name="/extract_fields")
    assert "2 page(s)" in status and table["headers"][0] == "Page"
    numbers = {(row[0], row[1]): row[3] for row in table["data"]}
    assert numbers[(1, "5")] == "77 16 482915" and numbers[(2, "5")] == "78 21 130574"
    assert [p["page"] for p in record["pages"]] == [1, 2]


def test_bad_input_is_a_clear_error(client):
    image = handle_file(str(LICENCES / "images" / "licence_01.png"))
    with pytest.raises(Exception, match="not a JSON object"):
        client.predict(image, "ru_driver_license", ["tesseract"], "{not json", "1", api_name="/extract_fields")
    with pytest.raises(Exception, match="is not in the list of choices"):
        client.predict(image, "passport", ["tesseract"], "", "1", api_name="/extract_fields")
