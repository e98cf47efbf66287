"""Soak: many reviewers using one running app for a while; does it stay up, stay fast, and stop growing?

    .venv/bin/python -m benchmarks.scripts.soak [--clients 16] [--runs 5] [--rounds 5] [--models tesseract,rapidocr]
                                                [--config FILE] [--app-env NAME=VALUE] [--api-only] [--json FILE]
                                                [--app-log FILE]
    .venv/bin/python -m benchmarks.scripts.soak --url http://127.0.0.1:7860 --pid APP_PID --cache-dir DIR

Without --url the app is started as a user starts it (`launch.py`), with TMPDIR set to a fresh folder, so that
Gradio's cache and the app's exports (both under the temp folder) are the only files there. Each round, every
client is a new browser session (its own gradio_client Client) that does what the page does for each of its runs:
uploads a page no other run uploaded (the phototest page with a marker), asks for the preview, runs the arena, then
fetches the overlays and the CSV/JSON export. Per round it prints the runs, the errors (an exception, or a model
whose status is not ok), p50/p90 latency of one run (upload to exports), the app's RSS with its children (psutil),
and the files and megabytes on disk under the cache folder.

A measurement script, not a test: it exits 0 once it has numbers, 1 when any run failed.
"""
from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import psutil
from gradio_client import Client, handle_file
from PIL import Image

from backends.contracts.schema import PROJECT_ROOT
from testkit.servers import launched_app_process

PAGE = PROJECT_ROOT / "samples" / "en_printed_pages" / "images" / "tesseract_phototest.tif"
# httpx's default 5 s would count a busy queue as a failed run; a run waits its turn as a browser does.
CLIENT_TIMEOUT_S = 300


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent browser sessions per round (default: 16)")
    parser.add_argument("--runs", type=int, default=5, help="arena runs per client and round (default: 5)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, one after another (default: 5)")
    parser.add_argument("--models", default="tesseract,rapidocr", help="comma-separated model keys")
    parser.add_argument("--url", help="a running app; without it the app is started here")
    parser.add_argument("--pid", type=int, help="with --url: the app's process id, for its RSS")
    parser.add_argument("--cache-dir", type=Path, help="with --url: the folder whose size is reported "
                                                       "(the app's TMPDIR or GRADIO_TEMP_DIR)")
    parser.add_argument("--config", help="the started app's config file (default: config.yaml)")
    parser.add_argument("--app-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the started app (repeatable)")
    parser.add_argument("--api-only", action="store_true",
                        help="call only /run_arena, not the preview and the run's files as the page does")
    parser.add_argument("--json", type=Path, help="also write the rounds here as JSON")
    parser.add_argument("--app-log", type=Path, help="the started app's output goes here (else it is dropped)")
    return parser.parse_args(argv)


def distinct_pages(folder: Path, count: int) -> list[Path]:
    """`count` PNGs of the phototest page, each with its own marker (its index in binary, top left corner)."""
    base = Image.open(PAGE).convert("L")
    pages = []
    for index in range(count):
        page = base.copy()
        for bit in range(20):
            page.putpixel((2 + bit, 2), 0 if index >> bit & 1 else 255)
        path = folder / f"page_{index:05d}.png"
        page.save(path)
        pages.append(path)
    return pages


def page_endpoints(client: Client) -> tuple[int, int]:
    """The fn indexes of what the page triggers besides /run_arena: the upload's preview and the run's files.
    They are private (the page's own calls); the client is told it may call them, as the browser does."""
    components = {c["id"]: c for c in client.config["components"]}
    preview = run_files = None
    for index, dependency in enumerate(client.config["dependencies"]):
        fn_index = dependency.get("id", index)
        targets = [components.get(target[0], {}).get("props", {}).get("elem_id") for target in dependency["targets"]]
        if "arena-document" in targets and dependency["targets"][0][1] == "change":
            preview = fn_index
        if dependency.get("api_name") == "run_arena":
            arena = fn_index
    for index, dependency in enumerate(client.config["dependencies"]):
        if dependency.get("trigger_after") == arena:
            run_files = dependency.get("id", index)
    for fn_index in (preview, run_files):
        client.endpoints[fn_index].is_valid = True
    return preview, run_files


def one_run(client: Client, endpoints: tuple[int, int] | None, page: Path, models: list[str]) -> str | None:
    """One reviewer's run, as the page makes it; None when every model answered, else what went wrong."""
    document = handle_file(str(page))
    if endpoints:
        client.predict(document, fn_index=endpoints[0])
    report = client.predict(document, models, "", "ocr", "1", api_name="/run_arena")[0]
    if endpoints:
        client.predict(fn_index=endpoints[1])
    failed = [f"{m['key']}: {m['status']} {m['message']}" for m in report["models"] if m["status"] != "ok"]
    return "; ".join(failed) or None


def client_session(url: str, pages: list[Path], models: list[str], api_only: bool) -> list[tuple[float, str | None]]:
    """A new browser session making its runs one after another: (seconds, error or None) per run."""
    outcomes = []
    try:
        client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})
    except Exception as exc:  # the page did not even open: each of its runs failed
        return [(0.0, f"opening the page: {type(exc).__name__}: {exc}")] * len(pages)
    try:
        endpoints = None if api_only else page_endpoints(client)
        for page in pages:
            started = time.perf_counter()
            try:
                error = one_run(client, endpoints, page, models)
            except Exception as exc:  # a failed run is a number in the table, not the end of the soak
                error = f"{type(exc).__name__}: {exc}"
            outcomes.append((time.perf_counter() - started, error))
    finally:
        client.close()
    return outcomes


def rss_mb(pid: int) -> float:
    """The app's resident memory with every process it started (workers, engine subprocesses)."""
    app = psutil.Process(pid)
    total = 0
    for process in [app, *app.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def folder_size(folder: Path | None) -> tuple[int, float]:
    """(files, MB) under `folder`."""
    if folder is None or not folder.is_dir():
        return 0, 0.0
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
    return len(sizes), sum(sizes) / 2**20


def soak_round(url: str, pages: list[list[Path]], args: argparse.Namespace) -> dict:
    models = args.models.split(",")
    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        sessions = list(pool.map(lambda own: client_session(url, own, models, args.api_only), pages))
    wall = time.perf_counter() - started
    outcomes = [outcome for session in sessions for outcome in session]
    latencies = sorted(seconds for seconds, _ in outcomes)
    errors = [error for _, error in outcomes if error]
    deciles = statistics.quantiles(latencies, n=10, method="inclusive") if len(latencies) > 1 else latencies * 9
    return {"runs": len(outcomes), "errors": len(errors), "first_error": errors[0] if errors else "",
            "p50_s": statistics.median(latencies), "p90_s": deciles[8], "runs_per_s": len(outcomes) / wall}


def print_row(number: int, row: dict) -> None:
    if number == 1:
        print("round  runs  errors  p50 s  p90 s  runs/s  RSS MB  cache files  cache MB", flush=True)
    print(f"{number:>5}  {row['runs']:>4}  {row['errors']:>6}  {row['p50_s']:>5.2f}  {row['p90_s']:>5.2f}  "
          f"{row['runs_per_s']:>6.2f}  {row['rss_mb']:>6.0f}  {row['cache_files']:>11}  {row['cache_mb']:>8.1f}",
          flush=True)
    if row["first_error"]:
        print(f"       first error: {row['first_error'][:300]}", flush=True)


def soak(url: str, pid: int | None, cache_dir: Path | None, args: argparse.Namespace) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="soak-pages-") as folder:
        per_round = args.clients * args.runs
        pages = distinct_pages(Path(folder), per_round * args.rounds)
        for number in range(1, args.rounds + 1):
            mine = pages[(number - 1) * per_round: number * per_round]
            row = soak_round(url, [mine[c::args.clients] for c in range(args.clients)], args)
            row["rss_mb"] = rss_mb(pid) if pid else float("nan")
            row["cache_files"], row["cache_mb"] = folder_size(cache_dir)
            rows.append(row)
            print_row(number, row)
    return rows


def summary(rows: list[dict]) -> str:
    errors = sum(row["errors"] for row in rows)
    line = f"errors: {errors} of {sum(row['runs'] for row in rows)} runs"
    if len(rows) >= 2:
        second, last = rows[1]["rss_mb"], rows[-1]["rss_mb"]
        line += f"; RSS round 2 -> {len(rows)}: {second:.0f} -> {last:.0f} MB ({(last - second) / second:+.1%})"
    return line + f"; cache at the end: {rows[-1]['cache_files']} files, {rows[-1]['cache_mb']:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A soak stopped by `timeout` or `kill` still stops the app it started (the `with` below runs its exit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        if args.url:
            url, pid, cache_dir = args.url, args.pid, args.cache_dir
        else:
            temp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-app-tmp-")))
            env = {"TMPDIR": str(temp), **dict(item.split("=", 1) for item in args.app_env)}
            config = ["--config", args.config] if args.config else []
            url, process = stack.enter_context(launched_app_process(*config, "--lang", "en", env=env, timeout_s=180,
                                                                    log=args.app_log))
            pid, cache_dir = process.pid, temp
        print(f"soak: {args.clients} clients x {args.runs} runs x {args.rounds} rounds, models {args.models}, "
              f"{'API only' if args.api_only else 'as the page calls it'}, app {url}", flush=True)
        rows = soak(url, pid, cache_dir, args)
    print(summary(rows), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
