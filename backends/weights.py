"""Where a model's weights are, and whether they are on this machine. Light: no torch, no network."""
from __future__ import annotations

from pathlib import Path

from backends.base import Availability


def download_command(key: str) -> str:
    return f"python launch.py download {key}"


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
        return Availability(False, "no `weights` set for this model in config.yaml.")
    if local_weights_dir(weights, revision) is None:
        return Availability(False, f"weights not downloaded ({weights}).", f"Run: {download_command(key)}")
    return Availability(True)
