"""Stands in for `vllm serve` where vLLM cannot run (no GPU): `python -m tests.vllm_stand_in serve MODEL [flags]`.

It accepts the flags the arena builds for `vllm serve` (so a misspelt or unknown one fails the start, as it would
with vLLM), writes the command line it got to $VLLM_STAND_IN_RECORD, and serves MODEL with a real
OpenAI-compatible server, `transformers serve`, started as a child process the way vLLM starts its engine
core, so stopping it must reach a grandchild of the guard.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vllm")
    commands = p.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("model")
    serve.add_argument("--host", required=True)
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--gpu-memory-utilization", type=float, required=True)
    serve.add_argument("--revision")
    serve.add_argument("--trust-remote-code", action="store_true")
    serve.add_argument("--max-model-len", type=int)
    serve.add_argument("--limit-mm-per-prompt", type=json.loads)
    serve.add_argument("--mm-processor-kwargs", type=json.loads)
    serve.add_argument("--logits-processors", nargs="+")
    serve.add_argument("--enable-prefix-caching", action=argparse.BooleanOptionalAction)
    serve.add_argument("--mm-processor-cache-gb", type=float)
    serve.add_argument("--tensor-parallel-size", type=int)
    serve.add_argument("--dtype")
    serve.add_argument("--skip-mm-profiling", action="store_true")  # added on a CPU
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    record = os.environ.get("VLLM_STAND_IN_RECORD")
    if record:
        with open(record, "w", encoding="utf-8") as f:
            json.dump({"argv": argv, "pid": os.getpid()}, f)
    print(f"stand-in for vllm serve: serving {args.model} with transformers serve", flush=True)
    server = subprocess.Popen([sys.executable, "-m", "backends.engines.transformers.serve", args.model, "--device", "cpu",
                               "--host", args.host, "--port", str(args.port)])
    return server.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
