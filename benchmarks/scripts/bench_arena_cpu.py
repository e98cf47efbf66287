"""Arena CPU cost: the app's CPU seconds per arena run, and how much of it is the engines' own work.

    .venv/bin/python -m benchmarks.scripts.bench_arena_cpu [--models tesseract,rapidocr] [--runs 20]

The app is started as its own process (`launch.py`), as a user starts it. A client in this process sends
`--runs` arena runs of the phototest page with the chosen models (after `--warmup` runs that load them),
and the app process's CPU time (user + system, every thread) is read with psutil before and after.

Beside it, the same models run the same page directly in this process through a `ModelPool`, and that
CPU time per run is the engines' own cost. The difference is what the arena adds per run: upload, image
decode, availability checks, scoring, the table, the charts, the overlays and the exports.

A measurement script, not a test: it exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import psutil

from backends.contracts.schema import PROJECT_ROOT
from testkit.servers import free_port

PAGE = PROJECT_ROOT / "samples" / "en_printed_pages" / "images" / "tesseract_phototest.tif"
TRUTH = PROJECT_ROOT / "samples" / "en_printed_pages" / "gt" / "tesseract_phototest.gt.txt"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_arena_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="tesseract,rapidocr", help="comma-separated model keys")
    parser.add_argument("--runs", type=int, default=20, help="timed arena runs (default: 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default: 3)")
    return parser.parse_args(argv)


def start_app(port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "launch.py", "--port", str(port), "--lang", "en"], cwd=PROJECT_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("the app did not start within 120 s")


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def app_cpu_per_run(models: list[str], runs: int, warmup: int) -> float:
    from gradio_client import Client, handle_file

    port = free_port()
    app = start_app(port)
    try:
        truth = TRUTH.read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory() as downloads:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=downloads)
            for _ in range(warmup):
                client.predict(handle_file(str(PAGE)), models, truth, api_name="/run_arena")
            process = psutil.Process(app.pid)
            before = cpu_seconds(process)
            for _ in range(runs):
                client.predict(handle_file(str(PAGE)), models, truth, api_name="/run_arena")
            return (cpu_seconds(process) - before) / runs
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(30)


def engine_cpu_per_run(models: list[str], runs: int, warmup: int) -> float:
    from backends.config import load_config
    from backends.contracts.requests import PageRequest
    from backends.pool import ModelPool
    from core.documents import load_image

    pool = ModelPool(load_config(PROJECT_ROOT / "config.yaml"))
    image = load_image(PAGE)
    try:
        def one() -> None:
            for _ in pool.run_many(models, PageRequest(image)):
                pass
        for _ in range(warmup):
            one()
        before = time.process_time()
        for _ in range(runs):
            one()
        return (time.process_time() - before) / runs
    finally:
        pool.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    app = app_cpu_per_run(models, args.runs, args.warmup)
    engines = engine_cpu_per_run(models, args.runs, args.warmup)
    print(f"Arena CPU per run, {' + '.join(models)} on {PAGE.name} with its ground truth ({args.runs} runs):")
    print(f"  app process       {app * 1000:8.1f} ms")
    print(f"  engines directly  {engines * 1000:8.1f} ms")
    print(f"  arena overhead    {(app - engines) * 1000:8.1f} ms  ({app / engines:.3f} x the engines' own)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
