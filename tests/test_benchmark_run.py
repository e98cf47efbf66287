"""Benchmark runs on real engines: the CLI's files agree with each other, failures become error rows, and the
history compares runs."""
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from core.documents import load_image
from backends.pool import ModelPool
from backends.registry import create_engine
from benchmarks import history
from benchmarks.__main__ import main
from core.dataset import load_dataset
from benchmarks.report import write_report
from benchmarks.runner import BenchmarkSettings, run_benchmark
from tests.conftest import PHOTOTEST, PHOTOTEST_GT, ROOT, SAMPLES

REQUIRED_SUMMARY = ["model", "items", "errors", "cer_mean", "wer_mean", "word_f1_mean", "latency_p50_s",
                    "latency_p90_s", "load_s", "chars_mean"]


@pytest.mark.slow
def test_the_cli_benchmarks_two_engines_and_its_files_agree(tmp_path):
    out, db = tmp_path / "out", tmp_path / "history.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "run", "--models", "tesseract,rapidocr",
         "--dataset", str(SAMPLES / "ru_licences"), "--out", str(out), "--history", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr  # the progress bar ran to the end
    for name in ("results.csv", "summary.csv", "results.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name

    results, summary = pd.read_csv(out / "results.csv"), pd.read_csv(out / "summary.csv")
    assert set(REQUIRED_SUMMARY + ["field_accuracy", "mem_rss_peak_app_workers_mb"]) <= set(summary.columns)
    assert list(summary["key"]) == ["tesseract", "rapidocr"]
    assert len(results) == 12 and set(results["status"]) == {"ok"}
    # summary.csv is exactly the aggregate of results.csv.
    for key, group in results.groupby("key"):
        row = summary.set_index("key").loc[key]
        assert row["items"] == len(group) == 6 and row["errors"] == 0
        for metric in ("cer", "cer_folded", "wer", "word_f1", "ned"):
            assert row[f"{metric}_mean"] == pytest.approx(group[metric].mean(), abs=1e-4)
        assert row["field_accuracy"] == pytest.approx(group["field_accuracy"].mean(), abs=1e-4)
        assert row["field_4a_acc"] == pytest.approx(group["field_4a"].mean(), abs=1e-4)
        assert row["latency_p50_s"] == pytest.approx(group["latency_s"].quantile(0.5), abs=1e-4)
        assert row["latency_p90_s"] == pytest.approx(group["latency_s"].quantile(0.9), abs=1e-4)
        assert row["pages_per_s"] == pytest.approx(6 / group["latency_s"].sum(), rel=1e-3)
        assert row["load_s"] == pytest.approx(group["load_s"].max(), abs=1e-4) and row["load_s"] > 0
        assert row["chars_mean"] == pytest.approx(group["chars"].mean(), abs=1e-4)
        assert row["mem_rss_peak_app_workers_mb"] == group["mem_rss_peak_app_workers_mb"].max()
    # Tesseract reads Cyrillic; RapidOCR's Latin models do not.
    cer = summary.set_index("key")["cer_mean"]
    assert cer["tesseract"] < 0.1 < cer["rapidocr"]
    # RapidOCR answers Latin look-alikes for Cyrillic letters: folding them forgives part of its error.
    assert summary.set_index("key")["cer_folded_mean"]["rapidocr"] < cer["rapidocr"] - 0.05
    assert "cer_folded_mean" in (out / "report.md").read_text(encoding="utf-8").split("## Memory")[0]

    record = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [s["key"] for s in record["summary"]] == ["tesseract", "rapidocr"]
    assert record["wall_s"] >= record["engine_s"] > 0
    for item, row in zip(record["items"], results.itertuples()):
        assert (item["key"], item["item"]) == (row.key, row.item)
        assert len(item["text"]) == row.chars and len(item["runs"]) == 1
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Pareto front" in page and "CER per item" in page and "Plotly.newPlot" in page
    # plotly.js is beside the report, not in it; missing values are blank cells, never "None".
    assert len(page) < 200_000 and '<script src="plotly.min.js">' in page
    assert (out / "plotly.min.js").stat().st_size > 1_000_000 and ">None<" not in page and ">nan<" not in page
    assert "| Tesseract 5 (rus+eng)" in (out / "report.md").read_text(encoding="utf-8")
    assert list(history.list_runs(db)["run_id"]) == [record["run_id"]]


def test_a_failing_model_or_document_is_an_error_row_and_the_run_completes(config, tmp_path):
    licence = SAMPLES / "ru_licences" / "images" / "licence_01.png"
    (tmp_path / "images").mkdir()
    shutil.copy(PHOTOTEST, tmp_path / "images" / "page.tif")
    shutil.copy(licence, tmp_path / "images" / "licence.png")
    (tmp_path / "images" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    shutil.copy(PHOTOTEST_GT, tmp_path / "page.txt")
    (tmp_path / "manifest.csv").write_text(
        "image,gt_text\nimages/page.tif,page.txt\nimages/licence.png,\nimages/corrupt.png,\nimages/gone.png,\n")
    licence_size = load_image(licence).size

    def create(entry):
        engine = create_engine(entry)
        real_stream = engine.stream

        def stream(request):  # this model breaks on one document only
            if request.image.size == licence_size:
                raise RuntimeError("CUDA out of memory")
            yield from real_stream(request)
        engine.stream = stream
        return engine

    pool = ModelPool(config, create_engine=create)
    run = run_benchmark(pool, ["tesseract_eng"], load_dataset(tmp_path), BenchmarkSettings(repeats=2, warmup=1))
    rows = {r["item"]: r for r in run.rows}
    assert list(rows) == ["images/page.tif", "images/licence.png", "images/corrupt.png", "images/gone.png"]
    assert rows["images/page.tif"]["status"] == "ok" and rows["images/page.tif"]["repeats"] == 2
    assert rows["images/page.tif"]["cer"] < 0.1
    assert rows["images/licence.png"]["status"] == "error"
    assert rows["images/licence.png"]["message"] == "RuntimeError: CUDA out of memory"
    assert rows["images/corrupt.png"]["status"] == "error"
    assert "not a readable image" in rows["images/corrupt.png"]["message"]
    assert rows["images/gone.png"]["message"] == "manifest.csv line 5: image images/gone.png not found"
    assert len(run.runs[("tesseract_eng", "images/page.tif")]) == 2
    assert pool.loaded_keys() == []  # the benchmark loaded it, so it unloaded it

    paths = write_report(run, tmp_path / "out")
    summary = pd.read_csv(paths["summary.csv"]).iloc[0]
    assert (summary["items"], summary["errors"]) == (4, 3)
    assert "CUDA out of memory" in paths["report.md"].read_text(encoding="utf-8")


def test_history_lists_two_runs_and_compare_shows_both(tmp_path, capsys):
    db = tmp_path / "history.sqlite"
    for repeats in ("1", "2"):
        assert main(["run", "--models", "tesseract_eng", "--dataset", str(SAMPLES / "en_printed_pages"),
                     "--limit", "1", "--repeats", repeats, "--out", str(tmp_path / repeats), "--history", str(db)]) == 0
    first, second = reversed(list(history.list_runs(db)["run_id"]))
    capsys.readouterr()

    assert main(["history", "--history", str(db)]) == 0
    listing = capsys.readouterr().out
    assert first in listing and second in listing and "en_printed_pages" in listing

    # A unique prefix of a run id will do (both runs may start in the same second: find where they differ).
    prefix = next(first[:n] for n in range(1, len(first) + 1) if not second.startswith(first[:n]))
    assert main(["compare", prefix, second, "--history", str(db)]) == 0
    table = capsys.readouterr().out
    assert first in table and second in table
    assert "| cer_mean" in table and "| latency_p50_s" in table
    figures = history.compare(db, first, second).set_index("figure")
    # The same engine on the same page: the same accuracy, so no change; both runs' timings are there.
    assert figures.loc["cer_mean", first] == figures.loc["cer_mean", second] and figures.loc["cer_mean", "change"] == 0
    assert figures.loc["latency_p50_s", first] > 0 and figures.loc["latency_p50_s", second] > 0
    assert main(["compare", "nope", second, "--history", str(db)]) == 2
    assert "no run 'nope'" in capsys.readouterr().err
