"""The benchmark command line.

    python -m benchmarks run --models tesseract,rapidocr --dataset samples/en_printed_pages [--out DIR]
                             [--repeats N] [--warmup N] [--limit N] [--task ocr] [--casefold]
                             [--concurrency 1,4,16 [--slo-s SECONDS]] [--lang en|ru]
    python -m benchmarks history
    python -m benchmarks compare RUN_A RUN_B
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from backends.contracts.schema import PROJECT_ROOT
from backends.config import ConfigError, load_config
from backends.pool import ModelPool
from benchmarks import history
from core.dataset import DatasetError, load_dataset
from core.metrics import Normalization
from benchmarks.load import ConcurrencyError, LoadSettings, parse_levels
from benchmarks.load_report import LOAD_MARKDOWN_COLUMNS, summary_frame as load_summary_frame
from benchmarks.report import MARKDOWN_COLUMNS, overhead, results_frame, run_record, write_report
from benchmarks.report_strings import LANGUAGES
from benchmarks.summary import summarize
from benchmarks.runner import BenchmarkSettings, run_benchmark

RUNS_FOLDER = PROJECT_ROOT / "runs" / "benchmarks"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run models over a dataset and write the report files")
    run.add_argument("--models", required=True, help="comma-separated model keys (see: python launch.py list)")
    run.add_argument("--dataset", required=True, type=Path,
                     help="a folder with manifest.csv, or a folder of images with same-named .txt files")
    run.add_argument("--out", type=Path, help=f"where the report files go (default: {RUNS_FOLDER}/RUN_ID)")
    run.add_argument("--repeats", type=int, default=1, help="timed runs per item (default 1)")
    run.add_argument("--warmup", type=int, default=0, help="untimed runs on the first item per model (default 0)")
    run.add_argument("--limit", type=int, help="only the first N items")
    run.add_argument("--task", default="ocr", choices=["ocr", "layout"], help="the prompt models get (default ocr)")
    run.add_argument("--casefold", action="store_true", help="score text case-insensitively (e.g. SROIE)")
    run.add_argument("--no-nfkc", action="store_true", help="score without Unicode NFKC normalisation")
    run.add_argument("--keep-whitespace", action="store_true", help="score without collapsing whitespace")
    run.add_argument("--pdf-dpi", type=float, default=200, help="resolution PDF pages are rendered at")
    run.add_argument("--concurrency", metavar="N[,N...]",
                     help="after each model's one-at-a-time pass, serve the dataset again with up to N requests in "
                          "flight, for each N (e.g. 1,4,16): pages/s, tokens/s, TTFT, TPOT, ITL, goodput")
    run.add_argument("--slo-s", type=float, metavar="SECONDS",
                     help="with --concurrency: the latency target; goodput counts the pages/s finished within it")
    run.add_argument("--lang", default="en", choices=LANGUAGES,
                     help="the language of report.html: its words, numbers and charts (default en)")

    commands.add_parser("history", help="list the recorded runs, newest first")
    compare = commands.add_parser("compare", help="compare two recorded runs, model by model")
    compare.add_argument("run_a", help="a run id (or a unique prefix)")
    compare.add_argument("run_b")
    for command in commands.choices.values():
        command.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yaml")
        command.add_argument("--history", type=Path,
                             help="the SQLite history file (default: app.benchmark_history in the config)")
    return parser.parse_args(argv)


def run_command(args: argparse.Namespace, config) -> int:
    try:
        dataset = load_dataset(args.dataset)
        settings = BenchmarkSettings(
            repeats=args.repeats, warmup=args.warmup, limit=args.limit, task=args.task, pdf_dpi=args.pdf_dpi,
            normalization=Normalization(nfkc=not args.no_nfkc, collapse_whitespace=not args.keep_whitespace,
                                        casefold=args.casefold))
        load = load_settings(args)
    except (DatasetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    models = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = [k for k in models if k not in config.keys()]
    if unknown or not models:
        print(f"error: unknown model key(s) {', '.join(unknown) or '(none given)'}; "
              f"known: {', '.join(config.keys())}", file=sys.stderr)
        return 2
    for problem in dataset.problems:
        print(f"warning: {problem} (recorded as an error row)", file=sys.stderr)

    pool = ModelPool(config)
    bar = tqdm(total=1, unit="run", dynamic_ncols=True, file=sys.stderr)

    def on_progress(done: int, total: int, description: str) -> None:
        bar.total = total
        bar.set_description_str(description[:60], refresh=False)
        bar.update(done - bar.n)

    try:
        run = run_benchmark(pool, models, dataset, settings, on_progress, load, args.lang)
    finally:
        bar.close()
        pool.close()
    out = args.out or RUNS_FOLDER / run.run_id
    paths = write_report(run, out, args.lang)
    summary = summarize(results_frame(run))
    history.record_run(args.history, run_record(run, summary), out)
    print(f"recorded in {args.history}", file=sys.stderr)
    print(_markdown(summary[[c for c in MARKDOWN_COLUMNS if c in summary]].dropna(axis=1, how="all")))
    under_load = load_summary_frame(run)
    if under_load is not None:
        print("\nunder load (requests in flight per model):")
        print(_markdown(under_load[[c for c in LOAD_MARKDOWN_COLUMNS if c in under_load]].dropna(axis=1, how="all")))
    for key, why in run.load_skipped.items():
        print(f"not swept: {key}: {why}", file=sys.stderr)
    ratio = overhead(run)
    print(f"\nrun {run.run_id}: {run.wall_s:.1f} s wall, {run.engine_s:.1f} s in the engines"
          + (f" (overhead ×{ratio:.3f})" if ratio else ""))
    print(f"report: {paths['report.html']}\nfiles: {out}")
    return 0


def load_settings(args: argparse.Namespace) -> LoadSettings | None:
    """The concurrency sweep asked for, if any (ConcurrencyError, a ValueError, for a bad value)."""
    if args.concurrency is None:
        if args.slo_s is not None:
            raise ConcurrencyError("--slo-s needs --concurrency (goodput is a figure of the concurrency sweep)",
                                   str(args.slo_s))
        return None
    return LoadSettings(parse_levels(args.concurrency), args.slo_s)


def _markdown(frame) -> str:
    """A Markdown table with blanks, not "nan", where a figure does not apply."""
    return frame.astype(object).where(frame.notna(), None).to_markdown(index=False, floatfmt=".4g", missingval="")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.history = args.history or config.app.benchmark_history_path()
    if args.command == "run":
        return run_command(args, config)
    try:
        if args.command == "history":
            runs = history.list_runs(args.history)
            print(_markdown(runs) if not runs.empty
                  else f"no runs recorded in {args.history} yet")
        else:
            runs = history.list_runs(args.history).set_index("run_id")
            for run_id in (history.resolve_run(args.history, r) for r in (args.run_a, args.run_b)):
                row = runs.loc[run_id]
                print(f"{run_id}: {row['dataset']} ({row['items']} items), {row['started_at']}, models {row['models']}")
            print()
            print(_markdown(history.compare(args.history, args.run_a, args.run_b)))
    except history.HistoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
