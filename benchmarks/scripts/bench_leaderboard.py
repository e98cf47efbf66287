"""Leaderboard refresh time: the blind-battle standings (Bradley–Terry fit plus bootstrap intervals) from scratch.

    .venv/bin/python -m benchmarks.scripts.bench_leaderboard [--battles 10000] [--models 12] [--rounds 1000]

The leaderboard is recomputed on every view, so `core.battles.rating.standings` must stay cheap. This script
draws synthetic battles between random pairs of models with known ratings (outcomes from the Bradley–Terry
probability, a few ties), then times `standings(battles, rounds)` end to end: counting the votes per pair, the
full-data fit and every bootstrap refit. Printed: the median and spread of the timed runs against the 1 s goal,
and how well the fitted order matches the true one.

Then the same battles go into a real votes store (SQLite, each vote with 1 KB outputs) and the whole refresh the
Leaderboard tab does on each visit is timed: reading the votes, the standings, the per-model figures, the table
and both charts (`LeaderboardTab.leaderboard`).

This is a measurement script, not a test: it passes or fails nothing and always exits 0 on a result.
"""
from __future__ import annotations

import argparse
import json
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


def time_tab_refresh(battles: list[tuple[str, str, str]], repeats: int) -> list[float]:
    """Seconds for the Leaderboard tab's refresh over a store holding `battles` as votes."""
    import tempfile
    from pathlib import Path

    import gradio as gr

    from backends.config import load_config
    from backends.contracts.schema import PROJECT_ROOT
    from backends.pool import ModelPool
    from core.battles.vote_records import Vote
    from core.battles.votes import VotesStore
    from ui.leaderboard_tab import LeaderboardTab

    with tempfile.TemporaryDirectory() as folder:
        output = "Пример распознанного текста. Sample recognised text. " * 20  # about 1 KB
        votes = [Vote(f"b{n}", f"2026-01-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z", "alice", "ocr",
                      "en", "0" * 64, None, a, b, output, output, 1.0, 2.0, outcome, 0.1, 0.2)
                 for n, (a, b, outcome) in enumerate(battles)]
        lines = Path(folder) / "votes.jsonl"
        lines.write_text("".join(json.dumps(vars(v), ensure_ascii=False) + "\n" for v in votes), encoding="utf-8")
        store = VotesStore(Path(folder) / "votes.sqlite")
        store.import_jsonl(lines)  # one transaction, as an import from another arena is
        config = load_config(PROJECT_ROOT / "config.yaml")
        tab = LeaderboardTab(ModelPool(config), "en", gr.I18n(en={}), store=store)
        tab.leaderboard()  # warm-up: plotly's import
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            tab.leaderboard()
            times.append(time.perf_counter() - start)
        return times


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
    refresh = time_tab_refresh(battles, args.repeats)
    print(f"  the tab's whole refresh (store read, standings, table, charts): median "
          f"{statistics.median(refresh):.3f} s   min {min(refresh):.3f} s   max {max(refresh):.3f} s")


if __name__ == "__main__":
    main()
