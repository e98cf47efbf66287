"""Rule-based field parsers over OCR text, one per template kind, so OCR-only engines can be compared on fields.

Each takes the plain text an engine read and returns {field key: value or None}. They expect the usual OCR
slips: Cyrillic and Latin look-alikes ("4с", "В1"), "6" read for "б" in "4б", and values split over lines.
"""
from __future__ import annotations

import re

# ---- Russian driver's licence: values follow their printed numbers "1." … "9." --------------------------
_LICENCE_MARK = re.compile(r"(?<!\S)(1|2|3|4\s?[aаAА]|4\s?[bбBБ6]|4\s?[cсCС]|5|8|9)[.)](?=\s|$)")
_MARK_KEYS = {"a": "4a", "b": "4b", "б": "4b", "6": "4b", "c": "4c"}
_TO_LATIN = str.maketrans("АВСЕНКМОРТХаbвсеорх", "ABCEHKMOPTXabBceopx")
_DATE = re.compile(r"\b(\d{2})[.,](\d{2})[.,](\d{4})\b")
_CATEGORY = re.compile(r"\b(A1|B1|BE|C1E|C1|CE|D1E|D1|DE|Tm|Tb|A|B|C|D|M)\b")


def _mark_key(mark: str) -> str:
    mark = mark.replace(" ", "")
    if len(mark) == 1:
        return mark
    return _MARK_KEYS[mark[1].translate(_TO_LATIN).lower()]


def parse_ru_driver_license(text: str) -> dict[str, str | None]:
    marks = list(_LICENCE_MARK.finditer(text))
    values: dict[str, str | None] = {}
    for mark, following in zip(marks, marks[1:] + [None]):
        key = _mark_key(mark.group(1))
        end = following.start() if following else len(text)
        value = " ".join(text[mark.end():end].split())
        if key not in values and value:
            values[key] = value
    for key in ("4a", "4b"):  # a date and nothing else
        date = _DATE.search(values.get(key) or "")
        values[key] = ".".join(date.groups()) if date else values.get(key)
    number = re.search(r"(\d{2})\s?(\d{2})\s?(\d{6})", values.get("5") or "")
    if number:
        values["5"] = " ".join(number.groups())
    if values.get("9"):  # categories are Latin letters, which OCR often reads as Cyrillic ("В1")
        values["9"] = _categories(values["9"])
    return {key: values.get(key) for key in ("1", "2", "3", "4a", "4b", "4c", "5", "8", "9")}


def _categories(read: str) -> str:
    """The category codes found in field 9, joined by ", ", each as read: they are found by their Latin form,
    but a Cyrillic "В" stays Cyrillic here, for the template's script check to correct visibly."""
    found = [read[m.start():m.end()] for m in _CATEGORY.finditer(read.translate(_TO_LATIN))]
    return ", ".join(found) if found else read


# ---- Receipts: company at the top, the first date, the total on its line ------------------------------
_RECEIPT_DATE = re.compile(r"\b(\d{1,2}[./-]\d{1,2}[./-]\d{2,4})\b")
_AMOUNT = re.compile(r"(?<![\d.])(\d{1,6}[.,]\d{2})(?![\d])")
_TOTAL_LINE = re.compile(r"\b(grand\s*total|total\s*(amount|rm|incl|inclusive|payable|sales)?|amount\s*due|"
                         r"nett?\s*total|итого|всего)\b", re.IGNORECASE)
_NOT_TOTAL = re.compile(r"\b(sub\s*-?\s*total|total\s*(qty|quantity|items?|discount|gst|tax|excl))", re.IGNORECASE)
_ADDRESS_END = re.compile(r"\b(tel|phone|fax|gst|reg|invoice|receipt|cashier|date|no\s*:|email)\b|@",
                          re.IGNORECASE)
# A company registration number after the name: "(126926-H)", "(519537-X)", "273500-U (KJ1)".
_REGISTRATION = re.compile(r"\s*[(\[]?\s*\d{5,}\s*[-\s]\s*[A-Z]\b\s*[)\]]?.*$")
_COMPANY_HINT = re.compile(r"\b(sdn\.?\s*bhd|bhd|enterprise|trading|restaurant|store|mart|ltd|llc|inc|ооо|ип|ао)\b",
                           re.IGNORECASE)


def parse_receipt(text: str) -> dict[str, str | None]:
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    lettered = [i for i, line in enumerate(lines[:8]) if sum(c.isalpha() for c in line) >= 3]
    company_at = next((i for i in lettered if _COMPANY_HINT.search(lines[i])), lettered[0] if lettered else None)
    company = _REGISTRATION.sub("", lines[company_at]).strip() if company_at is not None else None
    address_lines = []
    if company_at is not None:
        for line in lines[company_at + 1:company_at + 6]:
            if _ADDRESS_END.search(line) or _RECEIPT_DATE.search(line):
                break
            if re.fullmatch(r"[(\[]?\s*[\w-]*\d[\w-]*\s*[)\]]?", line) and not address_lines:
                continue  # a registration number under the name, e.g. "(1022386-W)"
            address_lines.append(line)
    date = _RECEIPT_DATE.search(text)
    return {
        "company": company,
        "date": date.group(1) if date else None,
        "address": " ".join(address_lines) or None,
        "total": _receipt_total(lines),
    }


def _receipt_total(lines: list[str]) -> str | None:
    """The largest amount on a line that says total (or on the line after it, where the amount often wraps);
    else the largest amount on the receipt. Totals including tax come last and largest."""
    on_total_lines = []
    for index, line in enumerate(lines):
        if _TOTAL_LINE.search(line) and not _NOT_TOTAL.search(line):
            amounts = _AMOUNT.findall(line) or (_AMOUNT.findall(lines[index + 1]) if index + 1 < len(lines) else [])
            on_total_lines += amounts
    amounts = on_total_lines or [a for line in lines for a in _AMOUNT.findall(line)]
    return max((a.replace(",", ".") for a in amounts), key=float) if amounts else None


# ---- Any form: "Label: value" lines ----------------------------------------------------------------------
_KEY_VALUE = re.compile(r"^\s*([^:：]{2,40}?)\s*[:：]\s*(.+?)\s*$")


def parse_key_value(text: str) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for line in text.splitlines():
        match = _KEY_VALUE.match(line)
        if match and not match.group(1).strip().isdigit():
            values.setdefault(match.group(1).strip(), match.group(2))
    return values


RULES = {"ru_driver_license": parse_ru_driver_license, "receipt": parse_receipt, "key_value": parse_key_value}
