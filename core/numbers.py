"""Numbers as a language writes them: digit grouping, the decimal separator and plural forms.

The rules are the Unicode CLDR's, through Babel: "18,829.5" in English is "18 829,5" in Russian (a no-break space
groups the digits, so a figure never wraps), and 1 символ, 2 символа, 5 символов, 11 символов, 21 символ. The words
themselves come from the caller: the UI's string tables, or the benchmark report's.
"""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

PLURAL_FALLBACK = "other"  # CLDR's catch-all category: every language has it


@lru_cache(maxsize=None)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def number(lang: str, value: float, digits: int = 0) -> str:
    """`value` with `digits` decimals, grouped and separated as `lang` writes numbers."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def rounded(lang: str, value: float, max_digits: int) -> str:
    """`value` with at most `max_digits` decimals, trailing zeros dropped: rounded("ru", 0.125, 4) is "0,125"."""
    return format_decimal(value, format="#,##0." + "#" * max_digits, locale=_locale(lang))


def plural_category(lang: str, n: float) -> str:
    """The CLDR plural category of `n` in `lang`: "one", "few", "many" or "other" (Russian), "one" or "other"
    (English)."""
    return _locale(lang).plural_form(n)


def plural_categories(lang: str) -> frozenset[str]:
    """Every category `lang` has, so that a table of forms can be checked for completeness."""
    return frozenset(_locale(lang).plural_form.tags) | {PLURAL_FALLBACK}


def plural(lang: str, n: float, forms: dict[str, str]) -> str:
    """The form of a word that goes with `n`: `forms` maps plural categories to words
    (Russian: {"one": "символ", "few": "символа", "many": "символов", "other": "символа"})."""
    return forms.get(plural_category(lang, n)) or forms[PLURAL_FALLBACK]


def separators(lang: str) -> str:
    """The decimal then the group separator, as Plotly's `layout.separators` takes them (",\u00a0" in Russian)."""
    return get_decimal_symbol(_locale(lang)) + get_group_symbol(_locale(lang))
