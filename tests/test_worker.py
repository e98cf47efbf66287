"""Models in worker processes: the real Tesseract engine behind WorkerEngine, crashes, cancels, venvs."""
from __future__ import annotations

import signal
import sys
import threading
import time

import psutil
import pytest
from PIL import Image

from backends.contracts.requests import EngineOutput, PageRequest
from backends.config import parse_config
from core.documents import load_image
from backends.runtime.environments import create_environment, environment_availability, packages_hash, stamp_path
from backends.registry import create_engine
from backends.runtime.worker.parent import RSS_WORKER, WorkerEngine
from backends.runtime.worker.protocol import WorkerCancelled, WorkerCrashed, WorkerError
from tests.conftest import PHOTOTEST, SAMPLES

LICENCE = SAMPLES / "ru_licences" / "images" / "licence_01.png"
DOCBANK_PAGE = SAMPLES / "en_printed_pages" / "images" / "docbank_106_tar_1705_06909_gz_KGBR5_4.jpg"


def entry(key="tesseract_worker", **fields):
    model = {"key": key, "name": "Tesseract in a worker", "engine": "tesseract", "isolate": True,
             "options": {"lang": "rus+eng", "psm": 3}, **fields}
    return parse_config({"models": [model]}, source="test").models[0]


def read(engine, image) -> list:
    return list(engine.stream(PageRequest(image)))


@pytest.fixture(scope="module")
def worker():
    engine = WorkerEngine(entry())
    engine.load()
    yield engine
    engine.unload()


@pytest.fixture(scope="module")
def in_process():
    engine = create_engine(entry())
    engine.load()
    yield engine
    engine.unload()


@pytest.fixture(scope="module")
def slow_page():
    """Four pages side by side: Tesseract needs several seconds, so a kill lands mid-request."""
    page = load_image(DOCBANK_PAGE)
    sheet = Image.new("RGB", (page.width * 2, page.height * 2), "white")
    for x in (0, page.width):
        for y in (0, page.height):
            sheet.paste(page, (x, y))
    return sheet


def when_busy(pid: int, action, cpu_s: float = 0.3, limit_s: float = 20.0) -> threading.Thread:
    """Call `action` from another thread once the child has spent cpu_s CPU seconds on the request."""

    def watch():
        process = psutil.Process(pid)
        start = sum(process.cpu_times()[:2])
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline and sum(process.cpu_times()[:2]) - start < cpu_s:
            time.sleep(0.02)
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("image_path", [PHOTOTEST, LICENCE], ids=["phototest-1bit-tiff", "licence-palette-png"])
def test_worker_reads_exactly_what_the_in_process_engine_reads(worker, in_process, image_path):
    image = load_image(image_path)
    remote, local = read(worker, image), read(in_process, image)
    assert [i for i in remote if isinstance(i, str)] == [i for i in local if isinstance(i, str)]
    assert isinstance(remote[-1], EngineOutput) and len(remote) == len(local)
    assert remote[-1].text == local[-1].text and remote[-1].text
    assert remote[-1].boxes == local[-1].boxes
    assert (remote[-1].output_tokens, remote[-1].cut) == (local[-1].output_tokens, local[-1].cut)


@pytest.mark.parametrize("mode", ["RGBA", "L", "I;16", "F", "CMYK", "PA"])
def test_every_image_mode_reaches_the_child_intact(worker, in_process, mode):
    image = load_image(PHOTOTEST).convert("L")
    if mode == "I;16":
        image = image.point(lambda v: v * 200).convert("I").convert("I;16")
    elif mode == "PA":
        image = image.convert("RGBA").convert("PA")
    else:
        image = image.convert(mode)
    image.info["dpi"] = (200, 200)
    assert read(worker, image)[-1].text == read(in_process, image)[-1].text


def test_output_carries_the_worker_process_memory_and_details(worker):
    output = read(worker, load_image(PHOTOTEST))[-1]
    assert output.extra["memory_mb"][RSS_WORKER] > 10
    details = output.extra["details"]["process"]
    assert f"worker pid {worker.pid}" in details and sys.executable in details
    assert worker.memory_mb() > 10 and worker.healthy()


@pytest.mark.parametrize("size, error_type, message", [
    ((40000, 10), RuntimeError, "Failed to recognize"),  # Tesseract refuses an image this wide
    ((0, 0), ValueError, "cannot write empty image"),
])
def test_an_exception_in_the_engine_comes_back_by_name_and_the_worker_serves_on(worker, in_process, size, error_type,
                                                                               message):
    image = Image.new("L", size, 255)
    with pytest.raises(error_type) as local:
        read(in_process, image)
    with pytest.raises(WorkerError) as remote:
        read(worker, image)
    assert isinstance(remote.value, error_type)  # `except RuntimeError` still works
    assert type(remote.value).__name__ == error_type.__name__
    assert str(remote.value) == str(local.value) and message in str(remote.value)
    assert "Traceback" in remote.value.remote_traceback
    assert worker.healthy()
    assert "quick brown dog" in read(worker, load_image(PHOTOTEST))[-1].text


def test_a_killed_child_raises_promptly_and_a_fresh_worker_takes_over(slow_page):
    engine = WorkerEngine(entry())
    engine.load()
    pid = engine.pid
    killer = when_busy(pid, lambda: psutil.Process(pid).send_signal(signal.SIGKILL))
    started = time.monotonic()
    with pytest.raises(WorkerCrashed, match=r"the worker process died \(killed by SIGKILL\) during the request"):
        read(engine, slow_page)
    killer.join()
    assert time.monotonic() - started < 5  # the page alone takes far longer
    assert not engine.healthy()
    with pytest.raises(WorkerError):
        read(engine, load_image(PHOTOTEST))
    engine.unload()
    assert not psutil.pid_exists(pid)

    fresh = WorkerEngine(entry())
    fresh.load()
    try:
        assert fresh.pid != pid and fresh.healthy()
        assert "quick brown dog" in read(fresh, load_image(PHOTOTEST))[-1].text
    finally:
        fresh.unload()


def test_a_segfault_in_the_child_names_the_signal():
    engine = WorkerEngine(entry())
    engine.load()
    try:
        when_busy(engine.pid, lambda: psutil.Process(engine.pid).send_signal(signal.SIGSEGV), cpu_s=0.0)
        with pytest.raises(WorkerCrashed, match=r"SIGSEGV.*Fatal Python error: Segmentation fault"):
            read(engine, load_image(DOCBANK_PAGE))
        assert not engine.healthy()
    finally:
        engine.unload()


def test_cancel_unblocks_a_request_in_flight(slow_page):
    engine = WorkerEngine(entry())
    engine.load()
    pid = engine.pid
    canceller = when_busy(pid, engine.cancel)
    started = time.monotonic()
    with pytest.raises(WorkerCancelled, match="cancelled"):
        read(engine, slow_page)
    canceller.join()
    assert time.monotonic() - started < 5
    assert not engine.healthy()
    engine.unload()
    assert not psutil.pid_exists(pid)


def test_unload_ends_the_child_and_reaps_it():
    engine = WorkerEngine(entry())
    engine.load()
    pid = engine.pid
    assert psutil.Process(pid).ppid() == psutil.Process().pid
    started = time.monotonic()
    engine.unload()
    assert time.monotonic() - started < 3  # it left by itself, no kill after a grace period
    assert not psutil.pid_exists(pid)
    assert pid not in [p.pid for p in psutil.Process().children()]
    engine.unload()  # twice is harmless


def test_a_load_failure_in_the_child_raises_its_message_and_leaves_no_process():
    bad = entry(options={"lang": "xxx_no_such_language", "psm": 3})
    with pytest.raises(Exception) as local:
        create_engine(bad).load()
    before = {p.pid for p in psutil.Process().children()}
    engine = WorkerEngine(bad)
    with pytest.raises(WorkerError) as remote:
        engine.load()
    assert type(remote.value).__name__ == type(local.value).__name__
    assert str(remote.value) == str(local.value)
    assert {p.pid for p in psutil.Process().children()} <= before
    assert engine.pid is None


def test_a_missing_environment_fails_the_load_with_the_command_to_build_it(tmp_path):
    engine = WorkerEngine(entry(environment={"path": str(tmp_path / "venv"), "packages": ["tesserocr"]}))
    with pytest.raises(WorkerError, match=r"not created .* Run: python launch.py env tesseract_worker"):
        engine.load()


# ----- environments -----
def test_environment_availability_follows_the_venv_and_its_pins(tmp_path):
    folder = tmp_path / "envs" / "old_transformers"
    model = entry(environment={"path": str(folder), "packages": ["transformers==4.37.2", "tesserocr"]})
    status = environment_availability(model)
    assert not status.ok
    assert status.reason == f"its Python environment is not created ({folder})."
    assert status.hint == "Run: python launch.py env tesseract_worker"

    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").touch()
    assert "not created" in environment_availability(model).reason  # no stamp: pip never finished

    stamp_path(folder).write_text('{"packages_sha256": "%s"}' % packages_hash(["tesserocr", " transformers==4.37.2"]))
    assert environment_availability(model).ok  # order and spaces do not matter

    changed = entry(environment={"path": str(folder), "packages": ["transformers==4.38.0", "tesserocr"]})
    status = environment_availability(changed)
    assert not status.ok and "is out of date with config.yaml" in status.reason
    assert status.hint == "Run: python launch.py env tesseract_worker"

    assert environment_availability(entry()).ok  # no environment: nothing to check


def test_environment_paths_are_shown_relative_to_the_project():
    model = entry(environment={"path": "envs/never_built_here", "packages": ["tesserocr"]})
    assert environment_availability(model).reason == "its Python environment is not created (envs/never_built_here)."


def test_create_environment_returns_at_once_when_the_pins_are_built(tmp_path):
    folder = tmp_path / "venv"
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").touch()  # not even runnable: nothing may be started
    stamp_path(folder).write_text('{"packages_sha256": "%s"}' % packages_hash(["tesserocr"]))
    lines = []
    model = entry(environment={"path": str(folder), "packages": ["tesserocr"]})
    assert create_environment(model, log=lines.append) == folder
    assert lines == [f"{folder} is up to date with config.yaml."]


def _pins(*names: str) -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in names]


@pytest.mark.slow
def test_a_worker_runs_on_its_own_venv(tmp_path):
    packages = _pins("pillow", "pydantic", "pyyaml", "psutil", "tesserocr")
    model = entry(environment={"path": str(tmp_path / "venv"), "packages": packages})
    lines: list[str] = []
    started = time.monotonic()
    folder = create_environment(model, log=lines.append)
    print(f"venv with {len(packages)} packages built in {time.monotonic() - started:.1f} s")
    assert folder == tmp_path / "venv" and environment_availability(model).ok
    assert any("Successfully installed" in line for line in lines)

    started = time.monotonic()
    create_environment(model, log=lines.append)
    assert time.monotonic() - started < 0.5  # the stamp matches: nothing to do

    python = str(model.environment.python())
    engine = WorkerEngine(model)
    engine.load()
    try:
        output = read(engine, load_image(PHOTOTEST))[-1]
        assert "quick brown dog" in output.text
        assert f"({python})" in output.extra["details"]["process"]
        assert psutil.Process(engine.pid).cmdline()[0] == python
    finally:
        engine.unload()


@pytest.mark.slow
def test_a_failed_pip_install_names_the_packages(tmp_path):
    from backends.runtime.environments import EnvironmentSetupError

    model = entry(environment={"path": str(tmp_path / "venv"), "packages": ["no-such-package-for-the-arena==0.0.1"]})
    with pytest.raises(EnvironmentSetupError, match="no-such-package-for-the-arena==0.0.1"):
        create_environment(model, log=lambda line: None)
    assert not environment_availability(model).ok
