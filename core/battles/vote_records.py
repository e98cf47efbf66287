"""A battle's vote and a model's outage as records: their fields, their checks, the store's time format, and
reading them back from a JSON-lines export."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path

VOTE_CHOICES = ("a", "b", "tie", "both_bad")
OUTAGE_STATUSES = ("error", "timeout", "unavailable")


@dataclass
class Vote:
    battle_id: str
    time: str                   # ISO-8601 UTC, seconds: 2024-05-01T12:00:00Z
    reviewer: str               # an auth user name or an anonymous browser id
    task: str                   # "ocr", ...
    language: str | None        # the document's language when known ("ru", "en")
    document_hash: str          # sha256 hex of the document bytes
    document_path: str | None   # the set-document path; None for an upload
    model_a: str
    model_b: str
    output_a: str
    output_b: str
    latency_a: float | None     # seconds
    latency_b: float | None
    vote: str                   # one of VOTE_CHOICES
    cer_a: float | None         # when the document has ground truth
    cer_b: float | None


@dataclass
class Outage:
    battle_id: str
    time: str
    model: str
    status: str                 # one of OUTAGE_STATUSES
    message: str


VOTE_FIELDS = tuple(f.name for f in fields(Vote))
OUTAGE_FIELDS = tuple(f.name for f in fields(Outage))
_OPTIONAL_TEXT = ("language", "document_path")
_OPTIONAL_NUMBERS = ("latency_a", "latency_b", "cer_a", "cer_b")

class DuplicateVote(ValueError):
    pass


class VoteCapReached(ValueError):
    """The reviewer already cast the most votes allowed in the window."""


class VotesFileError(ValueError):
    pass


def language_codes(label: str | None) -> list[str]:
    """The languages a document's label names: "en" -> [en]; "mul (en,de,fr)" -> [en, de, fr] (the list in the
    brackets, when there is one); "en, ru" or "en+ru" -> [en, ru]. Lower case, in order, each once."""
    if not label:
        return []
    inside = re.search(r"\(([^)]*)\)", label)
    codes = [c.strip().lower() for c in re.split(r"[,;+/\s]+", inside.group(1) if inside else label)]
    return list(dict.fromkeys(c for c in codes if c))


def utc_now() -> str:
    return utc_time(datetime.now(timezone.utc))


def utc_time(value: str | datetime) -> str:
    """The store's one time format (ISO-8601 UTC, whole seconds, 'Z'), so that times compare as strings.
    A naive time is taken as UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def checked_vote(vote: Vote) -> Vote:
    """The vote with its time in the store's format and its numbers as floats; ValueError names a bad field."""
    for name in VOTE_FIELDS:
        value = getattr(vote, name)
        if name in _OPTIONAL_NUMBERS:
            ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        else:
            ok = isinstance(value, str) or (value is None and name in _OPTIONAL_TEXT)
        if not ok:
            raise ValueError(f"vote field {name!r} has a bad value: {value!r}")
    if not vote.battle_id:
        raise ValueError("vote field 'battle_id' is empty")
    if vote.vote not in VOTE_CHOICES:
        raise ValueError(f"vote field 'vote' must be one of {', '.join(VOTE_CHOICES)}, not {vote.vote!r}")
    numbers = {n: None if getattr(vote, n) is None else float(getattr(vote, n)) for n in _OPTIONAL_NUMBERS}
    return replace(vote, time=utc_time(vote.time), **numbers)


def vote_from_record(record: object) -> Vote:
    """A checked Vote from one decoded JSON object; ValueError says what is wrong with it."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    missing = [n for n in VOTE_FIELDS if n not in record]
    unknown = [n for n in record if n not in VOTE_FIELDS]
    if missing or unknown:
        raise ValueError(f"missing fields {missing}, unknown fields {unknown}")
    return checked_vote(Vote(**record))


def read_votes_jsonl(path: Path) -> list[Vote]:
    """Every vote in a JSONL file (UTF-8), checked; blank lines are skipped."""
    votes = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            votes.append(vote_from_record(json.loads(line.decode("utf-8"))))
        except (ValueError, TypeError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise VotesFileError(f"{path}, line {number}: not a vote ({error})") from None
    return votes
