"""The worker's wire format and error types, shared by the app (parent.py) and the worker process (child.py)."""
from __future__ import annotations

import builtins
import io
import json
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Any

from PIL import Image


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


def send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode("utf-8"))


def decode(data: bytes) -> dict[str, Any]:
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


def error_message(exc: BaseException) -> dict[str, Any]:
    return {
        "type": "error",
        "error_type": type(exc).__name__,
        "message": str(exc).strip() or repr(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
