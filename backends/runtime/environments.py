"""A model's own Python environment: a venv built from the pins in its config entry.

`create_environment` makes the venv at `entry.environment.folder()` and pip-installs the entry's packages
into it, streaming pip's output so a user sees progress. A stamp file in the venv records a hash of the
pins it was built from: running again with the same pins returns at once, and `environment_availability`
tells the app whether the venv is there and matches config.yaml, without starting any interpreter.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Callable

from backends.contracts.results import Availability, MessageCode
from backends.contracts.schema import PROJECT_ROOT, ModelEntry

STAMP_NAME = ".arena-environment.json"


class EnvironmentSetupError(RuntimeError):
    """A venv that could not be built. The message names the step (venv or pip) and the packages."""


def env_command(key: str) -> str:
    return f"python launch.py env {key}"


def packages_hash(packages: list[str]) -> str:
    """The pins' fingerprint: order and surrounding spaces do not matter, anything else does."""
    normalised = sorted(p.strip() for p in packages if p.strip())
    return hashlib.sha256(json.dumps(normalised).encode("utf-8")).hexdigest()


def stamp_path(folder: Path) -> Path:
    return folder / STAMP_NAME


def _read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads(stamp_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _display(folder: Path) -> str:
    try:
        return str(folder.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(folder)


def environment_availability(entry: ModelEntry) -> Availability:
    """Is the entry's venv built, and from the pins config.yaml has now? Cheap: reads two files."""
    environment = entry.environment
    if environment is None:
        return Availability(True)
    folder = environment.folder()
    hint = f"Run: {env_command(entry.key)}"
    stamp = _read_stamp(folder)
    if not environment.python().exists() or stamp is None:
        return Availability(False, f"its Python environment is not created ({_display(folder)}).", hint,
                            code=MessageCode.ENV_MISSING)
    if stamp.get("packages_sha256") != packages_hash(environment.packages):
        return Availability(False, f"its Python environment ({_display(folder)}) is out of date with config.yaml.",
                            hint, code=MessageCode.ENV_STALE)
    return Availability(True)


def stream_command(command: list[str], log: Callable[[str], None], tail: deque) -> int:
    """Run a command, passing each output line to `log` as it comes; returns its exit code."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               text=True, encoding="utf-8", errors="replace", bufsize=1)
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            log(line)
    return process.returncode


def create_environment(
    entry: ModelEntry,
    log: Callable[[str], None] = print,
    *,
    base_python: str | Path | None = None,
    recreate: bool = False,
) -> Path:
    """Build (or bring up to date) the entry's venv and return its folder.

    The venv is made with `base_python -m venv` (the interpreter running this, by default). Pins changed
    since the last build are installed over the existing venv; `recreate=True` starts from an empty one
    (for pins that were removed). Raises EnvironmentSetupError naming the failed step.
    """
    environment = entry.environment
    if environment is None:
        raise ValueError(f"model '{entry.key}' has no `environment` in config.yaml")
    folder = environment.folder()
    python = environment.python()
    wanted = packages_hash(environment.packages)
    stamp = _read_stamp(folder)
    if not recreate and python.exists() and stamp is not None and stamp.get("packages_sha256") == wanted:
        log(f"{_display(folder)} is up to date with config.yaml.")
        return folder

    started = time.perf_counter()
    if recreate and folder.exists():
        import shutil

        log(f"Removing {_display(folder)} …")
        shutil.rmtree(folder)
    tail: deque[str] = deque(maxlen=15)  # the last lines of output, for the error message
    if not python.exists():
        _make_venv(entry, folder, python, base_python, log, tail)
    stamp_path(folder).unlink(missing_ok=True)  # an interrupted install must not look up to date

    packages = list(environment.packages)
    _pip_install(entry, folder, python, packages, log, tail)
    _write_stamp(entry, folder, python, packages, wanted, started)
    log(f"{_display(folder)} is ready ({time.perf_counter() - started:.0f} s).")
    return folder


def _make_venv(entry: ModelEntry, folder: Path, python: Path, base_python: str | Path | None,
               log: Callable[[str], None], tail: deque) -> None:
    base = str(base_python or sys.executable)
    log(f"Creating a virtual environment at {_display(folder)} with {base} …")
    folder.parent.mkdir(parents=True, exist_ok=True)
    code = stream_command([base, "-m", "venv", str(folder)], log, tail)
    if code != 0 or not python.exists():
        raise EnvironmentSetupError(
            f"creating the virtual environment for '{entry.key}' at {folder} failed (exit code {code})"
            + (f": {' | '.join(tail)}" if tail else "")
        )


def _pip_install(entry: ModelEntry, folder: Path, python: Path, packages: list[str],
                 log: Callable[[str], None], tail: deque) -> None:
    log(f"Installing into {_display(folder)}: {' '.join(packages)}")
    code = stream_command(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *packages], log, tail
    )
    if code != 0:
        errors = [line for line in tail if "error" in line.lower()] or list(tail)
        raise EnvironmentSetupError(
            f"pip could not install the packages for '{entry.key}' ({', '.join(packages)}) into {folder} "
            f"(exit code {code}): {' | '.join(errors[-6:])}"
        )


def _write_stamp(entry: ModelEntry, folder: Path, python: Path, packages: list[str], wanted: str,
                 started: float) -> None:
    """Record what the venv was built from: `environment_availability` compares it with config.yaml."""
    version = subprocess.run([str(python), "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
                             capture_output=True, text=True).stdout.strip()
    stamp_path(folder).write_text(json.dumps({
        "key": entry.key,
        "packages": packages,
        "packages_sha256": wanted,
        "python": version,
        "built_s": round(time.perf_counter() - started, 1),
    }, indent=2) + "\n", encoding="utf-8")
