"""The Benchmark tab through its public API (`run_benchmark`), on the real app and real engines."""
import zipfile
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from benchmarks import history
from tests.conftest import PHOTOTEST, PHOTOTEST_GT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app, verbose=False)


def test_a_bundled_dataset_gives_the_summary_charts_and_files(client, benchmark_history):
    before = len(history.list_runs(benchmark_history))
    status, table, pareto, memory, cer_plot, files = client.predict(
        "ru_licences", None, ["tesseract", "rapidocr"], 1, 0, 2, False, api_name="/run_benchmark")
    assert status.startswith("✓") and "ru_licences, 2 items" in status
    assert table["headers"][:3] == ["model", "items", "errors"]
    rows = {row[0]: dict(zip(table["headers"], row)) for row in table["data"]}
    assert set(rows) == {"Tesseract 5 (rus+eng)", "RapidOCR (PP-OCR, Latin)"}
    assert rows["Tesseract 5 (rus+eng)"]["items"] == 2 and rows["Tesseract 5 (rus+eng)"]["CER"] < 0.1
    assert pareto and memory and cer_plot  # three Plotly figures
    names = sorted(Path(f).name for f in files)
    assert names == ["plotly.min.js", "report.html", "report.md", "results.csv", "results.json", "summary.csv"]
    assert len(history.list_runs(benchmark_history)) == before + 1


def test_an_uploaded_zip_is_benchmarked(client, tmp_path):
    archive = tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(PHOTOTEST, "scans/page.tif")
        bundle.write(PHOTOTEST_GT, "scans/page.txt")
    status, table, *_ = client.predict("__upload__", handle_file(str(archive)), ["tesseract_eng"], 1, 0, 0, False,
                                       api_name="/run_benchmark")
    assert "scans, 1 items" in status
    [row] = table["data"]
    assert row[1:3] == [1, 0] and row[3] < 0.05  # one item, no error, Tesseract reads this page well


def test_bad_input_is_a_clear_error(client, tmp_path):
    with pytest.raises(Exception, match="Upload a dataset zip first"):
        client.predict("__upload__", None, ["tesseract"], 1, 0, 0, False, api_name="/run_benchmark")
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("plain text")
    with pytest.raises(Exception, match="not a zip archive"):
        client.predict("__upload__", handle_file(str(not_zip)), ["tesseract"], 1, 0, 0, False,
                       api_name="/run_benchmark")
    with pytest.raises(Exception, match="Tick at least one model"):
        client.predict("ru_licences", None, [], 1, 0, 0, False, api_name="/run_benchmark")
