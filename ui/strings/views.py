"""How results are shown: the diff, the comparison table and the charts."""

EN: dict[str, str] = {
    # The diff (ui/diff_view.py)
    "dv_mode": "Show the difference by",
    "dv_words": "words",
    "dv_chars": "characters",
    "dv_script_latin": "lat",
    "dv_script_cyrillic": "cyr",
    "dv_script_mixed": "lat+cyr",
    "dv_swap_title": "Look-alike letters: the truth has “{truth}”, which looks the same in the other script",
    "dv_mixed_title": "This word mixes Cyrillic and Latin letters; the underlined ones are the odd script",
    "dv_legend_swap": "look-alike letters of the other script (same on screen, each one an error): {count}",
    "dv_legend_mixed": "word mixing Cyrillic and Latin letters (the odd ones underlined): {count}",
    # The comparison table: short headers; ui/numbers.headed adds the unit the columns' metric lines use
    "tb_model": "model",
    "tb_status": "status",
    "tb_load": "load",
    "tb_latency": "time",
    "tb_chars": "chars",
    "tb_memory": "memory",
    "tb_cer": "CER",
    "tb_cer_folded": "CER (look-alikes folded)",
    "tb_wer": "WER",
    "tb_elements": "elements",
    "tb_message": "message",
    "ar_overlays_pages": "Detected lines are drawn on single-page runs only: this run read {pages} pages, and each "
                         "page's boxes are in the JSON export.",
}

RU: dict[str, str] = {
    "dv_mode": "Показывать отличия по",
    "dv_words": "словам",
    "dv_chars": "символам",
    "dv_script_latin": "лат",
    "dv_script_cyrillic": "кир",
    "dv_script_mixed": "лат+кир",
    "dv_swap_title": "Похожие буквы: в эталоне «{truth}», на экране то же, но другим алфавитом",
    "dv_mixed_title": "В слове смешаны кириллица и латиница; подчёркнуты буквы чужого алфавита",
    "dv_legend_swap": "похожие буквы другого алфавита (на экране то же, но каждая — ошибка): {count}",
    "dv_legend_mixed": "слово из кириллицы и латиницы вперемешку (чужие буквы подчёркнуты): {count}",
    "tb_model": "модель",
    "tb_status": "статус",
    "tb_load": "загрузка",
    "tb_latency": "время",
    "tb_chars": "символов",
    "tb_memory": "память",
    "tb_cer": "CER",
    "tb_cer_folded": "CER (похожие буквы совмещены)",
    "tb_wer": "WER",
    "tb_elements": "элементы",
    "tb_message": "сообщение",
    "ar_overlays_pages": "Найденные строки рисуются только для одной страницы: прочитано страниц — {pages}, рамки "
                         "каждой страницы есть в экспорте JSON.",
}
