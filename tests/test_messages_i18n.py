"""Engine and pool messages in the user's language. Every MessageCode has an English and a Russian summary; every
producer in backends gives a known code (checked on the shipped config's models, on the real engines' checks and
on real pool requests); the Russian UI shows "Summary — English detail" and the English UI the detail alone: in the
model status table from its first render, an unavailable model's arena column and the comparison table. A model
without the chosen task reads "not supported", never "unavailable"."""
from __future__ import annotations

import re

import pytest
from gradio_client import Client, handle_file

from backends.config import parse_config
from backends.contracts.engine import Engine
from backends.contracts.requests import PageRequest
from backends.contracts.results import Availability, MessageCode, ModelResult, Status
from backends.engines.openai.engine import OpenAIEngine, reachability
from backends.engines.rapidocr.engine import RapidOcrEngine
from backends.engines.tesseract.engine import TesseractEngine
from backends.pool import ModelPool
from backends.pool.availability import AvailabilityCache
from backends.registry import availability
from backends.runtime.weights import weights_availability
from core.arena_run import ArenaRun
from core.documents import load_image
from testkit.servers import free_port
from tests.conftest import PHOTOTEST, SAMPLES, SCREENSHOTS, TIMEOUT_MS
from ui.arena_view import comparison_table, header_cell, status_frame
from ui.i18n import STRINGS
from ui.messages import failure_lines, message_text, state_label, summary

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
QWEN_DETAIL = ("weights not downloaded (Qwen/Qwen3-VL-4B-Instruct). "
               "Run: python launch.py download qwen3_vl_4b")  # never installed by the tests
QWEN_RU = f"Веса не скачаны — {QWEN_DETAIL}"
NOT_SUPPORTED_RU = "не поддерживает эту задачу"
RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


@pytest.fixture(scope="module")
def pool(config):
    pool = ModelPool(config)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def page():
    return load_image(PHOTOTEST)


def final(events) -> ModelResult:
    return [e for e in events if isinstance(e, ModelResult)][-1]


# ----- the strings -----
def test_every_code_has_an_english_and_a_russian_summary():
    for code in MessageCode:
        english, russian = STRINGS["en"].get(f"msg_{code}"), STRINGS["ru"].get(f"msg_{code}")
        assert english and russian, code
        assert not CYRILLIC.search(english) and CYRILLIC.search(russian), (code, english, russian)
    extras = {"msg_not_ready", "msg_state_unsupported", "msg_failures"}
    assert {k for k in STRINGS["en"] if k.startswith("msg_")} == {f"msg_{c}" for c in MessageCode} | extras


def test_english_shows_the_detail_as_it_is_and_russian_puts_the_summary_first():
    code = MessageCode.WEIGHTS_MISSING
    assert message_text("en", code, QWEN_DETAIL) == QWEN_DETAIL  # no "Weights not downloaded — weights not …"
    assert message_text("auto", code, QWEN_DETAIL) == QWEN_DETAIL
    assert message_text("ru", code, QWEN_DETAIL) == QWEN_RU
    assert message_text("ru", MessageCode.TIMEOUT, "") == "Нет результата в срок"
    assert message_text("en", MessageCode.API_KEY_MISSING, "") == "API key not set"
    assert message_text("ru", "", "something unforeseen") == "something unforeseen"  # no code: as it is
    assert summary("ru", code) == "веса не скачаны" and summary("ru", "") == "не готова"


def test_a_model_without_the_task_is_not_supported_rather_than_unavailable():
    code = MessageCode.TASK_UNSUPPORTED
    assert state_label("ru", "unavailable", code) == NOT_SUPPORTED_RU
    assert state_label("en", "unavailable", code) == "not supported"
    assert state_label("ru", "unavailable", MessageCode.WEIGHTS_MISSING) == "недоступна"
    header = header_cell("Tesseract", "unavailable", "ru", code=code)
    assert NOT_SUPPORTED_RU in header and "недоступна" not in header and "⚠" not in header


def test_failures_are_listed_once_per_model_and_message():
    failures = [("Qwen", "unavailable", MessageCode.WEIGHTS_MISSING, QWEN_DETAIL)] * 3
    assert failure_lines("ru", failures) == f"Не удалось:\n- **Qwen** (недоступна): {QWEN_RU}"
    assert failure_lines("en", []) == ""


# ----- the producers -----
def test_a_no_without_a_known_code_is_refused_where_it_is_made():
    for code in ("", "made_up"):
        with pytest.raises(ValueError, match="MessageCode"):
            Availability(False, "something is missing", code=code)
    assert Availability(True).ok


def test_every_configured_model_that_cannot_run_here_says_why_with_a_known_code(config, tmp_path, monkeypatch):
    monkeypatch.setenv("ARENA_VLLM_ENV", str(tmp_path / "no-vllm"))  # whatever this machine has in envs/vllm
    pool = ModelPool(config)
    try:
        statuses = {key: pool.availability(key) for key in config.keys()}
        refused = {key: s for key, s in statuses.items() if not s.ok}
        assert {"qwen3_vl_4b", "dots_ocr", "got_ocr_ucas"} <= set(refused)
        for key, status in refused.items():
            assert status.code in set(MessageCode) and status.reason, key
        assert refused["qwen3_vl_4b"].code == MessageCode.WEIGHTS_MISSING
        assert refused["qwen3_vl_4b"].message == QWEN_DETAIL
        assert refused["dots_ocr"].code == MessageCode.ENGINE_MISSING  # vLLM is not installed
        assert refused["got_ocr_ucas"].code == MessageCode.ENV_MISSING
        assert pool.availability("no_such_model").code == MessageCode.UNKNOWN_MODEL
    finally:
        pool.close()


def test_each_availability_check_gives_its_code(config, tmp_path, monkeypatch):
    assert weights_availability("k", None, None).code == MessageCode.WEIGHTS_UNSET
    assert weights_availability("k", "nobody/none-such", None).code == MessageCode.WEIGHTS_MISSING
    assert reachability("ftp://example.org").code == MessageCode.NO_ENDPOINT
    assert reachability(f"http://127.0.0.1:{free_port()}/v1").code == MessageCode.UNREACHABLE
    remote = parse_config({"models": [
        {"key": "remote", "name": "Remote", "engine": "openai", "endpoint": "http://127.0.0.1:1/v1",
         "options": {"api_key_env": "ARENA_TEST_NO_SUCH_KEY"}},
        {"key": "tess", "name": "Tesseract", "engine": "tesseract", "options": {"tessdata": str(tmp_path)}},
    ]})
    monkeypatch.delenv("ARENA_TEST_NO_SUCH_KEY", raising=False)
    entry = remote.get("remote")
    assert OpenAIEngine.availability(entry).code == MessageCode.API_KEY_MISSING
    assert OpenAIEngine.availability(entry.model_copy(update={"endpoint": None})).code == MessageCode.NO_ENDPOINT
    assert TesseractEngine.availability(remote.get("tess")).code == MessageCode.LANGUAGE_DATA_MISSING
    monkeypatch.setattr(RapidOcrEngine, "requires", ("arena_no_such_package",))
    assert availability(config.get("rapidocr")).code == MessageCode.ENGINE_MISSING
    broken = AvailabilityCache(lambda entry: 1 / 0).get(config.get("tesseract"))
    assert broken.code == MessageCode.STATUS_CHECK_FAILED and "division by zero" in broken.reason


def test_each_failed_request_gives_its_code(config, page):
    class Failing(Engine):
        def load(self):
            pass

        def stream(self, request):
            yield "partial "
            raise RuntimeError("CUDA out of memory")

    def failing_load(entry):
        raise OSError("the weights are corrupt")

    pool = ModelPool(config)
    try:
        unsupported = final(pool.run("tesseract", PageRequest(page, task="layout")))
        assert (unsupported.status, unsupported.code) == (Status.UNAVAILABLE, MessageCode.TASK_UNSUPPORTED)
        missing = final(pool.run("qwen3_vl_4b", PageRequest(page)))
        assert (missing.code, missing.message) == (MessageCode.WEIGHTS_MISSING, QWEN_DETAIL)
        assert final(pool.run("no_such_model", PageRequest(page))).code == MessageCode.UNKNOWN_MODEL
    finally:
        pool.close()
    assert final(ModelPool(config, create_engine=failing_load).run("tesseract", PageRequest(page))).code == \
        MessageCode.LOAD_FAILED
    failing = ModelPool(config, create_engine=lambda entry: Failing(entry.key, None))
    assert final(failing.run("tesseract", PageRequest(page))).code == MessageCode.ENGINE_ERROR
    greedy = ModelPool(config, estimate_memory=lambda entry: 1e12)
    assert final(greedy.run("tesseract", PageRequest(page))).code == MessageCode.OVER_BUDGET
    raw = config.model_dump()
    for entry in raw["models"]:
        if entry["key"] == "tesseract_eng":
            entry["timeout_s"] = 0.02  # loading alone takes longer than this
    slow = ModelPool(parse_config(raw))
    late = dict(slow.run_many(["tesseract_eng"], PageRequest(page)))["tesseract_eng"]
    slow.close()
    assert (late.status, late.code) == (Status.TIMEOUT, MessageCode.TIMEOUT)


# ----- where they are shown -----
def test_the_status_table_and_the_comparison_table_speak_the_page_language(pool, page):
    def message_of(frame, lang):
        rows = frame.set_index(STRINGS[lang]["col_key"])
        return rows.at["qwen3_vl_4b", STRINGS[lang]["col_message"]]

    assert message_of(status_frame(pool, "en"), "en") == QWEN_DETAIL
    assert message_of(status_frame(pool, "ru"), "ru") == QWEN_RU
    run = ArenaRun(document="phototest.tif", task="layout")
    run.results = {"tesseract": final(pool.run("tesseract", PageRequest(page, task="layout"))),
                   "qwen3_vl_4b": final(pool.run("qwen3_vl_4b", PageRequest(page, task="layout")))}
    table = comparison_table(run, "ru")
    rows = dict(zip(table[STRINGS["ru"]["tb_model"]], table.to_dict("records")))
    tesseract, qwen = rows["Tesseract 5 (rus+eng)"], rows["Qwen3-VL-4B-Instruct"]
    assert tesseract[STRINGS["ru"]["tb_status"]] == NOT_SUPPORTED_RU
    assert tesseract[STRINGS["ru"]["tb_message"]].startswith("Не поддерживает эту задачу — this model does not offer")
    assert qwen[STRINGS["ru"]["tb_status"]] == "недоступна" and qwen[STRINGS["ru"]["tb_message"]] == QWEN_RU


@pytest.mark.slow
def test_a_russian_browser_gets_russian_columns_through_the_api(served_app, config):
    """run_arena as a Russian browser calls it: the unavailable model's column and the table say it in Russian; an
    English one gets the English detail alone."""
    keys = config.keys()
    column = 6 + 4 * keys.index("qwen3_vl_4b")  # the fixed outputs (no State), then header/text/metrics/diff
    russian = Client(served_app, verbose=False, headers=RUSSIAN)
    outputs = russian.predict(handle_file(str(PHOTOTEST)), ["tesseract", "qwen3_vl_4b"], "", "ocr",
                              api_name="/run_arena")
    assert "недоступна" in outputs[column] and f"**{QWEN_RU}**" in outputs[column + 2]
    assert QWEN_RU in [cell for row in outputs[1]["value"]["data"] for cell in row]
    english = Client(served_app, verbose=False, headers={"Accept-Language": "en-US"}).predict(
        handle_file(str(PHOTOTEST)), ["qwen3_vl_4b"], "", "ocr", api_name="/run_arena")
    assert f"**{QWEN_DETAIL}**" in english[column + 2] and "Weights not downloaded" not in english[column + 2]
    layout = russian.predict(handle_file(str(PHOTOTEST)), ["tesseract"], "", "layout", api_name="/run_arena")
    header = layout[6 + 4 * keys.index("tesseract")]
    assert NOT_SUPPORTED_RU in header and "недоступна" not in header


@pytest.mark.slow
def test_the_model_status_table_is_russian_from_the_first_render(playwright, served_app, tmp_path):
    from tests.test_browser import open_page

    context, page = open_page(playwright, tmp_path, "ru-RU")
    try:
        page.goto(served_app)
        page.get_by_text("Состояние моделей", exact=True).first.click()
        table = page.locator("#arena-model-status")
        table.get_by_text("Веса не скачаны — weights not downloaded (Qwen/Qwen3-VL-4B-Instruct)").first.wait_for(
            timeout=TIMEOUT_MS)
        assert "weights not downloaded" not in table.inner_text().replace("Веса не скачаны — weights not downloaded",
                                                                          "")
        page.screenshot(path=str(SCREENSHOTS / "model-status-ru.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.slow
def test_the_fields_and_benchmark_tabs_list_a_failed_model_in_russian(served_app):
    """Both tabs' status lines name each model that failed, with the Russian summary before the English detail."""
    russian = Client(served_app, verbose=False, headers=RUSSIAN)
    licence = handle_file(str(SAMPLES / "ru_licences" / "images" / "licence_01.png"))
    status = russian.predict(licence, "ru_driver_license", ["tesseract", "qwen3_vl_4b"], "", "1",
                             api_name="/extract_fields")[0]
    assert f"Не удалось:\n- **Qwen3-VL-4B-Instruct** (недоступна): {QWEN_RU}" in status
    status = russian.predict("ru_licences", None, ["qwen3_vl_4b"], 1, 0, 1, False, api_name="/run_benchmark")[0]
    assert f"- **Qwen3-VL-4B-Instruct** (недоступна): {QWEN_RU}" in status
