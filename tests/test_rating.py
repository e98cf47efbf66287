"""Leaderboard maths of blind battles (core/battles/rating.py): Bradley–Terry ratings, bootstrap intervals, ranks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from core.battles.rating import (ModelStanding, bootstrap_intervals, fit_ratings, pairwise_win_rates, ranks,
                                 standings)

SPACING = 200.0


def simulate(true_ratings: dict[str, float], count: int, seed: int, tie_level: float = 0.5) -> list[tuple]:
    """Battles between random pairs, outcomes drawn from the Bradley–Terry probability p of a beating b.

    Ties come with probability tie_level * p * (1 - p), taken half from each side's wins, so a side's expected
    score (wins + half the ties) stays exactly p: the data then agree with the fitted model, which scores a
    tie as half a win for each side."""
    rng = np.random.default_rng(seed)
    names = list(true_ratings)
    strength = np.array([true_ratings[name] for name in names])
    side_a = rng.integers(0, len(names), count)
    side_b = (side_a + rng.integers(1, len(names), count)) % len(names)   # never the same model twice
    p = 1.0 / (1.0 + 10.0 ** ((strength[side_b] - strength[side_a]) / 400.0))
    tie = tie_level * p * (1.0 - p)
    draw = rng.random(count)
    outcomes = np.where(draw < tie, "tie", np.where(draw < tie + p - tie / 2, "a", "b"))
    return [(names[a], names[b], str(o)) for a, b, o in zip(side_a, side_b, outcomes)]


def six_models() -> dict[str, float]:
    # Keys deliberately not in strength order, so a sort by key cannot pass for a sort by rating.
    return {name: 1000.0 + SPACING * (k - 2.5) for k, name in enumerate(["f", "c", "a", "e", "b", "d"])}


def test_ranks_and_ratings_recovered_from_known_strengths():
    truth = six_models()
    battles = simulate(truth, 3000, seed=7)
    assert any(outcome == "tie" for _, _, outcome in battles)
    table = standings(battles, rounds=1000, seed=0)
    assert [row.key for row in table] == sorted(truth, key=truth.get, reverse=True)
    assert [row.rank for row in table] == [1, 2, 3, 4, 5, 6]
    for row in table:
        assert abs(row.rating - truth[row.key]) < 60
        assert row.ci_low < row.rating < row.ci_high


def test_intervals_cover_true_strengths():
    # 50 simulations x 6 models. 300 bootstrap rounds rather than 1,000 keep the test near 1 s instead of ~4 s
    # on 2 cores; 300 draws still put ~7 in each 2.5% tail, plenty to place a percentile for a coverage check.
    truth = six_models()
    covered = total = 0
    for simulation in range(50):
        battles = simulate(truth, 3000, seed=1000 + simulation)
        intervals = bootstrap_intervals(battles, rounds=300, seed=simulation)
        for key, strength in truth.items():   # truth is already centred on 1000, like the fitted ratings
            low, high = intervals[key]
            covered += low <= strength <= high
            total += 1
    assert total == 300
    assert covered / total >= 0.90


def test_two_models_match_the_closed_form():
    # With two models the maximum-likelihood gap is 400 * log10(wins / losses); a tie is half a win each.
    battles = [("x", "y", "a")] * 30 + [("y", "x", "a")] * 10
    ratings = fit_ratings(battles)
    assert ratings["x"] - ratings["y"] == pytest.approx(400 * math.log10(3), abs=0.05)
    assert sum(ratings.values()) == pytest.approx(2000)
    with_ties = fit_ratings(battles + [("x", "y", "tie")] * 10 + [("y", "x", "both_bad")] * 10)
    assert with_ties["x"] - with_ties["y"] == pytest.approx(400 * math.log10(40 / 20), abs=0.05)
    without_ties = fit_ratings(battles + [("x", "y", "tie")] * 20, include_ties=False)
    assert without_ties == pytest.approx(ratings)


def test_fit_satisfies_the_likelihood_equations():
    # At the maximum each model's expected score equals its actual score (wins + half the ties).
    battles = simulate(six_models(), 800, seed=3)
    ratings = fit_ratings(battles)
    expected = dict.fromkeys(ratings, 0.0)
    actual = dict.fromkeys(ratings, 0.0)
    for a, b, outcome in battles:
        p = 1.0 / (1.0 + 10.0 ** ((ratings[b] - ratings[a]) / 400.0))
        expected[a] += p
        expected[b] += 1 - p
        score = {"a": 1.0, "b": 0.0}.get(outcome, 0.5)
        actual[a] += score
        actual[b] += 1 - score
    for key in ratings:
        assert expected[key] == pytest.approx(actual[key], abs=0.01)
    assert np.mean(list(ratings.values())) == pytest.approx(1000)


def test_a_pair_that_only_ties_gets_equal_ratings():
    ratings = fit_ratings([("x", "y", "tie")] * 4 + [("y", "x", "both_bad")] * 3)
    assert ratings == pytest.approx({"x": 1000.0, "y": 1000.0})
    low, high = bootstrap_intervals([("x", "y", "tie")] * 4, rounds=50)["x"]
    assert low == pytest.approx(1000.0) and high == pytest.approx(1000.0)


def test_without_ties_a_model_that_only_tied_is_absent():
    battles = [("a", "b", "a")] * 3 + [("b", "a", "a")] + [("c", "a", "tie")] * 4 + [("b", "c", "both_bad")]
    assert set(fit_ratings(battles)) == {"a", "b", "c"}
    assert set(fit_ratings(battles, include_ties=False)) == {"a", "b"}
    assert set(bootstrap_intervals(battles, rounds=50, include_ties=False)) == {"a", "b"}
    table = standings(battles, rounds=50, include_ties=False)
    assert [(row.key, row.battles, row.wins, row.losses, row.ties) for row in table] == [
        ("a", 4, 3, 1, 0), ("b", 4, 1, 3, 0)]


def test_models_without_battles_are_absent_and_empty_input_gives_empty_results():
    battles = [("a", "b", "a"), ("b", "c", "b")]
    assert set(fit_ratings(battles)) == {"a", "b", "c"}
    assert fit_ratings([]) == {}
    assert bootstrap_intervals([]) == {}
    assert ranks({}, {}) == {}
    assert standings([]) == []
    assert pairwise_win_rates([]).empty


def test_a_model_that_won_every_battle_gets_a_finite_top_rating():
    battles = [("champ", "x", "a")] * 20 + [("y", "champ", "b")] * 20 + [("x", "y", "a"), ("y", "x", "a")]
    ratings = fit_ratings(battles)
    assert all(math.isfinite(value) for value in ratings.values())
    assert ratings["champ"] > ratings["x"] + 400 and ratings["champ"] > ratings["y"] + 400
    assert all(math.isfinite(bound) for bounds in bootstrap_intervals(battles, rounds=100).values()
               for bound in bounds)


def test_a_model_missing_from_a_resample_is_left_out_of_that_round():
    # "rare" lost its only two battles; about one resample in seven draws neither of them. Such a round must
    # not count, as it would if the model's rating there were taken as the mean.
    battles = [("a", "b", "a")] * 25 + [("a", "b", "b")] * 25 + [("rare", "a", "b"), ("b", "rare", "a")]
    intervals = bootstrap_intervals(battles, rounds=400, seed=1)
    assert all(math.isfinite(bound) for bound in intervals["rare"])
    assert intervals["rare"][1] < min(intervals["a"][0], intervals["b"][0]) - 200


def test_rank_rule_on_hand_made_intervals():
    ratings = {"a": 1100.0, "b": 1080.0, "c": 950.0, "d": 940.0, "e": 700.0}
    intervals = {"a": (1050.0, 1150.0),   # overlaps b: both rank 1
                 "b": (1040.0, 1120.0),
                 "c": (900.0, 1000.0),    # a and b wholly above: rank 3
                 "d": (890.0, 1045.0),    # only a's lower bound is above 1045: rank 2
                 "e": (650.0, 750.0)}     # everyone above: rank 5
    assert ranks(ratings, intervals) == {"a": 1, "b": 1, "c": 3, "d": 2, "e": 5}


def test_same_seed_same_intervals_and_another_seed_differs():
    battles = simulate(six_models(), 600, seed=11)
    first = bootstrap_intervals(battles, rounds=200, seed=5)
    assert bootstrap_intervals(battles, rounds=200, seed=5) == first
    assert bootstrap_intervals(battles, rounds=200, seed=6) != first
    assert [(row.ci_low, row.ci_high) for row in standings(battles, rounds=200, seed=5)] == [
        first[row.key] for row in standings(battles, rounds=200, seed=5)]


def test_standings_rows():
    battles = [("a", "b", "a")] * 6 + [("b", "a", "a")] * 2 + [("a", "c", "tie")] * 2 + [("c", "b", "b")]
    table = standings(battles, rounds=100)
    assert all(isinstance(row, ModelStanding) for row in table)
    ratings = fit_ratings(battles)
    assert [row.key for row in table] == sorted(ratings, key=ratings.get, reverse=True)
    assert [row.rating for row in table] == pytest.approx(sorted(ratings.values(), reverse=True))
    row_a = next(row for row in table if row.key == "a")
    assert (row_a.battles, row_a.wins, row_a.losses, row_a.ties) == (10, 6, 2, 2)
    assert row_a.win_rate == pytest.approx(7 / 10)
    assert row_a.rank == 1


def test_pairwise_win_rates():
    battles = [("a", "b", "a")] * 3 + [("b", "a", "a")] + [("a", "c", "tie")] * 2 + [("c", "a", "a")] * 2
    frame = pairwise_win_rates(battles)
    ratings = fit_ratings(battles)
    assert list(frame.index) == list(frame.columns) == sorted(ratings, key=ratings.get, reverse=True)
    assert frame.loc["a", "b"] == pytest.approx(0.75)
    assert frame.loc["b", "a"] == pytest.approx(0.25)
    assert frame.loc["c", "a"] == pytest.approx(0.75)   # two wins and two ties out of four
    assert math.isnan(frame.loc["b", "c"]) and math.isnan(frame.loc["c", "b"])
    assert all(math.isnan(frame.loc[key, key]) for key in frame.index)


def test_bad_battles_are_refused():
    with pytest.raises(ValueError, match="outcome"):
        fit_ratings([("a", "b", "draw")])
    with pytest.raises(ValueError, match="two different models"):
        fit_ratings([("a", "a", "a")])
    with pytest.raises(ValueError, match="rounds"):
        bootstrap_intervals([("a", "b", "a")], rounds=0)
