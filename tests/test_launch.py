"""launch.py as a user runs it: real processes, real ports."""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT, free_port


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "launch.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_list_shows_every_model_with_an_honest_status():
    result = run_cli("list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("tesseract ") and " ready " in line for line in lines)
    assert any(line.startswith("dots_ocr ") and "not ready" in line for line in lines)
    assert "engine not installed" in result.stdout


def test_invalid_config_names_the_entry_and_field(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("models:\n  - key: broken\n    name: Broken\n    engine: tesseract\n    options: {psm: many}\n")
    result = run_cli("--config", str(bad), "list")
    assert result.returncode == 2
    assert "models[0] (key 'broken').options.psm" in result.stderr


def test_download_of_unknown_key_fails_clearly():
    result = run_cli("download", "no_such_model")
    assert result.returncode == 1
    assert "no_such_model: no such model in the config" in result.stderr


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.mark.slow
def test_share_without_internet_says_so_and_keeps_serving_locally():
    port = free_port()
    process = subprocess.Popen([sys.executable, "launch.py", "--port", str(port), "--share"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/", process) == 200
        time.sleep(1)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "anyone who gets the link can use this machine" in err  # no --auth given
    assert "No share link" in err and f"keeps serving locally at http://127.0.0.1:{port}" in err
    assert "Missing file" not in out + err  # Gradio's misleading frpc message is not shown


@pytest.mark.slow
def test_auth_protects_the_app():
    port = free_port()
    process = subprocess.Popen([sys.executable, "launch.py", "--port", str(port)], cwd=ROOT,
                               env={**os.environ, "ARENA_AUTH": "reviewer:s3cret"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5)
        from gradio_client import Client

        with pytest.raises(Exception):
            Client(f"http://127.0.0.1:{port}/", verbose=False)
        client = Client(f"http://127.0.0.1:{port}/", auth=("reviewer", "s3cret"), verbose=False)
        assert "/run_arena" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    finally:
        process.terminate()
        process.communicate(timeout=30)
