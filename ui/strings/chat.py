"""The Chat tab, one model or side by side."""

EN: dict[str, str] = {
    "chat_model": "Model",
    "chat_page": "PDF page",
    "chat_history": "Conversation",
    "chat_placeholder": "Attach the document (image or PDF) and ask about it, e.g. “What is the expiry date?”",
    "chat_from_arena": "Use the arena's document",
    "chat_ocr": "Read the text (OCR)",
    "chat_retry": "Retry",
    "chat_clear": "Clear",
    "chat_can": "**{name}** chats about the document: ask anything, follow up; the reply streams.",
    "chat_cannot": "**{name}** cannot chat: it only reads text (its tasks: {tasks}). Use “Read the text (OCR)” to "
                   "see what it reads.",
    "chat_unavailable": "Not ready on this machine: {message}",
    "chat_err_no_document": "Attach a document image (or a PDF) first, or use the arena's document.",
    "chat_err_no_question": "Type a question.",
    "chat_err_nothing_to_retry": "There is no question to ask again.",
    "chat_err_no_arena_document": "The arena has no document yet.",
    "chat_sbs": "Side by side: one question, several models",
    "chat_sbs_intro": "Each model keeps its own conversation about this document and sees only its own earlier "
                      "answers. Models that cannot chat read the page instead, marked OCR.",
    "chat_sbs_models": "Models side by side",
    "chat_sbs_good": "✓ Good answer",
    "chat_sbs_poor": "✗ Poor answer",
    "chat_sbs_clear": "Clear",
    "chat_sbs_question": "Question",
    "chat_sbs_ask": "Ask them all",
    "chat_sbs_export": "Transcripts (Markdown and JSON)",
    "chat_sbs_done": "Every column has its answer.",
    "chat_sbs_too_many": "Tick at most {count} models for a side-by-side question.",
    "chat_sbs_capped": "This conversation holds its {turns} turns (app.chat_max_turns): clear it or export it to go "
                       "on.",
    "chat_sbs_nothing_to_rate": "There is no answer to rate yet in this column.",
    "chat_not_sent": "Not sent to the model",
}

RU: dict[str, str] = {
    "chat_model": "Модель",
    "chat_page": "Страница PDF",
    "chat_history": "Диалог",
    "chat_placeholder": "Приложите документ (изображение или PDF) и спросите о нём, например: «До какого числа "
                        "действует?»",
    "chat_from_arena": "Взять документ из арены",
    "chat_ocr": "Прочитать текст (OCR)",
    "chat_retry": "Повторить",
    "chat_clear": "Очистить",
    "chat_can": "**{name}** отвечает на вопросы о документе, можно уточнять; ответ появляется по мере генерации.",
    "chat_cannot": "**{name}** не умеет вести диалог: только читает текст (задачи: {tasks}). Нажмите «Прочитать "
                   "текст (OCR)», чтобы увидеть, что она читает.",
    "chat_unavailable": "На этой машине не готова: {message}",
    "chat_err_no_document": "Сначала приложите изображение документа (или PDF) либо возьмите документ из арены.",
    "chat_err_no_question": "Напишите вопрос.",
    "chat_err_nothing_to_retry": "Нет вопроса, который можно повторить.",
    "chat_err_no_arena_document": "В арене ещё нет документа.",
    "chat_sbs": "Бок о бок: один вопрос нескольким моделям",
    "chat_sbs_intro": "У каждой модели свой диалог об этом документе, и она видит только свои прежние ответы. "
                      "Модели, которые не умеют вести диалог, вместо ответа читают страницу (помечено OCR).",
    "chat_sbs_models": "Модели бок о бок",
    "chat_sbs_good": "✓ Хороший ответ",
    "chat_sbs_poor": "✗ Плохой ответ",
    "chat_sbs_clear": "Очистить",
    "chat_sbs_question": "Вопрос",
    "chat_sbs_ask": "Спросить всех",
    "chat_sbs_export": "Расшифровки (Markdown и JSON)",
    "chat_sbs_done": "Во всех столбцах есть ответ.",
    "chat_sbs_too_many": "Для вопроса бок о бок отметьте не больше {count} моделей.",
    "chat_sbs_capped": "В этом диалоге уже {turns} ходов (app.chat_max_turns): очистите или выгрузите его, чтобы "
                       "продолжить.",
    "chat_sbs_nothing_to_rate": "В этом столбце ещё нет ответа для оценки.",
    "chat_not_sent": "Не отправлено модели",
}
