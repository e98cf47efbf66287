"""Strings: the bundled samples' thumbnails (ui/document_picker.py) in the arena, chat and fields tabs."""

EN: dict[str, str] = {
    "smp_pick": "Samples: click one to load it with its true text",
    "smp_chat_pick": "Samples: click one to talk about it",
    "smp_fields_pick": "Sample cards: click one to load it with its true field values",
}

RU: dict[str, str] = {
    "smp_pick": "Примеры: нажмите, чтобы загрузить документ вместе с верным текстом",
    "smp_chat_pick": "Примеры: нажмите, чтобы обсудить документ",
    "smp_fields_pick": "Примеры удостоверений: нажмите, чтобы загрузить карточку вместе с верными значениями полей",
}
