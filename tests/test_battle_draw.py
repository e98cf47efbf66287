"""Matchmaking (core.battles.draw): pairs that met least are drawn most often, in the proportions the weights say,
and sides are a coin flip; the arena draws from the votes store's pair counts."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from PIL import Image

from backends.pool import ModelPool
from core.battles.documents import BattleDocument
from core.battles.draw import draw_pair
from core.battles.session import BattleArena
from core.battles.vote_records import Vote
from core.battles.votes import VotesStore

DRAWS = 7000


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def test_pairs_are_drawn_in_proportion_to_one_over_one_plus_their_battles():
    met = {pair("a", "b"): 0, pair("a", "c"): 1, pair("b", "c"): 3}  # weights 1, 1/2, 1/4: shares 4/7, 2/7, 1/7
    rng = random.Random(1234)
    draws = [draw_pair(["a", "b", "c"], met, rng) for _ in range(DRAWS)]
    shares = {p: n / DRAWS for p, n in Counter(frozenset(d) for d in draws).items()}
    assert shares[pair("a", "b")] > shares[pair("a", "c")] > shares[pair("b", "c")]
    for p, expected in ((pair("a", "b"), 4 / 7), (pair("a", "c"), 2 / 7), (pair("b", "c"), 1 / 7)):
        assert shares[p] == pytest.approx(expected, abs=0.02), (sorted(p), shares[p])
    assert all(first != second for first, second in draws)
    a_first = sum(1 for first, second in draws if {first, second} == {"a", "b"} and first == "a")
    assert a_first / (shares[pair("a", "b")] * DRAWS) == pytest.approx(0.5, abs=0.03)  # sides: a coin flip


def test_pairs_that_never_met_are_drawn_evenly_and_the_same_seed_draws_the_same():
    candidates = ["a", "b", "c", "d"]
    rng = random.Random(99)
    counts = Counter(frozenset(draw_pair(candidates, {}, rng)) for _ in range(DRAWS))
    assert len(counts) == 6 and all(n / DRAWS == pytest.approx(1 / 6, abs=0.02) for n in counts.values())
    twice = [[draw_pair(candidates, {pair("a", "b"): 4}, rng) for _ in range(20)]
             for rng in (random.Random(3), random.Random(3))]
    assert twice[0] == twice[1]
    assert draw_pair(["x", "y"], {pair("x", "y"): 10 ** 6}, random.Random(0)) in (("x", "y"), ("y", "x"))


def test_the_arena_draws_pairs_with_few_votes_more_often(config, tmp_path):
    models = ["tesseract", "tesseract_eng", "rapidocr"]
    store = VotesStore(tmp_path / "votes.sqlite")
    for n in range(9):  # tesseract met tesseract_eng 9 times, on either side; the other pairs never met
        a, b = ("tesseract", "tesseract_eng") if n % 2 else ("tesseract_eng", "tesseract")
        store.add_vote(Vote(f"v{n}", "2026-01-01T12:00:00Z", "alice", "ocr", "en", "0" * 64, None, a, b, "x", "y",
                            1.0, 1.0, "tie", None, None))
    assert store.pair_counts() == {pair("tesseract", "tesseract_eng"): 9}
    settings = config.app.model_copy(update={"battle_models": models})
    pool = ModelPool(config.model_copy(update={"app": settings}))
    try:
        arena = BattleArena(pool, store, random.Random(42))
        document = BattleDocument(Image.new("RGB", (8, 8), "white"), "blank.png", "1" * 64)
        drawn = Counter(frozenset(arena.start(document, "ocr").models.values()) for _ in range(600))
    finally:
        pool.close()
    # weights 1/10, 1, 1: the pair that met 9 times gets about 1/21 of the draws, the others about 10/21 each
    assert drawn[pair("tesseract", "tesseract_eng")] / 600 == pytest.approx(1 / 21, abs=0.03)
    assert drawn[pair("tesseract", "rapidocr")] / 600 == pytest.approx(10 / 21, abs=0.07)
