"""`launch.py serve`: the web app, with optional login and share link."""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile

from backends.contracts.schema import ArenaConfig
from backends.runtime.native_heap import keep_large_buffers_returnable

AUTH_ENV = "ARENA_AUTH"


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """`USER:PASSWORD`, or several reviewers' `USER:PASSWORD,USER2:PASSWORD2`; no password can hold a comma."""
    if not value:
        return None
    users = []
    for pair in value.split(","):
        user, sep, password = pair.strip().partition(":")
        if not sep or not user or not password:
            raise SystemExit("--auth needs USER:PASSWORD (several users: USER:PASSWORD,USER2:PASSWORD2), "
                             "each user and password non-empty.")
        users.append((user, password))
    return users


def private_gradio_cache() -> str | None:
    """Give this server a cache folder of its own (GRADIO_TEMP_DIR, read by Gradio when the app is built), unless
    the user chose one: the cache housekeeping deletes files in it by size, and the system-wide /tmp/gradio may
    hold other apps' files. Returns the folder made, to remove at exit."""
    if os.environ.get("GRADIO_TEMP_DIR"):
        return None
    folder = tempfile.mkdtemp(prefix="ocr-arena-cache-")
    os.environ["GRADIO_TEMP_DIR"] = folder
    return folder


def serve(config: ArenaConfig, args: argparse.Namespace) -> None:
    keep_large_buffers_returnable()  # before a server's threads and buffers exist
    own_cache = private_gradio_cache()  # before Gradio is imported and the app built
    try:
        _serve(config, args)
    finally:
        if own_cache:
            shutil.rmtree(own_cache, ignore_errors=True)


def _serve(config: ArenaConfig, args: argparse.Namespace) -> None:
    # Imported here: the pool and Gradio are only needed to serve, not to list or download.
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
