"""Blind battles through the API with the CPU engines: anonymity before the vote, scripted votes that the
leaderboard follows, and the guards (double votes, the hourly cap, votes before the end, outages)."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import gradio as gr
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from backends.contracts.results import MessageCode, ModelResult, Status
from backends.contracts.schema import PROJECT_ROOT
from backends.pool import ModelPool
from core.battles.documents import BattleDocument, uploaded_document
from core.battles.session import BattleArena, BattleError
from core.battles.votes import VotesStore
from core.dataset import load_dataset
from tests.conftest import PHOTOTEST, PHOTOTEST_GT, serving_app
from ui.battle_tab import BattleTab
from ui.models_panel import ModelsPanel

# The stronger model of each pair, as the scripted reviewer sees it.
PREFERENCE = {"rapidocr": 3, "tesseract_eng": 2, "tesseract": 1}
TRUTH = "\n".join(PHOTOTEST_GT.read_text(encoding="utf-8").splitlines()[:3])


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The first three lines of the phototest page: a real document that each engine reads in a blink."""
    path = tmp_path_factory.mktemp("battle") / "three_lines.png"
    with Image.open(PHOTOTEST) as image:
        image.crop((0, 90, image.width, 190)).save(path)
    return path


def battle_config(config, tmp_path, models: list[str], **app):
    settings = config.app.model_copy(update={"battle_models": models, "votes_db": str(tmp_path / "votes.sqlite"),
                                             **app})
    return config.model_copy(update={"app": settings})


@contextmanager
def battle_app(config):
    with serving_app(config) as (app, url):
        yield app, Client(url, verbose=False)


def start(client, page) -> tuple[list, dict]:
    outputs = client.predict(handle_file(str(page)), "1", "ocr", TRUTH, api_name="/battle_start")
    return outputs, outputs[0]


def test_thirty_scripted_battles_stay_blind_and_rank_the_models_as_voted(config, tmp_path, page):
    names = {key: config.get(key).name for key in PREFERENCE}
    with battle_app(battle_config(config, tmp_path, list(PREFERENCE))) as (app, client):
        for _ in range(30):
            outputs, info = start(client, page)
            assert info["votable"] and info["has_truth"] and info["output_a"] and info["output_b"]
            shown = json.dumps(outputs, ensure_ascii=False)
            assert not [word for key, name in names.items() for word in (key, name) if word in shown]
            battle = app.battles.get(info["battle_id"])
            a, b = battle.models["a"], battle.models["b"]
            reveal = client.predict(info["battle_id"], "a" if PREFERENCE[a] > PREFERENCE[b] else "b",
                                    api_name="/battle_vote")
            assert (reveal["model_a"], reveal["model_b"]) == (a, b)
            assert reveal["latency_a"] > 0 and reveal["cer_a"] is not None and reveal["name_b"] == names[b]
        board = client.predict("", "", "", "", "", True, api_name="/leaderboard")[0]
    assert [m["key"] for m in board["models"]] == sorted(PREFERENCE, key=PREFERENCE.get, reverse=True)
    assert sum(m["battles"] for m in board["models"]) == 60 and board["votes"] == 30
    best = board["models"][0]
    assert best["rank"] == 1 and best["ci_low"] <= best["rating"] <= best["ci_high"] and best["cer"] is not None
    assert {"key", "rating", "ci_low", "ci_high", "rank", "battles", "win_rate", "cer"} <= set(best)


def test_a_second_vote_and_votes_past_the_hourly_cap_are_refused(config, tmp_path, page):
    limited = battle_config(config, tmp_path, ["tesseract", "tesseract_eng"], battle_votes_per_hour=2)
    with battle_app(limited) as (_, client):
        first = start(client, page)[1]["battle_id"]
        client.predict(first, "tie", api_name="/battle_vote")
        with pytest.raises(Exception, match="already has its vote"):
            client.predict(first, "a", api_name="/battle_vote")
        client.predict(start(client, page)[1]["battle_id"], "both_bad", api_name="/battle_vote")
        with pytest.raises(Exception, match="limit of 2 votes per hour"):
            client.predict(start(client, page)[1]["battle_id"], "b", api_name="/battle_vote")
        with pytest.raises(Exception, match="A vote is one of"):
            client.predict(start(client, page)[1]["battle_id"], "c", api_name="/battle_vote")


def test_a_vote_before_both_outputs_are_in_is_refused(config, tmp_path, page):
    store = VotesStore(tmp_path / "votes.sqlite")
    pool = ModelPool(battle_config(config, tmp_path, ["tesseract", "rapidocr"]))
    try:
        arena = BattleArena(pool, store)
        battle = arena.start(uploaded_document(str(page), "1", pool.config.app), "ocr")
        with pytest.raises(BattleError, match="both outputs must finish"):
            arena.vote(battle.battle_id, "a", "reviewer")
        for _ in arena.run(battle):
            pass
        assert arena.vote(battle.battle_id, "a", "reviewer")["model_a"] == battle.models["a"]
        assert store.votes()[0].output_a == battle.results["a"].text
    finally:
        pool.close()


def test_a_side_that_times_out_is_an_outage_not_a_vote(config, tmp_path, page):
    raw = config.model_dump()
    slow = {**next(m for m in raw["models"] if m["key"] == "rapidocr"), "key": "rapidocr_hurried",
            "timeout_s": 0.001}
    raw["models"].append(slow)
    from backends.config import parse_config

    hurried = battle_config(parse_config(raw), tmp_path, ["tesseract", "rapidocr_hurried"])
    with battle_app(hurried) as (app, client):
        outputs, info = start(client, page)
        assert not info["votable"] and "timeout" in (info["status_a"], info["status_b"])
        assert "rapidocr" not in json.dumps(outputs, ensure_ascii=False)
        with pytest.raises(Exception, match="outage"):
            client.predict(info["battle_id"], "a", api_name="/battle_vote")
        [outage] = app.battles.store.outages()
        assert outage.model == "rapidocr_hurried" and outage.status == "timeout"


def test_a_random_document_comes_from_the_battle_sets_with_its_ground_truth(config, tmp_path):
    sets = battle_config(config, tmp_path, ["tesseract", "tesseract_eng"],
                         battle_documents=["samples/en_printed_pages"])
    with battle_app(sets) as (app, client):
        info = client.predict(None, "1", "ocr", "", api_name="/battle_start")[0]
        assert info["has_truth"] and info["votable"]
        client.predict(info["battle_id"], "tie", api_name="/battle_vote")
        [vote] = app.battles.store.votes()
    languages = {f"samples/en_printed_pages/{item.item_id}": item.language
                 for item in load_dataset(PROJECT_ROOT / "samples" / "en_printed_pages").items}
    assert vote.language == languages[vote.document_path]  # the drawn page's own, "en" or "mul (en,de,…)"
    assert vote.cer_a is not None and vote.cer_b is not None and len(vote.document_hash) >= 64


def test_the_diffs_are_escaped_html_by_words_that_name_no_model(config, tmp_path, page):
    with battle_app(battle_config(config, tmp_path, ["tesseract", "rapidocr"])) as (_, client):
        outputs, _ = start(client, page)
    against_b, a_truth, b_truth = outputs[4:7]
    assert "only in A" in against_b and "only in B" in against_b and "A against B" in against_b
    for diff in (a_truth, b_truth):
        assert 'class="dv-box"' in diff and "missing" in diff and 'data-mode="words"' in diff
    for name in ("Tesseract", "RapidOCR", "tesseract", "rapidocr"):  # still blind before the vote
        assert all(name not in diff for diff in (against_b, a_truth, b_truth))


def test_a_side_that_errors_is_an_outage_and_its_message_names_nothing(config, tmp_path, page, monkeypatch):
    crash = "RapidOCR (rapidocr) crashed: onnxruntime said no"
    with battle_app(battle_config(config, tmp_path, ["tesseract", "rapidocr"])) as (app, client):
        real = app.pool.run_many

        def run_many(keys, request, per_key=None):  # tesseract runs for real; rapidocr's engine raises
            yield from real([key for key in keys if key != "rapidocr"], request, per_key)
            yield "rapidocr", ModelResult("rapidocr", "RapidOCR", Status.ERROR, message=crash,
                                          code=MessageCode.ENGINE_ERROR)

        monkeypatch.setattr(app.pool, "run_many", run_many)
        outputs, info = start(client, page)
        assert not info["votable"] and "error" in (info["status_a"], info["status_b"])
        shown = json.dumps(outputs, ensure_ascii=False).lower()
        assert "rapidocr" not in shown and "onnxruntime" not in shown and "tesseract" not in shown
        assert "could not answer (error)" in outputs[1]
        with pytest.raises(Exception, match="outage"):
            client.predict(info["battle_id"], "a", api_name="/battle_vote")
        [outage] = app.battles.store.outages()
        assert (outage.model, outage.status, outage.message) == ("rapidocr", "error", crash)
        assert app.battles.store.votes() == []


def finished(arena: BattleArena, status_b: Status = Status.OK):
    """A battle as it stands once both outputs are in (no model run: the draw, then made-up results)."""
    battle = arena.start(BattleDocument(Image.new("RGB", (8, 8), "white"), "blank.png", "2" * 64), "ocr")
    for side, status in (("a", Status.OK), ("b", status_b)):
        key = battle.models[side]
        battle.results[side] = ModelResult(key, key, status, text=f"text {side}")
        battle.texts[side] = battle.results[side].text
    return battle


def test_concurrent_votes_of_one_reviewer_record_exactly_the_hourly_cap(config, tmp_path):
    store = VotesStore(tmp_path / "votes.sqlite")
    pool = ModelPool(battle_config(config, tmp_path, ["tesseract", "rapidocr"], battle_votes_per_hour=3))
    try:
        arena = BattleArena(pool, store)
        battles = [finished(arena).battle_id for _ in range(10)]
        barrier, landed, refused = threading.Barrier(len(battles)), [], []

        def voter(battle_id: str) -> None:
            barrier.wait()
            try:
                arena.vote(battle_id, "a", "anon-racer")
                landed.append(battle_id)
            except BattleError as exc:
                refused.append((battle_id, exc.code))

        threads = [threading.Thread(target=voter, args=(battle_id,)) for battle_id in battles]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(landed) == 3 and sorted(v.battle_id for v in store.votes()) == sorted(landed)
        assert [code for _, code in refused] == ["cap"] * 7
        capped = refused[0][0]  # refused by the cap, the battle still awaits a vote: another reviewer may cast it
        assert arena.vote(capped, "b", "anon-other")["vote"] == "b" and len(store.votes()) == 4
    finally:
        pool.close()


def test_a_battle_awaiting_its_vote_is_not_singled_out_by_the_loaded_models_panel(config, tmp_path, page):
    pool = ModelPool(battle_config(config, tmp_path, ["tesseract", "rapidocr"]))
    try:
        arena = BattleArena(pool, VotesStore(tmp_path / "votes.sqlite"))
        tab, panel = BattleTab(pool, "en", None, arena=arena), ModelsPanel(pool, "en", None, battles=arena)
        battle = arena.start(uploaded_document(str(page), "1", pool.config.app), "ocr")
        for _ in arena.run(battle):
            pass
        assert arena.awaiting_vote() == {"tesseract", "rapidocr"}
        assert tab._settled(battle.battle_id) == gr.skip()  # the start does not redraw the other panels
        summary, frame, pick = panel.refresh()
        assert frame.data.empty and pick["choices"] == []  # neither model is listed, nor offered to unload
        assert "not listed until the vote" in summary
        arena.vote(battle.battle_id, "tie", "reviewer")
        assert arena.awaiting_vote() == set() and isinstance(tab._settled(battle.battle_id), int)
        summary, frame, _ = panel.refresh()
        rows = frame.data.set_index("key")
        assert set(rows.index) == {"tesseract", "rapidocr"} and rows.iloc[:, -1].tolist() == ["no", "no"]
        assert "not listed" not in summary
        outage = finished(arena, Status.TIMEOUT)  # an outage never gets a vote: nothing to hide
        assert arena.awaiting_vote() == set() and isinstance(tab._settled(outage.battle_id), int)
    finally:
        pool.close()
