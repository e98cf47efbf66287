"""Script-aware field values: a field declared as written in one script (or in Cyrillic then Latin) gets the
look-alike letters of the other script put back in it.

OCR engines read the Cyrillic "ТАТАРСТАН" as the Latin "TATAPCTAH", and the Latin "B" of a licence category as
the Cyrillic "В". Where the template says which script a value is in, those letters can only be the other
script's twins (core/lookalikes.py), so they are mapped back. The mapping is a correction, never silent: the
value as read is kept beside it (`FieldValues.corrections`), shown in the Fields table and exported.
"""
from __future__ import annotations

from core.lookalikes import CYRILLIC_TO_LATIN, GREEK_TO_CYRILLIC, LATIN_TO_CYRILLIC, script_of, to_script

# Digits a Cyrillic word can only mean as letters (З read as 3, Б as 6); a token without letters keeps them.
_DIGITS_AS_CYRILLIC = {"3": "З", "6": "Б"}
_DIGITS_AS_LOWER_CYRILLIC = {"3": "з", "6": "б"}
# Letter pairs that print like one Cyrillic letter: RapidOCR reads "ОРЛОВ" as "ОРJIОВ". Cyrillic has no J, so in a
# Cyrillic word the pair can only be Л.
_PAIRS_AS_CYRILLIC = {"JI": "Л"}
# A word of the wrong part costs this many letters of evidence per word: the Latin part transliterates the
# Cyrillic one word for word, so without evidence the split falls in the middle.
_WORDS_FROM_MIDDLE_COST = 2


def _own_letters(token: str) -> tuple[int, int]:
    """How many letters of `token` only Cyrillic has (П, Д, Ж, Greek Γ...), and how many only Latin has (D, R, S)."""
    cyrillic = latin = 0
    for pair, letter in _PAIRS_AS_CYRILLIC.items():
        token = token.replace(pair, letter)
    for char in token:
        if char in GREEK_TO_CYRILLIC:
            cyrillic += GREEK_TO_CYRILLIC[char] not in CYRILLIC_TO_LATIN
        elif script_of(char) == "cyrillic":
            cyrillic += char not in CYRILLIC_TO_LATIN
        elif script_of(char) == "latin":
            latin += char not in LATIN_TO_CYRILLIC
    return cyrillic, latin


def _has_letters(token: str) -> bool:
    return any(char.isalpha() for char in token)


def _cyrillic_word(token: str) -> str:
    token = to_script(token, "cyrillic")
    if not _has_letters(token):
        return token
    for pair, letter in _PAIRS_AS_CYRILLIC.items():
        token = token.replace(pair, letter)
    digits = _DIGITS_AS_CYRILLIC if token.isupper() else _DIGITS_AS_LOWER_CYRILLIC
    return "".join(digits.get(c, c) for c in token)


def split_point(tokens: list[str]) -> int:
    """Where the Latin part of a Cyrillic-then-Latin value starts, among its worded tokens: the split that
    leaves the fewest letters in a part they cannot belong to, nearest the middle on a tie."""
    words = [_own_letters(t) for t in tokens]
    middle = len(tokens) / 2

    def cost(split: int) -> tuple[float, float]:
        misplaced = sum(latin for _, latin in words[:split]) + sum(cyrillic for cyrillic, _ in words[split:])
        return misplaced + _WORDS_FROM_MIDDLE_COST * abs(split - middle), abs(split - middle)

    return min(range(len(tokens) + 1), key=cost)


def in_script(value: str, script: str) -> str:
    """`value` with look-alike letters written in the declared script (see FieldSpec.script)."""
    if script == "latin":
        return to_script(value, "latin")
    tokens = value.split(" ")
    if script == "cyrillic":
        return " ".join(_cyrillic_word(t) for t in tokens)
    worded = [i for i, t in enumerate(tokens) if _has_letters(t)]
    latin_from = split_point([tokens[i] for i in worded])
    for rank, index in enumerate(worded):
        tokens[index] = _cyrillic_word(tokens[index]) if rank < latin_from else to_script(tokens[index], "latin")
    return " ".join(tokens)


def put_in_scripts(values: dict[str, str | None], scripts: dict[str, str]) -> dict[str, str]:
    """Map each value whose field declares a script, in place; returns {field key: the value as read} for
    every value that changed."""
    corrections = {}
    for key, script in scripts.items():
        read = values.get(key)
        if read:
            mapped = in_script(read, script)
            if mapped != read:
                values[key], corrections[key] = mapped, read
    return corrections
