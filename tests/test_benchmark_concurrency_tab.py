"""The Benchmark tab's concurrency field: what it accepts, its errors in the user's language, the throughput table
and curve it shows, and a sweep through the app's API (whose answer keeps its six values)."""
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from gradio_client import Client

from backends.pool import ModelPool
from benchmarks.load import LoadSettings
from ui.benchmark_tab import BenchmarkTab, load_settings, load_view

SUMMARY = pd.DataFrame([
    {"model": "Tesseract", "key": "tesseract", "concurrency": 1, "errors": 0, "pages_per_s": 1.0,
     "output_tokens_per_s": None, "latency_p50_s": 1.0, "latency_p90_s": 1.2, "latency_p99_s": 1.3,
     "ttft_p50_s": 1.0, "batching": "single"},
    {"model": "Tesseract", "key": "tesseract", "concurrency": 4, "errors": 0, "pages_per_s": 1.1,
     "output_tokens_per_s": None, "latency_p50_s": 3.5, "latency_p90_s": 4.0, "latency_p99_s": 4.1,
     "ttft_p50_s": 3.5, "batching": "queued"},
])


@pytest.mark.parametrize("concurrency, slo, expected", [
    ("", 0, None), ("  ", None, None), ("4", 0, LoadSettings((4,))), ("16,1,4", 2.5, LoadSettings((1, 4, 16), 2.5))])
def test_the_fields_give_the_sweep(concurrency, slo, expected):
    assert load_settings(concurrency, slo, "en") == expected


@pytest.mark.parametrize("concurrency, slo, lang, message", [
    ("0", 0, "en", "Concurrency must be a whole number from 1 to 1024, or a list such as 1,4,16 (got “0”)"),
    ("1;4", 0, "ru", "Число одновременных запросов — целое от 1 до 1024 или список вроде 1,4,16 (указано «1;4»)"),
    ("", 3, "en", "A latency target needs a concurrency"),
    ("4", -1, "ru", "Целевая задержка должна быть больше 0 с (указано -1)"),
])
def test_a_bad_value_is_a_clear_error_in_the_users_language(concurrency, slo, lang, message):
    with pytest.raises(gr.Error) as caught:
        load_settings(concurrency, slo, lang)
    assert message in caught.value.message


def test_the_throughput_table_is_translated_and_says_that_requests_queue(config):
    styled, figure = load_view(SUMMARY, "ru")
    table = styled.data  # the values; the Styler writes them as Russian writes numbers
    assert list(table.columns[:3]) == ["модель", "одновременно", "ошибок"]
    assert "токенов/с на выходе" not in table.columns  # an OCR engine has no tokens: the empty column is dropped
    assert list(table["одновременные запросы"]) == ["по одному", "в очереди: по одному"]
    assert figure.layout.title.text == "Пропускная способность и задержка"
    assert [trace.name for trace in figure.data] == ["Tesseract, задержка p50", "Tesseract, задержка p90"]
    assert list(figure.data[0].x) == [1.0, 1.1]


def test_the_second_step_shows_the_sweep_or_hides_its_place(config):
    tab = BenchmarkTab(ModelPool(config), "en", gr.I18n())
    table, plot = tab.show_load(SUMMARY.to_dict(orient="records"))
    assert table["visible"] and plot["visible"]
    assert list(table["value"].data["concurrent requests"]) == ["one in flight", "queued: one at a time"]
    assert tab.show_load(None) == (gr.update(value=None, visible=False), gr.update(value=None, visible=False))


@pytest.mark.slow
def test_a_sweep_through_the_api_adds_its_files_and_a_bad_one_is_refused(served_app):
    client = Client(served_app, verbose=False)
    status, table, pareto, memory, cer_plot, files = client.predict(
        "ru_licences", None, ["tesseract_eng"], 1, 0, 2, False, "2,1", 60, api_name="/run_benchmark")
    assert "Concurrency sweep 1,2" in status
    names = sorted(Path(f).name for f in files)
    assert "load_summary.csv" in names and "load_results.csv" in names
    load = pd.read_csv(next(f for f in files if f.endswith("load_summary.csv")))
    assert list(load["concurrency"]) == [1, 2] and list(load["batching"]) == ["single", "queued"]
    with pytest.raises(Exception, match="Concurrency must be a whole number"):
        client.predict("ru_licences", None, ["tesseract_eng"], 1, 0, 1, False, "many", 0, api_name="/run_benchmark")
    russian = Client(served_app, verbose=False, headers={"Accept-Language": "ru"})
    with pytest.raises(Exception, match="Целевой задержке нужна нагрузка"):
        russian.predict("ru_licences", None, ["tesseract_eng"], 1, 0, 1, False, "", 5, api_name="/run_benchmark")
