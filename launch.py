"""The arena's command line: serve the app, list models with their status, download weights.

    python launch.py [serve] [--host H] [--port P] [--share] [--auth USER:PASSWORD] [--config FILE] [--lang auto|en|ru]
    python launch.py list [--config FILE]
    python launch.py download KEY [KEY ...] [--config FILE]

Kept light on purpose: nothing here imports torch, transformers or an OCR engine, so the app starts fast.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path

from backends.config import ArenaConfig, ConfigError, load_config

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
    commands.add_parser("list", help="list models with their status")
    download = commands.add_parser("download", help="fetch model weights into the Hugging Face cache")
    download.add_argument("keys", nargs="+", metavar="KEY")
    return parser.parse_args(argv)


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


def list_models(config: ArenaConfig) -> None:
    from backends.registry import describe

    rows = [describe(entry) for entry in config.models]
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        mark = "ready" if r["ready"] else "not ready"
        print(f"{r['key']:<{width}}  {r['engine']:<12} {mark:<10} {r['name']}" + (f"\n{'':<{width}}  {r['status']}"
                                                                                  if r["status"] else ""))


def download(config: ArenaConfig, keys: list[str]) -> int:
    from huggingface_hub import snapshot_download

    failures = 0
    for key in keys:
        try:
            entry = config.get(key)
        except KeyError:
            print(f"{key}: no such model in the config. Known: {', '.join(config.keys())}", file=sys.stderr)
            failures += 1
            continue
        if not entry.weights or Path(entry.weights).expanduser().is_dir():
            print(f"{key}: nothing to download ({'local folder' if entry.weights else 'no weights'}).")
            continue
        print(f"{key}: downloading {entry.weights} (revision {entry.revision or 'main'})…", flush=True)
        try:
            path = snapshot_download(entry.weights, revision=entry.revision)
        except Exception as exc:  # network, auth, disk: report and go on with the other keys
            print(f"{key}: download failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(f"{key}: ready in {path}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"Invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "list":
        list_models(config)
        return 0
    if args.command == "download":
        return download(config, args.keys)
    serve(config, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
