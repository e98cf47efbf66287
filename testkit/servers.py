"""A real OpenAI-compatible server for tests and benchmarks: `transformers serve` on a tiny model, on a free port."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A local TCP port nobody listens on now (the OS picks it; a race with another process is unlikely)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    with launched_app_process(*args, env=env, timeout_s=timeout_s) as (url, _):
        yield url


@contextlib.contextmanager
def launched_app_process(*args: str, env: dict[str, str] | None = None, timeout_s: float = 90,
                         log: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`launched_app`, yielding (URL, process): the process leads its own process group, so a test can kill the
    app with everything it started (`os.killpg(process.pid, signal.SIGKILL)`). `log`: a file for the app's
    output (else it is dropped). A process the test already ended is left as it is."""
    port = free_port()
    output = open(log if log is not None else os.devnull, "ab")
    process = subprocess.Popen([sys.executable, "launch.py", "--port", str(port), *args], cwd=ROOT,
                               env={**os.environ, **(env or {})}, stdout=output, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, timeout_s, path="/")
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        output.close()
