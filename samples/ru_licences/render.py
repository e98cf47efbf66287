"""Render the synthetic Russian driver-licence cards in this folder.

Every person below is fictional. The cards mimic the front side of the Russian
national driving licence (Водительское удостоверение): header, photo
placeholder, numbered fields 1-5, 8, 9. Field values are the ground truth.

Run from anywhere:  .venv/bin/python samples/ru_licences/render.py
Output is deterministic (fixed list of people, no randomness): images/, gt/,
fields/ and manifest.csv next to this file are overwritten.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian fonts-dejavu-core

CARD_SIZE = (1012, 638)  # credit-card ratio (85.6 x 54 mm) at about 300 dpi
BACKGROUND_LEFT = (250, 228, 236)  # pastel pink ...
BACKGROUND_RIGHT = (226, 234, 248)  # ... fading to pastel blue, like the real card
PATTERN_COLOUR = (214, 200, 222)  # faint guilloche lines; far lighter than the text
TEXT_COLOUR = (24, 24, 40)
LABEL_COLOUR = (60, 60, 90)
PHOTO_COLOUR = (188, 188, 192)
SILHOUETTE_COLOUR = (160, 160, 166)

HEADER_FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 30)
LABEL_FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 26)
VALUE_FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 28)

HEADER_TEXT = "ВОДИТЕЛЬСКОЕ УДОСТОВЕРЕНИЕ"
COUNTRY_CODE = "RUS"

PHOTO_BOX = (36, 110, 276, 430)  # left, top, right, bottom
LABEL_X = 306
VALUE_X = 370  # values line up after the widest label, "4b)"
RIGHT_MARGIN = 990
FIRST_LINE_Y = 104
LINE_STEP = 46  # about 1.6 x the value font size


@dataclass(frozen=True)
class Person:
    """One fictional licence holder. Names and places in upper-case Cyrillic."""

    surname: str
    given_names: str  # given name and patronymic
    birth_date: str  # DD.MM.YYYY
    birth_place: str
    issue_date: str  # DD.MM.YYYY; expiry is ten years later
    authority: str
    number: str  # "RR SS NNNNNN"
    region: str
    categories: str


PEOPLE = [
    Person("СМИРНОВ", "ФЁДОР АНДРЕЕВИЧ", "15.03.1985", "МОСКВА", "12.07.2019",
           "ГИБДД 7701", "77 16 482915", "МОСКВА", "B, B1, M"),
    Person("КУЗНЕЦОВА", "АННА СЕРГЕЕВНА", "02.11.1992", "САНКТ-ПЕТЕРБУРГ", "24.04.2021",
           "ГИБДД 7801", "78 21 130574", "САНКТ-ПЕТЕРБУРГ", "B, B1, M"),
    Person("ПОПОВ", "ДМИТРИЙ ИГОРЕВИЧ", "28.06.1978", "КАЗАНЬ", "05.09.2017",
           "ГИБДД 1602", "16 09 775201", "ТАТАРСТАН", "A, B, C, A1, B1, C1, M"),
    Person("ВОРОБЬЁВА", "ЮЛИЯ ПЕТРОВНА", "09.01.2000", "ЕКАТЕРИНБУРГ", "18.02.2020",
           "ГИБДД 6601", "66 32 904418", "СВЕРДЛОВСКАЯ ОБЛ.", "B, B1, M"),
    Person("ЖУКОВ", "АЛЕКСЕЙ НИКОЛАЕВИЧ", "30.12.1969", "НОВОСИБИРСК", "21.11.2016",
           "ГИБДД 5401", "54 07 318862", "НОВОСИБИРСКАЯ ОБЛ.", "B, C, CE, B1, C1, C1E, M"),
    Person("ЩЕРБАКОВА", "НАТАЛЬЯ ВИКТОРОВНА", "17.05.1988", "РОСТОВ-НА-ДОНУ", "03.06.2022",
           "ГИБДД 6101", "61 44 052673", "РОСТОВСКАЯ ОБЛ.", "B, B1, M"),
]

# ICAO Doc 9303 transliteration, used on Russian passports and licences since 2014
# (hence "Фёдор" -> "FEDOR", "Юлия" -> "IULIIA"; the soft sign is dropped).
TRANSLIT = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH",
    "З": "Z", "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O",
    "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS",
    "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU",
    "Я": "IA",
}


def transliterate(text: str) -> str:
    """Upper-case Latin transliteration; characters outside the table pass through."""
    return "".join(TRANSLIT.get(char, char) for char in text.upper())


def with_latin(cyrillic: str) -> str:
    """Cyrillic value followed by its transliteration, as printed on the card."""
    return f"{cyrillic} {transliterate(cyrillic)}"


def add_ten_years(date: str) -> str:
    day, month, year = date.split(".")
    return f"{day}.{month}.{int(year) + 10}"


def card_fields(person: Person) -> dict[str, str]:
    """Ground-truth field values, keyed by the numbers printed on the card."""
    birth_place = with_latin(person.birth_place)
    return {
        "1": with_latin(person.surname),
        "2": with_latin(person.given_names),
        "3": f"{person.birth_date} {birth_place}",
        "4a": person.issue_date,
        "4b": add_ten_years(person.issue_date),
        "4c": person.authority,
        "5": person.number,
        "8": with_latin(person.region),
        "9": person.categories,
        "birth_date": person.birth_date,
        "birth_place": birth_place,
    }


def field_rows(fields: dict[str, str]) -> list[list[tuple[str, str]]]:
    """Printed rows as (label, value) pairs. 4a) and 4b) share a row, as on the real card."""
    rows = [[(f"{key}.", fields[key])] for key in ("1", "2", "3")]
    rows.append([("4a)", fields["4a"]), ("4b)", fields["4b"])])
    rows.append([("4c)", fields["4c"])])
    rows += [[(f"{key}.", fields[key])] for key in ("5", "8", "9")]
    return rows


def wrap_words(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Greedy word wrap; long values (given names, places) spill onto a second line."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def pastel_background() -> Image.Image:
    """Horizontal pink-to-blue gradient with faint wavy lines (guilloche-like)."""
    width, height = CARD_SIZE
    gradient = Image.linear_gradient("L").rotate(90).resize(CARD_SIZE)  # 255 left -> 0 right
    card = Image.composite(
        Image.new("RGB", CARD_SIZE, BACKGROUND_LEFT),
        Image.new("RGB", CARD_SIZE, BACKGROUND_RIGHT),
        gradient,
    )
    draw = ImageDraw.Draw(card)
    for offset in range(-40, height + 40, 22):
        wave = [(x, offset + 9 * math.sin(x / 47 + offset / 31)) for x in range(0, width + 8, 8)]
        draw.line(wave, fill=PATTERN_COLOUR, width=1)
    return card


def draw_photo_placeholder(draw: ImageDraw.ImageDraw) -> None:
    """Grey box with a head-and-shoulders silhouette (field 6 on the real card)."""
    left, top, right, bottom = PHOTO_BOX
    draw.rectangle(PHOTO_BOX, fill=PHOTO_COLOUR)
    centre_x = (left + right) // 2
    draw.ellipse((centre_x - 55, top + 60, centre_x + 55, top + 185), fill=SILHOUETTE_COLOUR)
    draw.pieslice((left + 20, top + 200, right - 20, bottom + 120), 180, 360, fill=SILHOUETTE_COLOUR)


def draw_header(draw: ImageDraw.ImageDraw) -> str:
    """Country code in an oval at top left, title beside it. Returns the printed line."""
    draw.ellipse((36, 26, 136, 80), outline=TEXT_COLOUR, width=3)
    draw.text((86, 53), COUNTRY_CODE, font=HEADER_FONT, fill=TEXT_COLOUR, anchor="mm")
    draw.text((170, 53), HEADER_TEXT, font=HEADER_FONT, fill=TEXT_COLOUR, anchor="lm")
    return f"{COUNTRY_CODE} {HEADER_TEXT}"


def draw_fields(draw: ImageDraw.ImageDraw, fields: dict[str, str]) -> list[str]:
    """Numbered fields on the right-hand side. Returns the printed lines in reading order."""
    printed: list[str] = []
    y = FIRST_LINE_Y
    for row in field_rows(fields):
        if len(row) == 1:
            (label, value), = row
            draw.text((LABEL_X, y), label, font=LABEL_FONT, fill=LABEL_COLOUR)
            for line_number, line in enumerate(wrap_words(value, VALUE_FONT, RIGHT_MARGIN - VALUE_X)):
                draw.text((VALUE_X, y), line, font=VALUE_FONT, fill=TEXT_COLOUR)
                printed.append(f"{label} {line}" if line_number == 0 else line)
                y += LINE_STEP
        else:  # 4a) and 4b) side by side; dates are short enough to always fit
            parts = []
            x = LABEL_X
            for label, value in row:
                draw.text((x, y), label, font=LABEL_FONT, fill=LABEL_COLOUR)
                draw.text((x + VALUE_X - LABEL_X, y), value, font=VALUE_FONT, fill=TEXT_COLOUR)
                parts.append(f"{label} {value}")
                x += 300
            printed.append(" ".join(parts))
            y += LINE_STEP
    if y > CARD_SIZE[1]:
        raise ValueError(f"fields overflow the card ({y} px): shorten a value")
    return printed


def render_card(person: Person) -> tuple[Image.Image, list[str], dict[str, str]]:
    """Card image, its text lines in reading order, and its field values."""
    fields = card_fields(person)
    card = pastel_background()
    draw = ImageDraw.Draw(card)
    draw_photo_placeholder(draw)
    lines = [draw_header(draw)] + draw_fields(draw, fields)
    return card, lines, fields


def save_png(card: Image.Image, path: Path) -> None:
    # 64 colours are plenty for pastel + anti-aliased text and keep the file small
    card.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def manifest_row(name: str) -> dict[str, object]:
    return {
        "image": f"images/{name}.png",
        "gt_text": f"gt/{name}.gt.txt",
        "gt_fields": f"fields/{name}.json",
        "gt_original": "",
        "language": "ru",
        "license": "project's own (synthetic)",
        "source_repo": "",
        "source_commit": "",
        "source_image_path": "",
        "source_gt_path": "",
        "width": CARD_SIZE[0],
        "height": CARD_SIZE[1],
        "notes": "synthetic, fictional person; rendered by render.py (DejaVu fonts); "
        "fields: 1,2,3,4a,4b,4c,5,8,9,birth_date,birth_place",
    }


def main() -> None:
    for folder in ("images", "gt", "fields"):
        (HERE / folder).mkdir(exist_ok=True)
    rows = []
    for index, person in enumerate(PEOPLE, start=1):
        name = f"licence_{index:02d}"
        card, lines, fields = render_card(person)
        save_png(card, HERE / "images" / f"{name}.png")
        (HERE / "gt" / f"{name}.gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (HERE / "fields" / f"{name}.json").write_text(
            json.dumps(fields, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        rows.append(manifest_row(name))
    # same layout as the shared datasets' manifests (csv module default: CRLF line ends)
    with open(HERE / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} cards to {HERE}")


if __name__ == "__main__":
    main()
