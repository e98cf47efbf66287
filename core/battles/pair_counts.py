"""Battles folded into counts per unordered pair of models: the fit and the bootstrap never look at single votes."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

# A battle is (model_a, model_b, outcome); "both_bad" is scored as a tie.
Battle = Sequence[str]
OUTCOMES = ("a", "b", "tie", "both_bad")
TIE_OUTCOMES = ("tie", "both_bad")


@dataclass(frozen=True)
class PairCounts:
    """Votes per unordered pair: pair p is models[first[p]] against models[second[p]], names in sorted order."""
    models: tuple[str, ...]
    first: np.ndarray         # model index per pair
    second: np.ndarray        # model index per pair, always above first
    first_wins: np.ndarray    # battles the first model won
    second_wins: np.ndarray   # battles the second model won
    ties: np.ndarray          # ties and both_bad

    @property
    def total(self) -> np.ndarray:
        return self.first_wins + self.second_wins + self.ties

    def per_model(self, first_side: np.ndarray, second_side: np.ndarray) -> np.ndarray:
        """Sum a per-pair figure onto models: first_side to each pair's first model, second_side to its second."""
        size = len(self.models)
        return (np.bincount(self.first, weights=first_side, minlength=size)
                + np.bincount(self.second, weights=second_side, minlength=size))


def check_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown battle outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}")
    return outcome


def count_pairs(battles: Iterable[Battle], include_ties: bool = True) -> PairCounts:
    """Fold battles into PairCounts; with include_ties=False ties and both_bad are left out entirely."""
    slots: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for model_a, model_b, outcome in battles:
        is_tie = check_outcome(outcome) in TIE_OUTCOMES
        if model_a == model_b:
            raise ValueError(f"a battle needs two different models, got {model_a!r} twice")
        if is_tie and not include_ties:
            continue
        swapped = model_b < model_a
        key = (model_b, model_a) if swapped else (model_a, model_b)
        # Slot 0: the pair's first (alphabetically lower) model won; 1: the second won; 2: a tie.
        slot = 2 if is_tie else (0 if (outcome == "a") != swapped else 1)
        slots[key][slot] += 1

    models = tuple(sorted({name for key in slots for name in key}))
    index = {name: i for i, name in enumerate(models)}
    keys = sorted(slots)
    table = np.array([slots[key] for key in keys], dtype=float).reshape(len(keys), 3)
    return PairCounts(models=models,
                      first=np.array([index[a] for a, _ in keys], dtype=int),
                      second=np.array([index[b] for _, b in keys], dtype=int),
                      first_wins=table[:, 0], second_wins=table[:, 1], ties=table[:, 2])
