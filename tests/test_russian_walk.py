"""Every tab in Russian, walked in Chromium as a new user would (testkit/ui_walk.py): no English from the
interface's own table anywhere on screen, no table header broken inside a word, and at 800 px no sideways
scroll and the charts stacked."""
from __future__ import annotations

import re

import pytest

from testkit.ui_walk import open_browser, walk
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SAMPLES, SCREENSHOTS, serving
from ui.i18n import STRINGS

pytestmark = pytest.mark.slow

PLACEHOLDER = re.compile(r"\{[^}]*\}")
MARKUP = re.compile(r"[*`#_|<>\n]+")


# Battles drawn between the two CPU engines: with the tests' tiny random models installed, a battle could draw one,
# whose reply of random tokens takes minutes on two cores.
BATTLE_MODELS = ["tesseract", "rapidocr"]


@pytest.fixture(scope="module")
def walk_app(config, tmp_path_factory):
    """The shipped config, its battles between the CPU engines, its records in a temp folder."""
    folder = tmp_path_factory.mktemp("walk")
    app = config.app.model_copy(update={"battle_models": BATTLE_MODELS, "votes_db": str(folder / "votes.sqlite"),
                                        "benchmark_history": str(folder / "history.sqlite")})
    with serving(config.model_copy(update={"app": app})) as url:
        yield url


def english_fragments() -> dict[str, str]:
    """fragment -> its key: the English table's words a Russian page must never show. A string the two tables
    share (CER, JSON, a unit both languages write alike) is not one, nor a fragment the Russian string also has."""
    fragments = {}
    for key, english in STRINGS["en"].items():
        russian = STRINGS["ru"].get(key, "")
        if english == russian:
            continue
        for piece in MARKUP.split(PLACEHOLDER.sub("\n", english)):
            piece = piece.strip(" .,:;()—–-/«»\"'")
            if len(re.findall(r"[A-Za-z]{3,}", piece)) and piece not in russian and len(piece) >= 4:
                fragments[piece] = key
    return fragments


def english_on_screen(texts: list[str], fragments: dict[str, str], names: tuple[str, ...] = ()) -> list[str]:
    """The English fragments in the texts shown, leaving out the models' names (config's, in any language)."""
    found = []
    for shown in texts:
        for name in names:
            shown = shown.replace(name, " ")
        for piece, key in fragments.items():
            # A whole word or phrase: "pages" in a file name such as en_printed_pages is not one.
            if re.search(rf"(?<![\w]){re.escape(piece)}(?![\w])", shown):
                found.append(f"{piece!r} ({key}) in {shown[:80]!r}")
    return found


def test_the_fragment_check_catches_an_english_label():
    fragments = english_fragments()
    assert english_on_screen(["Запустить"], fragments) == []
    assert english_on_screen([STRINGS["en"]["ar_tab_fields"]], fragments)  # the check can fail
    assert not english_on_screen(["en_printed_pages (20)"], fragments)  # a file name is not a word


@pytest.mark.parametrize("width", [1400, 800])
def test_every_tab_in_russian_shows_no_english_and_no_broken_header(playwright, config, walk_app, tmp_path, width):
    fragments = english_fragments()
    names = tuple(sorted((entry.name for entry in config.models), key=len, reverse=True))
    context, page = open_browser(playwright, CHROMIUM, CHROMIUM_ARGS, tmp_path / "profile", "ru-RU", width)
    try:
        seen = walk(page, walk_app, "ru", SAMPLES, shots=SCREENSHOTS / "walk", width=width)
        if width == 800:
            page.get_by_role("tab", name=STRINGS["ru"]["ar_tab_arena"], exact=True).click()
            boxes = [page.locator(f"#arena-{chart}-chart").bounding_box() for chart in ("speed", "accuracy")]
    finally:
        context.close()
    problems = []
    for tab in seen:
        problems += [f"{tab.tab}: English {found}" for found in english_on_screen(tab.texts, fragments, names)]
        problems += [f"{tab.tab}: header word broken: {word!r}" for word in tab.broken_header_words]
        if width == 800 and tab.sideways_scroll_px > 0:
            problems.append(f"{tab.tab}: the page scrolls {tab.sideways_scroll_px} px sideways at 800 px")
    assert not problems, "\n".join(problems)
    if width == 800:  # stacked: one chart below the other, not beside it
        assert boxes[0] and boxes[1] and boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"] - 1, boxes
