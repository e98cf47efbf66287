"""Blind battles: two models drawn at random run one document side by side as "A" and "B"; a reviewer votes, and
only then learns which was which. Everything a battle shows before the vote comes from here, and names nothing."""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator

from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult, Progress, Status
from backends.pool import ModelPool
from core.battles.documents import BattleDocument
from core.battles.draw import draw_pair
from core.battles.vote_records import DuplicateVote, Outage, Vote, VoteCapReached
from core.battles.votes import VotesStore
from core.metrics import cer

SIDES = ("a", "b")
VOTES = ("a", "b", "tie", "both_bad")
KEEP_BATTLES = 500  # battles awaiting a vote kept in memory; older ones can no longer be voted on
BLIND_FOR_S = 3600  # a battle left without its vote stops hiding its models from the loaded-models panel


class BattleError(ValueError):
    """A refused battle or vote. `code` names the reason for the UI's translations; `args` fill them in."""

    def __init__(self, code: str, message: str, **details):
        super().__init__(message)
        self.code = code
        self.details = details


@dataclass
class Battle:
    battle_id: str
    task: str
    document: BattleDocument
    models: dict[str, str]  # side -> model key; never shown before the vote
    texts: dict[str, str] = field(default_factory=lambda: {side: "" for side in SIDES})
    results: dict[str, ModelResult] = field(default_factory=dict)  # side -> its final result
    voted: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        return len(self.results) == len(SIDES)

    def failed_sides(self) -> list[str]:
        return [side for side, result in self.results.items() if result.status != Status.OK]

    def cer(self, side: str) -> float | None:
        result = self.results.get(side)
        if self.document.truth is None or result is None or result.status != Status.OK:
            return None
        return cer(self.document.truth, result.text)

    def anonymous(self) -> dict:
        """What a reviewer may see before voting: the outputs and states, under A and B."""
        return {"battle_id": self.battle_id, "task": self.task, "document": self.document.name,
                "has_truth": self.document.truth is not None, "finished": self.finished,
                "votable": self.finished and not self.failed_sides() and not self.voted,
                "output_a": self.texts["a"], "output_b": self.texts["b"],
                "status_a": self._state("a"), "status_b": self._state("b")}

    def _state(self, side: str) -> str:
        result = self.results.get(side)
        return "running" if result is None else result.status.value


class BattleArena:
    """Starts battles, streams them, takes votes. Thread-safe: every browser session shares one."""

    def __init__(self, pool: ModelPool, store: VotesStore, rng: random.Random | None = None):
        self.pool = pool
        self.store = store
        self.settings = pool.config.app
        self._rng = rng or random.Random()
        self._battles: OrderedDict[str, Battle] = OrderedDict()
        self._lock = threading.Lock()

    # ----- the draw -----
    def candidates(self, task: str) -> list[str]:
        """The models that may be drawn for this task: configured for battles, offering it, able to run here."""
        keys = self.settings.battle_models or self.pool.config.keys()
        return [k for k in keys if task in self.pool.config.get(k).tasks and self.pool.availability(k).ok]

    def start(self, document: BattleDocument, task: str) -> Battle:
        candidates = self.candidates(task)
        if len(candidates) < 2:
            raise BattleError("too_few_models", f"a battle needs two models that can run the '{task}' task here; "
                              f"{len(candidates)} can", count=len(candidates))
        with self._lock:
            model_a, model_b = draw_pair(candidates, self.store.pair_counts(), self._rng)
            battle = Battle(uuid.uuid4().hex[:16], task, document, {"a": model_a, "b": model_b})
            self._battles[battle.battle_id] = battle
            while len(self._battles) > KEEP_BATTLES:
                self._battles.popitem(last=False)
        return battle

    # ----- the run -----
    def run(self, battle: Battle) -> Iterator[Battle]:
        """Both models at once; yields the battle after each event. A side that fails is an outage of its model."""
        side_of = {key: side for side, key in battle.models.items()}
        request = PageRequest(battle.document.image, task=battle.task)
        for key, event in self.pool.run_many(list(side_of), request):
            side = side_of[key]
            if isinstance(event, Progress):
                battle.texts[side] = event.text
            else:
                battle.texts[side] = event.text if event.status == Status.OK else ""
                battle.results[side] = event
                if event.status != Status.OK:
                    self.store.add_outage(Outage(battle.battle_id, _now(), key, event.status.value, event.message))
            yield battle

    # ----- the vote -----
    def vote(self, battle_id: str, choice: str, reviewer: str) -> dict:
        """Record the vote and reveal the models; raises BattleError for a vote that cannot count."""
        if choice not in VOTES:
            raise BattleError("bad_vote", f"a vote is one of {', '.join(VOTES)}, not '{choice}'", choices=VOTES)
        with self._lock:
            battle = self._battles.get(battle_id)
            if battle is None:
                raise BattleError("unknown", f"no battle '{battle_id}' awaits a vote (unknown, or too old)")
            self._check_votable(battle)
            battle.voted = True
        cap = self.settings.battle_votes_per_hour
        try:
            # The hourly cap is counted inside the store's write transaction: check and write are one step.
            self.store.add_vote(self._vote_row(battle, choice, reviewer), per_hour=cap)
        except DuplicateVote:
            raise BattleError("voted", f"battle '{battle_id}' already has its vote") from None
        except BaseException as exc:
            battle.voted = False  # not stored: the reviewer may try again
            if isinstance(exc, VoteCapReached):
                raise BattleError("cap", f"the limit of {cap} votes per hour is reached; try again later",
                                  cap=cap) from None
            raise
        return self.reveal(battle, choice)

    @staticmethod
    def _check_votable(battle: Battle) -> None:
        if battle.voted:
            raise BattleError("voted", f"battle '{battle.battle_id}' already has its vote")
        if not battle.finished:
            raise BattleError("not_finished", "both outputs must finish before a vote")
        if battle.failed_sides():
            raise BattleError("outage", "one side failed; this battle counts as an outage, not a vote")

    def awaiting_vote(self) -> set[str]:
        """The models of the battles that may still get a vote (running, or finished with both outputs)."""
        with self._lock:
            since = time.monotonic() - BLIND_FOR_S
            return {key for battle in self._battles.values()
                    if not battle.voted and not battle.failed_sides() and battle.started > since
                    for key in battle.models.values()}

    def _vote_row(self, battle: Battle, choice: str, reviewer: str) -> Vote:
        a, b = battle.results["a"], battle.results["b"]
        return Vote(battle_id=battle.battle_id, time=_now(), reviewer=reviewer, task=battle.task,
                    language=battle.document.language, document_hash=battle.document.hash,
                    document_path=battle.document.path, model_a=battle.models["a"], model_b=battle.models["b"],
                    output_a=a.text, output_b=b.text, latency_a=a.metrics.latency_s, latency_b=b.metrics.latency_s,
                    vote=choice, cer_a=battle.cer("a"), cer_b=battle.cer("b"))

    def reveal(self, battle: Battle, choice: str) -> dict:
        config = self.pool.config
        reveal = {"battle_id": battle.battle_id, "vote": choice}
        for side in SIDES:
            result = battle.results[side]
            reveal |= {f"model_{side}": battle.models[side], f"name_{side}": config.get(battle.models[side]).name,
                       f"latency_{side}": result.metrics.latency_s, f"cer_{side}": battle.cer(side)}
        return reveal

    def get(self, battle_id: str) -> Battle | None:
        with self._lock:
            return self._battles.get(battle_id)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
