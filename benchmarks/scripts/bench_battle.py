"""Battle overhead: the time until both outputs of a blind battle are in, against the arena on the same document.

    .venv/bin/python -m benchmarks.scripts.bench_battle [--models tesseract,rapidocr] [--repeats 10]

The app is served in-process with `app.battle_models` set to the two models, so every battle draws that pair.
Three paths run alternately, through gradio_client, on the same page (phototest) with warm engines:

* battle: `/battle_start` to its last output (both models' texts in, the diffs computed);
* arena, both: `/run_arena` with the same two models (they run side by side, as in the battle);
* arena, the slower one alone: `/run_arena` with the model whose median arena time is larger.

Prints the medians and battle / arena-slower, the issue's figure (goal: close to 1). A measurement script, not a
test: it exits 0 once it has numbers.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

from backends.contracts.schema import PROJECT_ROOT

PAGE = PROJECT_ROOT / "samples" / "en_printed_pages" / "images" / "tesseract_phototest.tif"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scripts.bench_battle", description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="tesseract,rapidocr", help="the two model keys (default: tesseract,rapidocr)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs of each path (default: 10)")
    return parser.parse_args(argv)


def serve(models: list[str], votes_db: str):
    from backends.config import load_config
    from backends.pool import ModelPool
    from testkit.servers import free_port
    from ui.app import build_app

    config = load_config(PROJECT_ROOT / "config.yaml")
    config = config.model_copy(update={"app": config.app.model_copy(update={"battle_models": models,
                                                                            "votes_db": votes_db})})
    pool = ModelPool(config)
    app = build_app(pool, "en")
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return app, pool, f"http://127.0.0.1:{port}/"


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def measure(client, models: list[str], repeats: int) -> dict[str, list[float]]:
    from gradio_client import handle_file

    document = handle_file(str(PAGE))
    paths = {
        "battle": lambda: client.predict(document, "1", "ocr", "", api_name="/battle_start"),
        "arena, both": lambda: client.predict(document, models, "", api_name="/run_arena"),
        **{f"arena, {key} alone": (lambda key=key: client.predict(document, [key], "", api_name="/run_arena"))
           for key in models},
    }
    for call in paths.values():  # warm-up: loads the engines, fills first-request caches
        call()
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, call in paths.items():
            times[name].append(timed(call))
    return times


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if len(models) != 2:
        raise SystemExit("--models needs exactly two model keys")
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as folder:
        app, pool, url = serve(models, f"{folder}/votes.sqlite")
        try:
            times = measure(Client(url, verbose=False, download_files=False), models, args.repeats)
        finally:
            app.close()
            pool.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    slower = max((f"arena, {key} alone" for key in models), key=medians.get)
    print(f"Battle overhead: {' vs '.join(models)} on {PAGE.name}, {args.repeats} runs each, medians")
    for name, value in medians.items():
        print(f"  {name:<28} {value:7.3f} s")
    print(f"  battle / {slower:<19} {medians['battle'] / medians[slower]:7.3f}")
    print(f"  battle / arena, both         {medians['battle'] / medians['arena, both']:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
