import pytest
import yaml

from backends.config import ConfigError, load_config, parse_config
from tests.conftest import ROOT

SEED_MODELS = {
    "qwen_vl_2b": "Qwen/Qwen2-VL-2B-Instruct",
    "qwen3_vl_2b": "Qwen/Qwen3-VL-2B-Instruct",
    "qwen3_vl_4b": "Qwen/Qwen3-VL-4B-Instruct",
    "got_ocr_hf": "stepfun-ai/GOT-OCR-2.0-hf",
    "got_ocr_ucas": "ucaslcl/GOT-OCR2_0",
    "phi3_vision": "microsoft/Phi-3-vision-128k-instruct",
    "dots_ocr": "rednote-hilab/dots.ocr",
    "deepseek_ocr": "deepseek-ai/DeepSeek-OCR",
}


def shipped_raw() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_shipped_config_has_the_whole_lineup(config):
    weights = {m.key: m.weights for m in config.models}
    assert {k: weights.get(k) for k in SEED_MODELS} == SEED_MODELS
    assert {m.engine for m in config.models if m.key in ("tesseract", "rapidocr")} == {"tesseract", "rapidocr"}
    assert config.app.default_models == ["tesseract", "rapidocr"]


def test_unknown_engine_is_reported_by_key_and_field():
    raw = shipped_raw()
    index = next(i for i, m in enumerate(raw["models"]) if m["key"] == "dots_ocr")
    raw["models"][index]["engine"] = "vlm"
    with pytest.raises(ConfigError) as err:
        parse_config(raw, source="config.yaml")
    message = str(err.value)
    assert f"models[{index}] (key 'dots_ocr').engine" in message
    assert "config.yaml" in message


def test_missing_name_and_bad_timeout_are_both_reported():
    raw = {"models": [{"key": "a", "engine": "tesseract", "timeout_s": -1}]}
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    message = str(err.value)
    assert "models[0] (key 'a').name" in message
    assert "models[0] (key 'a').timeout_s" in message


def test_engine_options_are_validated_by_the_engine():
    raw = {"models": [{"key": "t", "name": "T", "engine": "tesseract", "options": {"psm": "abc"}}]}
    with pytest.raises(ConfigError, match=r"models\[0\] \(key 't'\)\.options\.psm"):
        parse_config(raw)


def test_remote_code_needs_a_pinned_revision():
    raw = {"models": [{"key": "r", "name": "R", "engine": "vllm", "weights": "x/y", "trust_remote_code": True}]}
    with pytest.raises(ConfigError, match="revision"):
        parse_config(raw)


def test_duplicate_keys_and_unknown_defaults_are_rejected():
    entry = {"key": "t", "name": "T", "engine": "tesseract"}
    with pytest.raises(ConfigError, match="duplicate model key 't'"):
        parse_config({"models": [entry, entry]})
    with pytest.raises(ConfigError, match="unknown models: nope"):
        parse_config({"app": {"default_models": ["nope"]}, "models": [entry]})


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(bad)
