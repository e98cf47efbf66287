"""`launch.py serve-command`: a vLLM model's server command for another machine, and the entry to reach it."""
from __future__ import annotations

import sys

from backends.contracts.schema import ArenaConfig
from cli.lookup import find_model


def print_serve_command(config: ArenaConfig, key: str, bind: str, port: int, url: str | None) -> int:
    """The command for a model's own server elsewhere, and the entry that makes this arena its client."""
    import yaml

    from backends.engines.vllm.remote import remote_command, remote_entry

    entry = find_model(config, key)
    if entry is None:
        return 1
    if entry.engine != "vllm":
        vllm_keys = [m.key for m in config.models if m.engine == "vllm"]
        print(f"{key}: not a vLLM model (engine: {entry.engine}). vLLM models: {', '.join(vllm_keys)}", file=sys.stderr)
        return 1
    print(f"# On the GPU box (vLLM installed from requirements-gpu.txt; tensor parallel: add "
          f"--tensor-parallel-size N):\n{remote_command(entry, bind, port)}\n")
    print("# In this arena's config.yaml, under models:")
    print(yaml.safe_dump([remote_entry(entry, port, url)], allow_unicode=True, sort_keys=False, width=120).rstrip())
    return 0
