"""The Fields tab."""

EN: dict[str, str] = {
    "fields_intro": "Pull a document's fields out with several models: VLMs answer in JSON, OCR engines' text is "
                    "parsed by the template's rules. Rows where the models disagree are tinted; values that fail "
                    "their field's format are in bold amber; look-alike letters (a Latin A for a Cyrillic А) are "
                    "marked in violet, and values put back in their field's script in blue, with what was read.",
    "fields_template": "Document template",
    "fields_truth": "True field values (optional), as JSON, to score accuracy",
    "fields_run": "Extract fields",
    "fields_table": "Fields side by side",
    "fields_accuracy": "Field accuracy against the true values",
    "fields_raw": "Raw extraction (JSON): replies, values, format problems, repairs",
    "fields_done": "✓ {models} model(s), {pages} page(s), {seconds}",
    "fields_err_template": "Choose a document template ({choices}).",
    "fields_err_truth": "The true field values are not a JSON object: {error}",
    "fields_col_page": "Page",
    "fields_col_field": "Field",
    "fields_col_label": "Label",
    "fields_col_agree": "Agree",
    "fields_col_format_failed": "Format failed",
    "fields_col_truth": "Truth",
    "fields_col_model": "Model",
    "fields_col_accuracy": "Accuracy",
    "fields_mark_corrected": "⟲ read as «{detail}»: look-alike letters put in the field's script",
    "fields_mark_lookalike_latin": "⚠ look-alike letters: Latin where the truth has Cyrillic",
    "fields_mark_lookalike_cyrillic": "⚠ look-alike letters: Cyrillic where the truth has Latin",
    "fields_mark_lookalike_greek": "⚠ look-alike letters: Greek where the truth has Cyrillic",
    "fields_mark_mixed": "⚠ Cyrillic and Latin letters in one word: {detail}",
}

RU: dict[str, str] = {
    "fields_intro": "Извлечение полей документа несколькими моделями: VLM отвечают в JSON, текст OCR-движков "
                    "разбирается правилами шаблона. Строки, где модели расходятся, подсвечены; значения, не "
                    "прошедшие проверку формата, выделены жирным на жёлтом; буквы-двойники (латинская A вместо "
                    "кириллической А) отмечены фиолетовым, а значения, переведённые в алфавит поля, — синим, с "
                    "тем, что было прочитано.",
    "fields_template": "Шаблон документа",
    "fields_truth": "Эталонные значения полей (необязательно), в JSON, для оценки точности",
    "fields_run": "Извлечь поля",
    "fields_table": "Поля рядом",
    "fields_accuracy": "Точность полей по эталону",
    "fields_raw": "Сырые данные (JSON): ответы, значения, ошибки формата, исправления",
    "fields_done": "✓ моделей: {models}, страниц: {pages}, {seconds}",
    "fields_err_template": "Выберите шаблон документа ({choices}).",
    "fields_err_truth": "Эталонные значения — не объект JSON: {error}",
    "fields_col_page": "Стр.",
    "fields_col_field": "Поле",
    "fields_col_label": "Название",
    "fields_col_agree": "Согласие",
    "fields_col_format_failed": "Ошибка формата",
    "fields_col_truth": "Эталон",
    "fields_col_model": "Модель",
    "fields_col_accuracy": "Точность",
    "fields_mark_corrected": "⟲ прочитано «{detail}»: буквы-двойники переведены в алфавит поля",
    "fields_mark_lookalike_latin": "⚠ буквы-двойники: латиница там, где в эталоне кириллица",
    "fields_mark_lookalike_cyrillic": "⚠ буквы-двойники: кириллица там, где в эталоне латиница",
    "fields_mark_lookalike_greek": "⚠ буквы-двойники: греческие там, где в эталоне кириллица",
    "fields_mark_mixed": "⚠ кириллица и латиница в одном слове: {detail}",
}
