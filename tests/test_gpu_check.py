"""scripts/gpu_check.py, the GPU acceptance check, run end to end on the CPU: every step runs, the CUDA-only rows
are skipped rather than failed, and it exits 0. Also: what it needs on the GPU machine travels with it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "gpu_check.py"
NO_CUDA = "skipped (no CUDA)"


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_check") / "table.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}  # it makes its own offline cache
    proc = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--json", str(out), "--deadline-s", "300"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=360)
    table = json.loads(out.read_text()) if out.exists() else None
    return proc, table


@pytest.mark.slow
def test_the_gpu_check_runs_end_to_end_on_the_cpu_and_passes(cpu_run):
    proc, table = cpu_run
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    rows = {row["check"]: row for row in table["rows"]}
    assert not [row for row in table["rows"] if row["status"] == "FAIL"]
    # The table is the last thing printed, with its header and tally.
    assert "GPU check of the Transformers engine and the model pool" in proc.stdout
    assert "torch " in proc.stdout and "transformers " in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-2].endswith("skipped") and " 0 failed" in proc.stdout

    built = [name for name, row in rows.items() if name.startswith("build ") and row["status"] == "PASS"]
    assert len(built) >= 3 and rows["at least 3 families built"]["status"] == "PASS"
    assert rows["device and dtype"]["figures"].startswith("cpu · float32")
    assert any(name.startswith("attention (got_ocr2)") and "eager" in row["figures"] for name, row in rows.items())
    assert rows["weights (parameters in RAM) (qwen2_vl)"]["status"] == "PASS"

    side_by_side = [name for name in rows if name.startswith("side by side: ")]
    assert len(side_by_side) >= 3 and all("tok/s" in rows[name]["figures"] for name in side_by_side)
    loaded_at_once = next(row for name, row in rows.items() if "models loaded at once" in name)
    assert loaded_at_once["status"] == "PASS"
    assert len([name for name in rows if name.startswith("unload ")]) == len(built)

    for check in ("worker (isolate: true): load and run", "worker SIGKILL: the process is gone",
                  "worker: the next request restarts it", "worker: unload ends its process",
                  "imports: nothing the GPU machine lacks"):
        assert rows[check]["status"] == "PASS", rows[check]
    assert "the previous worker process had died" in rows["worker: the next request restarts it"]["figures"]
    assert "RSS (worker process) (isolated)" in rows


@pytest.mark.slow
def test_the_cuda_only_rows_are_skipped_not_failed_on_the_cpu(cpu_run):
    _, table = cpu_run
    skipped = [row for row in table["rows"] if row["status"] == "SKIP"]
    cuda_rows = [row for row in table["rows"] if row["check"].startswith(("CUDA ", "NVML"))]
    assert cuda_rows and all(row["status"] == "SKIP" and row["figures"] == NO_CUDA for row in cuda_rows)
    assert {row["check"] for row in cuda_rows} <= {row["check"] for row in skipped}


def test_the_wheels_for_the_gpu_machine_are_small_and_complete():
    """.whl/ (ignored by git) carries pydantic for the GPU machine's Python 3.12. Where it is present (it is not
    in a fresh clone), it holds one version of each of pydantic's needs, and stays far under 64 MiB."""
    wheels = sorted((ROOT / ".whl").glob("*.whl"))
    if not wheels:
        pytest.skip(".whl/ is not here (scripts/gpu_check.sh says how to download the wheels)")
    names = {w.name.split("-")[0].lower().replace("_", "-"): w for w in wheels}
    assert len(names) == len(wheels), "two versions of one package stop the whole install"
    assert {"pydantic", "pydantic-core", "annotated-types", "typing-inspection", "typing-extensions"} <= set(names)
    assert "cp312" in names["pydantic-core"].name
    assert sum(w.stat().st_size for w in wheels) < 64 * 2**20
    for wheel in wheels:  # each one is a real wheel, with its metadata
        with zipfile.ZipFile(wheel) as archive:
            assert any(n.endswith(".dist-info/METADATA") for n in archive.namelist())


def test_the_entry_script_installs_the_carried_wheels_only_when_pydantic_is_missing():
    text = (ROOT / "scripts" / "gpu_check.sh").read_text()
    assert os.access(ROOT / "scripts" / "gpu_check.sh", os.X_OK)
    assert 'import pydantic' in text and "--no-index --no-deps" in text and ".whl/*.whl" in text
    assert "HF_HUB_OFFLINE=1" in text and "scripts/gpu_check.py --device cuda" in text
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "gpu_check.sh")]).returncode == 0


@pytest.mark.slow
def test_the_check_refuses_cuda_where_there_is_none(tmp_path):
    """--device cuda (what gpu_check.sh passes) on a machine without a GPU fails loudly instead of passing on CPU."""
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = tmp_path / "table.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--device", "cuda", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    rows = json.loads(out.read_text())["rows"]
    assert rows[0]["check"] == "CUDA available to torch" and rows[0]["status"] == "FAIL"


# ----- the CUDA branches, fed with figures as a GPU gives them (no GPU needed): they must judge, never crash -----
@pytest.fixture()
def steps(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import gpu_check
    import gpu_check_pool

    monkeypatch.setattr(gpu_check_pool.Setup, "expected_dtype", lambda self: "bfloat16")
    mb = 2**20
    setup = gpu_check_pool.Setup("cuda", {"qwen2_vl": ("Qwen/Qwen2-VL-2B-Instruct", 200 * mb),
                                          "got_ocr2": ("stepfun-ai/GOT-OCR-2.0-hf", 100 * mb)}, 8)
    return gpu_check.Report(), gpu_check_pool, setup


def ok_result(key: str, memory_mb: dict, details: dict | None = None):
    from backends.contracts.results import Status
    from backends.contracts.results import Metrics, ModelResult

    metrics = Metrics(load_s=0.2, latency_s=0.5, output_tokens=8, tokens_per_s=16.0, memory_mb=memory_mb)
    return ModelResult(key, key, Status.OK, text="x", metrics=metrics, details=details or {})


def test_cuda_memory_figures_are_judged_against_the_models_own_weights(steps):
    report, pool_steps, setup = steps
    from backends.runtime import memory

    good = {memory.CUDA_WEIGHTS: 100.4, memory.CUDA_PEAK_ALLOCATED: 130.0, memory.CUDA_PEAK_RESERVED: 150.0,
            memory.NVML_PROCESS: 700.0, memory.APP_SHARED: 900.0}
    pool_steps.check_memory(report, setup, "qwen2_vl", good)  # 200 MB of fp32 files: 100 MB in bf16
    assert [r.status for r in report.rows[:3]] == ["PASS"] * 3
    assert report.rows[3].check.startswith(memory.NVML_PROCESS)  # PASS, or SKIP where NVML lists no processes

    report.rows.clear()
    pool_steps.check_weights_own(report, setup, ["qwen2_vl", "got_ocr2"], {
        "qwen2_vl": ok_result("qwen2_vl", good),
        "got_ocr2": ok_result("got_ocr2", {**good, memory.CUDA_WEIGHTS: 150.6}),  # its 50 MB plus qwen2_vl's
    })
    assert report.rows[0].status == "FAIL" and "not its own: got_ocr2" in report.rows[0].figures


def test_cuda_unload_and_worker_steps_run_through_with_a_stand_in_pool(steps):
    report, pool_steps, setup = steps
    import gpu_check_worker
    from backends.contracts.results import UnloadReport

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    runs = iter([sleeper.pid, sleeper.pid + 100_000])

    class StandInPool:
        def loaded_keys(self):
            return ["qwen2_vl"]

        def unload(self, key):
            app = "CUDA allocated (app process)"
            return UnloadReport(key, True, {app: 120.0, "RSS (worker process)": 500.0}, {app: 20.0})

        def run(self, key, request):
            pid = next(runs)
            details = {"process": f"worker pid {pid}, Python 3.12.3 (python3)"}
            if pid != sleeper.pid:
                details["restarted"] = "the previous worker process had died"
                sleeper.wait()  # as the pool's healthy() check does
            yield ok_result(key, {}, details)

    pool_steps.check_unload(report, StandInPool(), setup)
    gpu_check_worker.check_worker(report, StandInPool(), setup, pool_steps.make_request())
    rows = {r.check: r for r in report.rows}
    assert rows["unload qwen2_vl (UnloadReport)"].status == "PASS"
    assert sleeper.returncode == -9  # it really was SIGKILLed
    assert rows["worker: the next request restarts it"].status == "PASS"
    assert "worker SIGKILL: its GPU memory comes back" in rows and "worker: unload ends its process" in rows
