"""Leaderboard refresh time: the blind-battle standings (Bradley–Terry fit plus bootstrap intervals) from scratch.

    .venv/bin/python -m benchmarks.scripts.bench_leaderboard [--battles 10000] [--models 12] [--rounds 1000]

The leaderboard is recomputed on every view, so `core.battles.rating.standings` must stay cheap. This script
draws synthetic battles between random pairs of models with known ratings (outcomes from the Bradley–Terry
probability, a few ties), then times `standings(battles, rounds)` end to end: counting the votes per pair, the
full-data fit and every bootstrap refit. Printed: the median and spread of the timed runs against the 1 s goal,
and how well the fitted order matches the true one.

This is a measurement script, not a test: it passes or fails nothing and always exits 0 on a result.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from core.battles.rating import standings

GOAL_S = 1.0


def synthetic_battles(models: int, count: int, seed: int) -> tuple[dict[str, float], list[tuple[str, str, str]]]:
    """True ratings 100 points apart and `count` battles drawn from them; ties keep each side's expected score."""
    rng = np.random.default_rng(seed)
    names = [f"model-{k:02d}" for k in range(models)]
    truth = {name: 1000.0 + 100.0 * (k - (models - 1) / 2) for k, name in enumerate(names)}
    strength = np.array(list(truth.values()))
    side_a = rng.integers(0, models, count)
    side_b = (side_a + rng.integers(1, models, count)) % models
    p = 1.0 / (1.0 + 10.0 ** ((strength[side_b] - strength[side_a]) / 400.0))
    tie = 0.5 * p * (1.0 - p)
    draw = rng.random(count)
    outcomes = np.where(draw < tie, "tie", np.where(draw < tie + p - tie / 2, "a", "b"))
    return truth, [(names[a], names[b], str(o)) for a, b, o in zip(side_a, side_b, outcomes)]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_leaderboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--battles", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds (default: 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported (default: 5)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    truth, battles = synthetic_battles(args.models, args.battles, args.seed)
    standings(battles, rounds=args.rounds, seed=args.seed)   # warm-up: imports, first allocations
    times, table = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        table = standings(battles, rounds=args.rounds, seed=args.seed)
        times.append(time.perf_counter() - start)

    median = statistics.median(times)
    print(f"Leaderboard: {args.battles} battles, {args.models} models, {args.rounds} bootstrap rounds, "
          f"{args.repeats} runs, {os.cpu_count()} cores")
    print(f"  standings()  median {median:.3f} s   min {min(times):.3f} s   max {max(times):.3f} s")
    print(f"  goal         {GOAL_S:.3f} s   -> {'met' if median <= GOAL_S else 'MISSED'} "
          f"({median / GOAL_S:.0%} of the goal)")
    true_order = sorted(truth, key=truth.get, reverse=True)
    errors = [abs(row.rating - truth[row.key]) for row in table]
    print(f"  fitted order matches the true order: {[row.key for row in table] == true_order}; "
          f"largest rating error {max(errors):.1f} points; mean 95% interval width "
          f"{statistics.mean(row.ci_high - row.ci_low for row in table):.1f} points")


if __name__ == "__main__":
    main()
