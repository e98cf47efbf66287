"""Every user-facing string, in English and Russian, in one place.

Static labels go through `gr.I18n`, which follows the browser's locale. Text the server writes at run time
(statuses, metric lines, table headers) is translated here with `text(lang, key)`, using the request's
Accept-Language, or the language forced by `--lang` / config.
"""
from __future__ import annotations

from typing import Any

# Keys carry an `ar_` prefix: Gradio ships its own keys (image, file, plot, …) and a clash renders wrongly.
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "ar_title": "# OCR & VLM Arena",
        "ar_intro": "Drop in a document image, tick several models and compare what they read, side by side. "
                    "Add the true text to score accuracy.",
        "ar_tab_arena": "Arena",
        "ar_document": "Document (PNG, JPEG, TIFF, WebP, BMP)",
        "ar_preview": "Preview",
        "ar_models": "Models",
        "ar_task": "Task",
        "task_ocr": "Text (OCR)",
        "task_layout": "Layout (JSON / Markdown with boxes)",
        "ar_ground_truth": "Ground truth (optional): the document's true text, to score accuracy",
        "ar_run": "Run",
        "ar_examples": "Sample documents",
        "ar_model_status": "Model status",
        "ar_refresh": "Refresh status",
        "ar_results": "Comparison",
        "ar_table": "Comparison table",
        "ar_chart_speed": "Speed",
        "ar_chart_output": "Output",
        "ar_chart_accuracy": "Accuracy",
        "ar_overlays": "Detected lines",
        "ar_export": "Export (CSV, JSON)",
        "ar_raw": "Raw results (JSON)",
        "ar_text": "Text",
        "ar_diff": "Difference from the ground truth",
        # run-time strings
        "st_queued": "queued",
        "st_loading": "loading the model…",
        "st_running": "running…",
        "st_ok": "done",
        "st_error": "error",
        "st_unavailable": "unavailable",
        "st_timeout": "timed out",
        "st_cut": "output cut",
        "m_load": "load",
        "m_warm": "warm",
        "m_latency": "latency",
        "m_chars": "chars",
        "m_tokens_s": "tokens/s",
        "m_lines": "lines",
        "m_first_token": "first token",
        "m_tokens": "tokens",
        "col_model": "model",
        "col_status": "status",
        "col_load_s": "load s",
        "col_latency_s": "latency s",
        "col_chars": "chars",
        "col_tokens_s": "tokens/s",
        "col_memory": "memory MiB",
        "col_cer": "CER",
        "col_wer": "WER",
        "col_message": "message",
        "col_engine": "engine",
        "col_languages": "reads",
        "col_key": "key",
        "col_ready": "ready",
        "ch_load": "load",
        "ch_inference": "inference",
        "ch_seconds": "seconds",
        "ch_chars": "characters",
        "ch_truth_chars": "ground truth",
        "ch_error_rate": "error rate (lower is better)",
        "err_no_document": "Upload a document image first.",
        "err_no_models": "Tick at least one model.",
        "yes": "yes",
        "no": "no",
        "diff_missing": "missing",
        "diff_extra": "extra",
        "RSS (app process)": "RSS (app process)",
        "RSS (worker process)": "RSS (worker process)",
        "weights (parameters in RAM)": "weights (parameters in RAM)",
        "CUDA allocated after load (weights)": "CUDA allocated after load (weights)",
        "CUDA peak allocated (request)": "CUDA peak allocated (request)",
        "CUDA peak reserved (request)": "CUDA peak reserved (request)",
        "NVML used by process (incl. CUDA context)": "NVML used by process (incl. CUDA context)",
        "CUDA allocated (app process)": "CUDA allocated (app process)",
        "device": "device",
        "attention": "attention",
        "family": "family",
        "processor": "processor",
        "process": "process",
        "cut": "cut",
        "evicted": "evicted",
        "restarted": "restarted",
        "ar_loaded": "Loaded models and memory",
        "ar_loaded_refresh": "Refresh",
        "ar_unload_pick": "Model to unload",
        "ar_unload": "Unload",
        "lm_budget": "Memory budget: {budget} MiB; loaded models hold about {used} MiB.",
        "lm_none": "No model is loaded.",
        "lm_unloaded": "Unloaded **{key}**.",
        "lm_not_loaded": "**{key}** was not loaded.",
        "lm_reading": "reading",
        "lm_before": "before, MiB",
        "lm_after": "after, MiB",
        "lm_freed": "freed, MiB",
        "col_memory_est": "memory, MiB",
        "col_idle_s": "idle, s",
        "col_busy": "busy",
    },
    "ru": {
        "ar_title": "# Арена OCR и VLM",
        "ar_intro": "Загрузите изображение документа, отметьте несколько моделей и сравните, что они прочитали, "
                    "рядом друг с другом. Добавьте верный текст, чтобы оценить точность.",
        "ar_tab_arena": "Арена",
        "ar_document": "Документ (PNG, JPEG, TIFF, WebP, BMP)",
        "ar_preview": "Просмотр",
        "ar_models": "Модели",
        "ar_task": "Задача",
        "task_ocr": "Текст (OCR)",
        "task_layout": "Разметка (JSON / Markdown с рамками)",
        "ar_ground_truth": "Эталон (необязательно): верный текст документа для оценки точности",
        "ar_run": "Запустить",
        "ar_examples": "Примеры документов",
        "ar_model_status": "Состояние моделей",
        "ar_refresh": "Обновить состояние",
        "ar_results": "Сравнение",
        "ar_table": "Сравнительная таблица",
        "ar_chart_speed": "Скорость",
        "ar_chart_output": "Объём текста",
        "ar_chart_accuracy": "Точность",
        "ar_overlays": "Найденные строки",
        "ar_export": "Экспорт (CSV, JSON)",
        "ar_raw": "Исходные результаты (JSON)",
        "ar_text": "Текст",
        "ar_diff": "Отличия от эталона",
        "st_queued": "в очереди",
        "st_loading": "загрузка модели…",
        "st_running": "распознавание…",
        "st_ok": "готово",
        "st_error": "ошибка",
        "st_unavailable": "недоступна",
        "st_timeout": "превышено время",
        "st_cut": "вывод обрезан",
        "m_load": "загрузка",
        "m_warm": "уже загружена",
        "m_latency": "время",
        "m_chars": "символов",
        "m_tokens_s": "токенов/с",
        "m_lines": "строк",
        "m_first_token": "первый токен",
        "m_tokens": "токенов",
        "col_model": "модель",
        "col_status": "статус",
        "col_load_s": "загрузка, с",
        "col_latency_s": "время, с",
        "col_chars": "символов",
        "col_tokens_s": "токенов/с",
        "col_memory": "память, МиБ",
        "col_cer": "CER",
        "col_wer": "WER",
        "col_message": "сообщение",
        "col_engine": "движок",
        "col_languages": "языки",
        "col_key": "ключ",
        "col_ready": "готова",
        "ch_load": "загрузка",
        "ch_inference": "распознавание",
        "ch_seconds": "секунды",
        "ch_chars": "символы",
        "ch_truth_chars": "эталон",
        "ch_error_rate": "доля ошибок (меньше — лучше)",
        "err_no_document": "Сначала загрузите изображение документа.",
        "err_no_models": "Отметьте хотя бы одну модель.",
        "yes": "да",
        "no": "нет",
        "diff_missing": "пропущено",
        "diff_extra": "лишнее",
        "RSS (app process)": "RSS (процесс приложения)",
        "RSS (worker process)": "RSS (рабочий процесс)",
        "weights (parameters in RAM)": "веса (параметры в ОЗУ)",
        "CUDA allocated after load (weights)": "CUDA занято после загрузки (веса)",
        "CUDA peak allocated (request)": "CUDA пик занятой памяти (запрос)",
        "CUDA peak reserved (request)": "CUDA пик зарезервированной памяти (запрос)",
        "NVML used by process (incl. CUDA context)": "NVML память процесса (с контекстом CUDA)",
        "CUDA allocated (app process)": "CUDA занято (процесс приложения)",
        "device": "устройство",
        "attention": "внимание (attention)",
        "family": "семейство",
        "processor": "процессор",
        "process": "процесс",
        "cut": "обрезано",
        "evicted": "выгружены",
        "restarted": "перезапуск",
        "ar_loaded": "Загруженные модели и память",
        "ar_loaded_refresh": "Обновить",
        "ar_unload_pick": "Модель для выгрузки",
        "ar_unload": "Выгрузить",
        "lm_budget": "Бюджет памяти: {budget} МиБ; загруженные модели занимают около {used} МиБ.",
        "lm_none": "Ни одна модель не загружена.",
        "lm_unloaded": "Модель **{key}** выгружена.",
        "lm_not_loaded": "Модель **{key}** не была загружена.",
        "lm_reading": "показатель",
        "lm_before": "до, МиБ",
        "lm_after": "после, МиБ",
        "lm_freed": "освобождено, МиБ",
        "col_memory_est": "память, МиБ",
        "col_idle_s": "простой, с",
        "col_busy": "занята",
    },
}

LANGUAGES = tuple(STRINGS)


def text(lang: str, key: str) -> str:
    return STRINGS.get(lang, STRINGS["en"]).get(key) or STRINGS["en"][key]


def memory_label(lang: str, label: str) -> str:
    """Memory figures are labelled by the engines in English; translate the labels we know."""
    return STRINGS.get(lang, {}).get(label, label)


def request_language(request, forced: str = "auto") -> str:
    """The language for a Gradio request: forced, else its Accept-Language header, else English."""
    header = request.headers.get("accept-language") if request is not None else None
    return language_from_header(header, forced)


def language_from_header(accept_language: str | None, forced: str = "auto") -> str:
    """The UI language: the forced one, else the browser's first supported language, else English."""
    if forced in STRINGS:
        return forced
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in STRINGS:
            return tag
    return "en"


def gradio_translations(forced: str = "auto") -> dict[str, Any]:
    """Keyword arguments for `gr.I18n`. A forced language is served to every browser locale we know."""
    if forced in STRINGS:
        return {lang: STRINGS[forced] for lang in STRINGS}
    return dict(STRINGS)
