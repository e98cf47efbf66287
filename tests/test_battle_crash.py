"""kill -9 of the app while reviewers' votes arrive, then a restart: every vote the app acknowledged is on disk,
whole, and the restarted app's leaderboard counts it."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from contextlib import closing
from itertools import cycle
from pathlib import Path

import pytest
import yaml
from gradio_client import Client, handle_file
from PIL import Image

from core.battles.session import VOTES
from core.battles.votes import VotesStore
from tests.conftest import PHOTOTEST, PHOTOTEST_GT, ROOT
from testkit.servers import launched_app_process

pytestmark = pytest.mark.slow

MODELS = ["tesseract", "tesseract_eng"]
TRUTH = "\n".join(PHOTOTEST_GT.read_text(encoding="utf-8").splitlines()[:3])
REVIEWERS = 4
ACKNOWLEDGED_BEFORE_KILL = 10


def battle_config_file(folder: Path, **app) -> Path:
    """The shipped config.yaml, with battles between the two Tesseract entries and a votes store in `folder`."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["app"].update({"battle_models": MODELS, "votes_db": str(folder / "votes.sqlite"),
                       "benchmark_history": str(folder / "history.sqlite"), **app})
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def three_lines(folder: Path) -> Path:
    """The first three lines of the phototest page: a real document that Tesseract reads in a blink."""
    path = folder / "three_lines.png"
    with Image.open(PHOTOTEST) as image:
        image.crop((0, 90, image.width, 190)).save(path)
    return path


class Reviewer(threading.Thread):
    """Battles and votes in a loop, one request at a time, until told to stop or the app is gone."""

    def __init__(self, url: str, document: Path, number: int, stop: threading.Event):
        super().__init__(daemon=True, name=f"reviewer-{number}")
        self.client = Client(url, verbose=False)
        self.document, self.stop = document, stop
        self.choices = cycle(VOTES[number % len(VOTES):] + VOTES[:number % len(VOTES)])
        self.started: list[str] = []       # every battle the app opened for this reviewer
        self.acknowledged: list[str] = []  # every battle whose vote came back with its reveal
        self.error: BaseException | None = None  # a failure while the app was still meant to be up

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                info = self.client.predict(handle_file(str(self.document)), "1", "ocr", TRUTH,
                                           api_name="/battle_start")[0]
                self.started.append(info["battle_id"])
                assert info["votable"], info
                reveal = self.client.predict(info["battle_id"], next(self.choices), api_name="/battle_vote")
            except BaseException as exc:  # noqa: BLE001 -- after the kill every request fails: that is expected
                if not self.stop.is_set():
                    self.error = exc
                return
            if reveal.get("battle_id") == info["battle_id"] and {reveal["model_a"], reveal["model_b"]} == set(MODELS):
                self.acknowledged.append(info["battle_id"])
            else:
                self.error = AssertionError(f"not a reveal: {reveal}")
                return


def test_votes_acknowledged_before_a_kill_9_survive_the_restart(tmp_path):
    config = battle_config_file(tmp_path)
    document = three_lines(tmp_path)
    log = tmp_path / "app.log"
    stop = threading.Event()
    with launched_app_process("--config", str(config), log=log) as (url, process):
        reviewers = [Reviewer(url, document, n, stop) for n in range(REVIEWERS)]
        for reviewer in reviewers:
            reviewer.start()
        deadline = time.monotonic() + 60
        while (sum(len(r.acknowledged) for r in reviewers) < ACKNOWLEDGED_BEFORE_KILL
               and time.monotonic() < deadline and not any(r.error for r in reviewers)):
            time.sleep(0.05)
        stop.set()
        os.killpg(process.pid, signal.SIGKILL)  # the app and everything it started, with no chance to clean up
        process.wait(timeout=10)
        for reviewer in reviewers:
            reviewer.join(timeout=30)
    assert not [r.name for r in reviewers if r.is_alive()], "a client hung on the killed app"
    errors = [f"{r.name}: {r.error!r}" for r in reviewers if r.error]
    assert not errors, f"{errors}\n{log.read_text(errors='replace')[-3000:]}"
    acknowledged = [battle for r in reviewers for battle in r.acknowledged]
    started = {battle for r in reviewers for battle in r.started}
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, "too few votes came back before the time ran out"

    with launched_app_process("--config", str(config), log=log) as (url, _):
        client = Client(url, verbose=False)
        board = client.predict("", "", "", "", "", True, api_name="/leaderboard")[0]
        votes = VotesStore(tmp_path / "votes.sqlite").votes()
        # The restarted app still takes votes on the same store.
        info = client.predict(handle_file(str(document)), "1", "ocr", TRUTH, api_name="/battle_start")[0]
        client.predict(info["battle_id"], "tie", api_name="/battle_vote")
        after = client.predict("", "", "", "", "", True, api_name="/leaderboard")[0]

    recorded = [vote.battle_id for vote in votes]
    assert not set(acknowledged) - set(recorded), "acknowledged votes lost in the kill"
    assert len(recorded) == len(set(recorded)) >= len(acknowledged)
    # Each reviewer has at most one vote in flight: one it sent but never heard back about may be on disk too.
    assert len(recorded) <= len(acknowledged) + REVIEWERS and set(recorded) <= started
    for vote in votes:
        assert {vote.model_a, vote.model_b} == set(MODELS), vote
        assert vote.output_a.strip() and vote.output_b.strip() and vote.vote in VOTES, vote
        assert vote.reviewer and vote.time and vote.document_hash and vote.task == "ocr", vote
        assert vote.latency_a > 0 and vote.latency_b > 0 and vote.cer_a is not None and vote.cer_b is not None, vote
    with closing(sqlite3.connect(tmp_path / "votes.sqlite")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert board["votes"] == len(votes) and after["votes"] == len(votes) + 1
    assert {model["key"] for model in board["models"]} == set(MODELS)
    assert sum(model["battles"] for model in board["models"]) == 2 * len(votes)
