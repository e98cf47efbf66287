"""The Bradley–Terry maximum-likelihood fit on pair counts, many data sets at once (one per bootstrap round).

Scores are on the natural-log odds scale: P(i beats j) = 1 / (1 + exp(s_j - s_i)). The fit minimises the
negative binomial log-likelihood of each pair's score shares (a tie is half a win for each side, as LMSYS counts
it) plus a weak L2 penalty, with scipy's L-BFGS-B and the analytic gradient. The data sets are independent, so
one minimisation fits them all: its parameters are the (sets x models) scores, flattened, and its objective is the
sum of the sets' losses. Each evaluation is then a few vectorised passes over all sets' pairs.

A pair layout is `(first, second, size)`: pair p is model first[p] against model second[p], each unordered
pair at most once, among `size` models. Sums onto models go through np.bincount on flattened indices.

The optimiser's vectors hold every set's scores (12,000 numbers for 1,000 rounds of 12 models), long enough for
OpenBLAS to spread its vector operations over threads; those threads then spin on the app's cores and made the
fit several times slower on a busy 2-core machine. The fit therefore runs with BLAS limited to one thread.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

# A Gaussian prior on each score with standard deviation 1/sqrt(0.001) ~ 32 log-odds (~5,500 Elo points):
# far too weak for any real data to notice (it moves a rating by well under 0.1 point with a few votes a
# model), but it keeps the rating of a model that won or lost every battle finite, and because the
# likelihood ignores a common shift it also pins the mean score of every connected group of models to 0.
L2_PENALTY = 1e-3
# L-BFGS-B stops when an iteration lowers the summed loss by less than this fraction of it (or when no score's
# gradient is above 1e-5 votes). The loss and the last decrease both grow with the number of sets and battles,
# so the accuracy does not depend on them: within ~0.002 Elo points of the exact fit on 10,000 battles, a few
# hundredths for a model that won every battle; scipy's default (2.2e-9) leaves ~0.05 points.
RELATIVE_TOLERANCE = 1e-12

_BLAS = ThreadpoolController()   # numpy's and scipy's OpenBLAS, loaded by the imports above


def _flat_pairs(first, second, sets: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each (set, pair)'s first and second model as indices into a flattened (sets, models) array."""
    offset = (np.arange(sets) * size)[:, None]
    return (offset + first).ravel(), (offset + second).ravel()


def _spread(first_value, second_value, flat_first, flat_second, length: int) -> np.ndarray:
    """Flattened per-model sums: first_value onto each pair's first model, second_value onto its second."""
    return (np.bincount(flat_first, weights=first_value, minlength=length)
            + np.bincount(flat_second, weights=second_value, minlength=length))


def per_model_sum(first_value, second_value, first, second, size) -> np.ndarray:
    """(sets, models): each model's sum of first_value over pairs where it is first and second_value where second."""
    first_value, second_value = np.asarray(first_value, dtype=float), np.asarray(second_value, dtype=float)
    sets = len(first_value)
    flat_first, flat_second = _flat_pairs(first, second, sets, size)
    return _spread(first_value.ravel(), second_value.ravel(), flat_first, flat_second, sets * size).reshape(sets, size)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))   # no overflow for large |x|, unlike 1 / (1 + exp(-x))


def _objective(first, second, first_share, second_share, shape: tuple[int, int]):
    """The summed negative penalised log-likelihood of flattened (sets, models) scores, and its gradient."""
    flat_first, flat_second = _flat_pairs(first, second, *shape)
    first_share = np.broadcast_to(first_share, (shape[0], len(first))).ravel()
    second_share = np.broadcast_to(second_share, (shape[0], len(first))).ravel()
    battles = first_share + second_share

    def loss_and_gradient(scores: np.ndarray) -> tuple[float, np.ndarray]:
        gap = scores[flat_first] - scores[flat_second]
        # first_share * log(1 + e^-gap) + second_share * log(1 + e^gap), as log(1 + e^gap) = log(1 + e^-gap) + gap
        nll = battles * np.logaddexp(0.0, -gap) + second_share * gap
        excess = battles * _logistic(gap) - first_share   # the first model's expected score minus its actual one
        gradient = _spread(excess, -excess, flat_first, flat_second, scores.size) + L2_PENALTY * scores
        return float(nll.sum() + 0.5 * L2_PENALTY * (scores * scores).sum()), gradient

    return loss_and_gradient


def fit_scores(first: np.ndarray, second: np.ndarray, first_share: np.ndarray, second_share: np.ndarray,
               start: np.ndarray) -> np.ndarray:
    """Maximum-likelihood scores, (sets, models), for (sets, pairs) arrays of each side's share of the votes.

    first_share / second_share: wins of the pair's first / second model plus half the ties.
    start: (sets, models) starting scores; a warm start (the full-data fit) saves most iterations.
    """
    start = np.asarray(start, dtype=float)
    objective = _objective(first, second, first_share, second_share, start.shape)
    with _BLAS.limit(limits=1, user_api="blas"):
        result = minimize(objective, start.ravel(), jac=True, method="L-BFGS-B",
                          options={"ftol": RELATIVE_TOLERANCE})
    return result.x.reshape(start.shape)
