"""Remote-code models that bring their own `chat()` instead of `generate`: the original GOT-OCR 2.0.

ucaslcl/GOT-OCR2_0's code needs transformers 4.37.2 (it uses DynamicCache APIs removed in 4.49), so its
config entry gives it an environment of its own and it runs in a worker process on that interpreter.
Its `chat()` wants a file path unless `gradio_input=True`, which makes it take a PIL image.
"""
from __future__ import annotations

from typing import Any

from PIL import Image

GOT_OCR_TYPES = ("ocr", "format")


def load_got_ucas(source: str, *, revision: str | None, device: str, dtype_name: str):
    """(model, tokenizer) for ucaslcl/GOT-OCR2_0, loaded as its model card does."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, revision=revision, trust_remote_code=True)
    model = AutoModel.from_pretrained(
        source, revision=revision, trust_remote_code=True, low_cpu_mem_usage=True, use_safetensors=True,
        pad_token_id=tokenizer.eos_token_id, device_map=device, torch_dtype=getattr(torch, dtype_name),
    )
    return model.eval(), tokenizer


def got_chat_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments for GOT's chat(): plain or formatted OCR, an optional box or colour."""
    ocr_type = options.get("ocr_type", "ocr")
    if ocr_type not in GOT_OCR_TYPES:
        raise ValueError(f"ocr_type must be one of {', '.join(GOT_OCR_TYPES)}, not '{ocr_type}'")
    kwargs: dict[str, Any] = {"ocr_type": ocr_type, "gradio_input": True}
    if options.get("box"):
        kwargs["ocr_box"] = str(list(options["box"]))
    if options.get("color"):
        kwargs["ocr_color"] = options["color"]
    return kwargs


def run_got_chat(model, tokenizer, image: Image.Image, options: dict[str, Any]) -> str:
    return model.chat(tokenizer, image.convert("RGB"), **got_chat_kwargs(options))
