"""Arena overhead: what the Gradio arena adds on top of the OCR engine itself, for one request.

    .venv/bin/python -m benchmarks.scripts.bench_arena_overhead [--model tesseract] [--image PAGE] [--repeats 10]

Two paths are timed side by side in one process, on the same page and the same warm engine:

* gradio: one `run_arena` request through gradio_client against the app served in-process on
  127.0.0.1 (upload of the page, queue, image decode, the engine, results table, charts, box overlays,
  CSV/JSON export, and the streamed updates back to the client), measured as the wall time of
  `client.predict(...)`.
* direct: `ModelPool.run(model, PageRequest(image))` run to completion on the app's own pool (so the
  engine is the very instance the app uses, already loaded), with the image decoded beforehand. This
  is the engine's stream() plus the pool's small bookkeeping (availability check, lock, RSS reading).

The gradio path is timed with two client set-ups (`--client`, default both):

* default: `Client(url)` as a user would write it. gradio_client opens a new httpx client for almost
  every HTTP call (upload, queue join, each output file download), and httpx 0.28 builds an SSL context
  with the CA bundle for each one even for a plain http:// URL (~30 ms apiece on a small CPU); it also
  downloads every output file (overlay images, CSV/JSON export), twice: the final output comes in
  both the last `process_generating` and the `process_completed` message.
* lean: `Client(url, ssl_verify=False, download_files=False)`: the same request without those two
  client-side costs (no TLS is involved on http://127.0.0.1, so nothing is weakened). The difference
  between the two is gradio_client's share; what remains above direct is the server's.

Everything is warmed up first (engine loaded, plotly imported, first-request caches filled), then the
paths run alternately so drift (other load on the machine) hits them alike. Prints median and p90 of
each and the ratio of medians to direct. Target: gradio (default client) / direct <= 1.10.

This is a measurement script, not a test: it passes or fails nothing and always exits 0 on a result.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from backends.contracts.schema import PROJECT_ROOT
from testkit.servers import free_port

DEFAULT_IMAGE = "en_printed_pages/images/tesseract_phototest.tif"
# samples/ is the repo's copy; the shared dataset folder is the fallback when samples/ is not there yet.
IMAGE_ROOTS = (PROJECT_ROOT / "samples", Path("/work/shared/datasets"))
TARGET_RATIO = 1.10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_arena_overhead",
                                     description="Arena overhead: gradio_client run_arena time / direct pool.run time.")
    parser.add_argument("--model", default="tesseract", help="config key of the engine (default: tesseract)")
    parser.add_argument("--image", default=None,
                        help=f"page to read (default: samples/{DEFAULT_IMAGE}, else /work/shared/datasets/...)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs of each path, alternating (default: 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each path first (default: 2)")
    parser.add_argument("--config", default=str(PROJECT_ROOT / "config.yaml"),
                        help="arena config (default: config.yaml)")
    parser.add_argument("--client", choices=["default", "lean", "both"], default="both",
                        help="gradio_client set-up(s) to time: default Client(url), lean (ssl_verify=False, "
                             "download_files=False), or both (default)")
    return parser.parse_args(argv)


def resolve_image(arg: str | None) -> Path:
    if arg:
        path = Path(arg).expanduser().resolve()
        if not path.is_file():
            raise SystemExit(f"--image {arg}: no such file")
        return path
    for root in IMAGE_ROOTS:
        if (root / DEFAULT_IMAGE).is_file():
            return root / DEFAULT_IMAGE
    raise SystemExit(f"{DEFAULT_IMAGE} not found under {', '.join(map(str, IMAGE_ROOTS))}; pass --image")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: with 10 samples p90 is the 9th, no interpolation surprises."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def start_app(config_path: str):
    """Build and serve the arena in this process; returns (app, pool, url)."""
    from backends.config import load_config
    from backends.pool import ModelPool
    from ui.app import build_app

    pool = ModelPool(load_config(config_path))
    app = build_app(pool, "en")
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return app, pool, f"http://127.0.0.1:{port}/"


def time_direct(pool, model: str, image) -> float:
    """Seconds for pool.run to reach its ModelResult; raises if the engine did not return OK."""
    from backends.contracts.requests import PageRequest
    from backends.contracts.results import Status
    from backends.contracts.results import ModelResult

    started = time.perf_counter()
    result = None
    for event in pool.run(model, PageRequest(image=image)):
        if isinstance(event, ModelResult):
            result = event
    elapsed = time.perf_counter() - started
    if result is None or result.status != Status.OK:
        raise SystemExit(f"direct run of {model} failed: {result.message if result else 'no result'}")
    return elapsed


def time_gradio(client, model: str, image_path: Path) -> tuple[float, float]:
    """Seconds for one run_arena request, and the engine latency the app itself reported for it."""
    from gradio_client import handle_file

    started = time.perf_counter()
    output = client.predict(handle_file(str(image_path)), [model], "", api_name="/run_arena")
    elapsed = time.perf_counter() - started
    row = output[0]["models"][0]
    if row["status"] != "ok":
        raise SystemExit(f"run_arena for {model} failed: {row['message']}")
    return elapsed, row["latency_s"]


def make_clients(url: str, which: str, download_dir: str) -> dict:
    from gradio_client import Client

    clients = {}
    if which in ("default", "both"):
        # Default behaviour, only pointed at a temp folder so the downloaded outputs are cleaned up.
        clients["default client"] = Client(url, verbose=False, download_files=download_dir)
    if which in ("lean", "both"):
        # ssl_verify=False only skips building an unused SSL context: the URL is plain http on loopback.
        clients["lean client"] = Client(url, verbose=False, ssl_verify=False, download_files=False)
    return clients


def summarise(name: str, values: list[float]) -> str:
    median, p90 = statistics.median(values), percentile(values, 90)
    return f"{name:<34} median {median:7.3f} s   p90 {p90:7.3f} s   (n={len(values)})"


def measure(pool, clients: dict, model: str, image_path: Path, image, warmup: int, repeats: int):
    """Warm every path, then time them alternately: returns (direct, {client: gradio times}, in-app latencies)."""
    # Warm-up loads the engine and pays one-off costs (plotly import, first export folder) outside the timings.
    for _ in range(warmup):
        time_direct(pool, model, image)
        for client in clients.values():
            time_gradio(client, model, image_path)
    direct: list[float] = []
    gradio: dict[str, list[float]] = {name: [] for name in clients}
    in_app: list[float] = []
    for _ in range(repeats):
        direct.append(time_direct(pool, model, image))
        for name, client in clients.items():
            elapsed, engine_latency = time_gradio(client, model, image_path)
            gradio[name].append(elapsed)
            in_app.append(engine_latency)
    return direct, gradio, in_app


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    image_path = resolve_image(args.image)

    from core.documents import load_image

    # Decoded once: the direct path measures the engine, not Pillow reading the file.
    image = load_image(image_path)
    app, pool, url = start_app(args.config)
    clients: dict = {}
    try:
        if args.model not in pool.config.keys():
            raise SystemExit(f"--model {args.model}: not in the config ({', '.join(pool.config.keys())})")
        with tempfile.TemporaryDirectory(prefix="bench-arena-downloads-") as download_dir:
            clients = make_clients(url, args.client, download_dir)
            direct, gradio, in_app = measure(pool, clients, args.model, image_path, image, args.warmup, args.repeats)
    finally:
        for client in clients.values():
            client.close()
        app.blocks.close()
        pool.close()
    report(args.model, image_path, image, direct, gradio, in_app)
    return 0


def report(model: str, image_path: Path, image, direct: list[float], gradio: dict[str, list[float]],
           in_app: list[float]) -> None:
    base = statistics.median(direct)
    print(f"\nArena overhead: {model} on {image_path.name} ({image.width}x{image.height} {image.mode})")
    print(summarise("direct pool.run", direct))
    print(summarise("engine latency_s inside the app", in_app))
    for name, values in gradio.items():
        print(summarise(f"run_arena via {name}", values))
    for name, values in gradio.items():
        ratio = statistics.median(values) / base
        verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
        print(f"ratio {name:<15} {ratio:6.3f}  (+{statistics.median(values) - base:.3f} s over direct; "
              f"target <= {TARGET_RATIO:.2f}: {verdict})")


if __name__ == "__main__":
    sys.exit(main())
