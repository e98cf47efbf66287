"""The leaderboard assembled from a real votes store: filters, ties, the objective figures beside the ratings."""
from __future__ import annotations

import pytest

from core.battles.leaderboard import LeaderboardFilters, build_leaderboard
from core.battles.vote_records import Outage, Vote
from core.battles.votes import VotesStore


def vote(n: int, a: str, b: str, choice: str, *, reviewer="alice", task="ocr", language="en",
         day="2026-01-02", cer_a=None, latency_a=1.0) -> Vote:
    return Vote(battle_id=f"b{n}", time=f"{day}T12:{n % 60:02d}:00Z", reviewer=reviewer, task=task,
                language=language, document_hash="0" * 64, document_path=None, model_a=a, model_b=b,
                output_a="text a", output_b="text b", latency_a=latency_a, latency_b=2.0, vote=choice,
                cer_a=cer_a, cer_b=0.5)


@pytest.fixture
def store(tmp_path):
    store = VotesStore(tmp_path / "votes.sqlite")
    for n in range(12):  # tesseract beats rapidocr 9 to 3, on English pages, by alice
        store.add_vote(vote(n, "tesseract", "rapidocr", "a" if n < 9 else "b", cer_a=0.1, latency_a=0.5))
    for n in range(12, 16):  # bob's Russian ties between tesseract and tesseract_eng, a day later
        store.add_vote(vote(n, "tesseract_eng", "tesseract", "tie", reviewer="bob", language="ru", day="2026-01-03"))
    store.add_outage(Outage("b99", "2026-01-03T13:00:00Z", "rapidocr", "timeout", "no result within 120 s"))
    return store


def board(store, config, **filters):
    return build_leaderboard(store, config, LeaderboardFilters(**filters), {"tesseract": 0.08}, rounds=200)


def test_the_ratings_follow_the_votes_and_carry_the_objective_figures(store, config):
    result = board(store, config)
    models = {m["key"]: m for m in result.models}
    assert [m["key"] for m in result.models][0] == "tesseract" and result.votes == 16
    assert models["tesseract"]["battles"] == 16 and models["rapidocr"]["battles"] == 12
    assert models["tesseract"]["cer"] == pytest.approx((12 * 0.1 + 4 * 0.5) / 16, abs=1e-4)
    assert models["tesseract"]["benchmark_cer"] == 0.08 and models["rapidocr"]["benchmark_cer"] is None
    assert models["rapidocr"]["outages"] == 1 and models["tesseract"]["latency_median_s"] == 0.5
    assert result.reviewers == {"alice": 12, "bob": 4}
    assert result.win_rates.loc["tesseract", "rapidocr"] == pytest.approx(9 / 12)


def test_filters_select_the_votes(store, config):
    assert board(store, config, reviewer="bob").votes == 4
    assert {m["key"] for m in board(store, config, language="ru").models} == {"tesseract", "tesseract_eng"}
    assert board(store, config, since="2026-01-03").votes == 4  # a date means the whole day, in UTC
    assert board(store, config, until="2026-01-02").votes == 12
    assert board(store, config, task="layout").models == []


def test_leaving_ties_out_drops_the_models_that_only_tied(store, config):
    keys = {m["key"] for m in board(store, config, include_ties=False).models}
    assert keys == {"tesseract", "rapidocr"}


def test_a_date_that_is_not_a_date_is_a_clear_error(store, config):
    with pytest.raises(ValueError, match="yesterday"):
        board(store, config, since="yesterday")
