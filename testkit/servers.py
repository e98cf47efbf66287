"""A real OpenAI-compatible server for tests and benchmarks: `transformers serve` on a tiny model, on a free port."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout_s: float = 90, path: str = "/health") -> None:
    """Poll `url + path` until it answers 200; raises if the process exits first or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


@contextlib.contextmanager
def transformers_serve(model: str, port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve `model` (a repo id in the offline cache, or a folder) and yield the server's base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "backends.engines.transformers.serve", model, "--device", "cpu", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def launched_app(*args: str, env: dict[str, str] | None = None, timeout_s: float = 90) -> Iterator[str]:
    """`python launch.py --port P ARGS` as a user starts it, in a fresh process; yields its URL, then stops it."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(os.devnull, "wb")
    process = subprocess.Popen([sys.executable, "launch.py", "--port", str(port), *args], cwd=ROOT,
                               env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, timeout_s, path="/")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()
