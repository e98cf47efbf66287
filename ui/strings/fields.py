"""The Fields tab."""

EN: dict[str, str] = {
    "fields_intro": "Pull a document's fields out with several models: VLMs answer in JSON, OCR engines' text is "
                    "parsed by the template's rules. Rows where the models disagree are tinted; values that fail "
                    "their field's format are in bold amber.",
    "fields_template": "Document template",
    "fields_truth": "True field values (optional), as JSON, to score accuracy",
    "fields_run": "Extract fields",
    "fields_table": "Fields side by side",
    "fields_accuracy": "Field accuracy against the true values",
    "fields_raw": "Raw extraction (JSON): replies, values, format problems, repairs",
    "fields_done": "✓ {models} model(s), {pages} page(s), {seconds:.1f} s",
    "fields_err_template": "Choose a document template ({choices}).",
    "fields_err_truth": "The true field values are not a JSON object: {error}",
}

RU: dict[str, str] = {
    "fields_intro": "Извлечение полей документа несколькими моделями: VLM отвечают в JSON, текст OCR-движков "
                    "разбирается правилами шаблона. Строки, где модели расходятся, подсвечены; значения, не "
                    "прошедшие проверку формата, выделены жирным на жёлтом.",
    "fields_template": "Шаблон документа",
    "fields_truth": "Эталонные значения полей (необязательно), в JSON, для оценки точности",
    "fields_run": "Извлечь поля",
    "fields_table": "Поля рядом",
    "fields_accuracy": "Точность полей по эталону",
    "fields_raw": "Сырые данные (JSON): ответы, значения, ошибки формата, исправления",
    "fields_done": "✓ моделей: {models}, страниц: {pages}, {seconds:.1f} с",
    "fields_err_template": "Выберите шаблон документа ({choices}).",
    "fields_err_truth": "Эталонные значения — не объект JSON: {error}",
}
