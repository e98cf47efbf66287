"""launch.py as a user runs it: real processes, real ports, a real (temporary) Hugging Face cache.

Each CLI run gets its own environment: a temporary HF_HOME/HF_HUB_CACHE, HF_HUB_OFFLINE=1 unless a test serves
a fake Hub on localhost, and no HF_TOKEN. So the results do not depend on what the session or the machine sets.
"""
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
import yaml

from tests.conftest import ROOT, free_port
from tests.test_weights import MiB, put_in_hub_cache

CACHED_FILES = {"config.json": b'{"torch_dtype": "bfloat16"}', "model.safetensors": b"\0" * MiB}
CACHED_BYTES = sum(len(b) for b in CACHED_FILES.values())

TEST_CONFIG = """
app:
  memory_budget_mb: 2
models:
  - {key: ocr, name: Tesseract, engine: tesseract}
  - {key: cached, name: Cached, engine: transformers, weights: org/cached}
  - {key: missing, name: Missing, engine: transformers, weights: org/missing}
  - {key: served, name: Served, engine: openai, endpoint: "http://127.0.0.1:1/v1"}
  - {key: folder, name: Folder, engine: transformers, weights: /nonexistent/arena-model}
"""


def cli_env(hf_home, offline: bool = True, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    # No vLLM environment either, whatever this machine has in envs/vllm.
    env.update(HF_HOME=str(hf_home), HF_HUB_CACHE=str(hf_home / "hub"), HF_HUB_OFFLINE="1" if offline else "0",
               HF_HUB_DISABLE_TELEMETRY="1", ARENA_VLLM_ENV=str(hf_home / "no-vllm"), **extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "launch.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def hf_home(tmp_path):
    (tmp_path / "hf" / "hub").mkdir(parents=True)
    return tmp_path / "hf"


@pytest.fixture
def arena(tmp_path, hf_home):
    """A small config and a cache holding org/cached only: (config path, CLI environment, snapshot folder)."""
    config = tmp_path / "config.yaml"
    config.write_text(TEST_CONFIG)
    snapshot = put_in_hub_cache(hf_home / "hub", "org/cached", CACHED_FILES)
    return str(config), cli_env(hf_home), snapshot


def row(output: str, key: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{key} "))


def test_list_shows_every_shipped_model_with_an_honest_status(hf_home):
    result = run_cli("list", env=cli_env(hf_home))
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "tesseract").split()[:3] == ["tesseract", "tesseract", "yes"]
    assert "Run: python launch.py download qwen_vl_2b" in row(result.stdout, "qwen_vl_2b")
    assert " missing " in row(result.stdout, "qwen_vl_2b")
    assert "vLLM is not installed" in row(result.stdout, "dots_ocr")
    assert result.stdout.startswith("Memory budget: ")


def test_list_shows_downloaded_and_missing_weights_with_size_memory_and_fit(arena):
    config, env, _ = arena
    result = run_cli("--config", config, "list", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Memory budget: 2 MB: app.memory_budget_mb in the config.")
    assert out.splitlines()[3].split() == ["KEY", "ENGINE", "INSTALLED", "WEIGHTS", "MEMORY", "FITS", "STATUS"]
    on_gpu = "for the GPU" in out
    # 1 MiB of bf16 weights: 1.2 MB on a GPU, 2.4 MB in float32 on the CPU; the budget is 2 MB.
    assert row(out, "cached").split()[3:8] == ["1", "MB", "1" if on_gpu else "2", "MB", "yes" if on_gpu else "no"]
    assert row(out, "missing").split()[3:6] == ["missing", "?", "?"]
    assert row(out, "missing").endswith("Run: python launch.py download missing")
    assert row(out, "ocr").split()[3:6] == ["—", "—", "—"]
    assert row(out, "served").split()[3:6] == ["—", "—", "—"]
    assert "weights folder not found: /nonexistent/arena-model" in row(out, "folder") or \
        "/nonexistent/arena-model" in row(out, "folder")
    header, first = out.splitlines()[3:5]
    assert header.index("STATUS") == first.index("ready")  # aligned columns


def test_list_json_parses_with_the_same_figures(arena):
    config, env, snapshot = arena
    result = run_cli("--config", config, "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["memory_budget_mb"] == 2 and report["budget_source"] == "app.memory_budget_mb in the config"
    models = {m["key"]: m for m in report["models"]}
    assert list(models) == ["ocr", "cached", "missing", "served", "folder"]
    cached = models["cached"]
    assert cached["weights_state"] == "downloaded" and cached["size_bytes"] == CACHED_BYTES
    assert cached["weights_path"] == str(snapshot)
    assert cached["expected_memory_mb"] == pytest.approx(1.2 if report["device"] == "gpu" else 2.4, abs=1e-3)
    assert cached["fits_budget"] is (report["device"] == "gpu")
    assert models["missing"]["weights_state"] == "missing" and models["missing"]["expected_memory_mb"] is None
    assert models["missing"]["commands"] == ["python launch.py download missing"]
    assert models["ocr"]["weights_state"] is None and models["ocr"]["fits_budget"] is None
    assert all(isinstance(m["engine_installed"], bool) for m in models.values())


def test_list_does_not_import_torch(hf_home):
    probe = ("import runpy, sys\n"
             "sys.argv = ['launch.py', 'list']\n"
             "try:\n    runpy.run_path('launch.py', run_name='__main__')\n"
             "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
             "print('HEAVY', [m for m in ('torch', 'transformers', 'vllm') if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=cli_env(hf_home))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "HEAVY []"


def test_invalid_config_names_the_entry_and_field(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("models:\n  - key: broken\n    name: Broken\n    engine: tesseract\n    options: {psm: many}\n")
    result = run_cli("--config", str(bad), "list")
    assert result.returncode == 2
    assert "models[0] (key 'broken').options.psm" in result.stderr


def test_download_of_unknown_key_lists_the_known_ones(arena):
    config, env, _ = arena
    result = run_cli("--config", config, "download", "no_such_model", env=env)
    assert result.returncode == 1
    assert "no_such_model: no such model in the config. Known keys: ocr, cached, missing, served, folder" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_download_needs_a_key_or_all(arena):
    config, env, _ = arena
    result = run_cli("--config", config, "download", env=env)
    assert result.returncode == 2 and "name one or more model keys, or --all" in result.stderr


def test_download_says_when_there_is_nothing_to_download(arena):
    config, env, _ = arena
    for key, why in [("ocr", "the tesseract engine needs no model weights"),
                     ("served", "the openai engine is served from its endpoint"),
                     ("folder", "its weights are a local folder, /nonexistent/arena-model (it does not exist")]:
        result = run_cli("--config", config, "download", key, env=env)
        assert result.returncode == 1, key
        assert f"{key}: nothing to download: {why}" in result.stderr
        assert "Traceback" not in result.stderr


def test_download_offline_with_the_snapshot_cached(arena):
    config, env, snapshot = arena
    result = run_cli("--config", config, "download", "cached", env=env)
    assert result.returncode == 0, result.stderr
    assert "offline (HF_HUB_OFFLINE=1 is set)" in result.stdout
    assert f"already in the cache: {snapshot} (1.0 MB" in result.stdout or f"already in the cache: {snapshot} (1 MB" \
        in result.stdout


def test_download_offline_without_the_snapshot(arena):
    config, env, _ = arena
    result = run_cli("--config", config, "download", "missing", env=env)
    assert result.returncode == 1
    assert "missing: offline (HF_HUB_OFFLINE=1 is set), and it is not in the cache" in result.stderr
    assert "org/missing (revision main)" in result.stderr and "Traceback" not in result.stderr


def test_download_all_takes_every_hub_model_only(arena):
    config, env, _ = arena
    result = run_cli("--config", config, "download", "--all", env=env)
    assert result.returncode == 1  # org/missing cannot be fetched offline
    assert "cached: offline" in result.stdout and "missing: offline" in result.stderr
    assert not any(f"{key}:" in result.stdout + result.stderr for key in ("ocr", "served", "folder"))


def test_download_cannot_reach_the_hub(arena):
    config, env, _ = arena
    env.update(HF_HUB_OFFLINE="0", HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    result = run_cli("--config", config, "download", "missing", env=env)
    assert result.returncode == 1
    assert "missing: could not reach the Hub at http://127.0.0.1:" in result.stderr
    assert "org/missing (revision main) is not in the cache" in result.stderr and "Traceback" not in result.stderr


# ---- against a fake Hub on localhost: the download itself, and the Hub's refusals ----

FAKE_COMMIT = "89abcdef0123456789abcdef0123456789abcdef"
FAKE_FILES = {"config.json": b'{"torch_dtype": "float32"}', "model.safetensors": b"\7" * 5000}


class FakeHub(BaseHTTPRequestHandler):
    """Just enough of the Hub's API for snapshot_download: repo info, tree listing, file resolve."""

    requests: list[str] = []

    def log_message(self, *args):
        pass

    def reply(self, code: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = urlparse(self.path).path
        self.requests.append(f"{self.command} {path}")
        if path.startswith("/api/models/org/gated/"):
            return self.reply(401, b"{}", X_Error_Code="GatedRepo", X_Error_Message="Access is restricted.")
        if path.startswith("/api/models/org/tiny/revision/"):
            if path.rsplit("/", 1)[1] not in ("main", FAKE_COMMIT):
                return self.reply(404, b"{}", X_Error_Code="RevisionNotFound")
            info = {"id": "org/tiny", "sha": FAKE_COMMIT, "siblings": [{"rfilename": f} for f in FAKE_FILES]}
            return self.reply(200, json.dumps(info).encode(), Content_Type="application/json")
        if path.startswith("/api/models/org/tiny/tree/"):
            tree = [{"type": "file", "path": f, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                    for f, b in FAKE_FILES.items()]
            return self.reply(200, json.dumps(tree).encode(), Content_Type="application/json")
        if path.startswith("/org/tiny/resolve/"):
            data = FAKE_FILES[path.split("/", 5)[5]]
            return self.reply(200, data, X_Repo_Commit=FAKE_COMMIT, ETag=f'"{hashlib.sha256(data).hexdigest()}"')
        if path.startswith("/api/models/"):
            return self.reply(404, b"{}", X_Error_Code="RepoNotFound")
        return self.reply(404, b"{}")

    do_HEAD = do_GET


@pytest.fixture
def fake_hub(tmp_path, hf_home):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeHub.requests = []
    config = tmp_path / "hub-config.yaml"
    env_folder = tmp_path / "no-env-yet"
    config.write_text(f"""
models:
  - {{key: tiny, name: Tiny, engine: transformers, weights: org/tiny}}
  - {{key: pinned, name: Pinned, engine: transformers, weights: org/tiny, revision: {FAKE_COMMIT},
     trust_remote_code: true, environment: {{path: {env_folder}, packages: [transformers]}}}}
  - {{key: gated, name: Gated, engine: transformers, weights: org/gated}}
  - {{key: absent, name: Absent, engine: transformers, weights: org/absent}}
  - {{key: bad_revision, name: Bad, engine: transformers, weights: org/tiny, revision: v9}}
""")
    env = cli_env(hf_home, offline=False, HF_ENDPOINT=f"http://127.0.0.1:{server.server_address[1]}")
    yield str(config), env, hf_home / "hub"
    server.shutdown()
    server.server_close()


def test_download_fetches_the_snapshot_into_the_cache(fake_hub):
    config, env, cache = fake_hub
    result = run_cli("--config", config, "download", "tiny", env=env)
    assert result.returncode == 0, result.stderr
    snapshot = cache / "models--org--tiny" / "snapshots" / FAKE_COMMIT
    assert {p.name: p.read_bytes() for p in snapshot.iterdir()} == FAKE_FILES
    assert f"tiny: ready in {snapshot} (5 KB on disk)." in result.stdout
    assert (cache / "models--org--tiny" / "refs" / "main").read_text() == FAKE_COMMIT
    listed = json.loads(run_cli("--config", config, "list", "--json", env=env).stdout)["models"][0]
    assert listed["weights_state"] == "downloaded" and listed["size_bytes"] == sum(map(len, FAKE_FILES.values()))

    again = run_cli("--config", config, "download", "tiny", env=env)  # finished files are not fetched twice
    assert again.returncode == 0, again.stderr
    assert sum(r.startswith("GET /org/tiny/resolve/") for r in FakeHub.requests) == len(FAKE_FILES)


def test_download_honours_a_pinned_revision_and_points_at_the_env_command(fake_hub):
    config, env, cache = fake_hub
    result = run_cli("--config", config, "download", "pinned", env=env)
    assert result.returncode == 0, result.stderr
    assert f"revision {FAKE_COMMIT}" in result.stdout
    assert not any("/revision/" in r for r in FakeHub.requests)  # a commit hash needs no resolving
    assert "Run: python launch.py env pinned" in result.stdout


def test_download_explains_the_hubs_refusals(fake_hub):
    config, env, _ = fake_hub
    expected = {
        "gated": ["org/gated (revision main) is a gated repository", "hf auth login", "HF_TOKEN"],
        "absent": ["org/absent (revision main) was not found on the Hub", "hf auth login"],
        "bad_revision": ["revision 'v9' does not exist in org/tiny"],
    }
    for key, phrases in expected.items():
        result = run_cli("--config", config, "download", key, env=env)
        assert result.returncode == 1, key
        assert all(p in result.stderr for p in phrases), result.stderr
        assert "Traceback" not in result.stderr


def test_env_for_a_model_without_an_environment(arena):
    config, env, _ = arena
    result = run_cli("--config", config, "env", "cached", env=env)
    assert result.returncode == 1
    assert "cached: this model has no `environment` in the config" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = run_cli("--config", config, "env", "nope", env=env)
    assert unknown.returncode == 1 and "nope: no such model in the config" in unknown.stderr


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


def test_serve_command_prints_the_server_line_and_a_working_client_entry(hf_home):
    result = run_cli("serve-command", "dots_ocr", "--url", "http://gpu-7:8000/v1", env=cli_env(hf_home))
    assert result.returncode == 0, result.stderr
    command, entry_text = result.stdout.split("# In this arena's config.yaml, under models:\n")
    assert "vllm serve rednote-hilab/dots.ocr --host 0.0.0.0 --port 8000 --gpu-memory-utilization 0.3" in command
    assert "--trust-remote-code" in command
    # The printed entry is valid config and shapes requests as the managed entry does.
    from backends.config import parse_config

    remote = parse_config({"models": yaml.safe_load(entry_text)}).get("dots_ocr_remote")
    assert remote.engine == "openai" and remote.endpoint == "http://gpu-7:8000/v1"
    assert remote.options["model"] == "rednote-hilab/dots.ocr"
    assert remote.options["prompt_prefix"] == "<|img|><|imgpad|><|endofimg|>"
    assert remote.options["temperature"] == 0.1 and remote.tasks == ["ocr", "layout"]


def test_serve_command_refuses_a_model_that_is_not_on_vllm(hf_home):
    result = run_cli("serve-command", "tesseract", env=cli_env(hf_home))
    assert result.returncode == 1 and "not a vLLM model" in result.stderr and "dots_ocr" in result.stderr
