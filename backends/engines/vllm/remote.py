"""A vLLM model moved to a GPU box of its own: the `vllm serve` command to run there, and the config entry that
makes this arena its client (engine: openai). `launch.py serve-command` prints both."""
from __future__ import annotations

from typing import Any

from backends.contracts.schema import ModelEntry
from backends.engines.vllm.args import VllmOptions, describe_command, serve_command, served_model_name
from backends.engines.vllm.engine import request_options


def remote_command(entry: ModelEntry, bind: str, port: int) -> str:
    """The `vllm serve` command line for the other machine, with vLLM on its PATH."""
    return describe_command(serve_command(entry, _remote_options(entry, bind), port))


def remote_entry(entry: ModelEntry, port: int, url: str | None) -> dict[str, Any]:
    """The config entry for this arena: the same tasks, prompts and request shaping, over HTTP."""
    options = _remote_options(entry, "0.0.0.0")
    shaping = request_options(options).model_dump(exclude_defaults=True, exclude={"read_timeout_s", "connect_retries"})
    return {"key": f"{entry.key}_remote", "name": f"{entry.name}, remote", "engine": "openai",
            "endpoint": url or f"http://GPU-HOST:{port}/v1", "tasks": list(entry.tasks),
            "languages": list(entry.languages), "prompts": dict(entry.prompts),
            "options": {"model": served_model_name(entry), **shaping}}


def _remote_options(entry: ModelEntry, bind: str) -> VllmOptions:
    return entry.engine_options(VllmOptions).model_copy(update={"serve_command": ["vllm", "serve"], "host": bind})
