"""The words of a benchmark's charts and report.html, in English and Russian.

The benchmarks library sits below the UI and cannot use its string tables (ui/strings/), so it keeps its own: the
Benchmark tab passes the page's language, `python -m benchmarks run --lang ru` the one asked for. Column headers of
the report's tables are the CSV's column names in English (so a reader finds them in summary.csv) and words in
Russian; a column with no entry keeps its name.
"""
from __future__ import annotations

LANGUAGES = ("en", "ru")

EN: dict[str, str] = {
    # charts (benchmarks/charts.py)
    "chart_pareto": "Accuracy vs latency",
    "chart_memory": "Memory, peak per model",
    "chart_cer": "CER per item",
    "chart_load": "Throughput vs latency",
    "axis_cer_mean": "CER, mean (lower is better)",
    "axis_field_accuracy": "field accuracy (higher is better)",
    "axis_latency_p50": "latency p50, s per page",
    "axis_model": "model",
    "axis_mib": "MiB",
    "axis_cer_item": "CER (per item)",
    "axis_pages_s": "pages/\u2060s",
    "axis_tokens_s": "output tokens/s",
    "axis_load_latency": "latency per page, s (p50 solid, p90 dotted)",
    "legend_models": "models",
    "legend_pareto": "Pareto front",
    "legend_latency": "{model}, latency {percentile}",
    "hover_load": "{model}<br>{in_flight} in flight: {pages_s} (output tokens/s {tokens_s})<br>latency {percentile} "
                  "{latency} s",
    # report.html (benchmarks/report.py, benchmarks/load_report.py)
    "title": "Benchmark",
    "run_line": "Run {run_id}, started {started}.",
    "dataset_line": "Dataset {dataset} ({items} items, {folder}); task {task}; {warmup} warm-up run(s), {repeats} "
                    "repeat(s) per item; text normalised: {normalization}.",
    "wall_line": "Wall time {wall} s for {engine} s of engine time",
    "overhead": " (benchmark overhead ×{ratio})",
    "sweep_line": "Concurrency sweep {levels} (requests in flight per model){target}: {wall} s.",
    "sweep_target": "; goodput counts pages within {slo} s",
    "no_plotly": "The charts need {file}, which is written beside this report: keep the two together.",
    "summary": "Summary",
    "per_field": "Field accuracy per field",
    "memory": "Memory (MiB, peak)",
    "errors": "Errors",
    "none": "none",
    "files_note": "Every column of every model is in summary.csv and results.csv beside this report.",
    "load_section": "Throughput under load",
    "not_swept": "not swept: {key}: {why}",
    "batched": "the engine ran several requests at once",
    "queued": "requests queue: the engine runs one at a time",
    "single": "one request in flight",
    # what a run is doing (the CLI's bar, the tab's progress)
    "progress_warmup": "warm-up {n}/{total}",
    "progress_in_flight": "{level} in flight",
    "progress_done": "done",
}

RU: dict[str, str] = {
    "chart_pareto": "Точность и задержка",
    "chart_memory": "Память, пик по модели",
    "chart_cer": "CER по документам",
    "chart_load": "Пропускная способность и задержка",
    "axis_cer_mean": "CER, среднее (меньше — лучше)",
    "axis_field_accuracy": "точность полей (больше — лучше)",
    "axis_latency_p50": "задержка p50, с на страницу",
    "axis_model": "модель",
    "axis_mib": "МиБ",
    "axis_cer_item": "CER (по документам)",
    "axis_pages_s": "страниц/\u2060с",
    "axis_tokens_s": "токенов/с на выходе",
    "axis_load_latency": "задержка на страницу, с (p50 сплошная, p90 пунктир)",
    "legend_models": "модели",
    "legend_pareto": "Парето-фронт",
    "legend_latency": "{model}, задержка {percentile}",
    "hover_load": "{model}<br>одновременно {in_flight}: {pages_s} (токенов/с на выходе {tokens_s})<br>задержка "
                  "{percentile} {latency} с",
    "title": "Бенчмарк",
    "run_line": "Прогон {run_id}, начат {started}.",
    "dataset_line": "Набор {dataset} (документов: {items}, {folder}); задача {task}; прогревочных запусков: {warmup}, "
                    "повторов на документ: {repeats}; нормализация текста: {normalization}.",
    "wall_line": "Общее время {wall} с, из них в движках {engine} с",
    "overhead": " (накладные расходы бенчмарка ×{ratio})",
    "sweep_line": "Серия по нагрузке {levels} (запросов одновременно на модель){target}: {wall} с.",
    "sweep_target": "; goodput считает страницы, прочитанные за {slo} с",
    "no_plotly": "Графикам нужен файл {file}, он записан рядом с отчётом: храните их вместе.",
    "summary": "Итоги",
    "per_field": "Точность по каждому полю",
    "memory": "Память (МиБ, пик)",
    "errors": "Ошибки",
    "none": "нет",
    "files_note": "Все столбцы по каждой модели — в summary.csv и results.csv рядом с этим отчётом.",
    "load_section": "Пропускная способность под нагрузкой",
    "not_swept": "без серии по нагрузке: {key}: {why}",
    "batched": "движок выполнял несколько запросов сразу",
    "queued": "запросы в очереди: движок выполняет по одному",
    "single": "один запрос за раз",
    "progress_warmup": "прогрев {n}/{total}",
    "progress_in_flight": "одновременно {level}",
    "progress_done": "готово",
}

# Table headers in Russian, by column name (summary.csv, load_summary.csv, the error table).
RU_COLUMNS: dict[str, str] = {
    "model": "модель", "item": "документ", "status": "статус", "message": "сообщение",
    "items": "документов", "errors": "ошибок", "cer_mean": "CER", "cer_folded_mean": "CER (похожие буквы совмещены)",
    "wer_mean": "WER", "word_f1_mean": "F1 по словам", "field_accuracy": "точность полей",
    "layout_overall_mean": "разметка, итог", "table_teds_mean": "TEDS таблиц",
    "reading_order_ed_mean": "порядок чтения (расст.)", "page_tests_passed_mean": "доля пройденных проверок",
    "latency_p50_s": "задержка p50, с", "latency_p90_s": "задержка p90, с", "latency_p99_s": "задержка p99, с",
    "pages_per_s": "страниц/\u2060с", "load_s": "загрузка, с", "chars_mean": "символов (среднее)",
    "concurrency": "одновременно", "requests": "запросов", "output_tokens_per_s": "токенов/с на выходе",
    "goodput_pages_per_s": "goodput, страниц/с", "ttft_p50_s": "TTFT p50, с", "ttft_p99_s": "TTFT p99, с",
    "tpot_p50_s": "TPOT p50, с", "tpot_p99_s": "TPOT p99, с", "itl_p50_s": "ITL p50, с", "itl_p99_s": "ITL p99, с",
    "batching": "одновременные запросы",
}
COLUMNS = {"en": {}, "ru": RU_COLUMNS}
TABLES = {"en": EN, "ru": RU}


def words(lang: str, key: str) -> str:
    """A string in `lang` (English for a language the report does not speak)."""
    return TABLES.get(lang, EN).get(key) or EN[key]


def column(lang: str, name: str) -> str:
    """A table header: the column's name in words of `lang`, or the name itself."""
    return COLUMNS.get(lang, {}).get(name, name)
