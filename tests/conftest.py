"""Shared fixtures: the shipped config, the bundled samples, and the app served in-process."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from backends.config import load_config
from backends.pool import ModelPool

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
PHOTOTEST = SAMPLES / "en_printed_pages" / "images" / "tesseract_phototest.tif"
PHOTOTEST_GT = SAMPLES / "en_printed_pages" / "gt" / "tesseract_phototest.gt.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def config():
    return load_config(ROOT / "config.yaml")


@pytest.fixture(scope="session")
def served_app(config):
    """The real app on the shipped config, served on a free local port; yields its URL."""
    from ui.app import build_app

    pool = ModelPool(config)
    app = build_app(pool)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()
    pool.close()
