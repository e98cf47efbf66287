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
LABEL_COLOUR = TEXT_COLOUR  # lighter labels made Tesseract split them into a column of their own
PHOTO_COLOUR = (188, 188, 192)
SILHOUETTE_COLOUR = (160, 160, 166)

HEADER_FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 30)
LABEL_FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 26)
VALUE_FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 28)

HEADER_TEXT = "ВОДИТЕЛЬСКОЕ УДОСТОВЕРЕНИЕ"
COUNTRY_CODE = "RUS"

PHOTO_BOX = (36, 110, 276, 430)  # left, top, right, bottom
LABEL_RIGHT = 356  # labels are right-aligned here ...
VALUE_X = 368  # ... so every value sits one space after its label (Tesseract then keeps them on one line)
RIGHT_MARGIN = 990
FIRST_BASELINE_Y = 128
LINE_STEP = 46  # about 1.6 x the value font size
SECOND_COLUMN_STEP = 300  # x offset of 4b) from 4a)


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


def add_ten_years(date: str) -> str:
    day, month, year = date.split(".")
    return f"{day}.{month}.{int(year) + 10}"


@dataclass(frozen=True)
class Field:
    """One printed field. Chunks are never split when wrapping, so a long value
    breaks between its Cyrillic text and its Latin transliteration."""

    key: str
    label: str
    chunks: tuple[str, ...]

    @property
    def value(self) -> str:
        return " ".join(self.chunks)


def cyrillic_and_latin(key: str, cyrillic: str, prefix: str = "") -> Field:
    """Field printed as Cyrillic followed by its transliteration, like the real card."""
    first_chunk = f"{prefix} {cyrillic}".strip()
    return Field(key, f"{key}.", (first_chunk, transliterate(cyrillic)))


def card_field_rows(person: Person) -> list[list[Field]]:
    """Printed rows, top to bottom. 4a) and 4b) share a row, as on the real card."""
    return [
        [cyrillic_and_latin("1", person.surname)],
        [cyrillic_and_latin("2", person.given_names)],
        [cyrillic_and_latin("3", person.birth_place, prefix=person.birth_date)],
        [Field("4a", "4a)", (person.issue_date,)),
         Field("4b", "4b)", (add_ten_years(person.issue_date),))],
        [Field("4c", "4c)", (person.authority,))],
        [Field("5", "5.", (person.number,))],
        [cyrillic_and_latin("8", person.region)],
        [Field("9", "9.", (person.categories,))],
    ]


def card_fields(person: Person) -> dict[str, str]:
    """Ground-truth values as printed, keyed by field number, plus the two parts of field 3."""
    fields = {field.key: field.value for row in card_field_rows(person) for field in row}
    fields["birth_date"] = person.birth_date
    fields["birth_place"] = f"{person.birth_place} {transliterate(person.birth_place)}"
    return fields


def wrap_chunks(chunks: tuple[str, ...], font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Greedy wrap over whole chunks: add each chunk to the current line if it still fits."""
    lines: list[str] = []
    for chunk in chunks:
        if font.getlength(chunk) > max_width:
            raise ValueError(f"{chunk!r} is wider than the card: shorten it")
        candidate = f"{lines[-1]} {chunk}" if lines else chunk
        if lines and font.getlength(candidate) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(chunk)
    return lines


def pastel_background() -> Image.Image:
    """Horizontal pink-to-blue gradient with faint wavy lines (guilloche-like)."""
    width, height = CARD_SIZE
    gradient = Image.linear_gradient("L").rotate(-90).resize(CARD_SIZE)  # 255 left -> 0 right
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
    # a white oval without a dark outline: Tesseract took the outlined oval for a picture
    draw.ellipse((30, 22, 146, 84), fill=(255, 255, 255))
    draw.text((88, 53), COUNTRY_CODE, font=HEADER_FONT, fill=TEXT_COLOUR, anchor="mm")
    draw.text((170, 53), HEADER_TEXT, font=HEADER_FONT, fill=TEXT_COLOUR, anchor="lm")
    return f"{COUNTRY_CODE} {HEADER_TEXT}"


def draw_fields(draw: ImageDraw.ImageDraw, rows: list[list[Field]]) -> list[str]:
    """Numbered fields on the right-hand side. Returns the printed lines in reading order."""
    printed: list[str] = []
    y = FIRST_BASELINE_Y  # label and value share a baseline
    for row in rows:
        if len(row) == 1:
            field = row[0]
            draw.text((LABEL_RIGHT, y), field.label, font=LABEL_FONT, fill=LABEL_COLOUR, anchor="rs")
            for line_number, line in enumerate(wrap_chunks(field.chunks, VALUE_FONT, RIGHT_MARGIN - VALUE_X)):
                draw.text((VALUE_X, y), line, font=VALUE_FONT, fill=TEXT_COLOUR, anchor="ls")
                printed.append(f"{field.label} {line}" if line_number == 0 else line)
                y += LINE_STEP
        else:  # 4a) and 4b) side by side; dates are short enough to always fit
            x = 0
            for field in row:
                draw.text((x + LABEL_RIGHT, y), field.label, font=LABEL_FONT, fill=LABEL_COLOUR, anchor="rs")
                draw.text((x + VALUE_X, y), field.value, font=VALUE_FONT, fill=TEXT_COLOUR, anchor="ls")
                x += SECOND_COLUMN_STEP
            printed.append(" ".join(f"{field.label} {field.value}" for field in row))
            y += LINE_STEP
    last_baseline = y - LINE_STEP
    if last_baseline > CARD_SIZE[1] - 24:  # leave room for descenders and the card edge
        raise ValueError(f"fields overflow the card (last baseline {last_baseline} px): shorten a value")
    return printed


def render_card(person: Person) -> tuple[Image.Image, list[str], dict[str, str]]:
    """Card image, its text lines in reading order, and its field values."""
    card = pastel_background()
    draw = ImageDraw.Draw(card)
    draw_photo_placeholder(draw)
    lines = [draw_header(draw)] + draw_fields(draw, card_field_rows(person))
    return card, lines, card_fields(person)


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
