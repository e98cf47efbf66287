"""The CPU a client spends reading a chat-completions stream, per chunk: httpx against the engine's urllib3 reader.

    .venv/bin/python -m benchmarks.scripts.bench_stream_reader [--requests 200] [--chunks 64] [--rounds 3]

Both read the same replies from one local HTTP/1.1 server that sends each event as its own chunk, as vLLM's server
does (testkit/sse_server.py, in threads of this process): each way POSTs --requests times and parses every event
(`sse_chunks`), in alternating rounds. Measured is the reading thread's own CPU time (`time.thread_time`), so the
server's threads do not count. Next to a CPU server, every microsecond of it is taken from the server: at 16 requests
in flight on vLLM's CPU build, about 4,000 chunks a run.

A measurement script, not a test: it prints the numbers and exits 0.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Callable

from backends.engines.openai.connection import EndpointConnections
from backends.engines.openai.streaming import sse_chunks
from testkit.sse_server import sse_server

PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "Read it."}], "stream": True}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_stream_reader",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="replies read per way and round (default: 200)")
    parser.add_argument("--chunks", type=int, default=64, help="text events per reply (default: 64)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default: 3)")
    return parser.parse_args(argv)


def httpx_way(base_url: str) -> Callable[[], int]:
    import httpx

    client = httpx.Client(base_url=base_url, timeout=30)

    def read() -> int:
        with client.stream("POST", "/chat/completions", json=PAYLOAD) as response:
            return sum(1 for _ in sse_chunks(response.iter_lines()))
    return read


def engine_way(base_url: str) -> Callable[[], int]:
    connections = EndpointConnections(base_url, {}, connect_timeout_s=5, read_timeout_s=30, connect_retries=0)

    def read() -> int:
        with connections.post("/chat/completions", PAYLOAD) as reply:
            count = sum(1 for _ in sse_chunks(reply.lines()))
            reply.finished = True
            return count
    return read


def cpu_per_chunk_us(read: Callable[[], int], requests: int) -> float:
    started, chunks = time.thread_time(), 0
    for _ in range(requests):
        chunks += read()
    return (time.thread_time() - started) / chunks * 1e6


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with sse_server(words=tuple(f" w{n}" for n in range(args.chunks))) as server:
        base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        ways = {"httpx": httpx_way(base_url), "engine (urllib3)": engine_way(base_url)}
        for read in ways.values():
            read()  # connect and warm up outside the timing
        figures: dict[str, list[float]] = {name: [] for name in ways}
        opened = dict.fromkeys(ways, 0)  # connections each way opened for its timed requests
        for round_ in range(args.rounds):
            order = list(ways) if round_ % 2 == 0 else list(reversed(ways))
            for name in order:
                before = server.accepted
                figures[name].append(cpu_per_chunk_us(ways[name], args.requests))
                opened[name] += server.accepted - before
    print(f"Reading thread's CPU per stream chunk ({args.requests} replies × {args.chunks + 2} events, "
          f"{args.rounds} rounds, median):")
    for name, values in figures.items():
        print(f"  {name:<17} {statistics.median(values):6.1f} µs  (rounds: {', '.join(f'{v:.1f}' for v in values)})")
    httpx_us, engine_us = (statistics.median(v) for v in figures.values())
    print(f"  engine / httpx:   {engine_us / httpx_us:.2f}")
    print(f"  connections opened for {args.requests * args.rounds} requests: "
          + ", ".join(f"{name} {count}" for name, count in opened.items())
          + " (httpx drops a connection whose reply was left after its last event)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
