"""Matchmaking: which two models meet next. Pairs that have met least are drawn most often."""
from __future__ import annotations

import random
from typing import Mapping


def draw_pair(candidates: list[str], met: Mapping[frozenset[str], int], rng: random.Random) -> tuple[str, str]:
    """Two different models, as (A, B). A pair that has had n battles weighs 1 / (1 + n); sides are a coin flip.
    Needs at least two candidates."""
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1:]]
    weights = [1.0 / (1 + met.get(frozenset(pair), 0)) for pair in pairs]
    first, second = rng.choices(pairs, weights)[0]
    return (first, second) if rng.random() < 0.5 else (second, first)
