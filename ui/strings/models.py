"""The loaded-models panel."""

EN: dict[str, str] = {
    "lm_budget": "Memory budget: {budget} MiB; loaded models hold about {used} MiB.",
    "lm_none": "No model is loaded.",
    "lm_unloaded": "Unloaded **{key}**.",
    "lm_not_loaded": "**{key}** was not loaded.",
    "lm_reading": "reading",
    "lm_before": "before, MiB",
    "lm_after": "after, MiB",
    "lm_freed": "freed, MiB",
}

RU: dict[str, str] = {
    "lm_budget": "Бюджет памяти: {budget} МиБ; загруженные модели занимают около {used} МиБ.",
    "lm_none": "Ни одна модель не загружена.",
    "lm_unloaded": "Модель **{key}** выгружена.",
    "lm_not_loaded": "Модель **{key}** не была загружена.",
    "lm_reading": "показатель",
    "lm_before": "до, МиБ",
    "lm_after": "после, МиБ",
    "lm_freed": "освобождено, МиБ",
}
