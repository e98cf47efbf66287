"""Agreement of our table TEDS with an independent implementation, on 20 generated table pairs.

    .venv/bin/python -m benchmarks.scripts.bench_teds_agreement [--reference-python /tmp/trm-venv/bin/python]

`core.layout.scoring.teds` re-implements PubTabNet's TEDS (github ibm-aur-nlp/PubTabNet, src/metric.py). This
script checks it against the PyPI package table-recognition-metric (class `TEDS`, a packaging of the same PubTabNet
code that counts tree nodes as the paper does: `tree.size()`, <table> included, in version 0.0.6; PubTabNet's own
script counts the <table>'s descendants, `len(table.xpath(".//*"))`, and would not agree exactly). It builds 20 deterministic pairs from one generated table:
identical, dropped rows and columns, an invented row, merged cells (colspan, rowspan), typos, swapped cells and
rows, emptied cells, bold markup, a transposed and an unrelated table. Each pair is scored with full TEDS and with
structure-only TEDS by both implementations.

The reference runs in `--reference-python` (default: this interpreter) through a subprocess, so it can live in a
throwaway virtual environment (`python -m venv /tmp/trm-venv && /tmp/trm-venv/bin/pip install
table-recognition-metric`); it is not a project requirement. It is given each table wrapped in <html><body> (it
scores a bare fragment 0) and told to ignore <thead>/<tbody>/<tfoot>, as ours does.

Printed: every pair's scores, then the agreement over all 40 scores: the largest and the mean absolute difference
and Spearman's rank correlation. Then two inputs where we depart from the reference on purpose. This is a
measurement script, not a test: it exits 0 whenever it has printed a result, with or without the reference.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time

import numpy as np
from scipy.stats import spearmanr

from core.layout.scoring import teds

ROWS, COLUMNS = 6, 4
WORDS = ("alpha", "beta", "gamma", "delta", "total", "net", "cost", "margin", "Q1", "Q2", "revenue", "growth")
SECTION_TAGS = ["thead", "tbody", "tfoot"]

# Run in the reference interpreter: pairs in on stdin, [[full, structure-only], ...] out on stdout.
REFERENCE_SCRIPT = """
import json, sys
from table_recognition_metric import TEDS
ignore = %r
full, structure = TEDS(ignore_nodes=ignore), TEDS(structure_only=True, ignore_nodes=ignore)
wrap = lambda table: "<html><body>" + table + "</body></html>"
pairs = json.load(sys.stdin)
print(json.dumps([[full(wrap(p), wrap(t)), structure(wrap(p), wrap(t))] for p, t in pairs]))
""" % SECTION_TAGS


def generated_grid(rng: random.Random, rows: int = ROWS, columns: int = COLUMNS) -> list[list[str]]:
    header = [rng.choice(WORDS).title() for _ in range(columns)]
    body = [[rng.choice(WORDS) if c == 0 else f"{rng.uniform(0, 1000):.1f}" for c in range(columns)]
            for _ in range(rows - 1)]
    return [header, *body]


def to_html(grid: list[list[str]], spans: dict[tuple[int, int], str] | None = None, sections: bool = False) -> str:
    """Rows of cells; `spans` maps (row, column) to a cell's attributes, a value of None drops the cell."""
    spans = spans or {}
    rows = []
    for r, row in enumerate(grid):
        cells = [f"<td{spans.get((r, c), '')}>{text}</td>" for c, text in enumerate(row)
                 if spans.get((r, c), "") is not None]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if sections:
        return f"<table><thead>{rows[0]}</thead><tbody>{''.join(rows[1:])}</tbody></table>"
    return "<table>" + "".join(rows) + "</table>"


def typo(text: str, rng: random.Random) -> str:
    position = rng.randrange(len(text))
    return text[:position] + rng.choice("xyz0") + text[position + 1:]


def table_pairs(seed: int) -> list[tuple[str, str, str]]:
    """(name, predicted html, truth html), 20 of them, the same for the same seed."""
    rng = random.Random(seed)
    grid = generated_grid(rng)
    truth = to_html(grid)
    copy = [list(row) for row in grid]

    def edited(change) -> list[list[str]]:
        new = [list(row) for row in copy]
        change(new)
        return new

    several_typos = edited(lambda g: [g[r].__setitem__(c, typo(g[r][c], rng)) for r, c in ((1, 1), (2, 3), (4, 0))])
    return [
        ("identical", truth, truth),
        ("identical, thead/tbody added", to_html(grid, sections=True), truth),
        ("last row dropped", to_html(grid[:-1]), truth),
        ("first body row dropped", to_html([grid[0], *grid[2:]]), truth),
        ("two rows dropped", to_html(grid[:-2]), truth),
        ("last column dropped", to_html([row[:-1] for row in grid]), truth),
        ("two columns dropped", to_html([row[:-2] for row in grid]), truth),
        ("invented row", to_html([*grid, ["extra", "1.0", "2.0", "3.0"]]), truth),
        ("header cells 0-1 merged (colspan)", to_html(grid, {(0, 0): ' colspan="2"', (0, 1): None}), truth),
        ("body cells merged down (rowspan)", to_html(grid, {(1, 0): ' rowspan="2"', (2, 0): None}), truth),
        ("header one cell over all columns",
         to_html(grid, {(0, 0): f' colspan="{COLUMNS}"', **{(0, c): None for c in range(1, COLUMNS)}}), truth),
        ("truth merged, prediction split", truth, to_html(grid, {(3, 2): ' colspan="2"', (3, 3): None})),
        ("one-character typo", to_html(edited(lambda g: g[2].__setitem__(1, typo(g[2][1], rng)))), truth),
        ("three typos", to_html(several_typos), truth),
        ("two cells swapped in a row", to_html(edited(lambda g: g[3].reverse())), truth),
        ("two rows swapped", to_html([grid[0], grid[2], grid[1], *grid[3:]]), truth),
        ("cells emptied", to_html(edited(lambda g: [g[r].__setitem__(1, "") for r in (1, 3, 5)])), truth),
        ("bold markup in the header", to_html(edited(lambda g: g[0].__setitem__(0, f"<b>{g[0][0]}</b>"))), truth),
        ("transposed", to_html([list(column) for column in zip(*grid)]), truth),
        ("unrelated table", to_html(generated_grid(random.Random(seed + 1), 3, 5)), truth),
    ]


def our_scores(pairs: list[tuple[str, str, str]]) -> tuple[list[list[float]], float]:
    start = time.perf_counter()
    scores = [[teds(predicted, truth), teds(predicted, truth, structure_only=True)] for _, predicted, truth in pairs]
    return scores, time.perf_counter() - start


def reference_scores(pairs: list[tuple[str, str, str]], python: str) -> tuple[list[list[float]] | None, str]:
    """The reference's scores and seconds, or None and why not."""
    start = time.perf_counter()
    done = subprocess.run([python, "-c", REFERENCE_SCRIPT], input=json.dumps([[p, t] for _, p, t in pairs]),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"the reference could not run in {python}: {last_line}"
    return json.loads(done.stdout), f"{time.perf_counter() - start:.2f} s (subprocess included)"


def print_agreement(ours: list[list[float]], reference: list[list[float]]) -> None:
    mine, theirs = np.array(ours).ravel(), np.array(reference).ravel()
    difference = np.abs(mine - theirs)
    rho = spearmanr(mine, theirs).statistic
    print(f"Agreement over {len(mine)} scores (20 TEDS + 20 TEDS-S):")
    print(f"  max |ours - reference|  {difference.max():.6f}")
    print(f"  mean |ours - reference| {difference.mean():.6f}")
    print(f"  Spearman rho            {rho:.6f}")


def print_departures(python: str) -> None:
    """Inputs we read differently on purpose (see core/layout/scoring/teds.py)."""
    truth = "<table><tr><td>Name</td><td>Age</td></tr><tr><td>Ann</td><td>31</td></tr></table>"
    header = truth.replace("<td>Name</td><td>Age</td>", "<th>Name</th><th>Age</th>")
    script = ("import sys; from table_recognition_metric import TEDS; t = TEDS(); "
              "print(t(sys.argv[1], sys.argv[2]), t('<html><body>' + sys.argv[3] + '</body></html>', "
              "'<html><body>' + sys.argv[2] + '</body></html>'))")
    done = subprocess.run([python, "-c", script, truth, truth, header], capture_output=True, text=True, check=False)
    fragment, with_th = done.stdout.split() if done.returncode == 0 else ("n/a", "n/a")
    print("Departures on purpose (not in the agreement):")
    print(f"  bare <table> fragment vs itself: ours {teds(truth, truth):.4f}  reference {fragment}")
    print(f"  <th> header vs <td> header:      ours {teds(header, truth):.4f}  reference {with_th}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_teds_agreement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference-python", default=sys.executable,
                        help="interpreter with table-recognition-metric installed (default: this one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pairs = table_pairs(args.seed)
    ours, our_seconds = our_scores(pairs)
    reference, reference_note = reference_scores(pairs, args.reference_python)
    print(f"TEDS agreement: {len(pairs)} pairs from a {ROWS}x{COLUMNS} table, seed {args.seed}")
    print(f"  ours: {our_seconds:.2f} s   reference (table-recognition-metric): {reference_note}")
    print(f"{'pair':36} {'TEDS ours':>10} {'ref':>8} {'TEDS-S ours':>12} {'ref':>8}")
    for index, (name, _, _) in enumerate(pairs):
        theirs = reference[index] if reference else ["-", "-"]
        print(f"{name:36} {ours[index][0]:>10.4f} {_cell(theirs[0]):>8} {ours[index][1]:>12.4f} {_cell(theirs[1]):>8}")
    if reference is None:
        print("No agreement computed: no reference scores.")
        return
    print_agreement(ours, reference)
    print_departures(args.reference_python)


def _cell(value) -> str:
    return value if isinstance(value, str) else f"{value:.4f}"


if __name__ == "__main__":
    main()
