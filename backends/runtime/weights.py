"""Where a model's weights are, how big they are, and what they will take in memory. Light: no torch, no network."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from backends.contracts.results import Availability, MessageCode

# Activations, buffers, the CUDA context and the processor on top of the weights themselves.
OVERHEAD_FACTOR = 1.2

# Bytes per parameter of a dtype name as config.json or options.dtype spell it.
_DTYPE_BYTES = {
    "float64": 8, "double": 8, "fp64": 8,
    "float32": 4, "float": 4, "fp32": 4,
    "bfloat16": 2, "bf16": 2, "float16": 2, "fp16": 2, "half": 2,
    "float8_e4m3fn": 1, "float8_e5m2": 1, "fp8": 1, "int8": 1, "uint8": 1,
}
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_NOT_WEIGHTS = {"training_args.bin", "optimizer.bin", "scheduler.bin", "rng_state.bin"}


def download_command(key: str) -> str:
    return f"python launch.py download {key}"


def is_hub_repo_id(weights: str) -> bool:
    """True for "org/name" (what the Hub serves), False for anything that reads as a path."""
    if weights.count("/") != 1 or weights.startswith(("/", ".", "~")):
        return False
    return not Path(weights).expanduser().is_dir()


def local_weights_dir(repo_or_path: str, revision: str | None = None) -> Path | None:
    """The folder holding a model's files, from a local path or the Hugging Face cache; None if absent."""
    candidate = Path(repo_or_path).expanduser()
    if candidate.is_dir():
        return candidate
    if repo_or_path.count("/") != 1 or repo_or_path.startswith(("/", ".", "~")):
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_or_path, "config.json", revision=revision)
    return Path(found).parent if isinstance(found, str) else None


def weights_availability(key: str, weights: str | None, revision: str | None = None) -> Availability:
    if not weights:
        return Availability(False, "no `weights` set for this model in config.yaml.",
                            code=MessageCode.WEIGHTS_UNSET)
    if local_weights_dir(weights, revision) is None:
        return Availability(False, f"weights not downloaded ({weights}).", f"Run: {download_command(key)}",
                            code=MessageCode.WEIGHTS_MISSING)
    return Availability(True)


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` once, following the cache's snapshot symlinks to their blobs."""
    seen: set[tuple[int, int]] = set()
    files = []
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            path = Path(root) / name
            try:
                st = path.stat()  # follows the symlink into blobs/
            except OSError:  # a dangling link: the blob was deleted
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            files.append(path)
    return files


def _total_bytes(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files)


def weights_size_bytes(weights: str, revision: str | None = None) -> int | None:
    """Bytes on disk of a downloaded model (local folder or Hub cache snapshot); None if it is not here."""
    folder = local_weights_dir(weights, revision)
    return None if folder is None else _total_bytes(_files(folder))


def weight_files(folder: Path) -> list[Path]:
    """The files a loader reads tensors from: *.safetensors, else *.bin (checkpoints shipping both load one)."""
    files = [f for f in _files(folder) if f.name.endswith(_WEIGHT_SUFFIXES) and f.name not in _NOT_WEIGHTS]
    top = [f for f in files if f.parent == folder] or files  # subfolders (onnx/, old checkpoints) only as a fallback
    safetensors = [f for f in top if f.name.endswith(".safetensors")]
    return safetensors or top


def _config_dtype(config: dict[str, Any]) -> str | None:
    for field in ("dtype", "torch_dtype"):
        if isinstance(config.get(field), str):
            return config[field]
    for nested in ("text_config", "llm_config", "language_config", "decoder", "vision_config"):
        if isinstance(config.get(nested), dict) and (found := _config_dtype(config[nested])):
            return found
    return None


def stored_dtype(folder: Path) -> str | None:
    """The dtype config.json says the weights are stored in (top level, or a nested text_config…)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _config_dtype(config) if isinstance(config, dict) else None


def _is_quantized(folder: Path) -> bool:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "quantization_config" in config


def target_bytes_per_param(dtype: str, on_gpu: bool) -> int:
    """What the engine loads each parameter as: options.dtype, or auto = bf16/fp16 on a GPU, float32 on CPU."""
    name = str(dtype or "auto").lower().removeprefix("torch.")
    if name in _DTYPE_BYTES:
        return _DTYPE_BYTES[name]
    return 2 if on_gpu else 4


def weights_memory_mb(weights: str, revision: str | None, dtype: str | None, on_gpu: bool) -> float | None:
    """The memory a model's weight files will take once loaded: rescaled from the stored dtype to the one the
    engine loads (`dtype`, or auto: bf16/fp16 on a GPU, float32 on a CPU), plus 20% for activations and overhead.
    None when the weights are not on this disk."""
    folder = local_weights_dir(weights, revision)
    if folder is None:
        return None
    files = weight_files(folder)
    if not files:
        return None
    size = _total_bytes(files)
    if not _is_quantized(folder):  # quantized checkpoints load as they are stored
        stored = _DTYPE_BYTES.get(str(stored_dtype(folder) or "bfloat16").lower().removeprefix("torch."), 2)
        size = size * target_bytes_per_param(dtype or "auto", on_gpu) / stored
    return size * OVERHEAD_FACTOR / 2**20


def format_bytes(size: float) -> str:
    if size >= 2**30:
        return f"{size / 2**30:.1f} GB"
    if size >= 2**20:
        return f"{size / 2**20:.0f} MB"
    return f"{size / 2**10:.0f} KB"
