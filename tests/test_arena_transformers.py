"""The arena through its public API with a CPU engine and two tiny transformers models side by side."""
from __future__ import annotations

import pytest
from gradio_client import Client, handle_file

from tests.conftest import PHOTOTEST, serving
from tests.test_transformers_engine import shipped_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(tiny_hf_cache):
    with serving(shipped_config(max_new_tokens=8)) as url:
        yield Client(url, verbose=False)


def test_tesseract_and_two_tiny_vlms_side_by_side(client):
    keys = ["tesseract", "qwen_vl_2b", "got_ocr_hf"]
    outputs = client.predict(handle_file(str(PHOTOTEST)), keys, "", api_name="/run_arena")
    models = {m["key"]: m for m in outputs[0]["models"]}
    assert list(models) == keys
    assert all(m["status"] == "ok" for m in models.values()), {k: m["message"] for k, m in models.items()}
    assert "quick brown" in models["tesseract"]["text"]
    for key in ("qwen_vl_2b", "got_ocr_hf"):
        assert models[key]["output_tokens"] >= 1 and models[key]["tokens_per_s"] > 0
        assert models[key]["first_token_s"] > 0
    # The column shows how each model ran, including the attention fallback for GOT.
    order = shipped_config().keys()  # the client gets no State output: 6 fixed outputs, then 4 per column
    qwen_metrics, got_metrics = (outputs[6 + 4 * order.index(k) + 2] for k in ("qwen_vl_2b", "got_ocr_hf"))
    assert "attention: sdpa" in qwen_metrics
    assert "attention: eager" in got_metrics and "sdpa" in got_metrics


def test_the_loaded_models_panel_unloads_and_shows_the_memory_freed(client):
    client.predict(handle_file(str(PHOTOTEST)), ["qwen_vl_2b"], "", api_name="/run_arena")
    summary, table, pick = client.predict(api_name="/loaded_models")
    assert "qwen_vl_2b" in [row[0] for row in table["data"]]
    report, freed, *_ = client.predict("qwen_vl_2b", api_name="/unload_model")
    assert "qwen_vl_2b" in report
    freed = freed.get("value", freed)  # sent as an update that also makes the table visible
    readings = {row[0]: row for row in freed["data"]}
    assert "RSS (app process)" in readings
    summary, table, pick = client.predict(api_name="/loaded_models")
    assert "qwen_vl_2b" not in [row[0] for row in table["data"]]
