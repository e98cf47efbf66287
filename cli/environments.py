"""`launch.py env`: a model's own Python environment, or the shared vLLM one."""
from __future__ import annotations

import sys

from backends.contracts.schema import ArenaConfig
from backends.runtime.weights import download_command, local_weights_dir
from cli.download import downloadable
from cli.lookup import find_model


def create_vllm_env(recreate: bool, device: str) -> int:
    from backends.engines.vllm import environment

    try:
        environment.build(device=None if device == "auto" else device, recreate=recreate)
    except KeyboardInterrupt:
        print("\nvllm: interrupted; run the same command again to finish the environment.", file=sys.stderr)
        return 130
    except Exception as exc:  # venv, pip or the start check failed (their output was shown above)
        print(f"vllm: the environment could not be built: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def create_env(config: ArenaConfig, key: str, recreate: bool = False) -> int:
    entry = find_model(config, key)
    if entry is None:
        return 1
    if entry.environment is None:
        with_env = [m.key for m in config.models if m.environment is not None]
        print(f"{key}: this model has no `environment` in the config: it runs in the arena's own interpreter, "
              "so there is nothing to create. "
              + (f"Models with their own environment: {', '.join(with_env)}." if with_env else ""), file=sys.stderr)
        return 1
    from backends.runtime.environments import create_environment

    try:
        folder = create_environment(entry, log=print, **({"recreate": True} if recreate else {}))
    except KeyboardInterrupt:
        print(f"\n{key}: interrupted; run the same command again to finish the environment.", file=sys.stderr)
        return 130
    except Exception as exc:  # venv or pip failed (its output was shown above), or no base interpreter
        print(f"{key}: the environment could not be created: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{key}: environment ready in {folder}.")
    if downloadable(entry) and local_weights_dir(entry.weights, entry.revision) is None:
        print(f"{key}: its weights are not downloaded yet. Run: {download_command(key)}")
    return 0
