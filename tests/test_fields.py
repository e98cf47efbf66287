"""Field extraction: JSON replies repaired and validated, rule-based parsers, the side-by-side table, and
Tesseract + rules on the project's synthetic Russian licences against their ground truth."""
import json

import pytest

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from core.documents import load_image
from core.fields.extraction import accuracy, extract, field_request, side_by_side
from core.fields.parsing import FieldValues, fields_prompt, find_json_object, parse_reply, validate_fields
from core.fields.rules import parse_key_value, parse_receipt, parse_ru_driver_license
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from core.dataset import load_dataset
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def licence(config):
    return config.templates["ru_driver_license"]


@pytest.fixture(scope="module")
def receipt(config):
    return config.templates["receipt"]


# ---- JSON replies -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, note", [
    ('{"total": "9.00", "date": "25/12/2018"}', None),
    ('```json\n{"total": "9.00", "date": "25/12/2018"}\n```', "removed a Markdown code fence"),
    ('Here are the fields: {"total": "9.00", "date": "25/12/2018"} Hope this helps!', "out of surrounding text"),
    ("{'total': '9.00', 'date': '25/12/2018',}", "repaired near-JSON"),
    ('{"total": "9.00", "date": "25/12/2018"', "repaired near-JSON"),  # cut off before the brace
    ('{"fields": {"total": "9.00", "date": "25/12/2018"}}', None),
])
def test_near_json_is_found_and_repaired(reply, note):
    found, notes = find_json_object(reply)
    assert found == {"total": "9.00", "date": "25/12/2018"}
    assert (note is None and notes == []) or any(note in n for n in notes)


def test_no_json_at_all_is_said_not_hidden(receipt):
    result = parse_reply("I cannot read this receipt.", receipt)
    assert result.values == {"company": None, "date": None, "address": None, "total": None}
    assert result.notes == ["no JSON object in the reply"]


def test_keys_are_matched_and_values_validated_against_the_template(licence):
    reply = json.dumps({
        "1": "СМИРНОВ SMIRNOV",
        "field_2": "ФЁДОР АНДРЕЕВИЧ FEDOR ANDREEVICH",
        "4а": "12.07.2019",               # Cyrillic а in the key
        "Valid until": "2029-07-12",       # the label as key; the wrong date format
        "5": "7716482915",                 # digits without the spaces of the format
        "9": ["B", "B1", "M"],             # a list where a string was asked for
        "8": "",                           # empty means absent
        "signature": "yes",                # not in the template
    }, ensure_ascii=False)
    result = parse_reply(reply, licence)
    assert result.values["2"] == "ФЁДОР АНДРЕЕВИЧ FEDOR ANDREEVICH"
    assert result.values["4a"] == "12.07.2019" and result.values["4b"] == "2029-07-12"
    assert result.values["9"] == "B, B1, M" and result.values["8"] is None and result.values["3"] is None
    assert set(result.problems) == {"4b", "5"}  # the values stay; the failures are named
    assert result.problems["5"] == "not in the expected format (e.g. 77 16 482915)"
    assert result.notes == ["keys not in the template: signature"]


def test_a_number_where_a_formatted_amount_is_expected_is_flagged(receipt):
    result = parse_reply('{"company": "AEON", "total": 9.5}', receipt)
    assert result.values["total"] == "9.5" and "total" in result.problems


def test_the_prompt_names_every_field_and_asks_for_json(licence):
    prompt = fields_prompt(licence)
    assert all(f'"{spec.key}"' in prompt for spec in licence.fields)
    assert "one JSON object" in prompt and "null" in prompt


# ---- rule-based parsers --------------------------------------------------------------------------------------

def test_licence_rules_survive_the_usual_ocr_slips(licence):
    text = ("RUS ВОДИТЕЛЬСКОЕ УДОСТОВЕРЕНИЕ\n\n1. ВОРОБЬЁВА VOROBEVA\n\n2. ЮЛИЯ ПЕТРОВНА IULIIA PETROVNA\n"
            "3. 09.01.2000 ЕКАТЕРИНБУРГ EKATERINBURG\n4a) 18.02.2020 46) 18.02.2030\n4с) ГИБДД 6601\n\n"
            "5. 66 32904418\n\n8. СВЕРДЛОВСКАЯ ОБЛ.\n\nSVERDLOVSKAIA OBL.\n9. В, B1,M")
    parsed = parse_ru_driver_license(text)
    assert parsed == {
        "1": "ВОРОБЬЁВА VOROBEVA", "2": "ЮЛИЯ ПЕТРОВНА IULIIA PETROVNA",
        "3": "09.01.2000 ЕКАТЕРИНБУРГ EKATERINBURG", "4a": "18.02.2020", "4b": "18.02.2030",  # "46)" is 4b
        "4c": "ГИБДД 6601", "5": "66 32 904418", "8": "СВЕРДЛОВСКАЯ ОБЛ. SVERDLOVSKAIA OBL.",
        "9": "В, B1, M"}  # the categories found, the Cyrillic В read for the Latin B kept as read...
    checked = validate_fields(parsed, licence, method="rules")
    assert checked.values["9"] == "B, B1, M" and "9" not in checked.problems  # ...and corrected visibly
    assert checked.corrections == {"9": "В, B1, M"}


def test_receipt_rules_find_company_date_address_and_total():
    text = ("AEON CO. (M) BHD (126926-H)\n3RD FLR, AEON TAMAN MALURI SC\nJLN JEJAKA, 55100 KUALA LUMPUR\n"
            "GST ID : 002017394688\nDATE 06/03/2018 TIME 12:35\nSUB-TOTAL 71.00\nTOTAL QTY 3\n"
            "TOTAL INCL GST 75.00\nCASH 100.00\nCHANGE 25.00")
    assert parse_receipt(text) == {"company": "AEON CO. (M) BHD", "date": "06/03/2018",
                                   "address": "3RD FLR, AEON TAMAN MALURI SC JLN JEJAKA, 55100 KUALA LUMPUR",
                                   "total": "75.00"}


def test_key_value_rules_take_labelled_lines():
    assert parse_key_value("Name: Ivan Petrov\nDate of birth: 01.02.1990\n12: not a label\nfree text") == {
        "Name": "Ivan Petrov", "Date of birth": "01.02.1990"}


# ---- side by side ----------------------------------------------------------------------------------------------

def test_the_side_by_side_table_marks_disagreement_and_format_failures(receipt):
    a = FieldValues({"company": "AEON CO. (M) BHD", "date": "06/03/2018", "address": None, "total": "75.00"})
    b = FieldValues({"company": "aeon co. (m) bhd", "date": "06/03/2018", "address": "KL", "total": "75"},
                    problems={"total": "not in the expected format (e.g. 9.00)"})
    table = side_by_side(receipt, {"A": a, "B": b, "C": None}, truth={"total": "75.00"}).set_index("field")
    assert list(table.columns) == ["label", "A", "B", "C", "agree", "format_failed", "truth"]
    assert table.loc["company", "agree"] == True  # noqa: E712 (case-insensitive agreement)
    assert table.loc["total", "agree"] == False  # noqa: E712
    assert table.loc["address", "agree"] is None  # only one model found it: nothing to compare
    assert table.loc["total", "format_failed"] == "B" and table.loc["total", "truth"] == "75.00"
    assert accuracy(receipt, a, {"total": "75.00", "company": "Aeon Co. (M) Bhd"})["accuracy"] == 1.0
    assert accuracy(receipt, None, {"total": "75.00"})["accuracy"] == 0.0


# ---- real engines --------------------------------------------------------------------------------------------

def test_tesseract_and_the_licence_rules_on_the_synthetic_cards(config, licence):
    pool = ModelPool(config)
    entry = config.get("tesseract")
    per_field: dict[str, list[bool]] = {}
    for item in load_dataset(SAMPLES / "ru_licences").items:
        request = field_request(entry, licence, PageRequest(load_image(item.image_path)))
        assert request.task == "ocr"  # Tesseract cannot answer JSON: its text is parsed
        result = [e for e in pool.run("tesseract", request) if isinstance(e, ModelResult)][0]
        assert result.status == Status.OK
        found = extract(entry, licence, result)
        assert found.method == "rules"
        for key, hit in accuracy(licence, found, item.gt_fields)["matches"].items():
            per_field.setdefault(key, []).append(hit)
    overall = sum(sum(hits) for hits in per_field.values()) / sum(len(hits) for hits in per_field.values())
    # Measured: 0.963 (52 of 54). Dates, numbers and issuer are read on every card.
    assert overall >= 0.9
    assert all(per_field[key] == [True] * 6 for key in ("1", "3", "4a", "4b", "4c", "5"))
    pool.close()
