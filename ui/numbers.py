"""Figures with their units and counted words, in the page's language: "1,50 с", "18 829 МиБ", "284 символа".

The number rules are core/numbers.py's (CLDR, through Babel); the words are the string tables'. A counted word has
one key per plural category (`m_chars_one`, `m_chars_few`, ...), and a unit one key (`m_s`, `m_mib`,
`m_tokens_s`), which the arena's columns, its table headers and the chat's speed line all share.
"""
from __future__ import annotations

import math
import numbers

import pandas as pd
from pandas.io.formats.style import Styler

from core.numbers import number, plural_category, rounded
from ui.i18n import text

# Between a figure and its unit: a no-break space, so "1,50 с" never wraps between the two.
NBSP = "\u00a0"


def unit(lang: str, name: str) -> str:
    """A unit's short form: "s"/"с", "MiB"/"МиБ", "tokens/s"/"токенов/с"."""
    return text(lang, f"m_{name}")


def measure(lang: str, value: float, unit_name: str, digits: int = 0) -> str:
    """A figure and its unit: measure("ru", 1.5, "s", 2) is "1,50 с"."""
    return f"{number(lang, value, digits)}{NBSP}{unit(lang, unit_name)}"


def counted(lang: str, n: int, key: str) -> str:
    """A count and its word in the right form: counted("ru", 284, "m_chars") is "284 символа"."""
    return f"{number(lang, n)}{NBSP}{counted_word(lang, n, key)}"


def headed(lang: str, header_key: str, unit_name: str | None) -> str:
    """A table header with its unit, in the same words as the figures: "загрузка, с"."""
    name = text(lang, header_key)
    return f"{name}, {unit(lang, unit_name)}" if unit_name else name


def counted_word(lang: str, n: int, key: str) -> str:
    """The word alone, in the form that goes with `n`: counted_word("ru", 6, "m_runs") is "прогонов"."""
    return text(lang, f"{key}_{plural_category(lang, n)}")


def localized(frame: pd.DataFrame, lang: str, digits: int = 4) -> Styler:
    """A table whose numbers show as `lang` writes them (at most `digits` decimals, blanks for missing values),
    while its values stay numbers: a Gradio DataFrame shows the Styler's text, and an API client gets the values."""
    def shown(value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, (bool, str)) or not isinstance(value, numbers.Number):
            return str(value)
        return rounded(lang, value, digits) if isinstance(value, float) else number(lang, value)

    return frame.style.format(shown).hide(axis="index")
