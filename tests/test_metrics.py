"""Hand-checked cases for benchmarks.metrics (CER, WER, normalisation, char diff)."""

import pytest

from benchmarks.metrics import _append_merged, cer, char_diff, normalize, score, wer


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
    assert score("the cat", "the bat") == {"cer": pytest.approx(1 / 7), "wer": pytest.approx(1 / 2)}


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
