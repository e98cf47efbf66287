"""Hand-checked cases for core.metrics (CER, WER, normalisation, char diff)."""

import pytest

from core.metrics import Normalization, _append_merged, cer, cer_folded, char_diff, normalize, score, wer


# --- edit distances -------------------------------------------------------------------------

def test_cer_kitten_sitting():
    # k->s, e->i, +g: 3 edits over 6 reference characters
    assert cer("kitten", "sitting") == pytest.approx(3 / 6)
    # the other way round: s->k, i->e, -g: 3 edits over 7 characters
    assert cer("sitting", "kitten") == pytest.approx(3 / 7)


def test_cer_identical_is_zero_and_single_substitution():
    assert cer("hello world", "hello world") == 0.0
    assert cer("abcd", "abxd") == pytest.approx(1 / 4)


def test_cer_can_exceed_one_for_long_hypothesis():
    assert cer("ab", "abcdef") == pytest.approx(4 / 2)


def test_wer_known_example():
    # "sat"->"sit" substituted, "the" deleted: 2 edits over 6 reference words
    assert wer("the cat sat on the mat", "the cat sit on mat") == pytest.approx(2 / 6)


def test_wer_insertion():
    assert wer("a b c", "a b x c") == pytest.approx(1 / 3)


# --- empty inputs --------------------------------------------------------------------------

def test_empty_reference_and_empty_hypothesis_is_zero():
    assert cer("", "") == 0.0
    assert wer("", "") == 0.0
    # whitespace-only collapses to empty
    assert cer("  \n", "\t") == 0.0


def test_empty_reference_with_output_is_one():
    assert cer("", "abc") == 1.0
    assert wer("", "abc def") == 1.0


def test_empty_hypothesis_is_full_deletion():
    assert cer("abc", "") == 1.0
    assert wer("one two", "") == 1.0


# --- normalisation -------------------------------------------------------------------------

def test_nfkc_ligature():
    assert normalize("con\ufb01gurations") == "configurations"
    assert cer("con\ufb01gurations", "configurations") == 0.0
    # switched off, the ligature is one character against two: 1 substitution + 1 insertion
    assert cer("con\ufb01gurations", "configurations", nfkc=False) == pytest.approx(2 / 13)


def test_whitespace_collapse():
    assert normalize("  line one\n\n  line\ttwo  ") == "line one line two"
    assert cer("line one\nline two", "line one  line two") == 0.0
    assert wer("line one\nline two", "line one line two") == 0.0
    # switched off, the newline vs two spaces costs 1 substitution + 1 insertion
    assert cer("a\nb", "a  b", collapse_whitespace=False) == pytest.approx(2 / 3)


def test_combining_mark_equals_precomposed():
    decomposed = "caf" + "e\u0301"
    assert decomposed != "café"
    assert normalize(decomposed) == "café"
    assert cer("café", decomposed) == 0.0
    assert cer("café", decomposed, nfkc=False) > 0.0


def test_cyrillic_yo_and_ye_are_one_substitution():
    assert normalize("Фёдор") == "Фёдор"  # diacritic kept
    assert cer("Фёдор", "Федор") == pytest.approx(1 / 5)
    assert wer("Фёдор Иванов", "Федор Иванов") == pytest.approx(1 / 2)


def test_casefold_option():
    assert cer("TOTAL", "total") == pytest.approx(5 / 5)
    assert cer("TOTAL", "total", casefold=True) == 0.0
    assert normalize("ВОДИТЕЛЬ", casefold=True) == "водитель"


def test_score_returns_both_rates():
    assert score("the cat", "the bat") == {"cer": pytest.approx(1 / 7), "cer_folded": pytest.approx(1 / 7),
                                           "wer": pytest.approx(1 / 2),
                                           "ned": pytest.approx(1 / 7), "word_f1": pytest.approx(1 / 2)}
    # Case folding is explicit: off by default, on when the normalisation asks for it.
    assert score("TOTAL 9.00", "total 9.00")["cer"] == pytest.approx(5 / 10)
    assert score("TOTAL 9.00", "total 9.00", Normalization(casefold=True))["cer"] == 0.0


# --- char diff -----------------------------------------------------------------------------

def test_char_diff_segments_kitten_sitting():
    assert char_diff("kitten", "sitting") == [
        ("k", "missing"),
        ("s", "extra"),
        ("itt", None),
        ("e", "missing"),
        ("i", "extra"),
        ("n", None),
        ("g", "extra"),
    ]


def test_char_diff_deletion_identity_and_empty():
    assert char_diff("abcdef", "abef") == [("ab", None), ("cd", "missing"), ("ef", None)]
    assert char_diff("same", "same") == [("same", None)]
    assert char_diff("", "") == []


def test_segments_with_the_same_label_are_merged():
    # rapidfuzz already groups its opcodes, so this guard is tested on the helper directly
    segments = []
    for text, label in [("a", "missing"), ("", "extra"), ("b", "missing"), ("x", "extra"), ("c", None)]:
        _append_merged(segments, text, label)
    assert segments == [("ab", "missing"), ("x", "extra"), ("c", None)]


@pytest.mark.parametrize(
    "reference, hypothesis",
    [
        ("kitten", "sitting"),
        ("con\ufb01gured  line\none", "configurcd line 0ne!"),
        ("Фёдор ИВАНОВ", "Федор IVANOV"),
        ("", "only extra"),
        ("only missing", ""),
    ],
)
def test_char_diff_rebuilds_both_texts(reference, hypothesis):
    segments = char_diff(reference, hypothesis)
    rebuilt_reference = "".join(text for text, label in segments if label in (None, "missing"))
    rebuilt_hypothesis = "".join(text for text, label in segments if label in (None, "extra"))
    assert rebuilt_reference == normalize(reference)
    assert rebuilt_hypothesis == normalize(hypothesis)
    # runs are merged: no two neighbours share a label
    assert all(a[1] != b[1] for a, b in zip(segments, segments[1:]))


def test_normalized_edit_distance_is_bounded_by_the_longer_text():
    from core.metrics import normalized_edit_distance as ned

    assert ned("kitten", "sitting") == pytest.approx(3 / 7)  # 3 edits, the longer text has 7 characters
    assert ned("ab", "ab" * 50) == pytest.approx(98 / 100)  # where CER would be 49.0
    assert ned("", "") == 0.0 and ned("", "x") == 1.0 and ned("abc", "") == 1.0
    assert ned("ﬁle", "file") == 0.0  # NFKC, as for CER


def test_word_f1_ignores_order_and_counts_repeats():
    from core.metrics import word_f1

    assert word_f1("left column right column", "right column left column") == 1.0  # columns swapped
    # R = {a, b, c, d}, H = {a, b, x}: matched 2, P = 2/3, R = 2/4, F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = 4/7.
    assert word_f1("a b c d", "a b x") == pytest.approx(4 / 7)
    # A repeated word matches only as often as the reference has it: P = 1/3, R = 1, F1 = 1/2.
    assert word_f1("the", "the the the") == pytest.approx(0.5)
    assert word_f1("", "") == 1.0 and word_f1("a", "") == 0.0 and word_f1("", "a") == 0.0
    assert word_f1("ёлка", "елка") == 0.0  # ё and е stay distinct


def test_field_matches_in_text_and_in_extracted_fields():
    from core.metrics import field_accuracy, field_matches

    truth = {"company": "BOOK TA .K (TAMAN DAYA) SDN BHD", "date": "25/12/2018", "total": "9.00", "address": ""}
    text = "Book Ta .K (Taman Daya) Sdn  Bhd\nDate: 25/12/2018 8:13:39 PM\nTotal 9,00"
    matches = field_matches(truth, text)
    assert matches == {"company": True, "date": True, "total": False}  # "9,00" is not "9.00"; empty skipped
    assert field_accuracy(matches) == pytest.approx(2 / 3)
    extracted = {"company": "book ta .k (taman daya) sdn bhd", "date": "2018-12-25", "total": "9.00"}
    assert field_matches(truth, extracted) == {"company": True, "date": False, "total": True}
    assert field_accuracy({}) is None


# --- CER with look-alike letters folded ---------------------------------------------------------------------

@pytest.mark.parametrize("reference, hypothesis, plain, folded", [
    ("ТАТАРСТАН", "TATAPCTAH", 9 / 9, 0.0),  # RapidOCR's all-Latin reading: every letter a look-alike
    ("КАЗАНЬ", "KA3AHb", 6 / 6, 0.0),  # З read as the digit 3, Ь as b
    ("СЕРГЕЕВНА", "CEPΓEEBHA", 9 / 9, 0.0),  # a Greek Γ for the Cyrillic Г
    ("ПЕРМЬ PERM", "ПЕРМЬ РЕВМ", 4 / 10, 1 / 10),  # Tesseract: three look-alikes and one real misread (R -> В)
    ("мир", "мор", 1 / 3, 1 / 3),  # a real misread stays an error
    ("B, B1, M", "В, В1, М", 3 / 8, 0.0),  # Cyrillic В and М for Latin category letters
])
def test_folded_cer_forgives_only_look_alike_letters(reference, hypothesis, plain, folded):
    assert cer(reference, hypothesis) == pytest.approx(plain)
    assert cer_folded(reference, hypothesis) == pytest.approx(folded)
    assert score(reference, hypothesis)["cer_folded"] == pytest.approx(folded)


def test_folding_comes_before_case_folding():
    # Case folded first, "Т" would become "т", which looks like no Latin letter, and the swap would stay.
    assert score("ТАТАРСТАН", "tatapctah", Normalization(casefold=True)) == pytest.approx(
        {"cer": 1.0, "cer_folded": 0.0, "wer": 1.0, "ned": 1.0, "word_f1": 0.0})
