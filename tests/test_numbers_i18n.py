"""Numbers, plurals and units in the page's language: the arena's columns and table, and the Benchmark tab with its
report.html, in Russian (hand-checked forms: 1 символ, 3 символа, 5 символов, 11 символов, 21 символ; 18 829; 1,5)."""
import re
import subprocess
import sys

import gradio as gr
import pytest

from backends.contracts.results import Metrics, ModelResult, Status
from backends.pool import ModelPool
from benchmarks.report_strings import EN as REPORT_EN, RU_COLUMNS
from core.arena_run import ArenaRun
from core.exports import ExportFolder
from core.numbers import number, plural, plural_categories, rounded
from ui.arena_view import comparison_table, metrics_line
from ui.benchmark_tab import BenchmarkTab
from ui.i18n import STRINGS
from ui.numbers import counted, measure
from ui.toasts import error
from tests.conftest import ROOT, SAMPLES

NBSP = "\u00a0"
CHARS_RU = {"one": "символ", "few": "символа", "many": "символов", "other": "символа"}
COUNTED_KEYS = ("m_chars", "m_lines", "m_tokens", "m_runs")


@pytest.mark.parametrize("n, word", [(1, "символ"), (3, "символа"), (5, "символов"), (11, "символов"),
                                     (21, "символ"), (22, "символа"), (111, "символов"), (284, "символа")])
def test_russian_plurals_follow_the_number(n, word):
    assert plural("ru", n, CHARS_RU) == word
    assert counted("ru", n, "m_chars") == f"{n}{NBSP}{word}"


def test_english_plurals_and_a_missing_form_falls_back_to_other():
    assert [counted("en", n, "m_chars") for n in (1, 2)] == [f"1{NBSP}char", f"2{NBSP}chars"]
    assert plural("ru", 5, {"one": "x", "other": "y"}) == "y"


def test_numbers_are_grouped_and_separated_as_the_language_writes_them():
    assert number("ru", 18829) == f"18{NBSP}829"  # a no-break space: the figure never wraps
    assert number("en", 18829) == "18,829"
    assert number("ru", 1.5, 1) == "1,5" and number("en", 1.5, 1) == "1.5"
    assert number("ru", 1501.6666667, 2) == f"1{NBSP}501,67"
    assert rounded("ru", 0.25, 4) == "0,25" and rounded("en", 3.0, 4) == "3"
    assert measure("ru", 18829.4, "mib") == f"18{NBSP}829{NBSP}МиБ"
    assert measure("ru", 1.5, "s", 1) == f"1,5{NBSP}с"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_counted_word_has_each_form_its_language_needs(lang):
    for key in COUNTED_KEYS:
        for category in plural_categories(lang):
            assert STRINGS[lang].get(f"{key}_{category}"), f"{lang}: {key}_{category} missing"


def licence_result() -> ModelResult:
    metrics = Metrics(load_s=1.25, latency_s=1501.6666667, chars=284, tokens_per_s=12.5, output_tokens=21,
                      memory_mb={"RSS": 18829.4})
    return ModelResult("ocr", "Reader", Status.OK, text="x" * 284, metrics=metrics)


def test_the_russian_column_and_table_use_the_same_units():
    result = licence_result()
    line = metrics_line(result, "ru")
    assert f"284{NBSP}символа" in line and f"21{NBSP}токен" in line and "символов" not in line
    assert f"1{NBSP}501,67{NBSP}с" in line and f"1,25{NBSP}с" in line and f"12,5{NBSP}токенов/\u2060с" in line
    assert f"18{NBSP}829{NBSP}МиБ" in line
    assert not re.search(r"\d\ss\b|MiB|tokens/s|\d\.\d", line)  # no English unit, no decimal point

    run = ArenaRun("page.png")
    run.results = {"ocr": result}
    table = comparison_table(run, "ru")
    units = {header.rsplit(", ", 1)[1] for header in table.columns if ", " in header}
    assert units <= {"с", "МиБ"} and "с" in units  # the units the column's line uses, and no other
    assert "токенов/\u2060с" in table.columns
    [row] = table.to_dict("records")
    assert row["время, с"] == f"1{NBSP}501,67" and row["загрузка, с"] == "1,25"


def test_a_toast_is_titled_in_the_page_language():
    assert error("ru", "Отметьте хотя бы одну модель.").title == "Ошибка"
    assert error("en", "Tick at least one model.").title == "Error"


class Progress:
    """Records what the tab reports, as Gradio's progress bar would show it: "done/total unit"."""

    def __init__(self):
        self.shown = []

    def __call__(self, progress, desc=None, unit=None):
        done, total = progress
        self.shown.append(f"{desc}: {done}/{total} {unit}")


@pytest.fixture(scope="module")
def russian_run(config, tmp_path_factory):
    """The Benchmark tab in Russian: Tesseract over two licences, its progress and its files."""
    history = tmp_path_factory.mktemp("history") / "history.sqlite"
    settings = config.app.model_copy(update={"benchmark_history": str(history)})
    pool = ModelPool(config.model_copy(update={"app": settings}))
    tab = BenchmarkTab(pool, "ru", gr.I18n(), exports=ExportFolder())
    progress = Progress()
    try:
        outputs = tab.run("ru_licences", None, ["tesseract_eng"], 1, 0, 2, False, "", 0, progress=progress)
    finally:
        pool.close()
    return outputs, progress.shown


def test_the_benchmark_progress_counts_runs_in_russian(russian_run):
    _, shown = russian_run
    assert shown[-1] == "готово: 2/2 прогона" and any(line.endswith(": 1/2 прогона") for line in shown)
    assert not any("runs" in line or "done" in line for line in shown)


def test_the_benchmark_table_and_charts_are_russian(russian_run):
    (status, table, pareto, memory, cer_plot, files, _) = russian_run[0]
    assert "документов: 2" in status and not re.search(r"\d\.\d с", status)
    cells = gr.DataFrame(interactive=False).postprocess(table)
    assert cells.headers[:3] == ["модель", "документов", "ошибок"]
    shown_cer = cells.metadata["display_value"][0][cells.headers.index("CER")]
    assert re.fullmatch(r"0,\d+|0", shown_cer)  # a decimal comma, while the value stays a number
    assert isinstance(cells.data[0][cells.headers.index("CER")], float)
    assert pareto.layout.xaxis.title.text == "задержка p50, с на страницу" and pareto.layout.separators == f",{NBSP}"
    assert [trace.name for trace in pareto.data] == ["модели", "Парето-фронт"]
    assert memory.layout.yaxis.title.text == "МиБ" and cer_plot.layout.title.text == "CER по документам"


def test_report_html_is_written_in_russian(russian_run):
    files = russian_run[0][5]
    page = next(open(f, encoding="utf-8").read() for f in files if f.endswith("report.html"))
    for words in ("Итоги", "Ошибки", "Точность и задержка", "задержка p50, с на страницу", "Парето-фронт", "МиБ"):
        assert words in page or words.encode("unicode_escape").decode() in page, words
    headers = re.findall(r"<th>([^<]*)</th>", page)
    assert headers and "модель" in headers and "задержка p50, с" in headers
    assert "пиковый RSS (приложение и воркеры)" in headers  # the memory labels in the tab's words
    english = {name for name in RU_COLUMNS if name not in RU_COLUMNS.values()}
    assert not english & set(headers), english & set(headers)  # no column keeps its English name
    for words in (REPORT_EN["summary"], REPORT_EN["chart_pareto"], REPORT_EN["legend_pareto"], "Wall time"):
        assert words not in page, words
    assert re.search(r"Общее время \d+,\d с", page)


def test_the_cli_writes_report_html_in_the_language_asked_for(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "run", "--models", "tesseract_eng", "--dataset",
         str(SAMPLES / "ru_licences"), "--limit", "1", "--out", str(out), "--history", str(tmp_path / "h.sqlite"),
         "--lang", "ru"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in page and "<h2>Итоги</h2>" in page and "Парето-фронт" in page
    assert "<th>cer_mean</th>" not in page and "<th>CER</th>" in page
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Summary" in markdown and " cer_mean " in markdown  # report.md stays English, with the CSV's names
