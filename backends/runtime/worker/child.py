"""The worker process: `python -m backends.runtime.worker.child FD`. It builds the model's ordinary in-process
engine and serves the app's requests over the socket FD until told to exit or the app goes away."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.schema import ModelEntry
from backends.runtime.worker.protocol import decode, decode_image, error_message, send


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
                message = decode(conn.recv_bytes())
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
                    _reply(conn, error_message(exc))
                    continue
                _reply(conn, {"type": "loaded", "pid": os.getpid(), "python": sys.executable,
                             "version": ".".join(map(str, sys.version_info[:3])),
                             "memory_mb": _engine_memory(engine)})
            elif op == "run":
                payload = conn.recv_bytes()
                _run(conn, engine, message, payload)
            else:
                _reply(conn, error_message(ValueError(f"unknown worker operation {op!r}")))
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
        send(conn, message)
    except OSError as exc:
        raise _Disconnected(str(exc)) from None


def _run(conn: Connection, engine: Engine | None, message: dict[str, Any], payload: bytes) -> None:
    try:
        if engine is None:
            raise RuntimeError("the engine is not loaded")
        request = PageRequest(decode_image(message["image"], payload), message.get("task") or "ocr",
                              message.get("prompt"),
                              history=tuple((q, a) for q, a in message.get("history") or ()),
                              cpu_threads=message.get("cpu_threads"))
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
        _reply(conn, error_message(exc))
        return
    _reply(conn, {"type": "done"})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m backends.runtime.worker.child FD  (started by WorkerEngine)", file=sys.stderr)
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
