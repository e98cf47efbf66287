"""Run a model in a worker process of its own, optionally on another Python interpreter.

`WorkerEngine` is an `Engine` whose work happens in a child process: a crash there (segfault, OOM kill)
costs one request, not the app, and unloading frees everything the model took, CUDA context included. A
model whose pins conflict with the app's environment (remote code pinned to an old transformers) runs on
its own venv's interpreter (`environment` in config.yaml, built by `python launch.py env KEY`).

The child is `python -m backends.worker FD`, started in the project folder with PYTHONPATH set to it. It
builds the ordinary in-process engine through `backends.registry.create_engine`, so it imports only what
that engine imports (plus pydantic and PyYAML for the config types). It keeps working on Python 3.10+.

Protocol. One socketpair; the child gets its end as file descriptor FD. Every message is a frame of
`multiprocessing.connection.Connection.send_bytes` (a length prefix, then the bytes). A message is UTF-8
JSON with an "op" (parent to child) or a "type" (child to parent); only an image travels as raw bytes, in
the frame right after its "run" message. Nothing is pickled. The child's stdout and stderr share one pipe
that the parent copies to its own stderr, so library prints never touch the protocol, and the last lines
go into the message when the child dies.

    parent -> child                                    child -> parent
    {"op": "load", "entry": ModelEntry as JSON}        {"type": "loaded", "pid", "python", "version",
                                                         "memory_mb": engine.memory_mb() or null}
    {"op": "run", "task", "prompt", "history", "image": IMAGE}    {"type": "delta", "text"}   (any number)
      then one frame: the image's bytes                then one of:
                                                       {"type": "output", "text", "boxes": [[x0, y0, x1,
                                                         y1, text, confidence], ...], "output_tokens",
                                                         "cut", "extra", "memory_mb"}
                                                       {"type": "done"}    (the engine ended without output)
    {"op": "exit"}   (the child unloads and exits)
    either request can be answered by {"type": "error", "error_type", "message", "traceback"}

IMAGE is {"format": "raw", "mode", "size": [w, h], "dpi": [x, y] | null}: the pixels as `tobytes()`,
exact for every mode and ~100x cheaper than PNG on a page; a palette image goes as {"format": "png", ...}.

Failures. An exception in the child's engine is raised in the app as an exception of the same type name
(a subclass of `WorkerError`, and of the builtin of that name where there is one) with the child's
message; the worker serves the next request. A child that dies raises `WorkerCrashed` naming the signal
or exit code; `cancel()` (from another thread) kills the child and the blocked call raises
`WorkerCancelled`. After either, `healthy()` is False and the pool starts a fresh worker. POSIX only.
"""
from __future__ import annotations

import builtins
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Iterator

import psutil
from PIL import Image

from backends.base import Box, Engine, EngineOutput, OcrRequest
from backends.config import PROJECT_ROOT, ModelEntry

RSS_WORKER = "RSS (worker process)"
EXIT_GRACE_S = 5.0  # how long unload() waits for the child to unload its engine and exit by itself
TERMINATE_GRACE_S = 2.0  # then SIGTERM, and after this long SIGKILL
POLL_S = 0.2  # how often a blocked receive checks that the child is still alive
TAIL_CHARS = 4000  # how much of the child's recent output is kept for a crash message


class WorkerError(Exception):
    """An error from the worker. Exceptions raised in the child come back as subclasses named like them."""

    def __init__(self, message: str, remote_type: str | None = None, remote_traceback: str = ""):
        super().__init__(message)
        self.message = message
        self.remote_type = remote_type or type(self).__name__
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:  # KeyError and friends would quote the message otherwise
        return self.message


class WorkerCrashed(WorkerError):
    """The worker process died (killed, segfault, out of memory) or broke the protocol."""


class WorkerCancelled(WorkerError):
    """cancel() stopped the worker while a request or the load was in flight."""


def remote_error(type_name: str, message: str, remote_traceback: str = "") -> WorkerError:
    """An exception named like the child's: `ValueError: boom` reads the same as in-process.

    Where a builtin exception has that name, the result is also an instance of it (`except ValueError`
    works); other names (torch.OutOfMemoryError, a library's own errors) get a plain WorkerError subclass.
    """
    name = type_name if type_name.isidentifier() else "WorkerError"
    builtin = getattr(builtins, name, None)
    attempts: list[tuple[type, ...]] = []
    if isinstance(builtin, type) and issubclass(builtin, Exception) and not issubclass(builtin, WorkerError):
        attempts.append((WorkerError, builtin))
    attempts.append((WorkerError,))
    for bases in attempts:
        try:
            cls = type(name, bases, {"__module__": __name__, "__qualname__": name})
            return cls(message, type_name, remote_traceback)
        except TypeError:  # a builtin whose layout or constructor does not mix (UnicodeDecodeError…)
            continue
    return WorkerError(message, type_name, remote_traceback)


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


# ----- wire format, shared by both sides -----
def _send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode("utf-8"))


def _decode(data: bytes) -> dict[str, Any]:
    return json.loads(data.decode("utf-8"))


def encode_image(image: Image.Image) -> tuple[dict[str, Any], bytes]:
    """(header, payload) for the "run" message: raw pixels, or PNG for palette images."""
    dpi = image.info.get("dpi")
    try:
        dpi = [float(dpi[0]), float(dpi[1])] if dpi is not None else None
    except (TypeError, ValueError, IndexError):
        dpi = None
    if image.mode == "P":  # the palette and transparency travel inside the PNG
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        return {"format": "png", "mode": image.mode, "size": list(image.size), "dpi": dpi}, buffer.getvalue()
    if image.mode == "PA":  # no PNG writer and no raw palette: what a viewer shows
        image = image.convert("RGBA")
    return {"format": "raw", "mode": image.mode, "size": list(image.size), "dpi": dpi}, image.tobytes()


def decode_image(header: dict[str, Any], payload: bytes) -> Image.Image:
    if header["format"] == "png":
        image = Image.open(io.BytesIO(payload))
        image.load()
    else:
        image = Image.frombytes(header["mode"], tuple(header["size"]), payload)
    if header.get("dpi"):
        image.info["dpi"] = tuple(header["dpi"])
    return image


def _error_message(exc: BaseException) -> dict[str, Any]:
    return {
        "type": "error",
        "error_type": type(exc).__name__,
        "message": str(exc).strip() or repr(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


# ----- parent side -----
class _OutputTail:
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


class _Child:
    """One started child process, its connection and its output pump."""

    def __init__(self, proc: subprocess.Popen, conn: Connection, output: _OutputTail, python: Path):
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


def child_environment(python: Path, foreign: bool) -> dict[str, str]:
    env = dict(os.environ)
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


class WorkerEngine(Engine):
    """An engine that runs `entry`'s in-process engine in a child process (see the module docstring)."""

    def __init__(self, entry: ModelEntry):
        super().__init__(entry.key, entry.options)
        self.entry = entry
        self._lock = threading.Lock()  # guards the fields below: cancel() comes from another thread
        self._child: _Child | None = None
        self._busy = False  # a load or request is talking to the child
        self._cancelled = False
        self._broken: str | None = None  # why this worker cannot serve again
        self._info: dict[str, Any] = {}
        self._engine_memory_mb: float | None = None

    # ----- lifecycle -----
    def interpreter(self) -> Path:
        if self.entry.environment is not None:
            return self.entry.environment.python()
        # An engine may know a better interpreter for itself (vLLM: the arena's vLLM environment).
        from backends.registry import engine_class

        chosen = getattr(engine_class(self.entry.engine), "worker_python", lambda entry: None)(self.entry)
        return Path(chosen) if chosen else Path(sys.executable)

    @property
    def pid(self) -> int | None:
        child = self._child
        return None if child is None else child.pid

    def process_readings(self) -> dict[str, float]:
        from backends import memory

        pid = self.pid
        if not pid:
            return {}
        try:
            return {RSS_WORKER: round(memory.rss_mb(pid), 1)}
        except psutil.Error:  # the worker died (a crash, a kill) and its process is gone
            return {}

    def load(self) -> None:
        with self._lock:
            if self._child is not None:
                raise RuntimeError(f"the worker for '{self.key}' is already loaded")
        python = self.interpreter()
        if not python.exists():
            from backends.environments import environment_availability

            raise WorkerError(environment_availability(self.entry).message or f"no Python interpreter at {python}")
        child = self._start(python)
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

    def _start(self, python: Path) -> _Child:
        foreign = self.entry.environment is not None
        parent_end, child_end = socket.socketpair()
        try:
            proc = subprocess.Popen(
                [str(python), "-m", "backends.worker", str(child_end.fileno())],
                cwd=str(PROJECT_ROOT),
                env=child_environment(python, foreign),
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
        return _Child(proc, Connection(parent_end.detach()), _OutputTail(proc.stdout), python)

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
            _send(child.conn, {"op": "exit"})
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
    def stream(self, request: OcrRequest) -> Iterator[str | EngineOutput]:
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
                               "history": [list(turn) for turn in request.history], "image": header},
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

    def _output(self, child: _Child, message: dict[str, Any]) -> EngineOutput:
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
    def _send(self, child: _Child, message: dict[str, Any], phase: str, payload: bytes | None = None) -> None:
        try:
            _send(child.conn, message)
            if payload is not None:
                child.conn.send_bytes(payload)
        except OSError:  # BrokenPipeError, or the connection closed by unload()
            raise self._died(child, phase) from None

    def _receive(self, child: _Child, phase: str) -> dict[str, Any]:
        """The child's next message; raises WorkerCrashed/WorkerCancelled as soon as it is gone."""
        while True:
            try:
                if child.conn.poll(POLL_S):
                    return _decode(child.conn.recv_bytes())
            except (EOFError, OSError):
                raise self._died(child, phase) from None
            except ValueError as exc:  # not JSON: something else wrote to our socket
                raise self._protocol_error(child, repr(exc), phase) from None
            if child.proc.poll() is not None:
                raise self._died(child, phase)

    def _died(self, child: _Child, phase: str) -> WorkerError:
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

    def _protocol_error(self, child: _Child, message: Any, phase: str) -> WorkerCrashed:
        with self._lock:
            self._broken = "the worker broke the protocol"
        child.kill()
        return WorkerCrashed(f"the worker process sent an unexpected message during {phase}: {str(message)[:200]}")


# ----- child side -----
def _watch_parent(parent: int) -> None:
    """Exit when the app dies without telling us (SIGKILL): a long request would outlive it otherwise."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _serve(conn: Connection) -> None:
    engine: Engine | None = None
    try:
        while True:
            try:
                message = _decode(conn.recv_bytes())
            except EOFError:  # the app went away
                return
            op = message.get("op")
            if op == "exit":
                return
            if op == "load":
                try:
                    from backends.registry import create_local_engine

                    created = create_local_engine(ModelEntry.model_validate(message["entry"]))
                    created.load()
                    engine = created
                except Exception as exc:
                    _reply(conn, _error_message(exc))
                    continue
                _reply(conn, {"type": "loaded", "pid": os.getpid(), "python": sys.executable,
                             "version": ".".join(map(str, sys.version_info[:3])),
                             "memory_mb": _engine_memory(engine)})
            elif op == "run":
                payload = conn.recv_bytes()
                _run(conn, engine, message, payload)
            else:
                _reply(conn, _error_message(ValueError(f"unknown worker operation {op!r}")))
    finally:
        if engine is not None:
            try:
                engine.unload()
            except Exception:
                traceback.print_exc()


def _engine_memory(engine: Engine | None) -> float | None:
    try:
        return None if engine is None else engine.memory_mb()
    except Exception:
        return None


class _Disconnected(Exception):
    """The app's end of the connection is gone: there is nobody left to report to."""


def _reply(conn: Connection, message: dict[str, Any]) -> None:
    try:
        _send(conn, message)
    except OSError as exc:
        raise _Disconnected(str(exc)) from None


def _run(conn: Connection, engine: Engine | None, message: dict[str, Any], payload: bytes) -> None:
    try:
        if engine is None:
            raise RuntimeError("the engine is not loaded")
        request = OcrRequest(decode_image(message["image"], payload), message.get("task") or "ocr",
                             message.get("prompt"),
                             history=tuple((q, a) for q, a in message.get("history") or ()))
        stream = engine.stream(request)
        try:
            for item in stream:
                if isinstance(item, EngineOutput):
                    _reply(conn, {
                        "type": "output",
                        "text": item.text,
                        "boxes": [[b.x0, b.y0, b.x1, b.y1, b.text, b.confidence] for b in item.boxes],
                        "output_tokens": item.output_tokens,
                        "cut": item.cut,
                        "extra": item.extra,
                        "memory_mb": _engine_memory(engine),
                    })
                    return
                _reply(conn, {"type": "delta", "text": item})
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    except _Disconnected:
        raise
    except Exception as exc:  # the engine's own failure: report it and serve the next request
        _reply(conn, _error_message(exc))
        return
    _reply(conn, {"type": "done"})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m backends.worker FD  (started by backends.worker.WorkerEngine)", file=sys.stderr)
        return 2
    import faulthandler

    faulthandler.enable()  # a segfault leaves a Python traceback in the output the app shows
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the app, which stops us itself
    sys.stdout = sys.stderr  # the parent already merged the two pipes; this keeps prints unbuffered too
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="watch-parent", daemon=True).start()
    conn = Connection(int(argv[0]))
    try:
        _serve(conn)
    except (_Disconnected, OSError, EOFError):
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
