"""The first run of a freshly started app with several models ticked at once: the normal case for a new user.

Three Transformers families load together in their first arena run, beside the CPU engines. Their first loads
import transformers from several threads at once; before the engines took turns, one column failed with
"cannot import name 'AutoProcessor' from 'transformers'" in 4 runs of 4.
"""
from __future__ import annotations

import pytest
import yaml
from gradio_client import Client, handle_file

from tests.conftest import PHOTOTEST, ROOT
from testkit.servers import launched_app

pytestmark = pytest.mark.slow

COLD_KEYS = ["qwen_vl_2b", "qwen3_vl_2b", "got_ocr_hf", "tesseract", "rapidocr"]


@pytest.fixture(scope="module")
def fast_config(tmp_path_factory, tiny_hf_cache):
    """config.yaml as shipped, with short generations (tiny random models always run to the limit)."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for entry in raw["models"]:
        if entry["engine"] == "transformers":
            entry.setdefault("options", {})["max_new_tokens"] = 8
    path = tmp_path_factory.mktemp("cold") / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("attempt", range(2))
def test_a_fresh_app_runs_three_transformers_families_together_on_its_first_run(fast_config, attempt):
    with launched_app("--config", str(fast_config)) as url:
        outputs = Client(url, verbose=False).predict(handle_file(str(PHOTOTEST)), COLD_KEYS, "",
                                                     api_name="/run_arena")
    models = {m["key"]: m for m in outputs[0]["models"]}
    assert sorted(models) == sorted(COLD_KEYS)
    assert all(m["status"] == "ok" for m in models.values()), {k: m["message"] for k, m in models.items()}
    for key in COLD_KEYS[:3]:
        assert models[key]["output_tokens"] == 8 and models[key]["load_s"] > 0
