"""Memory per model: each model's own footprint (what its load added to the app, its worker's RSS), the app's RSS
labelled as shared, a loaded-models panel whose total is the sum of its rows, and an unload that reports the
measured before and after."""
from __future__ import annotations

import re
import time

import gradio as gr
import psutil
import pytest

from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import ModelResult, Status
from backends.pool import ModelPool
from backends.runtime import memory
from core.documents import load_image
from tests.conftest import PHOTOTEST, TIMEOUT_MS, serving
from tests.test_browser import open_page
from tests.test_pool_workers import isolated_config
from ui.i18n import STRINGS, memory_label, text
from ui.models_panel import ModelsPanel, unload_summary
from ui.numbers import measure

IN_PROCESS = ("tesseract", "rapidocr")


@pytest.fixture(scope="module")
def page():
    return load_image(PHOTOTEST)


@pytest.fixture
def two_engines(config, page):
    """Tesseract and RapidOCR loaded in one pool, one after the other (each load measured alone)."""
    pool = ModelPool(config)
    results = {key: list(pool.run(key, PageRequest(page)))[-1] for key in IN_PROCESS}
    assert all(r.status == Status.OK for r in results.values()), {k: r.message for k, r in results.items()}
    yield pool, results
    pool.close()


def panel(pool: ModelPool) -> ModelsPanel:
    return ModelsPanel(pool, "en", gr.I18n(en={}))


def test_in_process_models_report_their_own_load_delta_not_the_apps_rss(two_engines):
    pool, results = two_engines
    own = {key: r.metrics.footprint_mb for key, r in results.items()}
    for key, result in results.items():
        figures = result.metrics.memory_mb
        assert result.metrics.footprint_label == memory.LOAD_DELTA
        # The column lists the model's own figure first and the app's RSS, labelled as shared, last.
        assert list(figures)[0] == memory.LOAD_DELTA and list(figures)[-1] == memory.APP_SHARED
        assert figures[memory.LOAD_DELTA] == own[key] < figures[memory.APP_SHARED]
    assert own["tesseract"] != own["rapidocr"]
    # RapidOCR's ONNX sessions (>100 MiB in a fresh process; less where an earlier load left freed memory for
    # the allocator to reuse, which RSS cannot see).
    assert own["rapidocr"] > 0
    # The loaded models keep the figure measured at their load.
    loaded = {m.key: m for m in pool.loaded()}
    assert {k: loaded[k].footprint_mb for k in IN_PROCESS} == own
    assert all(loaded[k].footprint_label == memory.LOAD_DELTA for k in IN_PROCESS)
    # It is what the budget counts when neither the config nor the engine says more.
    assert loaded["rapidocr"].memory_mb == own["rapidocr"]
    for result in results.values():  # every label is a key both tables know
        assert all(label in STRINGS["en"] and label in STRINGS["ru"] for label in result.metrics.memory_mb)
    assert memory_label("en", memory.APP_SHARED) == "RSS (app process, shared)"
    assert "общий" in memory_label("ru", memory.APP_SHARED)


def test_a_load_beside_another_models_request_neither_waits_nor_passes_for_clean(config, page):
    """A model loading while another in-process model runs a request: nothing waits for the measurement (a
    slow load must not hold up another column), and the figure says it was taken while another model ran."""
    class Hog(Engine):  # a request that takes 200 MiB a moment after it starts
        def stream(self, request):
            time.sleep(0.3)
            held = bytearray(200 * 2**20)
            time.sleep(2.7)
            yield EngineOutput(text=str(len(held)))

    class SlowLoad(Engine):  # a load that takes nothing, slowly
        def load(self):
            time.sleep(1.0)

        def stream(self, request):
            yield EngineOutput(text="ok")

    engines = {"tesseract": Hog, "rapidocr": SlowLoad}
    pool = ModelPool(config, create_engine=lambda entry: engines[entry.key](entry.key, None))
    try:
        list(pool.run("tesseract", PageRequest(page)))  # the hog is warm: its next request starts at once
        started = time.monotonic()
        ended = {}
        for key, event in pool.run_many(IN_PROCESS, PageRequest(page)):
            if isinstance(event, ModelResult):
                ended[key] = (event, time.monotonic() - started)
        assert all(r.status == Status.OK for r, _ in ended.values())
        # Its 1 s load ran beside the hog's 3 s request: waiting for it would have ended after 4 s.
        assert ended["rapidocr"][1] < 3.0
        figures = ended["rapidocr"][0].metrics
        assert figures.footprint_label == memory.LOAD_DELTA_OVERLAPPED
        assert memory.LOAD_DELTA not in figures.memory_mb
        # Alone, the same load is a clean figure.
        pool.unload("rapidocr")
        alone = list(pool.run("rapidocr", PageRequest(page)))[-1].metrics
        assert alone.footprint_label == memory.LOAD_DELTA and alone.footprint_mb < 50
    finally:
        pool.close()


def test_the_panel_total_is_the_sum_of_its_rows(two_engines):
    pool, _ = two_engines
    summary, table, pick = panel(pool).refresh()
    frame = table.data  # the numbers behind the localized view
    own = frame[f"{text('en', 'lm_col_own')}, MiB"]
    assert sorted(frame[text("en", "col_key")]) == sorted(IN_PROCESS)
    assert own.sum() > 0 and own.min() >= 0
    assert f"hold {measure('en', own.sum(), 'mib')} by themselves" in summary
    assert "RSS (app process, shared)" in summary
    assert set(frame[text("en", "lm_col_what")]) == {memory_label("en", memory.LOAD_DELTA)}
    assert sorted(pick["choices"]) == sorted(IN_PROCESS)


def test_an_unload_reports_the_measured_before_and_after(two_engines):
    pool, _ = two_engines
    held = {m.key: m.footprint_mb for m in pool.loaded()}["rapidocr"]
    rss_before = memory.rss_mb()
    report = pool.unload("rapidocr")
    rss_after = memory.rss_mb()
    assert report.unloaded and report.given_back == memory.RSS_APP
    before, after = report.before_mb[memory.RSS_APP], report.after_mb[memory.RSS_APP]
    # The figures are this process's RSS read around the unload, and the freed figure is their difference.
    assert abs(before - rss_before) < 5 and abs(after - rss_after) < 5
    assert report.given_back_mb() == round(before - after, 1)
    assert report.held_mb == {memory.LOAD_DELTA: held}
    shown = unload_summary(report, "en")
    assert measure("en", held, "mib") in shown and measure("en", report.given_back_mb(), "mib", 1) in shown
    # The panel now holds Tesseract alone, and its total follows.
    summary, table, _ = panel(pool).refresh()
    rows = table.data
    assert list(rows[text("en", "col_key")]) == ["tesseract"]
    assert f"hold {measure('en', rows.iloc[0, 1], 'mib')} by themselves" in summary


@pytest.mark.slow
def test_a_worker_model_reports_its_workers_rss(tiny_hf_cache, page):
    pool = ModelPool(isolated_config())
    try:
        result = list(pool.run("qwen_vl_2b", PageRequest(page)))[-1]
        assert result.status == Status.OK, result.message
        pid = pool._slots["qwen_vl_2b"].engine.pid
        worker_rss = memory.rss_mb(pid)
        assert result.metrics.footprint_label == memory.RSS_WORKER
        assert result.metrics.footprint_mb == pytest.approx(worker_rss, rel=0.1)
        assert list(result.metrics.memory_mb)[0] == memory.RSS_WORKER
        assert result.metrics.memory_mb[memory.APP_SHARED] == pytest.approx(memory.rss_mb(), rel=0.1)
        assert memory.LOAD_DELTA not in result.metrics.memory_mb  # its load is not the app's: nothing to measure
        (loaded,) = pool.loaded()
        assert loaded.footprint_label == memory.RSS_WORKER
        assert loaded.footprint_mb == pytest.approx(memory.rss_mb(pid), rel=0.1)
        report = pool.unload("qwen_vl_2b")
        # Its process ended: the machine got all of its RSS back.
        assert report.given_back == memory.RSS_WORKER and memory.RSS_WORKER not in report.after_mb
        assert report.given_back_mb() == report.before_mb[memory.RSS_WORKER] > 0
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    finally:
        pool.close()


@pytest.mark.slow
def test_the_panel_redraws_itself_after_a_run_and_an_unload(playwright, config, tmp_path):
    """In a browser, on a fresh app: nobody presses Refresh."""
    with serving(config) as url:
        context, page = open_page(playwright, tmp_path, "en-US")
        try:
            page.goto(url)
            page.get_by_text("Loaded models and memory").click()
            summary = page.locator("#models-summary")
            summary.get_by_text("No model is loaded").wait_for(timeout=TIMEOUT_MS)
            page.locator("#arena-document input[type=file]").set_input_files(str(PHOTOTEST))
            page.locator("#arena-preview img").wait_for(timeout=TIMEOUT_MS)
            page.get_by_role("button", name="Run").click()
            for key in IN_PROCESS:
                page.locator(f"#col-{key}-header").get_by_text("done").wait_for(timeout=TIMEOUT_MS)
            for key in IN_PROCESS:
                page.wait_for_function("key => document.querySelector('#models-loaded').innerText.includes(key)",
                                       arg=key, timeout=TIMEOUT_MS)
            held = re.search(r"hold ([\d,.]+)\s*MiB by themselves", summary.inner_text())
            assert held and float(held.group(1).replace(",", "")) > 0, summary.inner_text()
            # The column shows the model's own figure (its load beside Tesseract's: marked approximate, or not when
            # the two loads did not overlap), and the app's RSS labelled as shared.
            metrics = page.locator("#col-rapidocr-metrics").inner_text()
            assert re.search(r"RSS added by loading \((this model|≈: other models were busy)\)", metrics), metrics
            assert "RSS (app process, shared)" in metrics

            page.locator("#models-unload-pick input").click()
            page.get_by_role("option", name="rapidocr").click()
            page.locator("#models-unload").click()
            page.locator("#models-unload-report").get_by_text("given back").wait_for(timeout=TIMEOUT_MS)
            page.wait_for_function("() => !document.querySelector('#models-loaded').innerText.includes('rapidocr')",
                                   timeout=TIMEOUT_MS)
        finally:
            context.close()


@pytest.mark.slow
def test_a_managed_server_reports_its_own_processes_rss(tiny_hf_cache):
    """A vLLM server we started (a stand-in with the real command line): its processes' RSS, read with psutil."""
    from tests.test_vllm_managed import entry, make_pool, run
    from testkit.servers import free_port

    pool = make_pool(entry(free_port()))
    try:
        results, _ = run(pool, ["served"])
        result = results["served"]
        assert result.status == Status.OK, result.message
        pids = pool._slots["served"].engine.server.pids()
        assert result.metrics.footprint_label == memory.RSS_SERVER
        assert result.metrics.footprint_mb == pytest.approx(memory.processes_rss_mb(pids), rel=0.2)
        assert memory.LOAD_DELTA not in result.metrics.memory_mb
        (loaded,) = pool.loaded()
        assert loaded.footprint_label == memory.RSS_SERVER and loaded.footprint_mb > 50
        report = pool.unload("served")
        assert report.given_back == memory.RSS_SERVER and report.given_back_mb() == report.before_mb[memory.RSS_SERVER]
    finally:
        pool.close()
