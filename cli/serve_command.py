"""`launch.py serve-command`: a vLLM model's server command for another machine, and the entry to reach it."""
from __future__ import annotations

import sys

from backends.contracts.schema import ArenaConfig
from cli.lookup import find_model


def print_serve_command(config: ArenaConfig, key: str, bind: str, port: int, url: str | None) -> int:
    """The command for a model's own server elsewhere, and the entry that makes this arena its client."""
    import yaml

    from backends.engines.vllm.args import describe_command, serve_command, served_model_name
    from backends.registry import engine_options
    from backends.engines.vllm.engine import request_options

    entry = find_model(config, key)
    if entry is None:
        return 1
    if entry.engine != "vllm":
        vllm_keys = [m.key for m in config.models if m.engine == "vllm"]
        print(f"{key}: not a vLLM model (engine: {entry.engine}). vLLM models: {', '.join(vllm_keys)}", file=sys.stderr)
        return 1
    options = engine_options(entry).model_copy(update={"serve_command": ["vllm", "serve"], "host": bind})
    print(f"# On the GPU box (vLLM installed from requirements-gpu.txt; tensor parallel: add "
          f"--tensor-parallel-size N):\n{describe_command(serve_command(entry, options, port))}\n")
    shaping = request_options(options).model_dump(exclude_defaults=True, exclude={"read_timeout_s", "connect_retries"})
    remote = {"key": f"{key}_remote", "name": f"{entry.name}, remote", "engine": "openai",
              "endpoint": url or f"http://GPU-HOST:{port}/v1", "tasks": list(entry.tasks),
              "languages": list(entry.languages), "prompts": dict(entry.prompts),
              "options": {"model": served_model_name(entry), **shaping}}
    print("# In this arena's config.yaml, under models:")
    print(yaml.safe_dump([remote], allow_unicode=True, sort_keys=False, width=120).rstrip())
    return 0
