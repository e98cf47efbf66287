"""Look-alike letters on hand-checked strings: what RapidOCR and Tesseract answer on Russian licence cards."""
from core.lookalikes import (fold_lookalikes, is_lookalike_swap, is_mixed_script, mixed_script_words, script_of,
                             to_script)


def test_an_all_latin_reading_of_a_cyrillic_word_folds_to_the_same_letters():
    assert "TATAPCTAH" != "ТАТАРСТАН"
    assert fold_lookalikes("TATAPCTAH") == fold_lookalikes("ТАТАРСТАН")
    assert is_lookalike_swap("КАЗАНЬ", "KA3AHb")  # З read as the digit 3, Ь as b
    assert not is_lookalike_swap("КАЗАНЬ", "КАЗАНЬ")  # no change is no swap
    assert not is_lookalike_swap("ПЕРМЬ", "РЕВМ")  # Tesseract misread the letters: a real error


def test_upright_lower_case_letters_that_differ_in_print_are_not_folded():
    assert fold_lookalikes("т") != fold_lookalikes("t") and fold_lookalikes("и") != fold_lookalikes("u")
    assert fold_lookalikes("ор") == fold_lookalikes("op")


def test_words_mixing_the_scripts_are_found_with_their_positions():
    text = "ПEPMЬ PERM, Москва"  # the first word has a Latin E, P and M
    assert mixed_script_words(text) == [(0, 5)]
    assert is_mixed_script("BМ") and not is_mixed_script("B1") and not is_mixed_script("77")
    assert script_of("Ж") == "cyrillic" and script_of("Q") == "latin" and script_of("3") is None


def test_a_value_is_put_back_in_its_script_leaving_digits_and_unknown_letters_alone():
    assert to_script("TATAPCTAH", "cyrillic") == "ТАТАРСТАН"
    assert to_script("ВВМ", "latin") == "BBM"
    assert to_script("ПEPMЬ 77", "cyrillic") == "ПЕРМЬ 77"  # the digits stay digits
    assert to_script("DMITRII", "cyrillic") == "DМIТRII"  # D, I and R have no Cyrillic twin: they stay


def test_greek_capitals_fold_and_move_like_their_cyrillic_twins():
    assert is_lookalike_swap("СЕРГЕЕВНА", "CEPΓEEBHA")  # RapidOCR: Latin letters and a Greek Γ for Г
    assert to_script("ΠETEPYPF", "cyrillic") == "ПЕТЕРУРF"  # F is no look-alike of Г: it stays
    assert to_script("ΑΒ", "latin") == "AB"
    assert script_of("Γ") is None and not is_mixed_script("CEPΓEEBHA")  # only Cyrillic and Latin are scripts here
