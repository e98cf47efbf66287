"""Run a server so that it can never outlive the app: `python -m backends.runtime.process_guard -- COMMAND...`

The app starts the guard in its own process group (in the app's session) and keeps the guard's stdin open. The guard
starts COMMAND in that group and waits. When the app closes the pipe (an unload), or dies in any way, SIGKILL
included (the kernel closes the pipe), or the command exits on its own, the guard ends the whole group: the
server and every process it started (vLLM's engine-core children). SIGTERM first, SIGKILL after a grace period.
The guard exits with the command's exit code, so the app can tell a crash from a stop.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import psutil

GRACE_S = 10.0


def group_members(pgid: int, exclude: int | None = None) -> list[psutil.Process]:
    """Every live process in a process group (children reparented after their parent died included)."""
    members = []
    for process in psutil.process_iter():
        try:
            if process.pid != exclude and os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return members


def end_group(pgid: int, grace_s: float, exclude: int | None = None) -> None:
    """SIGTERM every member of the group, then SIGKILL the ones still there after `grace_s`."""
    members = group_members(pgid, exclude)
    for process in members:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(members, timeout=grace_s)
    for process in alive + group_members(pgid, exclude):
        try:
            process.kill()
        except psutil.Error:
            pass


def main(argv: list[str]) -> int:
    if "--" not in argv or not argv[argv.index("--") + 1:]:
        print("usage: python -m backends.runtime.process_guard -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    stop = threading.Event()
    # SIGTERM/SIGINT to the guard (or to its group, at a stop) mean: end everything, then exit.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    except OSError as exc:
        print(f"cannot start {command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127

    def watch_app() -> None:
        # EOF: the app closed the pipe or is gone. The raw fd, not sys.stdin: a daemon thread blocked inside
        # a buffered reader aborts the interpreter at exit.
        while os.read(0, 4096):
            pass
        stop.set()

    def watch_child() -> None:
        child.wait()
        stop.set()

    for target in (watch_app, watch_child):
        threading.Thread(target=target, daemon=True).start()
    stop.wait()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_group(os.getpgid(0), GRACE_S, exclude=os.getpid())
    code = child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
