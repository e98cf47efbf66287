"""Shared fixtures: the shipped config, the bundled samples, and the app served in-process."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

# Before anything imports huggingface_hub (it reads these at import time): a fresh, empty hub cache for the session,
# and offline, so no test depends on this machine's cache or reaches the network.
_HF_HOME = tempfile.mkdtemp(prefix="arena-tests-hf-")
atexit.register(shutil.rmtree, _HF_HOME, ignore_errors=True)
os.environ.update(HF_HOME=_HF_HOME, HF_HUB_CACHE=os.path.join(_HF_HOME, "hub"), HF_HUB_OFFLINE="1")

import pytest  # noqa: E402

from backends.config import load_config  # noqa: E402
from backends.pool import ModelPool  # noqa: E402
from testkit.servers import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
PHOTOTEST = SAMPLES / "en_printed_pages" / "images" / "tesseract_phototest.tif"
PHOTOTEST_GT = SAMPLES / "en_printed_pages" / "gt" / "tesseract_phototest.gt.txt"
# The browser tests' Chromium (Debian's), its flags for a headless box, and where their screenshots go.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOT_DIR", ROOT / "tests" / "artifacts"))
TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def config():
    return load_config(ROOT / "config.yaml")


@pytest.fixture(scope="session")
def benchmark_history(tmp_path_factory) -> Path:
    """Where the served app records benchmark runs: a temp file, not the project's own history."""
    return tmp_path_factory.mktemp("benchmarks") / "history.sqlite"


@contextmanager
def serving_app(config):
    """The real app on `config`, served in-process on a free local port; yields (the app, its URL)."""
    from ui.app import build_app

    pool = ModelPool(config)
    app = build_app(pool)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield app, f"http://127.0.0.1:{port}/"
    finally:
        app.close()
        pool.close()


@contextmanager
def serving(config):
    """The real app on `config`, served in-process on a free local port; yields its URL."""
    with serving_app(config) as (_, url):
        yield url


@pytest.fixture(scope="session")
def served_app(config, benchmark_history):
    """The shipped config (benchmark runs recorded in a temp history), served for the whole session."""
    app_settings = config.app.model_copy(update={"benchmark_history": str(benchmark_history),
                                                 "votes_db": str(benchmark_history.parent / "votes.sqlite")})
    with serving(config.model_copy(update={"app": app_settings})) as url:
        yield url


@pytest.fixture(scope="session")
def tiny_hf_cache(tmp_path_factory):
    """Each family built once and installed in the session's hub cache under its real repo ids (all but the ones
    kept missing on purpose); returns repo id -> snapshot folder."""
    from testkit.tiny_models import FAMILY_REPOS, NOT_INSTALLED, build_tiny_model, install_in_hf_cache

    cache = Path(os.environ["HF_HUB_CACHE"])
    built = tmp_path_factory.mktemp("tiny_models")
    return {repo: install_in_hf_cache(cache, repo, build_tiny_model(family, built / family))
            for family, repos in FAMILY_REPOS.items() for repo in repos if repo not in NOT_INSTALLED}


@pytest.fixture(scope="module")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup.sh dev")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p
