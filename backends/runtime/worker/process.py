"""The worker's child process as the app sees it: starting it, pumping its output, and ending it for sure."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT
from backends.runtime.worker.protocol import WorkerError

TERMINATE_GRACE_S = 2.0  # after SIGTERM, how long before SIGKILL
TAIL_CHARS = 4000  # how much of the child's recent output is kept for a crash message


class OutputTail:
    """Copies the child's merged stdout/stderr to the app's stderr as it comes, keeping the recent part."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()
        self._tail = ""
        self._thread = threading.Thread(target=self._pump, name="worker-output", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        fd = self._stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            text = chunk.decode("utf-8", errors="replace")
            with self._lock:
                self._tail = (self._tail + text)[-TAIL_CHARS:]
            try:
                sys.stderr.write(text)
                sys.stderr.flush()
            except (OSError, ValueError, AttributeError):  # no usable stderr (closed, or a pythonw app)
                pass
        try:
            self._stream.close()
        except OSError:
            pass

    def last_lines(self, count: int = 6, wait_s: float = 1.0) -> str:
        """The child's last few output lines, after giving the pipe a moment to drain."""
        self._thread.join(wait_s)
        with self._lock:
            text = self._tail
        lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
        fatal = [i for i, line in enumerate(lines) if line.startswith("Fatal Python error")]
        if fatal:  # faulthandler's report: what happened, and where the crashing thread was
            picked = [lines[fatal[-1]]]
            current = next((i for i in range(fatal[-1], len(lines)) if lines[i].startswith("Current thread")), None)
            if current is not None:
                picked += lines[current + 1:current + 3]
            return " | ".join(picked)
        return " | ".join(lines[-count:])

    def close(self, wait_s: float = 1.0) -> None:
        self._thread.join(wait_s)


class ChildProcess:
    """One started child process, its connection and its output pump."""

    def __init__(self, proc: subprocess.Popen, conn: Connection, output: OutputTail, python: Path):
        self.proc = proc
        self.conn = conn
        self.output = output
        self.python = python

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        try:
            self.proc.kill()  # a no-op once the child is reaped
        except OSError:
            pass

    def reap(self, grace_s: float = 0.0) -> None:
        """Wait up to grace_s for the child to exit, then SIGTERM, then SIGKILL; always reaps it."""
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(TERMINATE_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.conn.close()
        except OSError:
            pass
        self.output.close()


def child_environment(python: Path, foreign: bool, defaults: dict[str, str] | None = None) -> dict[str, str]:
    """The app's environment for the child, plus `defaults` where the user has not set those variables."""
    env = {**(defaults or {}), **os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONHOME", None)
    if foreign:
        # Nothing from the app's environment may leak onto the other interpreter's path.
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        venv = python.parent.parent
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    else:
        inherited = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT)] + ([inherited] if inherited else []))
    return env


def start_child(python: Path, foreign: bool, env_defaults: dict[str, str] | None = None) -> ChildProcess:
    """Start `python -m backends.runtime.worker.child FD` with its end of a fresh socketpair."""
    parent_end, child_end = socket.socketpair()
    try:
        proc = subprocess.Popen(
            [str(python), "-m", "backends.runtime.worker.child", str(child_end.fileno())],
            cwd=str(PROJECT_ROOT),
            env=child_environment(python, foreign, env_defaults),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one pipe for both: library prints never reach the protocol
            pass_fds=(child_end.fileno(),),
        )
    except OSError as exc:
        parent_end.close()
        raise WorkerError(f"cannot start the worker process with {python}: {exc.strerror or exc}") from None
    finally:
        child_end.close()  # only the child holds it now, so its death reads as end-of-file here
    return ChildProcess(proc, Connection(parent_end.detach()), OutputTail(proc.stdout), python)
