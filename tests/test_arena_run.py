"""An arena run's record: scores, table and exports agree with each other."""
import csv
import json

from backends.contracts.requests import Box
from backends.contracts.results import Status
from backends.contracts.results import Metrics, ModelResult
from core.metrics import cer
from core.arena_run import ArenaRun
from ui.arena_view import comparison_table


def sample_run(truth: str = "Привет, мир") -> ArenaRun:
    run = ArenaRun(document="card.png", ground_truth=truth)
    run.results["a"] = ModelResult("a", "Engine A", Status.OK, text="Привет, мир",
                                   boxes=[Box(1, 2, 30, 12, "Привет, мир", 0.9)],
                              metrics=Metrics(load_s=0.5, latency_s=0.25, chars=11, memory_mb={"RSS (app process)": 300}))
    run.results["b"] = ModelResult("b", "Engine B", Status.OK, text="Привот мир", metrics=Metrics(latency_s=1.0, chars=10))
    run.results["c"] = ModelResult("c", "Engine C", Status.UNAVAILABLE, message="weights not downloaded")
    return run


def test_scores_only_for_models_with_output():
    run = sample_run()
    assert run.scores("a") == {"cer": 0.0, "cer_folded": 0.0, "wer": 0.0, "ned": 0.0, "word_f1": 1.0}
    assert run.scores("b")["cer"] == cer("Привет, мир", "Привот мир")
    assert run.scores("c") is None
    assert sample_run(truth="  ").scores("a") is None


def test_table_is_translated_and_keeps_model_order():
    frame = comparison_table(sample_run(), "ru")
    assert list(frame["модель"]) == ["Engine A", "Engine B", "Engine C"]
    assert list(frame["статус"]) == ["готово", "готово", "недоступна"]
    assert "CER" in frame.columns
    assert "CER" not in comparison_table(sample_run(truth=""), "en").columns


def test_csv_and_json_exports_hold_the_same_run(tmp_path):
    run = sample_run()
    csv_path, json_path = run.export(tmp_path)
    with open(csv_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    data = json.loads(open(json_path, encoding="utf-8").read())
    assert [r["key"] for r in rows] == [m["key"] for m in data["models"]] == ["a", "b", "c"]
    assert float(rows[1]["cer"]) == data["models"][1]["cer"] == round(cer("Привет, мир", "Привот мир"), 4)
    assert data["models"][0]["text"] == "Привет, мир" and data["models"][0]["boxes"][0]["confidence"] == 0.9
    assert data["models"][2]["message"] == "weights not downloaded"
    assert data["ground_truth"] == "Привет, мир"
