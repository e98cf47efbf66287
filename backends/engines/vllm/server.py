"""A managed `vllm serve` process: started behind a process guard, awaited on `/health`, stopped with its children.

The server's output goes to a log file and through a reader thread that keeps the last lines (for error
messages) and picks out what vLLM says about memory: the weights ("Model loading took X GiB"), the KV cache
("Available KV cache memory: X GiB") and its size in tokens. torch's counters in the app cannot see any of it:
the model lives in the server's processes.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

from backends.contracts.schema import PROJECT_ROOT
from backends.runtime import memory
from backends.runtime.process_guard import GRACE_S, group_members

# What vLLM logs about memory, and the name each figure gets here.
# On a CPU there is no weights line; the KV cache space is the one set by VLLM_CPU_KVCACHE_SPACE.
# How long the server's process list is trusted for its memory figures: vLLM starts its processes at launch.
PIDS_KEPT_S = 5.0
# How long one memory reading serves the replies that end after it: many end each second under load, and each reading
# asks every server process (and NVML) again.
READINGS_KEPT_S = 1.0

LOG_FACTS = {
    "weights_gib": re.compile(r"Model loading took ([\d.]+) ?GiB"),
    "kv_cache_gib": re.compile(r"Available KV cache memory: ([\d.]+) ?GiB"),
    "cpu_kv_cache_gib": re.compile(r"Explicitly set \(([\d.]+)/[\d.]+\) ?GiB for KV cache"),
    "kv_cache_tokens": re.compile(r"[GC]PU KV cache size: ([\d,]+) tokens"),
}


class ServerStartError(RuntimeError):
    """The server exited, or never became healthy. The message carries the end of its log."""


def parse_log_line(line: str) -> dict[str, float]:
    found = {}
    for name, pattern in LOG_FACTS.items():
        match = pattern.search(line)
        if match:
            found[name] = float(match.group(1).replace(",", ""))
    return found


# A Python exception as a log line ends: "... ERROR ... [core.py:1512] RuntimeError: the message".
EXCEPTION_LINE = re.compile(r"(?:^|\] )((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)): (.+)$")


def exceptions_in_log(text: str) -> list[str]:
    """The distinct exceptions in a stretch of log, in order: the first is usually the root cause."""
    found: list[str] = []
    for line in text.splitlines():
        match = EXCEPTION_LINE.search(line.strip())
        if match and (exception := f"{match.group(1)}: {match.group(2)}") not in found:
            found.append(exception)
    return found


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def log_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "ocr-arena-server-logs"
    folder.mkdir(exist_ok=True)
    return folder


class ManagedServer:
    def __init__(self, name: str, command: list[str], *, host: str, port: int, tail_lines: int = 30,
                 env: dict[str, str] | None = None):
        self.name = name
        self.command = command
        self.env = env or {}
        self.host, self.port = host, port
        self.log_path = log_folder() / f"{name}-{port}.log"
        self.facts: dict[str, float] = {}
        self.last_line = ""
        self._tail: deque[str] = deque(maxlen=tail_lines)
        self._guard: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._members: tuple[float, list[int]] = (-PIDS_KEPT_S, [])  # (when found, pids)
        self._readings: tuple[float, float, dict[str, float]] = (-READINGS_KEPT_S, 0.0, {})  # (when, share, figures)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._guard is None else self._guard.pid

    def alive(self) -> bool:
        return self._guard is not None and self._guard.poll() is None

    def pids(self) -> list[int]:
        """The guard and everything in its process group: the server and the processes it started."""
        if not self.alive():
            return []
        return [p.pid for p in group_members(self._guard.pid)]

    def recent_pids(self) -> list[int]:
        """`pids()`, found again at most every PIDS_KEPT_S: every reply reports the server's memory, and finding
        the group reads every process on the machine (a few ms of CPU, taken from the server under load)."""
        found_at, pids = self._members
        if time.monotonic() - found_at >= PIDS_KEPT_S or not self.alive():
            pids = self.pids()
            self._members = (time.monotonic(), pids)
        return pids

    def log_tail(self) -> str:
        return "\n".join(self._tail)

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_text(self, offset: int = 0) -> str:
        """The server's log from byte `offset` on."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # ----- lifecycle -----
    def start(self) -> None:
        if port_in_use(self.host, self.port):
            raise ServerStartError(f"port {self.port} on {self.host} is already in use: another server would "
                                   "answer in this model's place. Free it or set another `port` in config.yaml.")
        self._guard = subprocess.Popen(
            [sys.executable, "-m", "backends.runtime.process_guard", "--", *self.command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # Its own process group, ended as a whole, but the app's session: Linux shares the CPU between
            # sessions first (autogroups), and in a session of its own a busy CPU server kept the app's threads
            # that feed it waiting on the run queue for over a second at a time
            # (benchmarks/scripts/bench_concurrency_vllm.py measures it).
            preexec_fn=os.setpgrp,
            cwd=PROJECT_ROOT, env={**os.environ, **self.env},
        )
        self._reader = threading.Thread(target=self._read_output, name=f"server-log-{self.name}", daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self._guard is not None and self._guard.stdout is not None
        with open(self.log_path, "w", encoding="utf-8") as log:
            for raw in self._guard.stdout:
                line = raw.decode("utf-8", "replace").rstrip()
                log.write(line + "\n")
                log.flush()
                if line.strip():
                    self._tail.append(line)
                    self.last_line = line
                    self.facts.update(parse_log_line(line))

    def wait_until_healthy(self, timeout_s: float, on_progress: Callable[[str], None] | None = None) -> float:
        """Poll `/health` until it answers 200; returns the seconds it took. Stops the server on failure."""
        import httpx

        started = time.monotonic()
        with httpx.Client(timeout=2.0) as client:
            while True:
                elapsed = time.monotonic() - started
                if not self.alive():
                    code = None if self._guard is None else self._guard.poll()
                    self._drain()
                    raise ServerStartError(
                        f"the server exited (code {code}) before it was ready, after {elapsed:.0f} s. "
                        f"The end of its log ({self.log_path}):\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/health").status_code == 200:
                        return elapsed
                except httpx.HTTPError:
                    pass  # not listening yet
                if elapsed > timeout_s:
                    self.stop()
                    raise ServerStartError(
                        f"the server was not healthy within {timeout_s:g} s (startup_timeout_s in config.yaml); "
                        f"it was stopped. The end of its log ({self.log_path}):\n{self.log_tail()}")
                if on_progress is not None:
                    on_progress(f"starting the server: {elapsed:.0f} s · {self.last_line[-120:]}")
                time.sleep(0.5)

    def stop(self, grace_s: float = GRACE_S) -> int | None:
        """End the server and all its processes; returns the guard's exit code (None if it was not running)."""
        guard, self._guard = self._guard, None
        if guard is None:
            return None
        try:
            guard.stdin.close()  # the guard's signal to end the group
        except OSError:
            pass
        try:
            code = guard.wait(timeout=grace_s + 5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(guard.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            code = guard.wait()
        self._drain()
        return code

    def _drain(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)

    # ----- memory -----
    def recent_memory_readings(self, share: float) -> dict[str, float]:
        """`memory_readings()`, read again at most every READINGS_KEPT_S: for the figures each reply carries."""
        read_at, read_share, readings = self._readings
        if time.monotonic() - read_at >= READINGS_KEPT_S or read_share != share:
            readings = self.memory_readings(share)
            self._readings = (time.monotonic(), share, readings)
        return dict(readings)

    def memory_readings(self, share: float) -> dict[str, float]:
        """What the server holds, each figure labelled with where it comes from."""
        readings: dict[str, float] = {}
        if "weights_gib" in self.facts:
            readings["vLLM weights (server log)"] = round(self.facts["weights_gib"] * 1024, 1)
        if "kv_cache_gib" in self.facts:
            readings["vLLM KV cache (server log)"] = round(self.facts["kv_cache_gib"] * 1024, 1)
        if "cpu_kv_cache_gib" in self.facts:
            readings["vLLM CPU KV cache space (server log)"] = round(self.facts["cpu_kv_cache_gib"] * 1024, 1)
        card = memory.cuda_total_mb()
        if card:
            readings["vLLM reservation (gpu_memory_utilization × card)"] = round(share * card, 1)
        pids = self.recent_pids()
        nvml = memory.nvml_processes_mb(pids) if pids else None
        if nvml is not None:
            readings[memory.NVML_SERVER] = round(nvml, 1)
        if pids:
            readings[memory.RSS_SERVER] = round(memory.processes_rss_mb(pids), 1)
        return readings
