"""The leaderboard: the votes' ratings beside each model's objective figures (CER, latency, outages)."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timezone

import pandas as pd

from backends.contracts.schema import ArenaConfig
from core.battles.rating import pairwise_win_rates, standings
from core.battles.votes import VotesStore

BOOTSTRAP_ROUNDS = 1000
BOOTSTRAP_SEED = 0


@dataclass
class LeaderboardFilters:
    task: str | None = None
    language: str | None = None
    reviewer: str | None = None
    since: str | None = None  # a date (YYYY-MM-DD) or an ISO time, inclusive
    until: str | None = None  # a date (the whole day counts) or an ISO time, inclusive
    include_ties: bool = True

    def query(self) -> dict:
        """The store's filters, with dates widened to whole days in UTC."""
        return {"task": self.task or None, "language": self.language or None, "reviewer": self.reviewer or None,
                "since": _bound(self.since, clock.min), "until": _bound(self.until, clock.max)}


@dataclass
class Leaderboard:
    models: list[dict]  # key, name, rank, rating, ci_low, ci_high, battles, win_rate, cer, benchmark_cer, ...
    win_rates: pd.DataFrame  # row model's share of wins against the column model (ties as half)
    reviewers: dict[str, int] = field(default_factory=dict)  # votes per reviewer: each one's weight
    votes: int = 0
    seconds: float = 0.0  # the time the ratings and their intervals took

    def to_json(self) -> dict:
        return {"models": self.models, "votes": self.votes, "reviewers": self.reviewers,
                "bootstrap_rounds": BOOTSTRAP_ROUNDS, "seconds": round(self.seconds, 3)}


def build_leaderboard(store: VotesStore, config: ArenaConfig, filters: LeaderboardFilters,
                      benchmark_cer: dict[str, float] | None = None, rounds: int = BOOTSTRAP_ROUNDS) -> Leaderboard:
    outcomes = store.outcomes(**filters.query())
    started = time.perf_counter()
    battles = [(o.model_a, o.model_b, o.vote) for o in outcomes]
    ranked = standings(battles, rounds=rounds, seed=BOOTSTRAP_SEED, include_ties=filters.include_ties)
    seconds = time.perf_counter() - started
    cers, latencies = _per_model(outcomes)
    outages = store.outage_counts()
    models = []
    for standing in ranked:
        key = standing.key
        entry = config.find(key)
        models.append({
            "key": key, "name": entry.name if entry else key, "rank": standing.rank,
            "rating": round(standing.rating, 1), "ci_low": round(standing.ci_low, 1),
            "ci_high": round(standing.ci_high, 1), "battles": standing.battles,
            "win_rate": None if standing.win_rate is None else round(standing.win_rate, 4),
            "cer": _mean(cers.get(key)), "benchmark_cer": (benchmark_cer or {}).get(key),
            "latency_median_s": _median(latencies.get(key)), "outages": outages.get(key, 0),
        })
    reviewers: dict[str, int] = {}
    for outcome in outcomes:
        reviewers[outcome.reviewer] = reviewers.get(outcome.reviewer, 0) + 1
    order = [m["key"] for m in models]
    win_rates = pairwise_win_rates(battles).reindex(index=order, columns=order) if battles else pd.DataFrame()
    return Leaderboard(models, win_rates, dict(sorted(reviewers.items(), key=lambda kv: -kv[1])), len(outcomes),
                       seconds)


def _per_model(outcomes) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    cers: dict[str, list[float]] = {}
    latencies: dict[str, list[float]] = {}
    for o in outcomes:
        for key, cer, latency in ((o.model_a, o.cer_a, o.latency_a), (o.model_b, o.cer_b, o.latency_b)):
            if cer is not None:
                cers.setdefault(key, []).append(cer)
            if latency is not None:
                latencies.setdefault(key, []).append(latency)
    return cers, latencies


def _mean(values: list[float] | None) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _median(values: list[float] | None) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _bound(value: str | None, day_edge: clock) -> str | None:
    """An ISO time for the store: a bare date becomes the start (or the end) of that day in UTC."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(value).isoformat(timespec="seconds")  # raises on nonsense, with the value
    return datetime.combine(day, day_edge, tzinfo=timezone.utc).isoformat(timespec="seconds")
