"""Weights on disk: found in the Hugging Face cache under the real repo id, sized, and turned into a memory estimate.

Every test points huggingface_hub at its own temporary cache, whatever the session's HF_HUB_CACHE is.
"""
import json
import os

import pytest

from backends.contracts.schema import ModelEntry
from backends.registry import expected_memory_mb
from backends.runtime.weights import local_weights_dir, weight_files, weights_availability, weights_size_bytes

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
MiB = 2**20


def put_in_hub_cache(cache, repo_id: str, files: dict[str, bytes] | None = None, commit: str = COMMIT,
                     ref: str | None = "main"):
    """The layout huggingface_hub writes: blobs/<hash>, snapshots/<commit>/<name> -> ../../blobs/<hash>, refs/main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir(exist_ok=True)
    for name, data in (files if files is not None else {"config.json": b"{}"}).items():
        blob = repo / "blobs" / f"{abs(hash(data)):x}{len(data)}"
        blob.write_bytes(data)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    if ref:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
    return snapshot


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    return cache


def entry(weights="org/model", **fields) -> ModelEntry:
    return ModelEntry(key="m", name="M", engine=fields.pop("engine", "transformers"), weights=weights, **fields)


def model_files(dtype_field: dict, weights: int = 10 * MiB, **extra: bytes) -> dict[str, bytes]:
    return {"config.json": json.dumps(dtype_field).encode(), "model.safetensors": b"\0" * weights, **extra}


def test_missing_weights_name_the_download_command(hub_cache):
    status = weights_availability("qwen_vl_2b", "Qwen/Qwen2-VL-2B-Instruct")
    assert not status.ok
    assert "weights not downloaded (Qwen/Qwen2-VL-2B-Instruct)" in status.reason
    assert status.hint == "Run: python launch.py download qwen_vl_2b"


def test_cached_weights_are_found_under_the_real_repo_id(hub_cache):
    snapshot = put_in_hub_cache(hub_cache, "Qwen/Qwen2-VL-2B-Instruct")
    assert local_weights_dir("Qwen/Qwen2-VL-2B-Instruct") == snapshot
    assert weights_availability("qwen_vl_2b", "Qwen/Qwen2-VL-2B-Instruct").ok


def test_a_local_folder_counts_as_weights(tmp_path):
    assert local_weights_dir(str(tmp_path)) == tmp_path
    assert not weights_availability("x", str(tmp_path / "absent")).ok
    assert not weights_availability("x", None).ok


def test_size_on_disk_follows_the_snapshot_links_and_counts_each_blob_once(hub_cache):
    shared = b"x" * 3000
    put_in_hub_cache(hub_cache, "org/model", {"config.json": b"{}" * 50, "model.safetensors": shared,
                                              "sub/copy.safetensors": shared})  # same content: one blob
    assert weights_size_bytes("org/model") == 100 + 3000
    assert weights_size_bytes("org/absent") is None


def test_size_honours_a_pinned_revision(hub_cache):
    put_in_hub_cache(hub_cache, "org/model", {"config.json": b"{}", "a.bin": b"1" * 10})
    put_in_hub_cache(hub_cache, "org/model", {"config.json": b"{}", "a.bin": b"2" * 20}, commit=OTHER_COMMIT,
                     ref=None)
    assert weights_size_bytes("org/model") == 12  # refs/main
    assert weights_size_bytes("org/model", OTHER_COMMIT) == 22
    assert weights_size_bytes("org/model", "f" * 40) is None


def test_size_of_a_local_folder(tmp_path):
    (tmp_path / "config.json").write_bytes(b"{}")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "model.safetensors").write_bytes(b"\0" * 500)
    assert weights_size_bytes(str(tmp_path)) == 502


def test_bf16_weights_double_in_float32_on_cpu(hub_cache):
    put_in_hub_cache(hub_cache, "org/model", model_files({"torch_dtype": "bfloat16"}))
    assert expected_memory_mb(entry(), on_gpu=True) == pytest.approx(10 * 1.2)
    assert expected_memory_mb(entry(), on_gpu=False) == pytest.approx(10 * 2 * 1.2)
    assert expected_memory_mb(entry(options={"dtype": "bfloat16"}), on_gpu=False) == pytest.approx(10 * 1.2)
    assert expected_memory_mb(entry(options={"dtype": "float32"}), on_gpu=True) == pytest.approx(10 * 2 * 1.2)
    assert expected_memory_mb(entry(options={"device": "cpu"}), on_gpu=True) == pytest.approx(10 * 2 * 1.2)


def test_fp32_weights_halve_on_a_gpu(hub_cache):
    put_in_hub_cache(hub_cache, "org/model", model_files({"dtype": "float32"}))
    assert expected_memory_mb(entry(), on_gpu=True) == pytest.approx(5 * 1.2)
    assert expected_memory_mb(entry(), on_gpu=False) == pytest.approx(10 * 1.2)


def test_stored_dtype_is_read_from_a_nested_text_config(hub_cache):
    put_in_hub_cache(hub_cache, "org/model", model_files({"text_config": {"torch_dtype": "float32"}}))
    assert expected_memory_mb(entry(), on_gpu=True) == pytest.approx(5 * 1.2)


def test_unknown_stored_dtype_is_taken_as_16_bit(hub_cache):
    put_in_hub_cache(hub_cache, "org/model", model_files({}))
    assert expected_memory_mb(entry(), on_gpu=False) == pytest.approx(10 * 2 * 1.2)


def test_only_one_copy_of_the_checkpoint_counts(hub_cache):
    snapshot = put_in_hub_cache(hub_cache, "org/model", model_files(
        {"torch_dtype": "bfloat16"}, **{"pytorch_model.bin": b"\1" * 10 * MiB, "training_args.bin": b"\2" * 99,
                                        "onnx/model.onnx": b"\3" * MiB}))
    assert [f.name for f in weight_files(snapshot)] == ["model.safetensors"]
    assert expected_memory_mb(entry(), on_gpu=True) == pytest.approx(10 * 1.2)


def test_memory_mb_in_the_config_wins_and_unknowns_stay_unknown(hub_cache):
    put_in_hub_cache(hub_cache, "org/model", model_files({"torch_dtype": "bfloat16"}))
    assert expected_memory_mb(entry(memory_mb=1234), on_gpu=False) == 1234
    assert expected_memory_mb(entry("org/absent"), on_gpu=False) is None  # not downloaded
    assert expected_memory_mb(ModelEntry(key="t", name="T", engine="tesseract"), on_gpu=False) is None
    assert expected_memory_mb(entry(engine="rapidocr"), on_gpu=False) is None
