"""What the arena shows after a run, through its public API on the real app and real engines: the readable diff
with look-alike letters marked, the rounded table with blanks, and an unavailable model's bare column."""
import re

import pytest
from gradio_client import Client, handle_file

from backends.config import load_config
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

LICENCE = SAMPLES / "ru_licences" / "images" / "licence_01.png"
LICENCE_GT = SAMPLES / "ru_licences" / "gt" / "licence_01.gt.txt"
FIXED_OUTPUTS = 6  # json, table, three charts, status (the run's state is not sent); then 4 per column


def shown(output):
    """An output's value and whether it is visible (the client passes a visibility change on as an update)."""
    if isinstance(output, dict) and "visible" in output:
        return output.get("value"), output["visible"]
    return output, True


@pytest.fixture(scope="module")
def licence_run(served_app):
    """RapidOCR, Tesseract and a model that cannot run here, on a Russian licence with its ground truth."""
    outputs = Client(served_app, verbose=False).predict(
        handle_file(str(LICENCE)), ["rapidocr", "tesseract", "qwen3_vl_4b"], LICENCE_GT.read_text(encoding="utf-8"),
        "ocr", "1", "words", api_name="/run_arena")
    keys = [m.key for m in load_config(ROOT / "config.yaml").models]
    columns = {key: outputs[FIXED_OUTPUTS + 4 * i: FIXED_OUTPUTS + 4 * i + 4] for i, key in enumerate(keys)}
    return outputs, columns


def test_rapidocr_on_a_russian_licence_shows_the_lookalike_badge(licence_run):
    outputs, columns = licence_run
    diff, visible = shown(columns["rapidocr"][3])
    assert visible
    assert 'class="dv-badge"' in diff  # RapidOCR reads Cyrillic capitals as Latin look-alikes
    assert re.search(r'<span class="dv-swap"[^>]*>[^<]*[A-Z]', diff)
    assert "look-alike letters of the other script" in diff  # the legend explains the mark
    assert "\n" in re.search(r'<div class="dv-box"[^>]*>(.*)</div></div>$', diff, re.S).group(1)  # line breaks
    report = {m["key"]: m for m in outputs[0]["models"]}
    assert report["rapidocr"]["cer_folded"] < report["rapidocr"]["cer"]


def test_the_table_rounds_and_leaves_blanks_for_a_model_that_did_not_run(licence_run):
    outputs, _ = licence_run
    table, visible = shown(outputs[1])
    assert visible
    headers, rows = table["headers"], {row[0]: dict(zip(table["headers"], row)) for row in table["data"]}
    assert headers[:2] == ["model", "status"] and "tokens/\u2060s" not in headers  # no OCR engine counts tokens
    assert headers.index("CER (look-alikes folded)") == headers.index("CER") + 1
    unavailable = next(row for name, row in rows.items() if row["status"] == "unavailable")
    assert unavailable["chars"] == "" and unavailable["time, s"] == "" and unavailable["CER"] == ""
    assert "download" in unavailable["message"]
    for row in rows.values():
        for header, decimals in (("time, s", 2), ("CER", 3), ("WER", 3)):
            assert row[header] == "" or re.fullmatch(rf"\d+\.\d{{{decimals}}}", row[header]), (header, row[header])
        assert row["memory, MiB"] == "" or row["memory, MiB"].replace(",", "").isdigit()


def test_an_unavailable_model_shows_its_status_and_message_only(licence_run):
    _, columns = licence_run
    header, body, metrics, diff = (shown(output) for output in columns["qwen3_vl_4b"])
    assert "unavailable" in header[0] and "download" in metrics[0]
    assert body == ("", False) and diff == ("", False)  # hidden, not an empty text box and a diff legend
    assert shown(columns["rapidocr"][1]) == (columns["rapidocr"][1], True)  # a model that read keeps its text
