"""The loaded-models panel."""

EN: dict[str, str] = {
    "lm_budget": "Memory budget: {budget}; loaded models hold {used} by themselves (the sum of the rows below).",
    "lm_app": "{shared}: {app}, in-process models included.",
    "lm_none": "No model is loaded.",
    "lm_blind": "Models in a blind battle that awaits its vote are not listed until the vote.",
    "lm_unloaded": "Unloaded **{key}**.",
    "lm_unloaded_held": "Unloaded **{key}**, which held {held} by itself ({what}).",
    "lm_given_back": "{reading}: {before} before, {after} after: {freed} given back.",
    "lm_not_loaded": "**{key}** was not loaded.",
    "lm_col_own": "own memory",
    "lm_col_what": "measured as",
    "lm_col_budget": "counted against the budget",
    "lm_reading": "reading",
    "lm_before": "before, MiB",
    "lm_after": "after, MiB",
    "lm_freed": "freed, MiB",
}

RU: dict[str, str] = {
    "lm_budget": "Бюджет памяти: {budget}; загруженные модели сами занимают {used} (сумма строк ниже).",
    "lm_app": "{shared}: {app}, включая модели в этом процессе.",
    "lm_none": "Ни одна модель не загружена.",
    "lm_blind": "Модели слепой битвы, которая ждёт голоса, не показаны до голосования.",
    "lm_unloaded": "Модель **{key}** выгружена.",
    "lm_unloaded_held": "Модель **{key}** выгружена; сама она занимала {held} ({what}).",
    "lm_given_back": "{reading}: {before} до, {after} после: возвращено {freed}.",
    "lm_not_loaded": "Модель **{key}** не была загружена.",
    "lm_col_own": "своя память",
    "lm_col_what": "как измерено",
    "lm_col_budget": "учтено в бюджете",
    "lm_reading": "показатель",
    "lm_before": "до, МиБ",
    "lm_after": "после, МиБ",
    "lm_freed": "освобождено, МиБ",
}
