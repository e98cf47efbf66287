"""Script-aware field values and the marks beside them, on hand-checked strings read by Tesseract and RapidOCR
from licence cards; the Fields table as shown (badges, headers and template names in Russian, rounded accuracy)."""
import json

import gradio as gr
import pytest
from pydantic import ValidationError

from backends.contracts.results import Metrics, ModelResult, Status
from backends.contracts.schema import FieldSpec
from backends.pool import ModelPool
from core.fields.marks import Mark, cell_marks
from core.fields.parsing import parse_reply, validate_fields
from core.fields.run import FieldsRun, _add_page
from core.fields.scripts import in_script, put_in_scripts, split_point
from ui.fields_tab import FieldsTab
from ui.fields_table import shown_fields, shown_scores
from ui.i18n import gradio_translations


@pytest.fixture(scope="module")
def licence(config):
    return config.templates["ru_driver_license"]


@pytest.mark.parametrize("read, expected", [
    ("TATAPCTAH TATARSTAN", "ТАТАРСТАН TATARSTAN"),  # RapidOCR: the Cyrillic part in Latin look-alikes
    ("28.06.1978 KA3AHb KAZAN", "28.06.1978 КАЗАНЬ KAZAN"),  # a date stays; 3 in a word of letters is З
    ("AHHA CEPΓEEBHA ANNA SERGEEVNA", "АННА СЕРГЕЕВНА ANNA SERGEEVNA"),  # a Greek Γ for Г
    ("OPJIOB ORLOV", "ОРЛОВ ORLOV"),  # "JI" for Л
    ("ПЕРМЬ РЕRМ", "ПЕРМЬ PERM"),  # Tesseract: the Latin part in Cyrillic look-alikes
    ("ВОРОБЬЁВА VОRОВЕVА", "ВОРОБЬЁВА VOROBEVA"),
    ("СМИРНОВ SMIRNOV", "СМИРНОВ SMIRNOV"),  # right as read: untouched
    ("ПЕРМЬ РЕВМ", "ПЕРМЬ PEBM"),  # a real misread (R read as В) stays wrong: only look-alikes move
])
def test_each_part_of_a_cyrillic_then_latin_value_is_put_in_its_script(read, expected):
    assert in_script(read, "cyrillic_then_latin") == expected


def test_the_split_follows_the_letters_only_one_script_has_else_the_middle():
    assert split_point(["KY3HELOBA", "KUZNETSOVA"]) == 1  # one Latin-only L misread for Ц: still the middle
    assert split_point(["ДМИТРИЙ", "DMITRII", "OLEGOVICH"]) == 1  # a word lost: Д says Cyrillic, D and R Latin
    assert split_point(["ТАТАРСТАН", "ТАТАРСТАН"]) == 1  # nothing to go by: the middle


def test_latin_only_values_and_the_corrections_kept_beside_them():
    assert in_script("В, В1, М", "latin") == "B, B1, M"
    values = {"8": "TATAPCTAH TATARSTAN", "9": "В, В1, М", "5": "77 16 482915", "1": None}
    corrections = put_in_scripts(values, {"8": "cyrillic_then_latin", "9": "latin", "1": "cyrillic_then_latin"})
    assert corrections == {"8": "TATAPCTAH TATARSTAN", "9": "В, В1, М"}
    assert values == {"8": "ТАТАРСТАН TATARSTAN", "9": "B, B1, M", "5": "77 16 482915", "1": None}


def test_the_vlm_reply_checker_corrects_before_the_format_check_and_exports_the_correction(licence):
    reply = json.dumps({"1": "CMИPHOB SMIRNOV", "9": "В, В1, М", "5": "77 16 482915"}, ensure_ascii=False)
    found = parse_reply(reply, licence)
    assert found.values["1"] == "СМИРНОВ SMIRNOV" and found.values["9"] == "B, B1, M"
    assert "9" not in found.problems  # Cyrillic В and М would fail the category pattern
    exported = found.to_json()["corrections"]
    assert exported == {"1": {"read": "CMИPHOB SMIRNOV", "corrected": "СМИРНОВ SMIRNOV"},
                        "9": {"read": "В, В1, М", "corrected": "B, B1, M"}}


def test_a_template_without_scripts_leaves_values_as_read(licence):
    plain = licence.model_copy(update={"fields": [f.model_copy(update={"script": None}) for f in licence.fields]})
    found = validate_fields({"9": "В, В1, М"}, plain)
    assert found.values["9"] == "В, В1, М" and found.corrections == {} and "9" in found.problems


def test_the_schema_names_the_scripts_it_knows():
    assert FieldSpec(key="1", label="Surname", script="cyrillic_then_latin").script == "cyrillic_then_latin"
    with pytest.raises(ValidationError):
        FieldSpec(key="1", label="Surname", script="greek")


def test_marks_say_why_a_value_that_prints_like_the_truth_is_not_it():
    assert cell_marks("TATAPCTAH", "ТАТАРСТАН", None) == [Mark("lookalike", "latin")]
    assert cell_marks("В, В1, М", "B, B1, M", None) == [Mark("lookalike", "cyrillic")]
    assert cell_marks("ПEPMЬ PERM", "ПЕРМЬ PERM", None) == [Mark("lookalike", "latin"), Mark("mixed", "ПEPMЬ")]
    assert cell_marks("ТАТАРСТАН", "ТАТАРСТАН", "TATAPCTAH") == [Mark("corrected", "TATAPCTAH")]
    assert cell_marks("ПЕРМЬ РЕВМ", "ПЕРМЬ PERM", None) == []  # a real misread: no look-alike excuse
    assert cell_marks("ПEPMЬ", None, None) == [Mark("mixed", "ПEPMЬ")]  # without truth, mixed words still show
    assert cell_marks(None, "ТАТАРСТАН", None) == []


def _result(key: str, name: str) -> ModelResult:
    return ModelResult(key, name, Status.OK, text="", metrics=Metrics(latency_s=0.1))


def test_the_shown_table_has_badges_russian_headers_and_rounded_accuracy(licence):
    plain = licence.model_copy(update={"fields": [f.model_copy(update={"script": None}) for f in licence.fields]})
    truth = {"1": "ПОПОВ POPOV", "3": "28.06.1978 КАЗАНЬ KAZAN", "8": "ТАТАРСТАН TATARSTAN",
             "9": "A, B, C, A1, B1, C1, M"}
    read = {"1": "ПOПOB POPOV", "3": "28.06.1978 KA3AHb KAZAN", "8": "TATAPCTAH TATARSTAN", "9": "A, B, C, M"}
    run = FieldsRun("card.png", "ru_driver_license", {"rapidocr": "RapidOCR", "plain": "Plain"}, truth)
    extractions = {"rapidocr": validate_fields(dict(read), licence, "rules"),
                   "plain": validate_fields(dict(read), plain, "rules")}
    _add_page(run, licence, 1, {k: _result(k, n) for k, n in run.names.items()}, extractions, "ru", False)

    shown = shown_fields(run, "ru").data.set_index("Поле")
    assert list(shown.columns) == ["Название", "RapidOCR", "Plain", "Согласие", "Ошибка формата", "Эталон"]
    assert shown.loc["8", "RapidOCR"].startswith("ТАТАРСТАН TATARSTAN\n⟲ прочитано «TATAPCTAH TATARSTAN»")
    assert shown.loc["8", "Plain"] == "TATAPCTAH TATARSTAN\n⚠ буквы-двойники: латиница там, где в эталоне кириллица"
    assert "кириллица и латиница в одном слове: ПOПOB" in shown.loc["1", "Plain"]
    assert shown.loc["9", "RapidOCR"] == "A, B, C, M"  # a real miss: no badge
    english = shown_fields(run, "en").data
    assert list(english.columns)[:2] == ["Field", "Label"] and "⟲ read as «TATAPCTAH TATARSTAN»" in \
        english.set_index("Field").loc["8", "RapidOCR"]

    scores = shown_scores(run, "ru").set_index("Модель")
    assert scores.loc["RapidOCR", "Точность"] == 0.75 and scores.loc["Plain", "Точность"] == 0.0
    assert run.record()["pages"][0]["models"][1]["marks"]["8"] == [{"kind": "lookalike", "detail": "latin"}]
    assert run.record()["pages"][0]["models"][0]["corrections"]["3"] == {
        "read": "28.06.1978 KA3AHb KAZAN", "corrected": "28.06.1978 КАЗАНЬ KAZAN"}


def test_accuracy_is_rounded(licence):
    truth = {"1": "A", "2": "B", "3": "C"}
    run = FieldsRun("card.png", "ru_driver_license", {"m": "M"}, truth)
    found = validate_fields({"1": "A", "2": "B", "3": "X"}, licence.model_copy(update={"fields": []}))
    _add_page(run, licence.model_copy(update={"fields": []}), 1, {"m": _result("m", "M")}, {"m": found}, "en", False)
    assert run.score_rows[0]["accuracy"] == 0.667  # not 0.6666666666666666


def test_template_names_follow_the_language(config):
    i18n, pool = gr.I18n(**gradio_translations("auto")), ModelPool(config)
    with gr.Blocks():
        choices = FieldsTab(pool, "auto", i18n).template_choices()
    pool.close()
    assert [key for _, key in choices] == list(config.templates)
    assert i18n.translations["ru"]["fields_template_ru_driver_license"] == "Водительское удостоверение РФ"
    assert i18n.translations["en"]["fields_template_ru_driver_license"] == "Russian driver's licence"
    assert i18n.translations["ru"]["fields_template_receipt"] == "Чек"
