"""Cold start: how much longer the arena takes to come up than a bare Gradio app.

    .venv/bin/python -m benchmarks.scripts.bench_cold_start [--repeats 3]

Measures, for each app, the seconds from starting it as a subprocess (sys.executable, cwd at the repo
root) to the first HTTP 200 on `/`, polled every 50 ms with urllib:

* arena: `python launch.py --port P` (config load, model pool, the Blocks with every model's column).
* baseline: a hello-world `gr.Interface(lambda s: s, "text", "text").launch(...)` written to a temp file.

The two alternate, N times each (default 3), so slow drift on the machine hits both alike; every process
is stopped after its run (SIGTERM to its process group, then SIGKILL if it lingers), so none is left
behind. Prints the medians and arena / baseline. Target: <= 1.5.

It also checks, in a fresh interpreter, that importing launch, ui.app and backends.pool (what
`launch.py serve` imports before it listens) pulls in none of the heavy libraries (torch, transformers,
onnxruntime, cv2, tesserocr, plotly): engines and charts import them on first use. When one is there,
it prints the import chain that brought it in.

This is a measurement script, not a test: it always exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT
from testkit.servers import free_port

TARGET_RATIO = 1.5
POLL_INTERVAL_S = 0.05
HEAVY_MODULES = ("torch", "transformers", "onnxruntime", "cv2", "tesserocr", "plotly")
APP_IMPORTS = "import launch, ui.app, backends.pool"

HELLO_WORLD = """\
import sys

import gradio as gr

gr.Interface(lambda s: s, "text", "text").launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_cold_start",
                                     description="Cold start: arena start-up time / bare Gradio hello-world's.")
    parser.add_argument("--repeats", type=int, default=3, help="starts of each app, alternating (default: 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up on one start after this many seconds")
    return parser.parse_args(argv)


def responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False  # not listening yet, or not ready to answer


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group (the app and anything it spawned), SIGKILL if it has not gone in 10 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def time_to_first_200(command: list[str], port: int, timeout: float) -> float:
    """Seconds from Popen to the first 200 on `/`; the process is stopped before returning."""
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        # A new session gives the app its own process group, so stop() reaches its children too.
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                if responds(url):
                    return time.perf_counter() - started
                if process.poll() is not None or time.perf_counter() - started > timeout:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    reason = f"exited with {process.returncode}" if process.returncode is not None else "timed out"
                    raise SystemExit(f"{' '.join(command)} {reason} before serving {url}:\n{tail}")
                time.sleep(POLL_INTERVAL_S)
        finally:
            stop(process)


def heavy_imports() -> list[str]:
    """The heavy modules present after the app's start-up imports, in a fresh interpreter."""
    code = f"{APP_IMPORTS}; import sys; print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return eval(out.stdout.strip().splitlines()[-1])  # our own print of a list of str


def import_chain(module: str) -> list[str]:
    """Who imported `module`: the enclosing imports in `-X importtime` output, outermost first."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", APP_IMPORTS], cwd=PROJECT_ROOT, capture_output=True,
                         text=True)
    lines = [line.split("|")[-1].rstrip() for line in out.stderr.splitlines() if line.startswith("import time:")]
    # importtime prints a module after its children; its parent is the next later line with less indent.
    index = next((i for i, line in enumerate(lines) if line.strip() == module), None)
    if index is None:
        return [module]
    chain, depth = [module], len(lines[index]) - len(lines[index].lstrip())
    for line in lines[index + 1:]:
        indent = len(line) - len(line.lstrip())
        if indent < depth:
            chain.insert(0, line.strip())
            depth = indent
    return chain


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        hello = Path(folder) / "hello_gradio.py"
        hello.write_text(HELLO_WORLD, encoding="utf-8")
        arena, baseline = [], []
        for _ in range(args.repeats):
            port = free_port()
            arena.append(time_to_first_200([sys.executable, "launch.py", "--port", str(port)], port, args.timeout))
            port = free_port()
            baseline.append(time_to_first_200([sys.executable, str(hello), str(port)], port, args.timeout))

    ratio = statistics.median(arena) / statistics.median(baseline)
    print(f"Cold start to first HTTP 200 on / ({args.repeats} starts each, alternating)")
    for label, values in (("arena (launch.py)", arena), ("gradio hello-world", baseline)):
        runs = ", ".join(f"{s:.2f}" for s in values)
        print(f"{label:<26} median {statistics.median(values):6.2f} s   runs {runs}")
    print(f"ratio arena/hello-world: {ratio:.2f}  (target <= {TARGET_RATIO}: "
          f"{'OK' if ratio <= TARGET_RATIO else 'ABOVE TARGET'})")

    heavy = heavy_imports()
    print(f"heavy modules imported by `{APP_IMPORTS}`: {heavy}")
    for module in heavy:
        print(f"  {module} pulled in by: {' -> '.join(import_chain(module))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
