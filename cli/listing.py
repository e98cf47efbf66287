"""`launch.py list`: every model with its engine, weights, expected memory and what to run next."""
from __future__ import annotations

import json
from typing import Any

from backends.contracts.schema import ArenaConfig, ModelEntry
from backends.registry import expected_memory_mb, installed, reads_weights
from backends.runtime.weights import (download_command, format_bytes, is_hub_repo_id, local_weights_dir,
                                      weights_size_bytes)


def budget_summary(config: ArenaConfig) -> tuple[float, str, bool]:
    """(budget MB, how it was decided, on GPU). Asks NVML only: never imports torch."""
    from backends.runtime.memory import cuda_total_mb, memory_budget_mb

    gpu_mb = cuda_total_mb()
    budget = memory_budget_mb(config.app.memory_budget_mb)
    if config.app.memory_budget_mb:
        source = "app.memory_budget_mb in the config"
    elif gpu_mb:
        source = f"90% of the GPU's {format_bytes(gpu_mb * 2**20)} reported by NVML"
    else:
        source = "80% of the RAM available now; NVML reports no GPU"
    return budget, source, gpu_mb is not None


def model_row(entry: ModelEntry, on_gpu: bool, budget_mb: float) -> dict[str, Any]:
    from backends.registry import availability

    status = availability(entry)
    is_installed, installed_note = installed(entry)
    has_weights = reads_weights(entry)
    size = weights_size_bytes(entry.weights, entry.revision) if has_weights else None
    memory = expected_memory_mb(entry, on_gpu)
    notes = [status.reason] if status.reason else []
    commands: list[str] = []  # what to run, in order
    if status.hint.startswith("Run: "):
        commands.append(status.hint.removeprefix("Run: "))
    elif status.hint:
        notes.append(status.hint)
    if has_weights and size is None and not any(download_command(entry.key) in c for c in commands):
        if is_hub_repo_id(entry.weights):
            commands.append(download_command(entry.key))
        elif entry.weights not in status.reason:
            notes.append(f"weights folder not found: {entry.weights}.")
    env_command = f"python launch.py env {entry.key}"
    if entry.environment is not None and not is_installed and env_command not in commands:
        commands.insert(0, env_command)
    message = " ".join(notes + ([f"Run: {', then '.join(commands)}"] if commands else []))
    folder = local_weights_dir(entry.weights, entry.revision) if size is not None else None
    return {
        "key": entry.key,
        "name": entry.name,
        "engine": entry.engine,
        "engine_installed": is_installed,
        "engine_note": installed_note,
        "weights": entry.weights if has_weights else None,
        "revision": entry.revision,
        "weights_state": ("downloaded" if size is not None else "missing") if has_weights else None,
        "weights_path": str(folder) if folder else None,
        "size_bytes": size,
        "expected_memory_mb": None if memory is None else round(memory, 3),
        "memory_from": None if memory is None else ("config" if entry.memory_mb else "weights"),
        "fits_budget": None if memory is None else memory <= budget_mb,
        "ready": status.ok,
        "status": "ready" if status.ok and not message else message,
        "commands": commands,
    }


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]).rstrip() for r in [header, *rows])


def _table_cells(row: dict[str, Any]) -> list[str]:
    """One model_row as the table shows it: "—" where a column does not apply, "?" where it is unknown."""
    no_weights = row["weights"] is None
    engine_installed = ("yes" if row["engine_installed"] else "no") + (" (env)" if row["engine_note"] == "env" else "")
    weights = "—" if no_weights else format_bytes(row["size_bytes"]) if row["size_bytes"] is not None else "missing"
    memory = (format_bytes(row["expected_memory_mb"] * 2**20) if row["expected_memory_mb"] is not None
              else "—" if no_weights else "?")
    fits = {True: "yes", False: "no"}.get(row["fits_budget"], "—" if no_weights else "?")
    return [row["key"], row["engine"], engine_installed, weights, memory, fits, row["status"]]


def list_models(config: ArenaConfig, as_json: bool = False) -> None:
    budget, source, on_gpu = budget_summary(config)
    rows = [model_row(entry, on_gpu, budget) for entry in config.models]
    if as_json:
        print(json.dumps({"memory_budget_mb": round(budget, 1), "budget_source": source,
                          "device": "gpu" if on_gpu else "cpu", "models": rows}, indent=2, ensure_ascii=False))
        return
    device = "GPU: bf16/fp16" if on_gpu else "CPU: float32"
    print(f"Memory budget: {format_bytes(budget * 2**20)}: {source}.")
    print(f"Expected memory is estimated for the {device} unless a model's options.dtype or memory_mb says "
          "otherwise, plus 20% for activations.\n")
    table = [_table_cells(r) for r in rows]
    print(_table(["KEY", "ENGINE", "INSTALLED", "WEIGHTS", "MEMORY", "FITS", "STATUS"], table))
