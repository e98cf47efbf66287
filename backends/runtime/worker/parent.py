"""The app's side of a worker: WorkerEngine starts the child process, talks the protocol, and turns its death or
a cancel into a clear error (see the package docstring)."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import psutil

from backends.contracts.engine import Engine
from backends.contracts.requests import Box, EngineOutput, PageRequest
from backends.contracts.schema import ModelEntry
from backends.runtime.memory import RSS_WORKER, rss_mb
from backends.runtime.worker.process import ChildProcess, start_child
from backends.runtime.worker.protocol import (WorkerCancelled, WorkerCrashed, WorkerError, decode, describe_exit,
                                              encode_image, remote_error, send)

EXIT_GRACE_S = 5.0  # how long unload() waits for the child to unload its engine and exit by itself
POLL_S = 0.2  # how often a blocked receive checks that the child is still alive


class WorkerEngine(Engine):
    """An engine that runs `entry`'s in-process engine in a child process (see the module docstring)."""

    def __init__(self, entry: ModelEntry, python: Path | None = None, env_defaults: dict[str, str] | None = None):
        super().__init__(entry.key, entry.options)
        self.entry = entry
        self._env_defaults = env_defaults  # environment variables for the child, unless the user set them
        # The interpreter to run on: the one given (the engine's choice), the model's own venv's, else the app's.
        self._python = python or (entry.environment.python() if entry.environment is not None else None)
        self._lock = threading.Lock()  # guards the fields below: cancel() comes from another thread
        self._child: ChildProcess | None = None
        self._busy = False  # a load or request is talking to the child
        self._cancelled = False
        self._broken: str | None = None  # why this worker cannot serve again
        self._info: dict[str, Any] = {}
        self._engine_memory_mb: float | None = None

    # ----- lifecycle -----
    def interpreter(self) -> Path:
        return Path(self._python) if self._python else Path(sys.executable)

    @property
    def pid(self) -> int | None:
        child = self._child
        return None if child is None else child.pid

    def process_readings(self) -> dict[str, float]:
        pid = self.pid
        if not pid:
            return {}
        try:
            return {RSS_WORKER: round(rss_mb(pid), 1)}
        except psutil.Error:  # the worker died (a crash, a kill) and its process is gone
            return {}

    def load(self) -> None:
        with self._lock:
            if self._child is not None:
                raise RuntimeError(f"the worker for '{self.key}' is already loaded")
        python = self.interpreter()
        if not python.exists():
            from backends.runtime.environments import environment_availability

            raise WorkerError(environment_availability(self.entry).message or f"no Python interpreter at {python}")
        child = start_child(python, foreign=self.entry.environment is not None, env_defaults=self._env_defaults)
        with self._lock:
            self._child, self._busy = child, True
            cancelled = self._cancelled
        try:
            if cancelled:
                child.kill()
                raise WorkerCancelled("loading was cancelled; the worker process was stopped")
            entry = self.entry.model_copy(update={"isolate": False, "environment": None})
            self._send(child, {"op": "load", "entry": entry.model_dump(mode="json")}, "loading")
            reply = self._receive(child, "loading")
            if reply.get("type") == "error":
                raise remote_error(reply["error_type"], reply["message"], reply.get("traceback", ""))
            if reply.get("type") != "loaded":
                raise self._protocol_error(child, reply, "loading")
        except BaseException:
            with self._lock:
                self._child, self._busy = None, False
            child.kill()
            child.reap()
            raise
        with self._lock:
            self._busy = False
        self._info = reply
        self._engine_memory_mb = reply.get("memory_mb")

    def unload(self) -> None:
        with self._lock:
            child, busy = self._child, self._busy
            self._child = None
        if child is None:
            return
        if busy or child.proc.poll() is not None:
            child.kill()  # a request in flight (a hung thread): the protocol is not ours to use
            child.reap()
            return
        try:
            send(child.conn, {"op": "exit"})
        except OSError:
            child.kill()
        child.reap(EXIT_GRACE_S)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            child = self._child
        if child is not None:
            child.kill()

    def healthy(self) -> bool:
        with self._lock:
            if self._cancelled or self._broken is not None:
                return False
            child = self._child
        return child is None or child.proc.poll() is None

    def memory_mb(self) -> float | None:
        """The child's own engine's figure where it gives one (VRAM), else the child's RSS."""
        if self._engine_memory_mb is not None:
            return self._engine_memory_mb
        return self._rss_mb()

    def _rss_mb(self) -> float | None:
        child = self._child
        if child is None:
            return None
        try:
            import psutil

            return psutil.Process(child.pid).memory_info().rss / 2**20
        except Exception:  # gone already, or no psutil
            return None

    # ----- requests -----
    def stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        header, payload = encode_image(request.image)  # before the child is involved: a failure here is ours
        with self._lock:
            child = self._child
            if child is None or self._cancelled or self._broken is not None:
                reason = self._broken or ("it was cancelled" if self._cancelled else "it is not loaded")
                raise WorkerError(f"the worker for '{self.key}' cannot take a request: {reason}")
            self._busy = True
        finished = False
        try:
            self._send(child, {"op": "run", "task": request.task, "prompt": request.prompt,
                               "history": [list(turn) for turn in request.history], "image": header,
                               "cpu_threads": request.cpu_threads},
                       "the request", payload)
            while True:
                message = self._receive(child, "the request")
                kind = message.get("type")
                if kind == "delta":
                    yield message["text"]
                elif kind == "output":
                    finished = True
                    output = self._output(child, message)
                    with self._lock:
                        self._busy = False
                    yield output
                    return
                elif kind == "done":
                    finished = True
                    return
                elif kind == "error":
                    finished = True
                    raise remote_error(message["error_type"], message["message"], message.get("traceback", ""))
                else:
                    raise self._protocol_error(child, message, "the request")
        finally:
            with self._lock:
                self._busy = False
                if not finished and self._broken is None:
                    # Abandoned mid-request, or broken: the child's replies are out of step with us now.
                    self._broken = "a request was abandoned mid-way"
            if not finished:
                child.kill()

    def _output(self, child: ChildProcess, message: dict[str, Any]) -> EngineOutput:
        extra = dict(message.get("extra") or {})
        memory = dict(extra.get("memory_mb") or {})
        rss = self._rss_mb()
        if rss is not None:
            memory[RSS_WORKER] = round(rss, 1)
        extra["memory_mb"] = memory
        details = dict(extra.get("details") or {})
        version = self._info.get("version", "?")
        details["process"] = f"worker pid {child.pid}, Python {version} ({self._info.get('python', child.python)})"
        extra["details"] = details
        if message.get("memory_mb") is not None:
            self._engine_memory_mb = message["memory_mb"]
        return EngineOutput(
            text=message["text"],
            boxes=[Box(int(b[0]), int(b[1]), int(b[2]), int(b[3]), b[4], float(b[5])) for b in message["boxes"]],
            output_tokens=message.get("output_tokens"),
            cut=bool(message.get("cut")),
            extra=extra,
        )

    # ----- transport -----
    def _send(self, child: ChildProcess, message: dict[str, Any], phase: str, payload: bytes | None = None) -> None:
        try:
            send(child.conn, message)
            if payload is not None:
                child.conn.send_bytes(payload)
        except OSError:  # BrokenPipeError, or the connection closed by unload()
            raise self._died(child, phase) from None

    def _receive(self, child: ChildProcess, phase: str) -> dict[str, Any]:
        """The child's next message; raises WorkerCrashed/WorkerCancelled as soon as it is gone."""
        while True:
            try:
                if child.conn.poll(POLL_S):
                    return decode(child.conn.recv_bytes())
            except (EOFError, OSError):
                raise self._died(child, phase) from None
            except ValueError as exc:  # not JSON: something else wrote to our socket
                raise self._protocol_error(child, repr(exc), phase) from None
            if child.proc.poll() is not None:
                raise self._died(child, phase)

    def _died(self, child: ChildProcess, phase: str) -> WorkerError:
        if child.proc.poll() is None:
            # The connection broke but the process lingers: it cannot serve us any more.
            child.kill()
        try:
            child.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        how = describe_exit(child.proc.returncode)
        with self._lock:
            cancelled = self._cancelled
            self._broken = self._broken or f"the worker process died ({how})"
        if cancelled:
            return WorkerCancelled(f"{phase} was cancelled; the worker process was stopped")
        message = f"the worker process died ({how}) during {phase}"
        tail = child.output.last_lines()
        if tail:
            message += f"; its last output: {tail}"
        return WorkerCrashed(message)

    def _protocol_error(self, child: ChildProcess, message: Any, phase: str) -> WorkerCrashed:
        with self._lock:
            self._broken = "the worker broke the protocol"
        child.kill()
        return WorkerCrashed(f"the worker process sent an unexpected message during {phase}: {str(message)[:200]}")
