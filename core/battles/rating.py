"""The leaderboard maths of blind A/B battles, as LMSYS Chatbot Arena does it.

Ratings are a Bradley–Terry model fitted by maximum likelihood on the Elo scale (P(a beats b) =
1 / (1 + 10^((R_b - R_a) / 400)), mean rating 1000), a tie counting as half a win for each side.
Uncertainty comes from bootstrap resamples of the battles, and a model's rank is 1 + the number of models
that are better beyond doubt (whose 95% interval lies wholly above its own).

A battle is `(model_a, model_b, outcome)` with outcome "a", "b", "tie" or "both_bad" (scored as a tie).
Everything works on counts per unordered pair (pair_counts.py), so the cost grows with the number of
models, not the number of votes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from core.battles.bradley_terry import fit_scores, per_model_sum
from core.battles.pair_counts import Battle, PairCounts, count_pairs

ELO_SCALE, ELO_BASE, ELO_MEAN = 400.0, 10.0, 1000.0
ELO_PER_LOG_ODDS = ELO_SCALE / math.log(ELO_BASE)
INTERVAL_PERCENTILES = (2.5, 97.5)


@dataclass
class ModelStanding:
    """One leaderboard row. Tallies count the battles the rating was fitted on (no ties with include_ties=False)."""
    key: str
    rating: float
    ci_low: float
    ci_high: float
    rank: int
    battles: int
    wins: int
    losses: int
    ties: int
    win_rate: float | None   # (wins + ties / 2) / battles; None without battles


def _to_elo(scores: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Log-odds scores to Elo points with mean ELO_MEAN over the models present (NaN for the others)."""
    if present is not None:
        scores = np.where(present, scores, np.nan)
    centred = scores - np.nanmean(scores, axis=-1, keepdims=True)
    return ELO_MEAN + ELO_PER_LOG_ODDS * centred


def _shares(first_wins, second_wins, ties):
    return first_wins + 0.5 * ties, second_wins + 0.5 * ties


def _full_fit(counts: PairCounts) -> np.ndarray:
    """Scores (1, models) fitted on all the battles."""
    first_share, second_share = _shares(counts.first_wins, counts.second_wins, counts.ties)
    return fit_scores(counts.first, counts.second, first_share[None], second_share[None],
                      np.zeros((1, len(counts.models))))


def _bootstrap_elo(counts: PairCounts, full_scores: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    """Elo ratings (rounds, models) refitted on resamples; NaN where a model drew no battle that round.

    Resampling N battles with replacement is the same as drawing multinomial counts over the
    (pair, outcome) cells, which costs rounds x cells instead of rounds x battles."""
    cells = np.concatenate([counts.first_wins, counts.second_wins, counts.ties])
    total = int(cells.sum())
    draws = np.random.default_rng(seed).multinomial(total, cells / total, size=rounds).astype(float)
    first_wins, second_wins, ties = np.split(draws, 3, axis=1)
    first_share, second_share = _shares(first_wins, second_wins, ties)
    played = first_wins + second_wins + ties
    present = per_model_sum(played, played, counts.first, counts.second, len(counts.models)) > 0
    start = np.repeat(full_scores, rounds, axis=0)   # warm start: a resample's fit is close to the full one
    return _to_elo(fit_scores(counts.first, counts.second, first_share, second_share, start), present)


def _percentile_intervals(samples: np.ndarray, models: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    low, high = np.nanpercentile(samples, INTERVAL_PERCENTILES, axis=0)
    return {key: (float(low[i]), float(high[i])) for i, key in enumerate(models)}


def fit_ratings(battles: Iterable[Battle], include_ties: bool = True) -> dict[str, float]:
    """Bradley–Terry ratings on the Elo scale, mean 1000, for every model that has a battle."""
    counts = count_pairs(battles, include_ties)
    if not counts.models:
        return {}
    elo = _to_elo(_full_fit(counts))[0]
    return {key: float(elo[i]) for i, key in enumerate(counts.models)}


def bootstrap_intervals(battles: Iterable[Battle], rounds: int = 1000, seed: int = 0,
                        include_ties: bool = True) -> dict[str, tuple[float, float]]:
    """95% intervals (2.5th, 97.5th percentile) of each model's rating over `rounds` seeded bootstrap resamples."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    counts = count_pairs(battles, include_ties)
    if not counts.models:
        return {}
    samples = _bootstrap_elo(counts, _full_fit(counts), rounds, seed)
    return _percentile_intervals(samples, counts.models)


def ranks(ratings: dict[str, float], intervals: dict[str, tuple[float, float]]) -> dict[str, int]:
    """Rank = 1 + the number of models whose interval's lower bound is above this model's upper bound."""
    return {key: 1 + sum(intervals[other][0] > intervals[key][1] for other in ratings if other != key)
            for key in ratings}


def standings(battles: Iterable[Battle], rounds: int = 1000, seed: int = 0,
              include_ties: bool = True) -> list[ModelStanding]:
    """The leaderboard: one row per model with a battle, best rating first (ties broken by key)."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    counts = count_pairs(battles, include_ties)
    if not counts.models:
        return []
    full_scores = _full_fit(counts)
    elo = _to_elo(full_scores)[0]
    ratings = {key: float(elo[i]) for i, key in enumerate(counts.models)}
    intervals = _percentile_intervals(_bootstrap_elo(counts, full_scores, rounds, seed),
                                      counts.models)
    model_ranks = ranks(ratings, intervals)
    wins = counts.per_model(counts.first_wins, counts.second_wins)
    losses = counts.per_model(counts.second_wins, counts.first_wins)
    ties = counts.per_model(counts.ties, counts.ties)
    rows = []
    for i, key in enumerate(counts.models):
        played = int(wins[i] + losses[i] + ties[i])
        rows.append(ModelStanding(key=key, rating=ratings[key], ci_low=intervals[key][0],
                                  ci_high=intervals[key][1], rank=model_ranks[key], battles=played,
                                  wins=int(wins[i]), losses=int(losses[i]), ties=int(ties[i]),
                                  win_rate=float((wins[i] + 0.5 * ties[i]) / played) if played else None))
    return sorted(rows, key=lambda row: (-row.rating, row.key))


def pairwise_win_rates(battles: Iterable[Battle]) -> pd.DataFrame:
    """Share of its battles against the column model that the row model won (a tie is half), NaN where the
    two never met. Rows and columns in rating order, best first: ready for a heatmap."""
    counts = count_pairs(battles, include_ties=True)
    if not counts.models:
        return pd.DataFrame(dtype=float)
    elo = _to_elo(_full_fit(counts))[0]
    order = sorted(range(len(counts.models)), key=lambda i: (-elo[i], counts.models[i]))
    size = len(counts.models)
    table = np.full((size, size), np.nan)
    first_rate = (counts.first_wins + 0.5 * counts.ties) / counts.total
    table[counts.first, counts.second] = first_rate
    table[counts.second, counts.first] = 1.0 - first_rate
    names = [counts.models[i] for i in order]
    frame = pd.DataFrame(table[np.ix_(order, order)], index=names, columns=names)
    frame.index.name, frame.columns.name = "model", "opponent"
    return frame
