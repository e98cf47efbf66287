"""The votes store: every blind battle's vote and every model outage, in one SQLite file (WAL), with JSONL/CSV
export and JSONL import.

Each operation opens its own short-lived connection, so the store is safe to share between Gradio's worker
threads (and between processes); each write is one transaction."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from core.battles.vote_records import (OUTAGE_FIELDS, OUTAGE_STATUSES, VOTE_CHOICES, VOTE_FIELDS, DuplicateVote,
                                       Outage, Vote, VoteCapReached, checked_vote, language_codes,
                                       read_votes_jsonl, utc_time)
from core.exports import write_csv

BUSY_TIMEOUT_S = 30.0

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS votes (
    battle_id TEXT PRIMARY KEY, time TEXT NOT NULL, reviewer TEXT NOT NULL, task TEXT NOT NULL, language TEXT,
    document_hash TEXT NOT NULL, document_path TEXT, model_a TEXT NOT NULL, model_b TEXT NOT NULL,
    output_a TEXT NOT NULL, output_b TEXT NOT NULL, latency_a REAL, latency_b REAL,
    vote TEXT NOT NULL CHECK (vote IN {VOTE_CHOICES}), cer_a REAL, cer_b REAL);
CREATE INDEX IF NOT EXISTS votes_time ON votes (time);
CREATE INDEX IF NOT EXISTS votes_reviewer_time ON votes (reviewer, time);
CREATE TABLE IF NOT EXISTS outages (
    battle_id TEXT NOT NULL, time TEXT NOT NULL, model TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN {OUTAGE_STATUSES}), message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answer_ratings (
    time TEXT NOT NULL, reviewer TEXT NOT NULL, model TEXT NOT NULL, document_hash TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, rating INTEGER NOT NULL CHECK (rating IN (-1, 1)));
"""


class VotesStore:
    """The votes and outages of blind battles in one SQLite file at `path` (its folders are created)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            # WAL is a property of the file: set once, every later connection uses it.
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; writes run in _write's explicit BEGIN IMMEDIATE.
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        # In WAL mode, synchronous=NORMAL fsyncs at checkpoints, not at each commit. A committed transaction is
        # in the WAL file (the OS page cache) when COMMIT returns, so a kill -9 of the app loses nothing; only an
        # OS crash or power loss can lose the last commits. FULL would also cover that, at an fsync per vote.
        db.execute("PRAGMA synchronous=NORMAL")
        db.create_function("has_language", 2, has_language, deterministic=True)
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: the write lock taken up front (waiting up to BUSY_TIMEOUT_S), committed on
        success, rolled back on any error."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with closing(self._connect()) as db:
            return db.execute(sql, params).fetchall()

    # --- writes ---------------------------------------------------------------------------------------------

    def add_vote(self, vote: Vote, per_hour: int | None = None) -> None:
        """Record one vote; DuplicateVote when its battle already has one (the PRIMARY KEY decides). With
        `per_hour`, VoteCapReached when its reviewer already has that many votes in the hour up to its time: counted
        in the same write transaction, so concurrent votes (threads or processes) cannot pass the cap together."""
        vote = checked_vote(vote)
        row = _vote_row(vote)
        try:
            with self._write() as db:
                if per_hour is not None:
                    _check_cap(db, vote, per_hour)
                db.execute(f"INSERT INTO votes ({', '.join(VOTE_FIELDS)}) VALUES ({_marks(VOTE_FIELDS)})", row)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" not in str(error):
                raise
            raise DuplicateVote(f"battle {vote.battle_id!r} already has a vote; a battle takes one vote") from None

    def add_answer_rating(self, reviewer: str, model: str, document_hash: str, question: str, answer: str,
                          rating: int) -> None:
        """A chat answer's thumbs up (+1) or down (-1)."""
        with self._write() as db:
            db.execute("INSERT INTO answer_ratings VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (utc_time(datetime.now(timezone.utc)), reviewer, model, document_hash, question, answer,
                        rating))

    def answer_ratings(self, model: str | None = None) -> list[tuple]:
        """(time, reviewer, model, document_hash, question, answer, rating) rows, oldest first."""
        where, params = (" WHERE model = ?", (model,)) if model else ("", ())
        return self._read(f"SELECT * FROM answer_ratings{where} ORDER BY time, rowid", params)

    def add_outage(self, outage: Outage) -> None:
        if outage.status not in OUTAGE_STATUSES:
            raise ValueError(f"outage status must be one of {', '.join(OUTAGE_STATUSES)}, not {outage.status!r}")
        row = tuple(asdict(replace(outage, time=utc_time(outage.time))).values())
        with self._write() as db:
            db.execute(f"INSERT INTO outages ({', '.join(OUTAGE_FIELDS)}) VALUES ({_marks(OUTAGE_FIELDS)})", row)

    # --- reads ----------------------------------------------------------------------------------------------

    def votes(self, task: str | None = None, language: str | None = None, reviewer: str | None = None,
              since: str | datetime | None = None, until: str | datetime | None = None) -> list[Vote]:
        """Votes in time order (then in the order they were added); every filter is optional, since and until
        are inclusive, and a language takes the documents that include it ("en" takes "mul (en,de)")."""
        where, params = _where(task, language, reviewer, since, until)
        rows = self._read(f"SELECT {', '.join(VOTE_FIELDS)} FROM votes{where} ORDER BY time, rowid", params)
        return [Vote(*row) for row in rows]

    def outcomes(self, task: str | None = None, language: str | None = None, reviewer: str | None = None,
                 since: str | datetime | None = None, until: str | datetime | None = None) -> list[Outcome]:
        """What the ratings need of the same votes, without the outputs (a leaderboard reads thousands)."""
        where, params = _where(task, language, reviewer, since, until)
        rows = self._read(f"SELECT {', '.join(Outcome._fields)} FROM votes{where} ORDER BY time, rowid", params)
        return [Outcome(*row) for row in rows]

    def pair_counts(self) -> dict[frozenset[str], int]:
        """Votes per pair of models, whichever side each was on (for matchmaking)."""
        rows = self._read("SELECT model_a, model_b, COUNT(*) FROM votes GROUP BY model_a, model_b")
        counts: dict[frozenset[str], int] = {}
        for model_a, model_b, count in rows:
            pair = frozenset((model_a, model_b))
            counts[pair] = counts.get(pair, 0) + count
        return counts

    def languages(self) -> list[str]:
        """Every language the votes' documents name, sorted: "mul (en,de)" counts as en and de."""
        labels = self._read("SELECT DISTINCT language FROM votes WHERE language IS NOT NULL AND language != ''")
        return sorted({code for (label,) in labels for code in language_codes(label)})

    def outage_counts(self) -> dict[str, int]:
        return dict(self._read("SELECT model, COUNT(*) FROM outages GROUP BY model"))

    def votes_since(self, reviewer: str, since: str | datetime) -> int:
        """How many votes `reviewer` cast at or after `since` (for a per-hour cap)."""
        return self._read("SELECT COUNT(*) FROM votes WHERE reviewer = ? AND time >= ?",
                          (reviewer, utc_time(since)))[0][0]

    def reviewer_counts(self) -> dict[str, int]:
        """Votes per reviewer, most first."""
        rows = self._read("SELECT reviewer, COUNT(*) AS n FROM votes GROUP BY reviewer ORDER BY n DESC, reviewer")
        return dict(rows)

    def outages(self, model: str | None = None) -> list[Outage]:
        where, params = (" WHERE model = ?", (model,)) if model is not None else ("", ())
        rows = self._read(f"SELECT {', '.join(OUTAGE_FIELDS)} FROM outages{where} ORDER BY time, rowid", params)
        return [Outage(*row) for row in rows]

    # --- files ----------------------------------------------------------------------------------------------

    def export_jsonl(self, path: Path) -> int:
        """Every vote, one JSON object a line (UTF-8, non-ASCII kept readable); returns how many."""
        votes = self.votes()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for vote in votes:
                out.write(json.dumps(asdict(vote), ensure_ascii=False) + "\n")
        return len(votes)

    def export_csv(self, path: Path) -> int:
        """Every vote, one CSV row each (the Vote fields as columns); returns how many."""
        votes = self.votes()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(path, pd.DataFrame([asdict(v) for v in votes], columns=list(VOTE_FIELDS)))
        return len(votes)

    def import_jsonl(self, path: Path) -> tuple[int, int]:
        """Add the votes of a JSONL file (as export_jsonl writes it) in one transaction; returns (added, skipped),
        skipped being votes whose battle already has one. A malformed line raises VotesFileError naming the file
        and the line, and nothing from the file is added."""
        votes = read_votes_jsonl(Path(path))
        added = 0
        with self._write() as db:
            sql = f"INSERT OR IGNORE INTO votes ({', '.join(VOTE_FIELDS)}) VALUES ({_marks(VOTE_FIELDS)})"
            for vote in votes:
                added += db.execute(sql, _vote_row(vote)).rowcount
        return added, len(votes) - added


def _vote_row(vote: Vote) -> tuple:
    return tuple(getattr(vote, name) for name in VOTE_FIELDS)


def _check_cap(db: sqlite3.Connection, vote: Vote, per_hour: int) -> None:
    since = utc_time(datetime.fromisoformat(vote.time) - timedelta(hours=1))
    cast = db.execute("SELECT COUNT(*) FROM votes WHERE reviewer = ? AND time >= ?", (vote.reviewer, since))
    if cast.fetchone()[0] >= per_hour:
        raise VoteCapReached(f"reviewer {vote.reviewer!r} already cast {per_hour} votes in the last hour")


def has_language(label: str | None, wanted: str) -> bool:
    """Whether a document labelled `label` is in the language `wanted`: the same label, or one naming every
    language of `wanted` ("mul (en,de)" is in en, in de, and in "en,de")."""
    if label is None:
        return False
    if label.strip().lower() == wanted.strip().lower():
        return True
    codes = language_codes(wanted)
    return bool(codes) and set(codes) <= set(language_codes(label))


def _marks(names: tuple[str, ...]) -> str:
    return ", ".join("?" * len(names))


class Outcome(NamedTuple):
    model_a: str
    model_b: str
    vote: str
    reviewer: str
    latency_a: float | None
    latency_b: float | None
    cer_a: float | None
    cer_b: float | None


def _where(task, language, reviewer, since, until) -> tuple[str, list]:
    """The WHERE clause of the optional filters; since and until are inclusive, a language matches the
    documents that include it (has_language)."""
    conditions, params = [], []
    for condition, value in (("task = ?", task), ("has_language(language, ?)", language),
                             ("reviewer = ?", reviewer)):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    for condition, value in (("time >= ?", since), ("time <= ?", until)):
        if value is not None:
            conditions.append(condition)
            params.append(utc_time(value))
    return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), params
