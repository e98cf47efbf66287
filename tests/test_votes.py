"""The votes store (core.battles.votes) on real SQLite files: round trip, duplicates, filters, export/import,
concurrent writers, and a kill -9 of a writing process."""
from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from core.battles.vote_records import DuplicateVote, Outage, Vote, VoteCapReached, VotesFileError, language_codes
from core.battles.votes import VotesStore

ROOT = Path(__file__).resolve().parents[1]
# A few KB of mixed Cyrillic and Latin text, as an OCR output would be.
LONG_TEXT_A = "Съешь же ещё этих мягких французских булок, да выпей чаю. The quick brown fox. №42 «ёлка»\n" * 40
LONG_TEXT_B = "В чащах юга жил бы цитрус? Да, но фальшивый экземпляр! Ѣ ѳ ѵ — 3,14 €\n" * 40


def make_vote(battle_id: str, **changes) -> Vote:
    vote = Vote(battle_id=battle_id, time="2024-05-01T12:00:00Z", reviewer="alice", task="ocr", language="ru",
                document_hash="ab" * 32, document_path="samples/ru/page1.png", model_a="tesseract",
                model_b="rapidocr", output_a=LONG_TEXT_A, output_b=LONG_TEXT_B, latency_a=1.25, latency_b=0.5,
                vote="a", cer_a=0.031, cer_b=0.2)
    return replace(vote, **changes)


@pytest.fixture
def store(tmp_path) -> VotesStore:
    return VotesStore(tmp_path / "nested" / "folder" / "votes.sqlite")


def test_vote_round_trips_every_field_and_the_file_is_in_wal_mode(store):
    vote = make_vote("b1")
    store.add_vote(vote)
    assert store.votes() == [vote]
    upload = make_vote("b2", language=None, document_path=None, latency_a=None, latency_b=None, cer_a=None,
                       cer_b=None, vote="both_bad", time="2024-05-01T12:00:01Z")
    store.add_vote(upload)
    assert store.votes() == [vote, upload]
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_second_vote_for_a_battle_is_refused_and_the_first_is_kept(store):
    first = make_vote("battle-7")
    store.add_vote(first)
    with pytest.raises(DuplicateVote, match="battle-7"):
        store.add_vote(make_vote("battle-7", vote="b", reviewer="bob", output_a="other"))
    assert store.votes() == [first]
    assert isinstance(DuplicateVote("x"), ValueError)


def test_invalid_votes_and_outages_are_refused(store):
    with pytest.raises(ValueError, match="'vote'"):
        store.add_vote(make_vote("x", vote="c"))
    with pytest.raises(ValueError, match="'reviewer'"):
        store.add_vote(make_vote("x", reviewer=None))
    with pytest.raises(ValueError, match="status"):
        store.add_outage(Outage("x", "2024-05-01T12:00:00Z", "tesseract", "crashed", "boom"))
    assert store.votes() == [] and store.outages() == []


def test_times_are_stored_in_one_utc_format(store):
    store.add_vote(make_vote("b1", time="2024-05-01T14:00:00.75+02:00"))
    assert store.votes()[0].time == "2024-05-01T12:00:00Z"


def test_filters_select_the_right_votes(store):
    specs = [("v1", "ocr", "ru", "alice", "2024-05-01T10:00:00Z"),
             ("v2", "ocr", "en", "bob", "2024-05-01T11:00:00Z"),
             ("v3", "fields", "ru", "alice", "2024-05-02T09:00:00Z"),
             ("v4", "ocr", None, "carol", "2024-05-03T00:00:00Z"),
             ("v5", "ocr", "ru", "alice", "2024-05-01T10:30:00Z")]
    for battle, task, language, reviewer, time in reversed(specs):
        store.add_vote(make_vote(battle, task=task, language=language, reviewer=reviewer, time=time))

    def ids(**filters):
        return [v.battle_id for v in store.votes(**filters)]

    assert ids() == ["v1", "v5", "v2", "v3", "v4"]  # ordered by time, not by insertion
    assert ids(task="ocr") == ["v1", "v5", "v2", "v4"]
    assert ids(language="ru") == ["v1", "v5", "v3"]
    assert ids(reviewer="alice") == ["v1", "v5", "v3"]
    assert ids(task="ocr", language="ru", reviewer="alice") == ["v1", "v5"]
    # inclusive at both ends, as strings or datetimes (naive = UTC, other zones converted)
    assert ids(since="2024-05-01T10:30:00Z", until="2024-05-02T09:00:00Z") == ["v5", "v2", "v3"]
    assert ids(since=datetime(2024, 5, 2), until=datetime(2024, 5, 3, tzinfo=timezone.utc)) == ["v3", "v4"]
    assert ids(until="2024-05-01T12:00:00+01:00") == ["v1", "v5", "v2"]

    assert store.votes_since("alice", "2024-05-01T10:00:00Z") == 3
    assert store.votes_since("alice", "2024-05-01T10:00:01Z") == 2
    assert store.votes_since("alice", datetime(2024, 5, 2, 9, 0, 1, tzinfo=timezone.utc)) == 0
    assert store.votes_since("nobody", "2000-01-01T00:00:00Z") == 0
    assert store.reviewer_counts() == {"alice": 3, "bob": 1, "carol": 1}


def test_outages_are_kept_and_filtered_by_model(store):
    store.add_outage(Outage("b1", "2024-05-01T12:00:05Z", "vllm-qwen", "timeout", "no answer in 120 s"))
    store.add_outage(Outage("b2", "2024-05-01T12:00:01Z", "tesseract", "error", "Ошибка: файл повреждён"))
    assert [o.model for o in store.outages()] == ["tesseract", "vllm-qwen"]
    assert store.outages("tesseract") == [
        Outage("b2", "2024-05-01T12:00:01Z", "tesseract", "error", "Ошибка: файл повреждён")]
    assert store.outages("nobody") == []


def _filled(store: VotesStore) -> list[Vote]:
    votes = [make_vote("e1"),
             make_vote("e2", language=None, document_path=None, latency_a=None, cer_b=None, vote="tie",
                       output_b='quotes " and, commas\nand lines', time="2024-05-01T13:00:00Z"),
             make_vote("e3", reviewer="anon-3f2a", vote="b", task="fields", time="2024-05-02T00:00:00Z")]
    for vote in votes:
        store.add_vote(vote)
    return votes


def test_export_then_import_gives_identical_votes_and_reimport_skips_all(store, tmp_path):
    votes = _filled(store)
    assert store.export_jsonl(tmp_path / "out" / "votes.jsonl") == 3
    assert store.export_csv(tmp_path / "out" / "votes.csv") == 3

    with open(tmp_path / "out" / "votes.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["battle_id"] for r in rows] == ["e1", "e2", "e3"]
    assert list(rows[0]) == list(asdict(votes[0]))
    assert rows[0]["output_a"] == LONG_TEXT_A and rows[1]["output_b"] == votes[1].output_b
    assert rows[1]["language"] == "" and float(rows[0]["cer_a"]) == 0.031

    fresh = VotesStore(tmp_path / "fresh.sqlite")
    assert fresh.import_jsonl(tmp_path / "out" / "votes.jsonl") == (3, 0)
    assert fresh.votes() == votes
    assert fresh.import_jsonl(tmp_path / "out" / "votes.jsonl") == (0, 3)
    assert fresh.votes() == votes


def test_import_adds_new_votes_and_skips_known_ones(store, tmp_path):
    _filled(store)
    store.export_jsonl(tmp_path / "votes.jsonl")
    other = VotesStore(tmp_path / "other.sqlite")
    other.add_vote(make_vote("e2", reviewer="someone-else"))
    assert other.import_jsonl(tmp_path / "votes.jsonl") == (2, 1)
    assert {v.battle_id: v.reviewer for v in other.votes()}["e2"] == "someone-else"


@pytest.mark.parametrize("broken", ["{not json", '{"battle_id": "x"}', "[1, 2]", "BAD-VOTE", "BAD-BYTES"])
def test_a_broken_line_imports_nothing_and_is_named(store, tmp_path, broken):
    _filled(store)
    good = tmp_path / "votes.jsonl"
    store.export_jsonl(good)
    lines = good.read_bytes().splitlines(keepends=True)
    if broken == "BAD-VOTE":
        line = lines[0].replace(b'"vote": "a"', b'"vote": "maybe"')
    elif broken == "BAD-BYTES":
        line = lines[0].replace("Съешь".encode(), b"\xff\xfe")
    else:
        line = broken.encode() + b"\n"
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(lines[0] + lines[1] + line + lines[2])
    fresh = VotesStore(tmp_path / "fresh.sqlite")
    with pytest.raises(VotesFileError, match=r"bad\.jsonl, line 3"):
        fresh.import_jsonl(bad)
    assert fresh.votes() == []


def test_concurrent_writers_lose_nothing(store):
    errors = []

    def writer(thread: int) -> None:
        try:
            for i in range(50):
                store.add_vote(make_vote(f"t{thread}-{i}", reviewer=f"r{thread}"))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    votes = store.votes()
    assert len(votes) == 400
    assert {v.battle_id for v in votes} == {f"t{t}-{i}" for t in range(8) for i in range(50)}
    assert store.reviewer_counts() == {f"r{t}": 50 for t in range(8)}


def test_the_hourly_cap_holds_against_concurrent_votes_of_one_reviewer(store):
    """The cap is counted in the vote's own write transaction: of 12 votes racing at a cap of 5, exactly 5 land."""
    start, landed, capped, errors = threading.Barrier(12), [], [], []

    def voter(n: int) -> None:
        start.wait()
        try:
            store.add_vote(make_vote(f"c{n}", time="2024-05-01T12:00:00Z"), per_hour=5)
            landed.append(n)
        except VoteCapReached:
            capped.append(n)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(landed) == 5 and len(capped) == 7
    assert sorted(v.battle_id for v in store.votes()) == sorted(f"c{n}" for n in landed)


def test_the_cap_counts_one_reviewer_over_the_hour_before_the_vote(store):
    store.add_vote(make_vote("h1", time="2024-05-01T10:59:59Z"), per_hour=1)  # more than an hour before the next
    store.add_vote(make_vote("h2", time="2024-05-01T12:00:00Z"), per_hour=1)
    store.add_vote(make_vote("h3", time="2024-05-01T12:00:01Z", reviewer="bob"), per_hour=1)  # another reviewer
    with pytest.raises(VoteCapReached):
        store.add_vote(make_vote("h4", time="2024-05-01T12:59:59Z"), per_hour=1)
    store.add_vote(make_vote("h5", time="2024-05-01T12:59:59Z"))  # no cap given: an import, say
    assert [v.battle_id for v in store.votes()] == ["h1", "h2", "h3", "h5"]


def test_a_language_filter_takes_the_documents_that_include_it(store):
    labels = {"l1": "en", "l2": "mul (en,de,fr,it,es,pt)", "l3": "ru", "l4": None, "l5": "en, ru", "l6": "DE"}
    for battle, language in labels.items():
        store.add_vote(make_vote(battle, language=language))

    def ids(language):
        return sorted(v.battle_id for v in store.votes(language=language))

    assert store.languages() == ["de", "en", "es", "fr", "it", "pt", "ru"]
    assert ids("en") == ["l1", "l2", "l5"] and ids("de") == ["l2", "l6"] and ids("ru") == ["l3", "l5"]
    assert ids("pt") == ["l2"] and ids("mul (en,de,fr,it,es,pt)") == ["l2"] and ids("en,ru") == ["l5"]
    assert ids("ja") == [] and len(store.outcomes(language="en")) == 3
    assert language_codes("mul (en,de)") == ["en", "de"] and language_codes("EN+ru") == ["en", "ru"]
    assert language_codes("") == [] and language_codes(None) == []


CHILD = """
import itertools, sys
from pathlib import Path
from core.battles.vote_records import Vote
from core.battles.votes import VotesStore
store = VotesStore(Path(sys.argv[1]))
for i in itertools.count():
    battle = f"k{i}"
    store.add_vote(Vote(battle, "2024-05-01T12:00:00Z", "killer", "ocr", "ru", "cd" * 32, None, "m1", "m2",
                        TEXT_A + battle, battle + TEXT_B, 0.5, None, "tie", None, 0.1))
    print(battle, flush=True)
"""


def test_kill_9_loses_no_committed_vote(tmp_path):
    path = tmp_path / "votes.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD.replace("TEXT_A", repr(LONG_TEXT_A)).replace("TEXT_B", repr(LONG_TEXT_B)), str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    printed = []
    try:
        while len(printed) < 337:  # not a round number, so that a writer committing in batches is caught
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"the writer stopped early: {child.stderr.read().decode(errors='replace')}")
            printed.append(line.decode().strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    printed += [line.decode().strip() for line in child.stdout.read().splitlines(keepends=True)
                if line.endswith(b"\n")]

    votes = {v.battle_id: v for v in VotesStore(path).votes()}
    assert set(printed) <= set(votes)
    for battle, vote in votes.items():  # every row complete, including any committed but not yet printed
        assert vote.output_a == LONG_TEXT_A + battle and vote.output_b == battle + LONG_TEXT_B
        assert (vote.reviewer, vote.task, vote.document_hash, vote.model_a, vote.model_b, vote.vote) == (
            "killer", "ocr", "cd" * 32, "m1", "m2", "tie")
        assert (vote.latency_a, vote.latency_b, vote.cer_a, vote.cer_b) == (0.5, None, None, 0.1)
    assert len(votes) - len(printed) <= 1  # at most the one vote committed before the kill reached its print
