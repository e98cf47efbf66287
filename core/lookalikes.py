"""Look-alike letters: Cyrillic and Latin letters (and a few digits) that print the same.

An OCR engine trained mostly on Latin text reads the Cyrillic "ТАТАРСТАН" as the Latin "TATAPCTAH": on screen the
two are the same, yet every letter is an error. This is the most common error on Russian documents, so the app
shows it (words that mix the two scripts, changes that only swap look-alikes) and counts it (a CER with the
look-alikes folded, beside the plain one), and field templates can put each part of a value back in its script.

The map is Unicode's confusables (https://www.unicode.org/Public/security/latest/confusables.txt) restricted to
the letters of Russian and English in upright print, plus three pairs that OCR engines confuse in practice
though Unicode does not list them: З/3, Ь/b and б/6. Upper case and lower case are separate: the Cyrillic "т"
and the Latin "t" do not look alike in upright print, so they are not in the map.

Greek capitals that Unicode lists as confusable with Cyrillic ones are mapped to them too: RapidOCR answers
"CEPΓEEBHA" (Greek Γ) and "ΠETEPYPF" (Greek Π) for Cyrillic words. Folding and `to_script` take them to the
Cyrillic letter first; `script_of` and the mixed-script checks still know only Cyrillic and Latin.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Literal

Script = Literal["cyrillic", "latin"]

# Cyrillic -> the Latin letter (or digit) it looks like.
CYRILLIC_TO_LATIN: dict[str, str] = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h",
    "З": "3", "Ь": "b", "б": "6",  # seen in OCR output, not in Unicode's list
}
LATIN_TO_CYRILLIC: dict[str, str] = {latin: cyrillic for cyrillic, latin in CYRILLIC_TO_LATIN.items()
                                     if latin.isalpha() and cyrillic not in "ѕЅіІјЈԁԛԝһ"}
# Greek -> the Cyrillic letter it looks like (Unicode's confusables).
GREEK_TO_CYRILLIC: dict[str, str] = {
    "Α": "А", "Β": "В", "Γ": "Г", "Ε": "Е", "Η": "Н", "Κ": "К", "Μ": "М", "Ο": "О", "Π": "П", "Ρ": "Р",
    "Τ": "Т", "Φ": "Ф", "Χ": "Х", "ο": "о",
}

_FOLD = str.maketrans(CYRILLIC_TO_LATIN | {greek: CYRILLIC_TO_LATIN.get(cyrillic, cyrillic)
                                           for greek, cyrillic in GREEK_TO_CYRILLIC.items()})
_GREEK = str.maketrans(GREEK_TO_CYRILLIC)
_WORD = re.compile(r"\w+")


def fold_lookalikes(text: str) -> str:
    """`text` with every Cyrillic look-alike replaced by the Latin letter (or digit) it looks like."""
    return text.translate(_FOLD)


def script_of(char: str) -> Script | None:
    """The script of a letter: 'cyrillic', 'latin', or None for anything else (digits, punctuation, Greek...)."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("LATIN"):
        return "latin"
    return None


def is_mixed_script(word: str) -> bool:
    """Whether `word` holds both Cyrillic and Latin letters ("ПEPMЬ" with Latin E, P, M)."""
    scripts = {script_of(char) for char in word}
    return {"cyrillic", "latin"} <= scripts


def mixed_script_words(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every word in `text` that mixes Cyrillic and Latin letters."""
    return [match.span() for match in _WORD.finditer(text) if is_mixed_script(match.group())]


def is_lookalike_swap(expected: str, found: str) -> bool:
    """Whether `found` differs from `expected` only by look-alike letters ("TATAPCTAH" for "ТАТАРСТАН")."""
    return expected != found and fold_lookalikes(expected) == fold_lookalikes(found)


def to_script(text: str, script: Script) -> str:
    """`text` with the look-alike letters of the other script (and Greek ones) written in `script`; other
    characters, digits included, stay as they are (a digit may be a real digit: "77 16" in a licence number)."""
    text = text.translate(_GREEK)
    if script == "latin":
        return "".join(CYRILLIC_TO_LATIN[c] if c in CYRILLIC_TO_LATIN and CYRILLIC_TO_LATIN[c].isalpha() else c
                       for c in text)
    return "".join(LATIN_TO_CYRILLIC.get(c, c) for c in text)
