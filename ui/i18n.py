"""Every user-facing string, in English and Russian: the tables, and how a request picks its language.

Static labels go through `gr.I18n`, which follows the browser's locale. Text the server writes at run time
(statuses, metric lines, table headers) is translated here with `text(lang, key)`, using the request's
Accept-Language, or the language forced by `--lang` / config. The strings themselves live in ui/strings/.
"""
from __future__ import annotations

from typing import Any

from ui.strings import app, battles, benchmark, chat, details, fields, layout, memory, messages, models, samples, views

# One module per part of the app (ui/strings/), each with an EN and a RU table. Keys carry a prefix per part
# (`ar_`, `chat_`, `bench_`, ...): Gradio ships its own keys (image, file, plot, ...) and a clash renders wrongly.
PARTS = (app, views, chat, battles, fields, benchmark, layout, models, details, messages, memory, samples)


def _merged(lang: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for part in PARTS:
        strings = getattr(part, lang.upper())
        clashes = table.keys() & strings.keys()
        if clashes:  # two parts defining one key: one would silently win
            raise ValueError(f"i18n keys defined twice ({part.__name__}): {sorted(clashes)}")
        table |= strings
    return table


STRINGS: dict[str, dict[str, str]] = {"en": _merged("en"), "ru": _merged("ru")}

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
