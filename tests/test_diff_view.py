"""The readable diff (ui/diff_view.py) and the comparison table's rounding and blanks (ui/arena_view.py)."""
import re
from html.parser import HTMLParser

from backends.contracts.results import Metrics, ModelResult, Status
from core.arena_run import ArenaRun
from ui.arena_view import comparison_table
from ui.diff_view import TEXT_BOX_LINES, diff_html


class Marks(HTMLParser):
    """The text inside each kind of mark, and the badges, of a diff's box (the legend left out)."""

    def __init__(self):
        super().__init__()
        self.stack, self.found = [], {"del": [], "ins": [], "swap": [], "odd": [], "badge": [], "box": []}

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class", "")
        kind = tag if tag in ("del", "ins") else next((k for k in ("swap", "odd", "badge", "box", "legend")
                                                       if f"dv-{k}" in classes.split()), None)
        inside_legend = "legend" in self.stack
        self.stack.append(kind)
        if kind in self.found and not inside_legend:
            self.found[kind].append("")

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        if "legend" in self.stack:
            return
        for kind in set(self.stack) & set(self.found):
            self.found[kind][-1] += data


def marks(html: str) -> dict[str, list[str]]:
    parser = Marks()
    parser.feed(html.split("</style>", 1)[1])
    return parser.found


def test_line_breaks_are_kept_and_a_break_for_a_space_is_no_change():
    found = marks(diff_html("first line second line", "first line\nsecond line", "en"))
    assert found["box"] == ["first line\nsecond line"]
    assert not found["del"] and not found["ins"]


def test_words_are_never_split_in_word_mode_but_are_in_character_mode():
    truth, read = "the marrón fox runs rápido", "the marron fox runs rapido"
    words = marks(diff_html(truth, read, "en", "words"))
    assert words["del"] == ["marrón", "rápido"] and words["ins"] == ["marron", "rapido"]
    chars = marks(diff_html(truth, read, "en", "chars"))
    assert chars["del"] == ["ó", "á"] and chars["ins"] == ["o", "a"]


def test_a_lookalike_swap_is_shown_once_with_a_badge_naming_the_script_written():
    html = diff_html("ТАТАРСТАН г. Казань", "TATAPCTAH г. Казань", "en")
    found = marks(html)
    assert found["swap"] == ["TATAPCTAH"] and found["badge"] == ["lat"]
    assert not found["del"] and not found["ins"]  # not struck out: on screen it is the same word
    assert "look-alike letters of the other script" in html and "ТАТАРСТАН" in html  # legend and tooltip
    plain = marks(diff_html("Казань", "Казан", "en"))
    assert not plain["swap"] and not plain["badge"]
    assert "look-alike" not in diff_html("Казань", "Казан", "en")  # the legend explains only marks shown


def test_a_mixed_script_word_has_its_odd_letters_underlined_and_a_badge():
    # "П" has no Latin twin, so the Latin E, P, M are the odd ones, though they are the more numerous.
    html = diff_html("ПЕРМЬ", "ПЕРМЬ ПEPMЬ", "ru", "chars")
    found = marks(html)
    assert "".join(found["odd"]) == "EPM" and "лат+кир" in found["badge"]
    assert "слово из кириллицы и латиницы" in html
    # In a word never in the truth at all, the badge still says the word is mixed.
    assert marks(diff_html("", "KAЗAHЬ", "en"))["badge"] == ["lat+cyr"]


def test_all_text_is_escaped():
    html = diff_html('<b>bold</b> & "q"', '<script>alert(1)</script> & "q"', "en")
    assert "<script>" not in html and "<b>" not in html and "&lt;" in html and "&amp; &quot;q&quot;" in html
    found = marks(html)  # the parser reads the entities back as the characters the user sees
    assert found["del"] == ["b", "bold", "b"] and found["ins"] == ["script", "alert(1)", "script"]


def test_the_box_is_capped_at_the_text_box_height_and_scrolls():
    html = diff_html("word " * 2000, "word " * 1990, "en")
    box = re.search(r'<div class="dv-box" style="([^"]*)"', html).group(1)
    assert f"max-height: calc({TEXT_BOX_LINES} * var(--line-sm) * var(--input-text-size)" in box
    assert "overflow-y: auto" in html and "white-space: pre-wrap" in html


def test_battle_labels_replace_missing_and_extra():
    html = diff_html("a b", "a c", "en", labels=("only in A", "only in B"), title="A against B")
    assert "only in A" in html and "only in B" in html and "missing" not in html and "A against B" in html


def result(key, status, chars=0, latency=None, memory=None, message=""):
    metrics = Metrics(load_s=1.2 if latency else None, latency_s=latency, chars=chars,
                      memory_mb={"mem_load_delta": memory} if memory else {},
                      footprint_label="mem_load_delta" if memory else "", footprint_mb=memory)
    return ModelResult(key, key.title(), status, text="x" * chars, message=message, metrics=metrics)


def test_the_table_rounds_per_column_blanks_what_did_not_run_and_hides_empty_columns():
    run = ArenaRun("page.png", ground_truth="x" * 3)
    run.results = {"fast": result("fast", Status.OK, chars=3, latency=1501.6666667, memory=1920.4),
                   "gone": result("gone", Status.UNAVAILABLE, message="weights not downloaded")}
    table = comparison_table(run, "en")
    assert list(table.columns) == ["model", "status", "load, s", "time, s", "chars", "memory, MiB", "CER",
                                   "CER (look-alikes folded)", "WER", "message"]  # no tokens/s: none gave any
    fast, gone = table.to_dict("records")
    assert (fast["time, s"], fast["load, s"], fast["memory, MiB"], fast["CER"]) == ("1,501.67", "1.20", "1,920",
                                                                                     "0.000")
    assert gone["chars"] == "" and gone["time, s"] == "" and gone["CER"] == ""  # blank, not "0"
    assert gone["message"] == "weights not downloaded"
    assert list(comparison_table(run, "ru").columns)[2:4] == ["загрузка, с", "время, с"]  # the columns' units


def test_the_folded_cer_stands_next_to_cer_when_the_run_has_it(monkeypatch):
    run = ArenaRun("page.png", ground_truth="ТАТАРСТАН")
    run.results = {"ocr": result("ocr", Status.OK, chars=9, latency=0.5)}
    rows = run.rows()
    monkeypatch.setattr(ArenaRun, "rows", lambda self, page=None: [{**rows[0], "cer_folded": 0.0}])
    assert list(comparison_table(run, "en").columns)[-3:] == ["CER", "CER (look-alikes folded)", "WER"]
