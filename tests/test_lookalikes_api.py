"""Look-alike letters through the public API, on the real app and RapidOCR (whose Latin models answer Latin
look-alikes for Cyrillic text) reading a Russian licence: counted in the arena, shown and corrected in Fields."""
import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from core.metrics import cer, cer_folded
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow
LICENCE = SAMPLES / "ru_licences" / "images" / "licence_03.png"  # ПОПОВ, КАЗАНЬ, ТАТАРСТАН


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app, verbose=False)


def test_the_arena_reports_a_folded_cer_below_the_plain_one(client):
    truth = (SAMPLES / "ru_licences" / "gt" / "licence_03.gt.txt").read_text(encoding="utf-8")
    report = client.predict(handle_file(str(LICENCE)), ["rapidocr"], truth, api_name="/run_arena")[0]
    model = report["models"][0]
    assert model["status"] == "ok" and "TATAPCTAH" in model["text"]
    assert model["cer_folded"] == pytest.approx(round(cer_folded(truth, model["text"]), 4))
    assert model["cer"] == pytest.approx(round(cer(truth, model["text"]), 4))
    # Part of RapidOCR's error on a Russian card is the script, not the letters (measured: 0.446 -> 0.377); the
    # rest is Cyrillic letters with no Latin twin (Д, И, П, Г), which it drops or misreads.
    assert model["cer_folded"] < model["cer"] - 0.05


def test_fields_correct_look_alikes_visibly_and_keep_the_correction_in_the_export(client):
    truth = (SAMPLES / "ru_licences" / "fields" / "licence_03.json").read_text(encoding="utf-8")
    status, table, scores, files, record = client.predict(
        handle_file(str(LICENCE)), "ru_driver_license", ["rapidocr"], truth, "1", api_name="/extract_fields")
    rows = {row[0]: dict(zip(table["headers"], row)) for row in table["data"]}
    # The value is put back in Cyrillic, with what was read beside it.
    assert rows["8"]["RapidOCR (PP-OCR, Latin)"] == "ТАТАРСТАН TATARSTAN\n⟲ read as «TATAPCTAH TATARSTAN»: " \
                                                    "look-alike letters put in the field's script"
    assert rows["8"]["Truth"] == "ТАТАРСТАН TATARSTAN"
    model = record["pages"][0]["models"][0]
    assert model["values"]["8"] == "ТАТАРСТАН TATARSTAN" and model["field_matches"]["8"] is True
    assert model["corrections"]["3"] == {"read": "28.06.1978 KA3AHb KAZAN", "corrected": "28.06.1978 КАЗАНЬ KAZAN"}
    assert model["marks"]["8"] == [{"kind": "corrected", "detail": "TATAPCTAH TATARSTAN"}]
    exported = json.loads(Path(next(f for f in files if f.endswith(".json"))).read_text(encoding="utf-8"))
    assert exported["pages"][0]["models"][0]["corrections"]["8"]["read"] == "TATAPCTAH TATARSTAN"
    accuracy = {row[0]: row[1] for row in scores["value"]["data"]}
    assert scores["value"]["headers"][:2] == ["Model", "Accuracy"]
    assert accuracy["RapidOCR (PP-OCR, Latin)"] == round(accuracy["RapidOCR (PP-OCR, Latin)"], 3)
