"""`transformers serve` that also starts on a machine without torchvision.

`transformers serve` builds each model's processor with `AutoProcessor`, which fails for the VLMs whose processor
owns a video processor (Qwen2/2.5/3-VL, SmolVLM2) when torchvision is absent, and no flag avoids it. This runs the
same CLI with the arena's processor loading (`load_processor`: AutoProcessor first, image-only on failure):

    python -m backends.engines.transformers.serve Qwen/Qwen2-VL-2B-Instruct --device cpu --host 127.0.0.1 --port 8000

Every argument is `transformers serve`'s own.
"""
from __future__ import annotations

import sys


def patch_processor_loading() -> None:
    from transformers.cli.serving.model_manager import ModelManager

    from backends.engines.transformers.processors import load_processor

    original = ModelManager._load_processor

    def _load_processor(self, model_id_and_revision: str, gguf_file: str | None = None):
        if gguf_file is not None:
            return original(self, model_id_and_revision, gguf_file)
        model_id, revision = model_id_and_revision.split("@", 1)
        return load_processor(model_id, revision=revision, trust_remote_code=self.trust_remote_code)

    ModelManager._load_processor = _load_processor


def main(argv: list[str]) -> None:
    from transformers.cli.transformers import main as transformers_cli

    patch_processor_loading()
    sys.argv = ["transformers", "serve", *argv]
    transformers_cli()


if __name__ == "__main__":
    main(sys.argv[1:])
