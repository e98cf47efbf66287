"""A tiny transformers model served by a worker on a second virtual environment, built from config pins.

This is what a remote-code model pinned to an old transformers does (got_ocr_ucas: transformers 4.37.2).
Here the second environment pins the same versions as the main one, because nothing can be downloaded
that the tests could check against; what is tested is the mechanism: `python launch.py env`'s builder,
the interpreter switch, and the engine running there. Slow: it installs torch (~2 minutes, ~1.2 GB).
"""
from __future__ import annotations

from importlib.metadata import version

import psutil
import pytest
from PIL import Image

from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.schema import ModelEntry
from backends.runtime.environments import create_environment, environment_availability
from backends.registry import availability, create_engine
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow

PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "huggingface_hub", "pillow", "pydantic",
            "pyyaml", "psutil"]


def test_a_tiny_vlm_runs_from_its_own_virtual_environment(tiny_hf_cache, tmp_path):
    entry = ModelEntry(key="qwen_own_env", name="Qwen2-VL in its own environment", engine="transformers",
                       weights="Qwen/Qwen2-VL-2B-Instruct", options={"max_new_tokens": 4},
                       environment={"path": str(tmp_path / "env"),
                                    "packages": [f"{name}=={version(name)}" for name in PACKAGES]})
    assert "python launch.py env qwen_own_env" in availability(entry).message
    create_environment(entry, log=lambda line: None)
    assert environment_availability(entry).ok and availability(entry).ok

    engine = create_engine(entry)
    engine.load()
    try:
        image = Image.open(SAMPLES / "ru_licences" / "images" / "licence_01.png")
        items = list(engine.stream(PageRequest(image)))
        output = items[-1]
        assert isinstance(output, EngineOutput) and output.output_tokens == 4
        assert "".join(i for i in items if isinstance(i, str)) == output.text
        python = str(entry.environment.python())
        assert f"({python})" in output.extra["details"]["process"]
        assert psutil.Process(engine.pid).cmdline()[0] == python
        assert output.extra["details"]["attention"].startswith("sdpa")
    finally:
        engine.unload()
