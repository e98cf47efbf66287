"""The leaderboard assembled from a real votes store: filters, ties, the objective figures beside the ratings
(the latest benchmark CER among them), and the tab's language choices."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks.history import latest_cer, record_run
from core.battles.leaderboard import LeaderboardFilters, build_leaderboard
from core.battles.vote_records import Outage, Vote
from core.battles.votes import VotesStore
from ui.leaderboard_tab import LeaderboardTab


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


def test_a_configured_model_without_votes_is_absent(store, config):
    voted = {"tesseract", "rapidocr", "tesseract_eng"}
    idle = [key for key in config.keys() if key not in voted]
    assert idle  # the shipped config has models that no vote names
    store.add_outage(Outage("b98", "2026-01-03T14:00:00Z", idle[0], "error", "crashed"))  # an outage is no battle
    result = board(store, config)
    assert {m["key"] for m in result.models} == voted
    assert set(result.win_rates.index) == set(result.win_rates.columns) == voted


def record(path, run_id: str, started: str, dataset: str, cers: dict[str, float | None]) -> None:
    record_run(path, {"run_id": run_id, "started_at": started, "models": list(cers), "settings": {}, "wall_s": 1.0,
                      "dataset": {"name": dataset, "folder": f"samples/{dataset}", "items": 3}, "overhead": 1.0,
                      "summary": [{"key": key, "model": key, "cer_mean": cer} for key, cer in cers.items()]}, None)


def test_latest_cer_is_each_models_latest_run_on_the_named_sets(tmp_path):
    path = tmp_path / "history.sqlite"
    assert latest_cer(path, ["en_printed_pages"]) == {}  # no history yet
    record(path, "r1", "2026-01-01T10:00:00", "en_printed_pages", {"tesseract": 0.20, "rapidocr": 0.30})
    record(path, "r2", "2026-01-02T10:00:00", "en_printed_pages", {"tesseract": 0.10})
    record(path, "r3", "2026-01-03T10:00:00", "other_set", {"tesseract": 0.90, "rapidocr": 0.90})
    record(path, "r4", "2026-01-02T12:00:00", "ru_licences", {"rapidocr": 0.25, "tesseract_eng": None})
    assert latest_cer(path, ["en_printed_pages"]) == {"tesseract": 0.10, "rapidocr": 0.30}
    assert latest_cer(path, ["en_printed_pages", "ru_licences"]) == {"tesseract": 0.10, "rapidocr": 0.25}
    record(path, "r5", "2026-01-02T10:00:00", "en_printed_pages", {"tesseract": 0.12})  # same start: the later row
    assert latest_cer(path, ["en_printed_pages"])["tesseract"] == 0.12
    assert latest_cer(path, []) == {} and latest_cer(path, ["no_such_set"]) == {}


def leaderboard_tab(config, store, tmp_path, lang: str = "en") -> LeaderboardTab:
    """The tab on its own: the benchmark history in tmp_path, en_printed_pages as the one battle set."""
    app = config.app.model_copy(update={"benchmark_history": str(tmp_path / "history.sqlite"),
                                        "battle_documents": ["samples/en_printed_pages"]})
    return LeaderboardTab(SimpleNamespace(config=config.model_copy(update={"app": app})), lang, None, store=store)


def test_the_tab_shows_the_latest_benchmark_cer_on_the_battle_sets(store, config, tmp_path):
    record(tmp_path / "history.sqlite", "r1", "2026-01-01T10:00:00", "en_printed_pages", {"rapidocr": 0.04})
    record(tmp_path / "history.sqlite", "r2", "2026-01-01T11:00:00", "ru_licences", {"tesseract": 0.5})
    models = {m["key"]: m for m in leaderboard_tab(config, store, tmp_path).leaderboard()[0]["models"]}
    assert models["rapidocr"]["benchmark_cer"] == 0.04 and models["tesseract"]["benchmark_cer"] is None


def test_the_language_filter_offers_the_stored_languages_on_each_view(store, config, tmp_path):
    tab = leaderboard_tab(config, store, tmp_path)
    assert tab.leaderboard()[-1]["choices"] == [("all", ""), ("en", "en"), ("ru", "ru")]
    store.add_vote(vote(20, "rapidocr", "tesseract_eng", "a", language="mul (en,de,fr,it,es,pt)"))
    outputs = tab.leaderboard("", "de", "", "", "", True)
    assert outputs[0]["votes"] == 1 and {m["key"] for m in outputs[0]["models"]} == {"rapidocr", "tesseract_eng"}
    assert [value for _, value in outputs[-1]["choices"]] == ["", "de", "en", "es", "fr", "it", "pt", "ru"]
    assert tab.leaderboard("", "en")[0]["votes"] == 13  # the 12 English votes and the multilingual one
    assert tab.leaderboard("", "ja")[-1]["choices"][0] == ("all", "")  # no vote: an empty board, same choices
    assert leaderboard_tab(config, store, tmp_path, "ru").leaderboard()[-1]["choices"][0] == ("все", "")
