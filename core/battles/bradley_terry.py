"""The Bradley–Terry maximum-likelihood fit on pair counts, many data sets at once (one per bootstrap round).

Scores are on the natural-log odds scale: P(i beats j) = 1 / (1 + exp(s_j - s_i)). The fit maximises the
binomial log-likelihood of each pair's score shares (a tie is half a win for each side, as LMSYS counts it)
with damped Newton steps (iteratively reweighted least squares): the problem is small (one unknown per
model) and strictly concave, so a few exact steps converge where a general-purpose optimiser would
spend most of its time in overhead. All data sets are stepped together with batched linear algebra.

A pair layout is `(first, second, size)`: pair p is model first[p] against model second[p], each unordered
pair at most once, among `size` models. Sums onto models go through small (models x models) tables rather
than matrix products, so that no multi-threaded BLAS call fights the app's other threads for the cores.
"""
from __future__ import annotations

import numpy as np

# A Gaussian prior on each score with standard deviation 1/sqrt(0.001) ~ 32 log-odds (~5,500 Elo points):
# far too weak for any real data to notice (it moves a rating by well under 0.1 point with a few votes a
# model), but it keeps the rating of a model that won or lost every battle finite, and because the
# likelihood ignores a common shift it also pins the mean score of every connected group of models to 0.
L2_PENALTY = 1e-3
TOLERANCE = 1e-9          # largest Newton step (log-odds) at which the fit counts as converged
MAX_ITERATIONS = 100
MAX_HALVINGS = 30         # step halvings per iteration while a step would lower the penalised likelihood


def _pair_table(first_value, second_value, first, second, size) -> np.ndarray:
    """(sets, models, models): first_value at [first, second], second_value at [second, first], 0 elsewhere."""
    table = np.zeros((len(first_value), size, size))
    table[:, first, second] = first_value
    table[:, second, first] = second_value
    return table


def per_model_sum(first_value, second_value, first, second, size) -> np.ndarray:
    """(sets, models): each model's sum of first_value over pairs where it is first and second_value where second."""
    return _pair_table(first_value, second_value, first, second, size).sum(axis=2)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))   # no overflow for large |x|, unlike 1 / (1 + exp(-x))


def _loss(scores, first, second, first_share, second_share) -> np.ndarray:
    """Negative penalised log-likelihood per data set."""
    gap = scores[:, first] - scores[:, second]
    nll = first_share * np.logaddexp(0.0, -gap) + second_share * np.logaddexp(0.0, gap)
    return nll.sum(axis=1) + 0.5 * L2_PENALTY * (scores ** 2).sum(axis=1)


def _newton_step(scores, first, second, first_share, second_share):
    """The Newton step per data set: (negative Hessian)^-1 @ gradient of the penalised log-likelihood."""
    size = scores.shape[1]
    win_chance = _logistic(scores[:, first] - scores[:, second])
    battles = first_share + second_share
    surprise = first_share - battles * win_chance
    gradient = per_model_sum(surprise, -surprise, first, second, size) - L2_PENALTY * scores
    weight = battles * win_chance * (1.0 - win_chance)
    # The negative Hessian is the weighted graph Laplacian of the pairs (plus the penalty on the diagonal).
    hessian = _pair_table(-weight, -weight, first, second, size)
    diagonal = np.arange(size)
    hessian[:, diagonal, diagonal] = -hessian.sum(axis=2) + L2_PENALTY
    return np.linalg.solve(hessian, gradient[..., None])[..., 0]


def _damped(scores, step, loss_now, loss_at):
    """Halve the step, per data set, until it does not raise the loss (Newton alone can overshoot).

    Returns the new scores and their loss."""
    scale = np.ones(len(scores))
    for _ in range(MAX_HALVINGS):
        candidate = scores + scale[:, None] * step
        loss_new = loss_at(candidate)
        worse = loss_new > loss_now + 1e-12 * (1.0 + np.abs(loss_now))
        if not worse.any():
            break
        scale[worse] *= 0.5
    return candidate, loss_new


def fit_scores(first: np.ndarray, second: np.ndarray, first_share: np.ndarray, second_share: np.ndarray,
               start: np.ndarray) -> np.ndarray:
    """Maximum-likelihood scores, (sets, models), for (sets, pairs) arrays of each side's share of the votes.

    first_share / second_share: wins of the pair's first / second model plus half the ties.
    start: (sets, models) starting scores; a warm start (the full-data fit) saves most iterations.
    """
    def loss_at(candidate: np.ndarray) -> np.ndarray:
        return _loss(candidate, first, second, first_share, second_share)

    scores = np.array(start, dtype=float)
    loss_now = loss_at(scores)
    for _ in range(MAX_ITERATIONS):
        step = _newton_step(scores, first, second, first_share, second_share)
        scores, loss_now = _damped(scores, step, loss_now, loss_at)
        if np.abs(step).max(initial=0.0) < TOLERANCE:
            break
    return scores
