"""The tiny same-architecture models, loaded the way the product loads the real ones: by real repo id, offline,
through AutoModelForImageTextToText and load_processor (with its image-only fallback where torchvision is missing)."""
from __future__ import annotations

import hashlib
import logging
import os
import time

import pytest
from PIL import Image

from backends.engines.transformers.processors import load_processor
from tests.conftest import SAMPLES
from testkit.tiny_models import FAMILY_REPOS, NOT_INSTALLED, build_tiny_model, install_in_hf_cache

INSTALLED = [(family, repo) for family, repos in FAMILY_REPOS.items() for repo in repos if repo not in NOT_INSTALLED]
VIDEO_OWNING = {"qwen2_vl", "qwen2_5_vl", "qwen3_vl"}  # their processors need torchvision for the video part
NEW_TOKENS = 4


@pytest.fixture(scope="module")
def image():
    page = Image.open(SAMPLES / "ru_licences" / "images" / "licence_01.png").convert("RGB")
    return page.resize((page.width // 8, page.height // 8))  # 126x79: a few dozen vision patches


def model_inputs(family: str, processor, image):
    """Inputs built the way each family needs them, plus the extra generate() arguments it takes."""
    if family in ("got_ocr2",):  # no chat template: the processor writes the whole prompt around 256 image tokens
        return processor(image, return_tensors="pt"), dict(tokenizer=processor.tokenizer, stop_strings="<|im_end|>")
    if family == "florence2":  # a task token, which the processor expands to its question
        return processor(text="<OCR>", images=image, return_tensors="pt"), {}
    if family == "deepseek_ocr2":  # a plain prompt; the processor expands <image> to the global view and the tiles
        return processor(images=image, text="<image>\nFree OCR.", return_tensors="pt"), {}
    messages = [{"role": "user", "content": [{"type": "image", "image": image},
                                             {"type": "text", "text": "Read all the text in this image."}]}]
    return processor.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, return_dict=True,
                                         return_tensors="pt"), {}


def new_tokens(model, inputs, sequences):
    # Encoder-decoder (Florence-2): the output starts with the decoder start token, not the prompt.
    start = 1 if model.config.is_encoder_decoder else inputs["input_ids"].shape[1]
    return sequences[:, start:]


def test_the_hub_cache_is_the_sessions_own_and_offline(tiny_hf_cache):
    from huggingface_hub import constants

    assert os.environ["HF_HUB_OFFLINE"] == "1" and constants.HF_HUB_OFFLINE
    assert constants.HF_HUB_CACHE == os.environ["HF_HUB_CACHE"]
    for repo, snapshot in tiny_hf_cache.items():
        assert snapshot.parents[1].name == "models--" + repo.replace("/", "--")
        assert (snapshot.parents[1] / "refs" / "main").read_text() == snapshot.name
        assert str(snapshot).startswith(constants.HF_HUB_CACHE)


@pytest.mark.parametrize("family,repo", INSTALLED, ids=[repo for _, repo in INSTALLED])
def test_each_family_loads_by_repo_id_and_generates(family, repo, tiny_hf_cache, image, caplog):
    import torch
    from transformers import AutoModelForImageTextToText

    with caplog.at_level(logging.WARNING, logger="backends.engines.transformers.processors"):
        processor = load_processor(repo)
    model = AutoModelForImageTextToText.from_pretrained(repo)
    assert getattr(processor, "image_only", False) == (family in VIDEO_OWNING)
    assert ("loading it image-only" in caplog.text) == (family in VIDEO_OWNING)

    inputs, extra = model_inputs(family, processor, image)
    with torch.inference_mode():
        sequences = model.generate(**inputs, **extra, max_new_tokens=NEW_TOKENS, do_sample=False)
    generated = new_tokens(model, inputs, sequences)
    # The builder silences special tokens, so every run goes to the limit and decodes to visible text.
    assert generated.shape == (1, NEW_TOKENS)
    assert processor.batch_decode(generated, skip_special_tokens=True)[0]


@pytest.mark.parametrize("repo", ["Qwen/Qwen2-VL-2B-Instruct", "Qwen/Qwen3-VL-2B-Instruct"])
def test_max_pixels_reaches_the_image_processor_of_the_image_only_processor(repo, tiny_hf_cache, image):
    default, capped = load_processor(repo), load_processor(repo, max_pixels=64 * 64)
    assert capped.image_only and capped.image_processor.size["longest_edge"] == 64 * 64
    assert default.image_processor.size["longest_edge"] > 64 * 64
    patches = [p.image_processor(image, return_tensors="pt")["pixel_values"].shape[0] for p in (default, capped)]
    patch = capped.image_processor.patch_size
    assert patches[1] < patches[0]
    assert patches[1] * patch * patch <= 64 * 64 * capped.image_processor.temporal_patch_size


def test_processor_kwargs_reach_the_image_processor_through_auto_processor(tiny_hf_cache, image):
    # SmolVLM-256M-Instruct is an Idefics3 model: no video processor, so AutoProcessor itself loads it.
    split = load_processor("HuggingFaceTB/SmolVLM-256M-Instruct")
    whole = load_processor("HuggingFaceTB/SmolVLM-256M-Instruct", do_image_splitting=False)
    assert not getattr(whole, "image_only", False) and whole.image_processor.do_image_splitting is False
    crops = [p.image_processor(image, return_tensors="pt")["pixel_values"].shape[1] for p in (split, whole)]
    assert crops[1] == 1 < crops[0]


def test_smolvlm2_owns_a_video_processor_and_falls_back_to_image_only(tmp_path, image):
    import torch
    from transformers import AutoModelForImageTextToText

    folder = build_tiny_model("smolvlm2", tmp_path / "smolvlm2")
    processor = load_processor(str(folder))
    assert processor.image_only and type(processor).__name__ == "SmolVLMProcessor"
    model = AutoModelForImageTextToText.from_pretrained(str(folder))
    inputs, _ = model_inputs("smolvlm2", processor, image)
    with torch.inference_mode():
        sequences = model.generate(**inputs, max_new_tokens=NEW_TOKENS, do_sample=False)
    assert new_tokens(model, inputs, sequences).shape == (1, NEW_TOKENS)
    with pytest.raises(ValueError, match="torchvision"):
        processor.video_processor([])


def test_a_repo_missing_from_the_cache_fails_fast_with_oserror(tiny_hf_cache):
    from transformers import AutoModelForImageTextToText

    missing = "Qwen/Qwen3-VL-4B-Instruct"
    assert missing in NOT_INSTALLED and missing not in tiny_hf_cache
    started = time.monotonic()
    with pytest.raises(OSError):
        load_processor(missing)
    with pytest.raises(OSError):
        AutoModelForImageTextToText.from_pretrained(missing)
    assert time.monotonic() - started < 5


def test_the_saved_folder_looks_like_the_published_repo(tiny_hf_cache):
    import json

    for family, repo in INSTALLED:
        files = {p.name for p in tiny_hf_cache[repo].iterdir()}
        assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json", "preprocessor_config.json"} <= files, repo
        assert ("chat_template.jinja" in files) == (family not in ("got_ocr2", "florence2", "deepseek_ocr2")), repo
        preprocessor = json.loads((tiny_hf_cache[repo] / "preprocessor_config.json").read_text())
        assert preprocessor["processor_class"].endswith("Processor") and "image_processor_type" in preprocessor


def test_builds_are_deterministic_and_extra_vocab_adds_size(tmp_path):
    digests = [hashlib.sha256((build_tiny_model("qwen2_vl", tmp_path / name) / "model.safetensors").read_bytes())
               .hexdigest() for name in ("a", "b")]
    assert digests[0] == digests[1]
    base = (tmp_path / "a" / "model.safetensors").stat().st_size
    big = build_tiny_model("qwen2_vl", tmp_path / "big", extra_vocab=10_000) / "model.safetensors"
    # Qwen2-VL does not tie its embeddings: each extra row is in embed_tokens and lm_head, 64 float32 each.
    assert big.stat().st_size - base == pytest.approx(10_000 * 64 * 4 * 2, rel=0.01)


def test_install_in_hf_cache_makes_a_folder_loadable_by_repo_id(tmp_path, monkeypatch):
    from huggingface_hub import constants, try_to_load_from_cache

    folder = build_tiny_model("got_ocr2", tmp_path / "got")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    snapshot = install_in_hf_cache(tmp_path / "hub", "example/tiny-got", folder)
    assert try_to_load_from_cache("example/tiny-got", "config.json", cache_dir=tmp_path / "hub") == str(
        snapshot / "config.json")
    assert load_processor(str(snapshot)).tokenizer.convert_tokens_to_ids("<imgpad>") is not None
