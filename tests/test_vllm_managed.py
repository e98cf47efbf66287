"""The managed `vllm serve` lifecycle with the real command built from config, on a machine without vLLM.

Config substitutes a stand-in for `vllm serve` (`serve_command`): it accepts the vLLM flags the arena builds,
records them, and serves the tiny Qwen2-VL model with a real OpenAI-compatible server started as its child.
Everything else is what a GPU box runs: the process guard, the /health wait with progress, streaming through
the OpenAI-compatible engine, memory readings, and the stop that leaves no process behind.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import psutil
import pytest
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from backends.runtime.memory import cuda_total_mb
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from backends.engines.vllm.args import VllmOptions, serve_command
from backends.engines.vllm.server import READINGS_KEPT_S
from tests.conftest import PHOTOTEST, ROOT, free_port

pytestmark = pytest.mark.slow
STAND_IN = [sys.executable, "-m", "tests.vllm_stand_in", "serve"]
REPO = "Qwen/Qwen2-VL-2B-Instruct"


def entry(port: int, **options) -> dict:
    return {"key": "served", "name": "Qwen2-VL (vLLM stand-in)", "engine": "vllm", "weights": REPO,
            "timeout_s": 120,
            "options": {"serve_command": STAND_IN, "port": port, "max_tokens": 6, "startup_timeout_s": 90,
                        # The recipe flags DeepSeek-OCR needs, to see each one reach the server's command line.
                        "max_model_len": 4096, "mm_processor_kwargs": {"max_pixels": 1003520},
                        "logits_processors": ["vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor"],
                        "enable_prefix_caching": False, "mm_processor_cache_gb": 0, **options}}


def make_pool(*entries: dict) -> ModelPool:
    return ModelPool(parse_config({"models": [
        *entries, {"key": "tesseract", "name": "Tesseract", "engine": "tesseract", "options": {"lang": "eng"}}]}))


def run(pool: ModelPool, keys: list[str]) -> tuple[dict[str, ModelResult], list[Progress]]:
    results, progress = {}, []
    for key, event in pool.run_many(keys, PageRequest(Image.open(PHOTOTEST))):
        if isinstance(event, ModelResult):
            results[key] = event
        else:
            progress.append(event)
    return results, progress


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def gone(pids: list[int], timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def record(tmp_path, monkeypatch):
    path = tmp_path / "argv.json"
    monkeypatch.setenv("VLLM_STAND_IN_RECORD", str(path))
    return path


def test_start_wait_stream_and_stop_leave_no_process(tiny_hf_cache, record):
    port = free_port()
    pool = make_pool(entry(port))
    results, progress = run(pool, ["served", "tesseract"])
    result = results["served"]
    assert result.status == Status.OK, result.message
    assert result.text and result.metrics.output_tokens == 6 and not result.metrics.warm
    assert results["tesseract"].status == Status.OK
    # The health wait reported what it was doing while the server started.
    notes = [p.note for p in progress if p.key == "served" and p.phase == "loading" and p.note]
    assert any(n.startswith("starting the server:") for n in notes), notes
    # The server got exactly the command line built from config.
    config_entry = pool.config.get("served")
    expected = serve_command(config_entry, VllmOptions.model_validate(config_entry.options), port,
                             on_cpu=cuda_total_mb() is None)
    assert json.loads(record.read_text())["argv"] == expected[len(STAND_IN) - 1:]
    assert "--no-enable-prefix-caching" in expected and "--mm-processor-cache-gb" in expected
    # What it holds is measured on the server's processes, not the app's.
    assert result.metrics.memory_mb["RSS (server processes)"] > 50
    assert result.details["server"].startswith("managed vllm serve, pid ")

    engine = pool._slots["served"].engine
    pids = engine.server.pids()
    assert len(pids) >= 3  # the guard, the stand-in and its server child
    # Its own process group (ended as a whole) but the app's session: Linux shares the CPU between sessions
    # first, and a busy server in a session of its own starves the app's threads that feed it.
    assert all(os.getsid(pid) == os.getsid(0) and os.getpgid(pid) != os.getpgid(0) for pid in pids)
    again, _ = run(pool, ["served"])
    assert again["served"].metrics.warm and again["served"].status == Status.OK
    # Replies that end within READINGS_KEPT_S of a reading share it: under load many end each second.
    readings = []
    engine.server.memory_readings = lambda share, read=engine.server.memory_readings: readings.append(1) or read(share)
    shown = [engine.server.recent_memory_readings(0.5) for _ in range(3)]  # another share: read anew
    time.sleep(READINGS_KEPT_S)
    later = engine.server.recent_memory_readings(0.5)
    assert len(readings) == 2 and shown[0] == shown[2] and later["RSS (server processes)"] > 50
    del engine.server.memory_readings

    # On a CPU the thread reading the stream does not preempt the server's threads, and only while it reads.
    if cuda_total_mb() is None and sys.platform.startswith("linux"):
        stream = engine.stream(PageRequest(Image.open(PHOTOTEST)))
        next(stream)
        assert os.sched_getscheduler(0) == os.SCHED_BATCH
        assert list(stream)[-1].text
        assert os.sched_getscheduler(0) == os.SCHED_OTHER

    report = pool.unload("served")
    assert report.unloaded and report.before_mb["RSS (server processes)"] > 50
    assert "RSS (server processes)" not in report.after_mb  # nothing of it is left to measure
    assert gone(pids), "a server process outlived its unload"
    assert not listening(port)


def test_a_server_that_dies_is_started_again_on_the_next_request(tiny_hf_cache, record):
    pool = make_pool(entry(free_port()))
    first, _ = run(pool, ["served"])
    assert first["served"].status == Status.OK, first["served"].message
    old_pids = pool._slots["served"].engine.server.pids()
    os.kill(json.loads(record.read_text())["pid"], signal.SIGKILL)  # the stand-in, as if vLLM crashed
    assert gone(old_pids), "the guard did not end the rest of a crashed server's processes"
    second, _ = run(pool, ["served"])
    assert second["served"].status == Status.OK, second["served"].message
    assert second["served"].details["restarted"] == "the previous worker process had died"
    pool.close()


def test_a_server_that_fails_to_start_is_a_clear_column_error(tiny_hf_cache):
    pool = make_pool(entry(free_port(), extra_args=["--no-such-flag"]))
    results, _ = run(pool, ["served", "tesseract"])
    message = results["served"].message
    assert results["served"].status == Status.ERROR
    assert "the server exited (code 2) before it was ready" in message
    assert "unrecognized arguments: --no-such-flag" in message  # the end of its log
    assert results["tesseract"].status == Status.OK


def test_a_port_already_taken_is_refused_before_starting(tiny_hf_cache):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        pool = make_pool(entry(taken.getsockname()[1]))
        results, _ = run(pool, ["served"])
    assert results["served"].status == Status.ERROR
    assert "is already in use" in results["served"].message


def test_killing_the_app_outright_takes_its_servers_down(tiny_hf_cache, tmp_path):
    """SIGKILL gives the app no chance to clean up: the guard must notice and end the server on its own."""
    port = free_port()
    script = textwrap.dedent(f"""
        import json, sys, time
        from backends.engines.vllm.server import ManagedServer
        server = ManagedServer("served", {STAND_IN + [REPO, "--host", "127.0.0.1", "--port", str(port),
                                                      "--gpu-memory-utilization", "0.3"]!r},
                               host="127.0.0.1", port={port})
        server.start()
        server.wait_until_healthy(90)
        print(json.dumps(server.pids()), flush=True)
        time.sleep(600)
    """)
    app = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                           env={**os.environ})
    try:
        pids = json.loads(app.stdout.readline())
        assert len(pids) >= 3 and listening(port)
    finally:
        app.kill()
        app.wait()
    assert gone(pids), "a server outlived the app that started it"
    assert not listening(port)
