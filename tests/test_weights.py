"""Weights on disk: found in the Hugging Face cache under the real repo id, or reported with the fix."""
from backends.weights import local_weights_dir, weights_availability

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def put_in_hub_cache(cache, repo_id: str):
    """The layout huggingface_hub writes: models--org--name/snapshots/<commit>/ and refs/main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    return snapshot


def test_missing_weights_name_the_download_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    status = weights_availability("qwen_vl_2b", "Qwen/Qwen2-VL-2B-Instruct")
    assert not status.ok
    assert "weights not downloaded (Qwen/Qwen2-VL-2B-Instruct)" in status.reason
    assert status.hint == "Run: python launch.py download qwen_vl_2b"


def test_cached_weights_are_found_under_the_real_repo_id(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    snapshot = put_in_hub_cache(tmp_path, "Qwen/Qwen2-VL-2B-Instruct")
    assert local_weights_dir("Qwen/Qwen2-VL-2B-Instruct") == snapshot
    assert weights_availability("qwen_vl_2b", "Qwen/Qwen2-VL-2B-Instruct").ok


def test_a_local_folder_counts_as_weights(tmp_path):
    assert local_weights_dir(str(tmp_path)) == tmp_path
    assert not weights_availability("x", str(tmp_path / "absent")).ok
    assert not weights_availability("x", None).ok
