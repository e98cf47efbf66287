"""The arena through its public API (`run_arena`), on the real app and real engines."""
import pytest
from gradio_client import Client, handle_file

from core.metrics import cer
from tests.conftest import PHOTOTEST, PHOTOTEST_GT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app, verbose=False)


def test_two_engines_and_an_unavailable_model_side_by_side(client):
    truth = PHOTOTEST_GT.read_text(encoding="utf-8")
    outputs = client.predict(handle_file(str(PHOTOTEST)), ["tesseract", "rapidocr", "qwen3_vl_4b"], truth,
                             api_name="/run_arena")
    report, table = outputs[0], outputs[1]["value"]  # the table is hidden until a run fills it: sent as an update
    models = {m["key"]: m for m in report["models"]}
    assert list(models) == ["tesseract", "rapidocr", "qwen3_vl_4b"]
    for key in ("tesseract", "rapidocr"):
        assert models[key]["status"] == "ok"
        assert "quick brown dog" in models[key]["text"]
        assert models[key]["chars"] == len(models[key]["text"])
        assert models[key]["latency_s"] > 0 and models[key]["memory_mb"]["mem_app_shared"] > 0
        assert models[key]["boxes"]
        assert models[key]["cer"] == pytest.approx(round(cer(truth, models[key]["text"]), 4))
    assert models["qwen3_vl_4b"]["status"] == "unavailable"
    assert "Run: python launch.py download qwen3_vl_4b" in models["qwen3_vl_4b"]["message"]
    assert models["qwen3_vl_4b"]["text"] == ""
    assert [row[0] for row in table["data"]] == [m["model"] for m in report["models"]]
    assert "CER" in table["headers"]

    assert outputs[5].startswith("✓ 3/3")


def test_no_ground_truth_means_no_scores(client):
    report = client.predict(handle_file(str(PHOTOTEST)), ["tesseract"], "", api_name="/run_arena")[0]
    assert report["ground_truth"] is None
    assert report["models"][0]["cer"] is None and report["models"][0]["status"] == "ok"


def test_bad_inputs_give_clear_errors(client, tmp_path):
    corrupt = tmp_path / "scan.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    with pytest.raises(Exception, match="scan.png is not a readable image"):
        client.predict(handle_file(str(corrupt)), ["tesseract"], "", api_name="/run_arena")
    with pytest.raises(Exception, match="Tick at least one model"):
        client.predict(handle_file(str(PHOTOTEST)), [], "", api_name="/run_arena")
    with pytest.raises(Exception, match=r"Upload a document \(an image or a PDF\) first"):
        client.predict(None, ["tesseract"], "", api_name="/run_arena")


def test_the_layout_task_runs_where_a_model_offers_it_and_says_so_elsewhere(client, tmp_path, monkeypatch):
    monkeypatch.setenv("ARENA_VLLM_ENV", str(tmp_path / "no-vllm"))  # whatever this machine has in envs/vllm
    report = client.predict(handle_file(str(PHOTOTEST)), ["tesseract", "dots_ocr"], "", "layout",
                            api_name="/run_arena")[0]
    assert report["task"] == "layout"
    models = {m["key"]: m for m in report["models"]}
    assert models["tesseract"]["status"] == "unavailable"
    assert "does not offer the 'layout' task (its tasks: ocr)" in models["tesseract"]["message"]
    # dots.ocr offers it; on this machine it says what it lacks instead.
    assert models["dots_ocr"]["status"] == "unavailable" and "vLLM is not installed" in models["dots_ocr"]["message"]
    with pytest.raises(Exception, match="'poetry'.* is not in the list of choices: \\['ocr', 'layout'\\]"):
        client.predict(handle_file(str(PHOTOTEST)), ["tesseract"], "", "poetry", api_name="/run_arena")
