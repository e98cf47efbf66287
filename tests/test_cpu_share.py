"""Models that compute on the CPU cores: on a machine without a GPU, Transformers models run in worker processes,
and models running at once split the cores instead of each taking all of them."""
from __future__ import annotations

import os
import sys

import pytest
import yaml
from PIL import Image

from backends import registry
from backends.config import parse_config
from backends.contracts.results import ModelResult, Status
from backends.pool import ModelPool
from backends.pool.cpu_share import CpuShare
from backends.runtime.worker.process import child_environment
from tests.conftest import ROOT, SAMPLES

TINY = ("qwen_vl_2b", "qwen25_vl_3b", "qwen3_vl_2b")


def tiny_config(isolate=None):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["models"] = [m for m in raw["models"] if m["key"] in TINY + ("tesseract",)]
    raw["app"]["default_models"] = ["tesseract"]
    for entry in raw["models"]:
        if entry["key"] in TINY:
            entry["options"] = {"max_new_tokens": 4, "repetition_window": 0}
            if isolate is not None:
                entry["isolate"] = isolate
    return parse_config(raw)


def test_cores_are_split_between_the_runs_claimed_and_come_back_when_they_end():
    share = CpuShare(cores=4)
    assert share.threads() == 4
    share.claim(3)
    assert share.threads() == 1  # 4 // 3
    share.release()
    assert share.threads() == 2
    share.release(), share.release(), share.release()  # one release too many does not go below zero
    assert share.threads() == 4


def test_without_a_gpu_transformers_models_run_in_workers_unless_the_entry_says_otherwise():
    auto, pinned_in = tiny_config().get("qwen_vl_2b"), tiny_config(isolate=False).get("qwen_vl_2b")
    assert registry.runs_in_worker(auto, on_gpu=False) and registry.shares_cpu_cores(auto, on_gpu=False)
    assert not registry.runs_in_worker(auto, on_gpu=True) and not registry.shares_cpu_cores(auto, on_gpu=True)
    assert not registry.runs_in_worker(pinned_in, on_gpu=False)
    tesseract = tiny_config().get("tesseract")
    assert not registry.runs_in_worker(tesseract, on_gpu=False) and not registry.shares_cpu_cores(tesseract, False)


def test_a_workers_environment_defaults_never_override_what_the_user_set(monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert child_environment(sys.executable, False, {"OMP_WAIT_POLICY": "PASSIVE"})["OMP_WAIT_POLICY"] == "ACTIVE"
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert child_environment(sys.executable, False, {"OMP_WAIT_POLICY": "PASSIVE"})["OMP_WAIT_POLICY"] == "PASSIVE"


class RecordingShare(CpuShare):
    """Records the claims outstanding and the threads given at each run's start."""

    def __init__(self, cores: int):
        super().__init__(cores)
        self.seen: list[tuple[int, int]] = []

    def threads(self) -> int:
        threads = super().threads()
        self.seen.append((self._claims, threads))
        return threads


@pytest.mark.slow
def test_three_models_side_by_side_each_run_in_a_worker_on_their_share_of_the_cores(tiny_hf_cache):
    """Cold, the normal case: three tiny models ticked at once on a pool that sees two cores."""
    image = Image.open(SAMPLES / "ru_licences" / "images" / "licence_03.png").convert("RGB")
    from backends.contracts.requests import PageRequest

    share = RecordingShare(cores=2)
    pool = ModelPool(tiny_config(), on_gpu=False, cpu_share=share)
    try:
        results = {key: event for key, event in pool.run_many(TINY, PageRequest(image))
                   if isinstance(event, ModelResult)}
        assert all(r.status == Status.OK for r in results.values()), {k: r.message for k, r in results.items()}
        pids = {pool._slots[key].engine.pid for key in TINY}
        assert len(pids) == 3 and os.getpid() not in pids  # a process each, none of them the app's
        # The first model to start already sees all three claims (2 cores // 3 models); a model that starts after
        # the others have finished may take the cores they gave back, so each share follows the claims at its start.
        side_by_side = list(share.seen)
        assert len(side_by_side) == 3 and side_by_side[0] == (3, 1)
        assert sorted(r.details["CPU threads"] for r in results.values()) == sorted(str(t) for _, t in side_by_side)
        assert all(threads == max(1, 2 // claims) for claims, threads in side_by_side)
        alone = [e for e in pool.run("qwen_vl_2b", PageRequest(image)) if isinstance(e, ModelResult)][0]
        assert alone.details["CPU threads"] == "2" and pool.cpu_share.threads() == 2  # every claim came back
    finally:
        pool.close()
