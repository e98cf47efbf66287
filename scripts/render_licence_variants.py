"""Render 12 Russian licence cards unlike the project's samples, with their field truth.

samples/ru_licences/render.py draws every card the same way: DejaVu Sans, dark labels, upright, lossless PNG.
These vary what a real scan varies: serif and condensed fonts, lighter labels, a 1.5° rotation, JPEG, and a
scale of 80-100%. The people are fictional (new names, e.g. from Perm, so that Latin look-alikes such as
"PERM" appear). Deterministic: the same cards every run.

    .venv/bin/python scripts/render_licence_variants.py OUT_DIR

writes OUT_DIR/licence_variant_NN.jpg and OUT_DIR/licence_variant_NN.json (the truth, keyed as the template).
"""
from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _load_sample_renderer():
    """The samples' renderer, for its people, transliteration, field rows and background."""
    spec = importlib.util.spec_from_file_location("ru_licence_render", ROOT / "samples" / "ru_licences" / "render.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


render = _load_sample_renderer()
Person = render.Person

PEOPLE = [
    Person("ПЕРМЯКОВ", "ДМИТРИЙ ОЛЕГОВИЧ", "11.04.1983", "ПЕРМЬ", "14.03.2018", "ГИБДД 5901", "59 12 384756",
           "ПЕРМЬ", "B, B1, M"),
    Person("БЕЛОВА", "МАРИЯ ОЛЕГОВНА", "23.08.1990", "ТВЕРЬ", "02.10.2020", "ГИБДД 6901", "69 25 117340",
           "ТВЕРЬ", "B, B1, M"),
    Person("КОМАРОВ", "ОЛЕГ ВАСИЛЬЕВИЧ", "07.02.1975", "КАЗАНЬ", "19.06.2016", "ГИБДД 1601", "16 31 502218",
           "ТАТАРСТАН", "A, B, C, A1, B1, C1, M"),
    Person("ТИТОВА", "ЕЛЕНА ПАВЛОВНА", "30.09.1987", "САМАРА", "11.11.2019", "ГИБДД 6301", "63 18 760425",
           "САМАРСКАЯ ОБЛ.", "B, B1, M"),
    Person("ГРОМОВ", "ПАВЕЛ ИГОРЕВИЧ", "14.12.1968", "ОМСК", "08.04.2015", "ГИБДД 5501", "55 03 918264",
           "ОМСК", "B, C, CE, B1, C1, C1E, M"),
    Person("МАКАРОВА", "ОЛЬГА ТИМУРОВНА", "05.05.1995", "ТОМСК", "27.07.2021", "ГИБДД 7001", "70 40 281937",
           "ТОМСК", "B, B1, M"),
    Person("ОРЛОВ", "КИРИЛЛ АНТОНОВИЧ", "19.03.1981", "ПЕРМЬ", "03.09.2017", "ГИБДД 5902", "59 08 665190",
           "ПЕРМСКИЙ КРАЙ", "A, B, A1, B1, M"),
    Person("СОКОЛОВА", "ТАТЬЯНА РОМАНОВНА", "12.10.1979", "ВОРОНЕЖ", "15.01.2022", "ГИБДД 3601", "36 46 423058",
           "ВОРОНЕЖ", "B, B1, M"),
    Person("АБРАМОВ", "ТИМОФЕЙ МАКСИМОВИЧ", "26.06.1999", "КОСТРОМА", "09.02.2020", "ГИБДД 4401", "44 27 830471",
           "КОСТРОМА", "B, M"),
    Person("КРЫЛОВА", "ВЕРА АРТЁМОВНА", "08.01.1986", "КИРОВ", "21.05.2018", "ГИБДД 4301", "43 15 296603",
           "КИРОВ", "B, B1, M"),
    Person("МОРОЗОВ", "РОМАН ОЛЕГОВИЧ", "17.07.1972", "ТАМБОВ", "30.10.2016", "ГИБДД 6801", "68 09 547712",
           "ТАМБОВ", "B, C, B1, C1, M"),
    Person("ЕРМАКОВА", "АННА ТАРАСОВНА", "04.04.1993", "ОРЕЛ", "13.08.2019", "ГИБДД 5701", "57 21 608345",
           "ОРЕЛ", "B, B1, M"),
]


@dataclass(frozen=True)
class Look:
    """How one card is printed and scanned."""

    family: str  # DejaVu font file stem
    label_grey: int  # label colour, 0 black .. 255 white (the samples print labels as dark as the values)
    angle: float  # degrees, counter-clockwise
    scale: float  # of the samples' 1012 x 638 px
    jpeg_quality: int


def look(index: int) -> Look:
    """Serif and condensed fonts alternately; lighter labels; ±1.5°; 80-100% scale; JPEG quality 70-90."""
    family = ("DejaVuSerif", "DejaVuSansCondensed", "DejaVuSerifCondensed")[index % 3]
    return Look(family, label_grey=110 + 10 * (index % 4), angle=1.5 if index % 2 else -1.5,
                scale=0.8 + 0.2 * (index % 5) / 4, jpeg_quality=70 + 5 * (index % 5))


def _draw_fields(draw: ImageDraw.ImageDraw, rows, style: Look) -> None:
    """The numbered fields as in the samples, in this card's font and label colour."""
    label_font = ImageFont.truetype(str(FONT_DIR / f"{style.family}.ttf"), 26)
    value_font = ImageFont.truetype(str(FONT_DIR / f"{style.family}.ttf"), 28)
    label_colour = (style.label_grey,) * 3
    y = render.FIRST_BASELINE_Y
    for row in rows:
        x, used = 0, 1
        for field in row:
            draw.text((x + render.LABEL_RIGHT, y), field.label, font=label_font, fill=label_colour, anchor="rs")
            chunks = field.chunks if len(row) == 1 else (field.value,)  # 4a) and 4b) share a row: one line each
            lines = render.wrap_chunks(chunks, value_font, render.RIGHT_MARGIN - render.VALUE_X - x)
            for number, line in enumerate(lines):
                draw.text((x + render.VALUE_X, y + number * render.LINE_STEP), line, font=value_font,
                          fill=render.TEXT_COLOUR, anchor="ls")
            x, used = x + render.SECOND_COLUMN_STEP, max(used, len(lines))
        y += render.LINE_STEP * used
    if y - render.LINE_STEP > render.CARD_SIZE[1] - 24:
        raise ValueError(f"fields overflow the card (last baseline {y - render.LINE_STEP} px): shorten a value")


def render_card(person: Person, style: Look) -> Image.Image:
    card = render.pastel_background()
    draw = ImageDraw.Draw(card)
    render.draw_photo_placeholder(draw)
    render.draw_header(draw)
    _draw_fields(draw, render.card_field_rows(person), style)
    card = card.rotate(style.angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    size = (round(card.width * style.scale), round(card.height * style.scale))
    return card.resize(size, Image.Resampling.LANCZOS)


def truth(person: Person) -> dict[str, str]:
    """The template's fields as printed (the samples' truth without its extra birth keys)."""
    fields = render.card_fields(person)
    return {key: fields[key] for key in ("1", "2", "3", "4a", "4b", "4c", "5", "8", "9")}


def write_cards(out: Path) -> list[tuple[Path, dict[str, str]]]:
    """Render every card as JPEG with its truth beside it; returns (image, truth) pairs."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for index, person in enumerate(PEOPLE):
        style = look(index)
        image = out / f"licence_variant_{index + 1:02d}.jpg"
        render_card(person, style).save(image, quality=style.jpeg_quality)
        fields = truth(person)
        image.with_suffix(".json").write_text(json.dumps(fields, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")
        written.append((image, fields))
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cards = write_cards(Path(sys.argv[1]))
    print(f"wrote {len(cards)} cards to {sys.argv[1]}")
